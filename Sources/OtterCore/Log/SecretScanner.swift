import Foundation

/// Finds every known secret value, in each of its encodings, in one pass over a text.
///
/// Each needle (a byte string: a secret, or its base64, hex or percent-encoded form) is indexed by its first
/// `anchor` bytes. The scan rolls an `anchor`-byte window over the text (a shift and an or per byte), tests a
/// 65,536-bit filter, and only on a hit looks the window up and compares the candidate needles, longest first.
/// The cost is one pass over the text whatever the number of needles, so thousands of issued tokens scan a
/// 1 MB body as fast as one. Matches do not overlap: at each position the longest needle wins, and the scan
/// goes on after it.
struct SecretScanner: Sendable {
    /// One needle: a slice of `bytes`, the marker it is replaced with, and whether it only matches as a whole word.
    private struct Needle {
        var start: Int
        var count: Int
        var marker: Int32
        var wholeWord: Bool
        /// The next needle with the same anchor (longest first), or -1.
        var next: Int32
    }

    private final class Storage: @unchecked Sendable {
        var bytes: [UInt8] = []
        var needles: [Needle] = []
        var heads: [UInt64: Int32] = [:]
        var filter = [UInt64](repeating: 0, count: 1 << 10)
        var markers: [String] = []
        var markerIndex: [String: Int32] = [:]

        func copy() -> Storage {
            let s = Storage()
            s.bytes = bytes; s.needles = needles; s.heads = heads; s.filter = filter
            s.markers = markers; s.markerIndex = markerIndex
            return s
        }
    }

    /// A found needle: where it is in the text and what replaces it.
    struct Match { var start: Int; var end: Int; var marker: String }

    /// Bytes of the rolling window: needles shorter than this cannot be indexed.
    let anchor: Int
    private var storage = Storage()

    /// Creates an empty scanner whose needles are at least `anchor` (1…8) bytes long.
    init(anchor: Int) { precondition((1...8).contains(anchor)); self.anchor = anchor }

    /// Whether no needle was added.
    var isEmpty: Bool { storage.needles.isEmpty }

    /// How many needles are indexed.
    var count: Int { storage.needles.count }

    private var windowMask: UInt64 { anchor == 8 ? ~0 : (UInt64(1) << UInt64(8 * anchor)) - 1 }

    private static func bucket(_ w: UInt64) -> Int { Int(truncatingIfNeeded: (w &* 0x9E37_79B9_7F4A_7C15) >> 48) }

    /// Adds a needle (ignored when shorter than `anchor`, or already known).
    mutating func add(_ needle: [UInt8], marker: String, wholeWord: Bool = false) {
        guard needle.count >= anchor else { return }
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let s = storage
        var key: UInt64 = 0
        for b in needle.prefix(anchor) { key = (key << 8) | UInt64(b) }
        // Known already? Then the first marker stays.
        var id = s.heads[key] ?? -1
        while id >= 0 {
            let n = s.needles[Int(id)]
            if n.count == needle.count && s.bytes[n.start..<(n.start + n.count)].elementsEqual(needle) { return }
            id = n.next
        }
        let m: Int32
        if let known = s.markerIndex[marker] { m = known } else {
            m = Int32(s.markers.count); s.markers.append(marker); s.markerIndex[marker] = m
        }
        let new = Int32(s.needles.count)
        s.needles.append(Needle(start: s.bytes.count, count: needle.count, marker: m, wholeWord: wholeWord, next: -1))
        s.bytes.append(contentsOf: needle)
        // Keep each anchor's chain longest first.
        if let head = s.heads[key], s.needles[Int(head)].count >= needle.count {
            var prev = head
            while true {
                let next = s.needles[Int(prev)].next
                if next < 0 || s.needles[Int(next)].count < needle.count { break }
                prev = next
            }
            s.needles[Int(new)].next = s.needles[Int(prev)].next
            s.needles[Int(prev)].next = new
        } else {
            s.needles[Int(new)].next = s.heads[key] ?? -1
            s.heads[key] = new
        }
        let b = SecretScanner.bucket(key)
        s.filter[b >> 6] |= 1 << UInt64(b & 63)
    }

    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Every match in `text`, in order, not overlapping.
    func matches(in text: UnsafeBufferPointer<UInt8>) -> [Match] {
        let s = storage
        guard !s.needles.isEmpty, text.count >= anchor else { return [] }
        var out: [Match] = []
        let mask = windowMask
        var w: UInt64 = 0
        var nextFree = 0
        s.bytes.withUnsafeBufferPointer { hay in
            for i in 0..<text.count {
                w = ((w << 8) | UInt64(text[i])) & mask
                let start = i + 1 - anchor
                guard start >= nextFree else { continue }
                let b = SecretScanner.bucket(w)
                guard s.filter[b >> 6] & (1 << UInt64(b & 63)) != 0, var id = s.heads[w] else { continue }
                while id >= 0 {
                    let n = s.needles[Int(id)]
                    id = n.next
                    let end = start + n.count
                    guard end <= text.count else { continue }
                    if n.count > anchor, memcmp(text.baseAddress! + start + anchor, hay.baseAddress! + n.start + anchor, n.count - anchor) != 0 {
                        continue
                    }
                    if n.wholeWord {
                        if start > 0, SecretScanner.isWordByte(text[start - 1]) { continue }
                        if end < text.count, SecretScanner.isWordByte(text[end]) { continue }
                    }
                    out.append(Match(start: start, end: end, marker: s.markers[Int(n.marker)]))
                    nextFree = end
                    break
                }
            }
        }
        return out
    }
}

