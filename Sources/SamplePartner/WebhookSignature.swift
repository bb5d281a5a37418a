import Foundation
import OtterCrypto

/// Verification of `X-HMAC-SHA256`: the HMAC-SHA256 of the exact raw body bytes, keyed with the
/// webhook secret, base64-encoded (lowercase hex is accepted too).
///
/// Always over the bytes as received: re-serialising parsed JSON changes spacing or key order
/// and breaks the signature. Compared in constant time, so response timing does not reveal how
/// much of a forged signature was right.
enum WebhookSignature {
    static func isValid(_ header: String?, body: [UInt8], secret: [UInt8]) -> Bool {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return false }
        let expected = Digest.hmacSHA256(key: secret, message: body)
        // Decode what was sent to raw bytes, then compare bytes with bytes.
        let presented: [UInt8]
        if header.count == 64, header.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), let hex = decodeHex(header) {
            presented = hex
        } else if let data = Data(base64Encoded: header) {
            presented = Array(data)
        } else {
            return false
        }
        return Digest.constantTimeEquals(presented, expected)
    }

    private static func decodeHex(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count / 2)
        var high: UInt8?
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}
