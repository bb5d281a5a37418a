import Foundation

/// The runtime data files built into the binary (`checklists/`, `Fixtures/webhooks/`), by path relative to the
/// checkout. They are what an installed or copied `otter-cert` falls back to when no data folder is found.
public enum BundledData {
    /// The relative paths of every built-in file, sorted.
    public static var paths: [String] { encoded.keys.sorted() }

    /// Whether there is a built-in file at that path (without decoding it).
    public static func contains(_ relativePath: String) -> Bool { encoded[relativePath] != nil }

    /// The bytes of one built-in file, or nil when there is none at that path.
    public static func file(_ relativePath: String) -> [UInt8]? {
        guard let b64 = encoded[relativePath], let data = Data(base64Encoded: b64) else { return nil }
        return [UInt8](data)
    }
}