/// The forms a secret value takes in what is logged: as is, JSON-escaped, percent-encoded, base64 and hex.
enum SecretForms {
    /// Every distinct encoding of `value`, the raw bytes first.
    ///
    /// - as is, and JSON-escaped (`"` `\` and control characters, and `/` as `\/`);
    /// - percent-encoded with upper- and lower-case hex digits, keeping RFC 3986's unreserved characters; as a form
    ///   value (space as `+`); and as JavaScript's `encodeURIComponent` writes it (`!'()*` kept);
    /// - base64, standard and URL-safe, with and without padding; and, for base64 of a longer text that holds the
    ///   value, the characters that depend on the value alone, at each of the three byte alignments;
    /// - hex, lower and upper case.
    static func all(_ value: String) -> [[UInt8]] {
        let raw = Array(value.utf8)
        var out: [[UInt8]] = [raw]
        func add(_ x: [UInt8]) { if !x.isEmpty && !out.contains(x) { out.append(x) } }
        add(jsonEscaped(raw, slash: false))
        add(jsonEscaped(raw, slash: true))
        add(percent(raw, keep: unreserved, upper: true, plus: false))
        add(percent(raw, keep: unreserved, upper: false, plus: false))
        add(percent(raw, keep: unreserved, upper: true, plus: true))
        add(percent(raw, keep: unreserved.union(Set("!'()*".utf8)), upper: true, plus: false))
        for urlSafe in [false, true] {
            let b64 = base64(raw, urlSafe: urlSafe)
            add(b64)
            add(Array(b64.prefix { $0 != UInt8(ascii: "=") }))
            for offset in 0..<3 { add(base64Core(raw, offset: offset, urlSafe: urlSafe)) }
        }
        add(hex(raw, upper: false))
        add(hex(raw, upper: true))
        return out
    }

    static let unreserved: Set<UInt8> = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func jsonEscaped(_ raw: [UInt8], slash: Bool) -> [UInt8] {
        var out: [UInt8] = []
        let hexDigits = Array("0123456789abcdef".utf8)
        for c in raw {
            switch c {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x2F where slash: out += [0x5C, 0x2F]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hexDigits[Int(c >> 4)], hexDigits[Int(c & 15)]]
            default: out.append(c)
            }
        }
        return out
    }

    static func percent(_ raw: [UInt8], keep: Set<UInt8>, upper: Bool, plus: Bool) -> [UInt8] {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        for c in raw {
            if keep.contains(c) { out.append(c) } else if plus && c == 0x20 { out.append(UInt8(ascii: "+")) } else {
                out += [UInt8(ascii: "%"), digits[Int(c >> 4)], digits[Int(c & 15)]]
            }
        }
        return out
    }

    static func hex(_ raw: [UInt8], upper: Bool) -> [UInt8] {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count * 2)
        for c in raw { out += [digits[Int(c >> 4)], digits[Int(c & 15)]] }
        return out
    }

    private static let std = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func base64(_ raw: [UInt8], urlSafe: Bool) -> [UInt8] {
        let alphabet = urlSafe ? url : std
        var out: [UInt8] = []
        var i = 0
        while i < raw.count {
            let n = min(3, raw.count - i)
            var v = UInt32(raw[i]) << 16
            if n > 1 { v |= UInt32(raw[i + 1]) << 8 }
            if n > 2 { v |= UInt32(raw[i + 2]) }
            for j in 0..<4 {
                out.append(j <= n ? alphabet[Int((v >> UInt32(18 - 6 * j)) & 63)] : UInt8(ascii: "="))
            }
            i += 3
        }
        return out
    }

    /// The base64 characters of a longer text holding `raw` at byte offset `offset` (mod 3) that depend on `raw`
    /// alone: they appear in the base64 of any text with `raw` at that alignment, whatever comes before and after.
    static func base64Core(_ raw: [UInt8], offset: Int, urlSafe: Bool) -> [UInt8] {
        var padded = [UInt8](repeating: 0, count: offset) + raw
        while padded.count % 3 != 0 { padded.append(0) }
        let encoded = base64(padded, urlSafe: urlSafe)
        let first = 8 * offset, last = 8 * (offset + raw.count)
        var out: [UInt8] = []
        for (j, c) in encoded.enumerated() where 6 * j >= first && 6 * j + 6 <= last { out.append(c) }
        return out
    }
}
