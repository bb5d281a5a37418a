import Foundation

/// Byte-level work on URL paths and header names, for the evaluator's hot path (every call of a log goes through
/// it): no Foundation, no `NSString`, no allocation where the answer is a yes or no.
enum PathBytes {
    /// The value of one hex digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// A path segment with its `%XX` escapes decoded, exactly as Foundation's `removingPercentEncoding` decodes it:
    /// nil when a `%` is not followed by two hex digits. A segment without `%` is returned as it is. Only ASCII is
    /// decoded here; a segment with other characters, or whose escapes decode to bytes beyond ASCII, is left to
    /// Foundation, whose rules for invalid UTF-8 are its own (`%A9` gives U+FFFD, `%80` nil).
    static func percentDecoded(_ s: Substring) -> String? {
        let utf8 = s.utf8
        guard utf8.contains(0x25) else { return String(s) }
        for b in utf8 where b >= 0x80 { return String(s).removingPercentEncoding }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b != 0x25 { out.append(b); i = utf8.index(after: i); continue }
            let h = utf8.index(after: i)
            guard h != utf8.endIndex, let hi = hexValue(utf8[h]) else { return nil }
            let l = utf8.index(after: h)
            guard l != utf8.endIndex, let lo = hexValue(utf8[l]) else { return nil }
            let v = hi << 4 | lo
            if v >= 0x80 { return String(s).removingPercentEncoding }
            out.append(v)
            i = utf8.index(after: l)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path segment decoded, or as it is when it cannot be decoded (what a template variable captures).
    static func segmentValue(_ s: Substring) -> String { percentDecoded(s) ?? String(s) }

    /// Whether two header names are the same, ignoring case. ASCII names (all real ones) are compared byte by byte;
    /// a name with other characters falls back to the Unicode comparison, so the answer is the one it always was.
    static func sameHeaderName(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        let ascii: Bool? = a.withUTF8 { x in
            b.withUTF8 { y -> Bool? in
                var nonASCII = false
                for c in x where c >= 0x80 { nonASCII = true; break }
                if !nonASCII { for c in y where c >= 0x80 { nonASCII = true; break } }
                if nonASCII { return nil }
                guard x.count == y.count else { return false }
                for k in 0..<x.count {
                    let p = x[k], q = y[k]
                    if p == q { continue }
                    // ASCII letters differ by 0x20 between cases.
                    guard p | 0x20 == q | 0x20, (0x61...0x7A).contains(p | 0x20) else { return false }
                }
                return true
            }
        }
        if let ascii { return ascii }
        return a.caseInsensitiveCompare(b) == .orderedSame
    }

    /// The path of a URL (without query or fragment), or the URL itself when it is already a path: what follows
    /// the authority of `scheme://authority/path`, `/` when nothing does. A URL with non-ASCII characters is cut as
    /// Characters (a `/` with a combining mark after it is not a slash there), as it always was.
    static func path(ofURL url: String) -> String {
        var copy = url
        let cut: String? = copy.withUTF8 { u -> String? in
            for c in u where c >= 0x80 { return nil }
            let n = u.count
            var start = 0
            // The first "://".
            var k = 0
            var found = -1
            while k + 2 < n {
                if u[k] == 0x3A && u[k + 1] == 0x2F && u[k + 2] == 0x2F { found = k; break }
                k += 1
            }
            if found >= 0 {
                start = found + 3
                while start < n && u[start] != 0x2F { start += 1 }
                if start == n { return "/" }
            }
            var end = start
            while end < n && u[end] != 0x3F && u[end] != 0x23 { end += 1 }
            if found >= 0 && end == start { return "/" }
            return String(decoding: UnsafeBufferPointer(rebasing: u[start..<end]), as: UTF8.self)
        }
        return cut ?? characterPath(ofURL: url)
    }

    /// `path(ofURL:)` for a URL with non-ASCII characters.
    static func characterPath(ofURL url: String) -> String {
        var s = Substring(url)
        if let r = s.range(of: "://") {
            s = s[r.upperBound...]
            if let slash = s.firstIndex(of: "/") { s = s[slash...] } else { s = "/" }
        }
        if let q = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<q] }
        return String(s)
    }
}

extension PathBytes {
    /// Whether every byte of `s` is ASCII (then byte and Character operations agree on it).
    @inline(__always)
    static func isASCII(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { u in
            for c in u where c >= 0x80 { return false }
            return true
        }
    }

    /// The segments of a path that starts with `/`, after that slash (`/a//b/` gives `a`, ``, `b`, ``), or nil
    /// for a path that does not start with `/`. An ASCII path is cut at its slash bytes; one with other characters
    /// at its `/` Characters, as it always was.
    static func parts(_ path: String) -> ArraySlice<Substring>? {
        guard isASCII(path) else {
            return path.hasPrefix("/") ? path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() : nil
        }
        guard path.utf8.first == 0x2F else { return nil }
        let u = path.utf8
        var out: [Substring] = []
        var start = u.index(after: u.startIndex)
        var i = start
        while i != u.endIndex {
            if u[i] == 0x2F { out.append(Substring(u[start..<i])); start = u.index(after: i) }
            i = u.index(after: i)
        }
        out.append(Substring(u[start..<u.endIndex]))
        return out[...]
    }
}
