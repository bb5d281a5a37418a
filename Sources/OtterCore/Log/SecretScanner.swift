import Foundation

/// Finds every known secret value, in each of its encodings, in one pass over a text.
///
/// Each needle (a byte string: a secret, or its base64, hex or percent-encoded form) is indexed by its first
/// `anchor` bytes. The scan rolls an `anchor`-byte window over the text (a shift and an or per byte), tests a bit
/// filter (at least 65,536 bits, 16 per needle), and only on a hit looks the window up and compares the candidate
/// needles, longest first. The cost is one pass over the text whatever the number of needles, so thousands of
/// issued tokens scan a 1 MB body about as fast as one. Needles that share their first `anchor` bytes (tokens with a
/// common prefix, and their hex forms) are told apart by a hash of up to their first 32 bytes once more than
/// `chainLimit` share an anchor, so neither adding nor finding one walks a long list. Matches do not overlap: at
/// each position the longest needle wins, and the scan goes on after it.
struct SecretScanner: Sendable {
    /// One needle: a slice of `bytes`, the marker it is replaced with, and whether it only matches as a whole word.
    private struct Needle {
        var start: Int
        var count: Int
        var marker: Int32
        var wholeWord: Bool
        /// The next needle of the same list (longest first), or -1.
        var next: Int32
    }

    /// The needles of one crowded anchor, by a hash of their first `min(count, 32)` bytes.
    private struct Group {
        /// The prefix lengths present, longest first.
        var prefixLengths: [Int] = []
        /// Prefix hash → head of the list of needles with that prefix (longest first).
        var lists: [UInt64: Int32] = [:]
    }

    private final class Storage: @unchecked Sendable {
        var bytes: [UInt8] = []
        var needles: [Needle] = []
        /// Anchor → head of its list (≥ 0), or `-2 - g` for the crowded anchor of `groups[g]`.
        var heads: [UInt64: Int32] = [:]
        var groups: [Group] = []
        /// A bit per hash bucket of the anchors: `1 << filterBits` bits, at least 16 per needle (grown as needles come).
        var filter = [UInt64](repeating: 0, count: 1 << 10)
        var filterBits = 16
        var markers: [String] = []

        func copy() -> Storage {
            let s = Storage()
            s.bytes = bytes; s.needles = needles; s.heads = heads; s.groups = groups; s.filter = filter; s.filterBits = filterBits
            s.markers = markers
            return s
        }

        /// Whether needle `id` holds exactly `bytes`.
        func equals(_ id: Int32, _ other: [UInt8]) -> Bool {
            let n = needles[Int(id)]
            guard n.count == other.count else { return false }
            return bytes.withUnsafeBufferPointer { b in other.withUnsafeBufferPointer { o in memcmp(b.baseAddress! + n.start, o.baseAddress!, n.count) == 0 } }
        }

        /// Inserts needle `new` into the list starting at `head` (longest first); returns the new head, or nil when an
        /// equal needle is already in it.
        func insert(_ new: Int32, into head: Int32, _ needle: [UInt8]) -> Int32? {
            var id = head
            while id >= 0 {
                if equals(id, needle) { return nil }
                id = needles[Int(id)].next
            }
            let count = needle.count
            guard head >= 0, needles[Int(head)].count >= count else { needles[Int(new)].next = head; return new }
            var prev = head
            while true {
                let next = needles[Int(prev)].next
                if next < 0 || needles[Int(next)].count < count { break }
                prev = next
            }
            needles[Int(new)].next = needles[Int(prev)].next
            needles[Int(prev)].next = new
            return head
        }

        func listLength(_ head: Int32) -> Int {
            var n = 0, id = head
            while id >= 0 { n += 1; id = needles[Int(id)].next }
            return n
        }
    }

    /// A found needle: where it is in the text and what replaces it.
    struct Match { var start: Int; var end: Int; var marker: String }

    /// Bytes of the rolling window: needles shorter than this cannot be indexed.
    let anchor: Int
    private var storage = Storage()

    /// Needles one anchor keeps in a plain list; more are grouped by a hash of their prefix.
    static let chainLimit = 4
    /// The longest prefix hashed to tell apart needles that share an anchor.
    static let prefixLimit = 32

