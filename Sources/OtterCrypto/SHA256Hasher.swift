import CCrypto

/// Streaming SHA-256 over OpenSSL's `EVP_MD_CTX`, for hashing large files without holding them in memory.
///
/// Value semantics: copying a hasher and updating the copy does not affect the original
/// (the context is duplicated with `EVP_MD_CTX_copy_ex` on first write to a shared copy).
/// After `finalize()` the hasher is reset and can be reused for a new message.
/// Not thread-safe: use one hasher from one thread at a time.
public struct SHA256Hasher {
    private final class Context {
        let ctx: OpaquePointer

        init() {
            guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed") }
            self.ctx = ctx
            reset()
        }

        init(copying other: Context) {
            guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed") }
            self.ctx = ctx
            guard EVP_MD_CTX_copy_ex(ctx, other.ctx) == 1 else { fatalError("EVP_MD_CTX_copy_ex failed") }
        }

        func reset() {
            guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { fatalError("EVP_DigestInit_ex failed") }
        }

        deinit { EVP_MD_CTX_free(ctx) }
    }

    private var context: Context

    public init() {
        context = Context()
    }

    private mutating func uniqueContext() -> Context {
        if !isKnownUniquelyReferenced(&context) {
            context = Context(copying: context)
        }
        return context
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let ctx = uniqueContext().ctx
        guard EVP_DigestUpdate(ctx, base, bytes.count) == 1 else { fatalError("EVP_DigestUpdate failed") }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            let array = Array(bytes)
            array.withUnsafeBytes { update($0) }
        }
    }

    /// Returns the 32-byte digest of everything passed to `update` and resets the hasher.
    public mutating func finalize() -> [UInt8] {
        let context = uniqueContext()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context.ctx, $0.baseAddress, &len) }
        guard ok == 1 else { fatalError("EVP_DigestFinal_ex failed") }
        context.reset()
        return Array(out.prefix(Int(len)))
    }
}
