import CCrypto

/// The OpenSSL libcrypto this process is linked with (webhook signatures, body digests).
public enum CryptoLibrary {
    /// `OpenSSL 3.0.13 30 Jan 2024`: what the loaded libcrypto says, not the headers it was built against.
    public static var version: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "unknown" }
        return String(cString: text)
    }
}