    /// Creates an empty scanner whose needles are at least `anchor` (1…8) bytes long.
    init(anchor: Int) { precondition((1...8).contains(anchor)); self.anchor = anchor }

    /// Whether no needle was added.
    var isEmpty: Bool { storage.needles.isEmpty }

    /// How many needles are indexed.
    var count: Int { storage.needles.count }

    private var windowMask: UInt64 { anchor == 8 ? ~0 : (UInt64(1) << UInt64(8 * anchor)) - 1 }

    private static func bucket(_ w: UInt64, bits: Int) -> Int { Int(truncatingIfNeeded: (w &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits)) }

    /// FNV-1a of `count` bytes at `p`, seeded with the count.
    private static func prefixHash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(count)
        for i in 0..<count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3 }
        return h
    }

    private static func prefixHash(_ needle: [UInt8]) -> UInt64 {
        needle.withUnsafeBufferPointer { prefixHash($0.baseAddress!, min($0.count, prefixLimit)) }
    }

    /// Adds the needles of one value (each ignored when shorter than `anchor`, or already known), all replaced by `marker`.
    mutating func add(_ needles: [[UInt8]], marker: String, wholeWord: Bool = false) {
        let needles = needles.filter { $0.count >= anchor }
        guard !needles.isEmpty else { return }
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let m = Int32(storage.markers.count)
        storage.markers.append(marker)
        for n in needles { add(n, marker: m, wholeWord: wholeWord) }
    }

    private func add(_ needle: [UInt8], marker m: Int32, wholeWord: Bool) {
        let s = storage
        var key: UInt64 = 0
        for b in needle.prefix(anchor) { key = (key << 8) | UInt64(b) }
        let new = Int32(s.needles.count)
        s.needles.append(Needle(start: s.bytes.count, count: needle.count, marker: m, wholeWord: wholeWord, next: -1))
        s.bytes.append(contentsOf: needle)
        func known() { s.needles.removeLast(); s.bytes.removeLast(needle.count) }
        let head = s.heads[key] ?? -1
        if head >= -1 {
            // A plain list (or none yet).
            guard let h = s.insert(new, into: head, needle) else { return known() }
            s.heads[key] = h
            if s.listLength(h) > SecretScanner.chainLimit { group(key, h) }
        } else {
            let g = Int(-2 - head)
            let p = min(needle.count, SecretScanner.prefixLimit), ph = SecretScanner.prefixHash(needle)
            guard let h = s.insert(new, into: s.groups[g].lists[ph] ?? -1, needle) else { return known() }
            s.groups[g].lists[ph] = h
            if !s.groups[g].prefixLengths.contains(p) { s.groups[g].prefixLengths.append(p); s.groups[g].prefixLengths.sort(by: >) }
        }
        if s.needles.count * 16 > 1 << s.filterBits, s.filterBits < 26 {
            // Few false hits however many needles: a bigger filter, rebuilt from the anchors.
            s.filterBits += 1
            s.filter = [UInt64](repeating: 0, count: 1 << (s.filterBits - 6))
            for k in s.heads.keys { let b = SecretScanner.bucket(k, bits: s.filterBits); s.filter[b >> 6] |= 1 << UInt64(b & 63) }
        } else {
            let b = SecretScanner.bucket(key, bits: s.filterBits)
            s.filter[b >> 6] |= 1 << UInt64(b & 63)
        }
    }

    /// Turns a crowded anchor's list into a group of lists by prefix hash.
    private func group(_ key: UInt64, _ head: Int32) {
        let s = storage
        var ids: [Int32] = []
        var id = head
        while id >= 0 { ids.append(id); id = s.needles[Int(id)].next }
        var g = Group()
        for id in ids.reversed() {  // shortest first, so each list is built longest first
            let n = s.needles[Int(id)]
            let needle = Array(s.bytes[n.start..<(n.start + n.count)])
            let ph = SecretScanner.prefixHash(needle), p = min(n.count, SecretScanner.prefixLimit)
            s.needles[Int(id)].next = g.lists[ph] ?? -1
            g.lists[ph] = id
            if !g.prefixLengths.contains(p) { g.prefixLengths.append(p) }
        }
        g.prefixLengths.sort(by: >)
        s.groups.append(g)
        s.heads[key] = Int32(-2 - (s.groups.count - 1))
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
        let bits = s.filterBits
        let base = text.baseAddress!
        s.bytes.withUnsafeBufferPointer { hay in
            /// The first needle of the list at `head` found at `start`, longest first.
            func first(_ head: Int32, at start: Int) -> Match? {
                var id = head
                while id >= 0 {
                    let n = s.needles[Int(id)]
                    id = n.next
                    let end = start + n.count
                    guard end <= text.count else { continue }
                    if n.count > anchor, memcmp(base + start + anchor, hay.baseAddress! + n.start + anchor, n.count - anchor) != 0 { continue }
                    if n.wholeWord {
                        if start > 0, SecretScanner.isWordByte(text[start - 1]) { continue }
                        if end < text.count, SecretScanner.isWordByte(text[end]) { continue }
                    }
                    return Match(start: start, end: end, marker: s.markers[Int(n.marker)])
                }
                return nil
            }
            let shift = UInt64(64 - bits)
            s.filter.withUnsafeBufferPointer { filter in
                for i in 0..<text.count {
                    w = ((w << 8) | UInt64(base[i])) & mask
                    let start = i + 1 - anchor
                    guard start >= nextFree else { continue }
                    let b = Int(truncatingIfNeeded: (w &* 0x9E37_79B9_7F4A_7C15) >> shift)
                    guard filter[b >> 6] & (1 << UInt64(b & 63)) != 0, let head = s.heads[w] else { continue }
                    var found: Match?
                    if head >= 0 {
                        found = first(head, at: start)
                    } else {
                        let g = s.groups[Int(-2 - head)]
                        for p in g.prefixLengths where start + p <= text.count {
                            if let h = g.lists[SecretScanner.prefixHash(base + start, p)], let m = first(h, at: start) { found = m; break }
                        }
                    }
                    if let m = found { out.append(m); nextFree = m.end }
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
        add(percent(raw, keep: componentSafe, upper: true, plus: false))
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
    /// What JavaScript's `encodeURIComponent` keeps.
    static let componentSafe: Set<UInt8> = unreserved.union(Set("!'()*".utf8))
    private static let lowerDigits = Array("0123456789abcdef".utf8), upperDigits = Array("0123456789ABCDEF".utf8)

    static func jsonEscaped(_ raw: [UInt8], slash: Bool) -> [UInt8] {
        guard raw.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || (slash && $0 == 0x2F) }) else { return raw }
        var out: [UInt8] = []
        for c in raw {
            switch c {
            case 0x22, 0x5C: out.append(0x5C); out.append(c)
            case 0x2F where slash: out.append(0x5C); out.append(c)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0..<0x20: out.append(contentsOf: "\\u00".utf8); out.append(lowerDigits[Int(c >> 4)]); out.append(lowerDigits[Int(c & 15)])
            default: out.append(c)
            }
        }
        return out
    }

    static func percent(_ raw: [UInt8], keep: Set<UInt8>, upper: Bool, plus: Bool) -> [UInt8] {
        guard raw.contains(where: { !keep.contains($0) }) else { return raw }
        let digits = upper ? upperDigits : lowerDigits
        var out: [UInt8] = []
        for c in raw {
            if keep.contains(c) { out.append(c) } else if plus && c == 0x20 { out.append(UInt8(ascii: "+")) } else {
                out.append(UInt8(ascii: "%")); out.append(digits[Int(c >> 4)]); out.append(digits[Int(c & 15)])
            }
        }
        return out
    }

    static func hex(_ raw: [UInt8], upper: Bool) -> [UInt8] {
        let digits = upper ? upperDigits : lowerDigits
        var out: [UInt8] = []
        out.reserveCapacity(raw.count * 2)
        for c in raw { out.append(digits[Int(c >> 4)]); out.append(digits[Int(c & 15)]) }
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
