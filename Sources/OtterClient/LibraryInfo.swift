import CCurl

/// The libcurl this process runs on (opened with dlopen, so it is the system's, found at run time).
public enum CurlLibrary {
    /// libcurl's version and the TLS library it was built with (`8.5.0`, `OpenSSL/3.0.13`), or why it could not be loaded.
    public static func info() -> Result<(version: String, tls: String?), ClientError> {
        guard let data = otter_curl_version_info() else {
            let why = String(cString: otter_curl_load_error())
            return .failure(.other(code: Int(CURLE_FAILED_INIT.rawValue), message: why.isEmpty ? "libcurl could not be loaded" : why))
        }
        let version = data.pointee.version.map { String(cString: $0) } ?? "unknown"
        let tls = data.pointee.ssl_version.map { String(cString: $0) }
        return .success((version, tls))
    }
}
