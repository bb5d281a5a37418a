import Foundation

/// Escaping of untrusted text for HTML and XML output.
public enum XMLEscape {
    /// Whether a scalar may appear in an XML 1.0 document.
    public static func isValidXML(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Removes the characters XML 1.0 forbids (control characters, U+FFFE, U+FFFF).
    public static func stripInvalid(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { !isValidXML($0) }) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars where isValidXML(u) { out.append(u) }
        return String(out)
    }

    /// Escapes text for an element's content or a quoted attribute (`& < > " '`), dropping invalid characters.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: if isValidXML(u) { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// Escapes text for an attribute value, also keeping line breaks and tabs (`&#10;`) that parsers would normalize.
    public static func attribute(_ s: String) -> String {
        escape(s).replacingOccurrences(of: "\r", with: "&#13;").replacingOccurrences(of: "\n", with: "&#10;")
            .replacingOccurrences(of: "\t", with: "&#9;")
    }
}
