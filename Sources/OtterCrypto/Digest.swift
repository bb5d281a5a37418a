import CCrypto
import Foundation

/// Message digests and MACs, computed by OpenSSL's libcrypto. Nothing here is hand-rolled.
public enum Digest {
    /// HMAC-SHA256 via OpenSSL `HMAC(EVP_sha256(), ...)`. Returns 32 bytes.
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        hmac(EVP_sha256(), key: key, message: message)
    }

    /// HMAC-SHA1 via OpenSSL `HMAC(EVP_sha1(), ...)`. Legacy webhook signing mode only. Returns 20 bytes.
    public static func hmacSHA1(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        hmac(EVP_sha1(), key: key, message: message)
    }

    /// One-shot SHA-256. Returns 32 bytes. For large inputs use `SHA256Hasher`.
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// Lowercase hex, two characters per byte.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard base64 (RFC 4648 alphabet, with `=` padding, no line breaks).
    public static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Compares two byte strings in time independent of their contents (OpenSSL `CRYPTO_memcmp`).
    /// Arrays of different lengths are unequal; the length itself is not treated as secret.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                CRYPTO_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0
            }
        }
    }

    private static func hmac(_ md: OpaquePointer?, key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        // Never hand OpenSSL a NULL pointer, even for empty input: some versions reject a NULL key.
        var keyBytes = Array(key)
        var msgBytes = Array(message)
        let keyCount = keyBytes.count
        let msgCount = msgBytes.count
        if keyBytes.isEmpty { keyBytes = [0] }
        if msgBytes.isEmpty { msgBytes = [0] }
        precondition(keyCount <= Int(Int32.max), "HMAC key too long")
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLen: UInt32 = 0
        let ok = keyBytes.withUnsafeBytes { k in
            msgBytes.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(md, k.baseAddress, Int32(keyCount), m.baseAddress, msgCount, o.baseAddress, &outLen)
                }
            }
        }
        precondition(ok != nil, "OpenSSL HMAC failed")
        return Array(out.prefix(Int(outLen)))
    }
}
