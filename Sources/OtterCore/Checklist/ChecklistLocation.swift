import Foundation

/// Where a checklist and its records are, for reports that point a reader at the record (JUnit, TAP).
public struct ChecklistLocation: Sendable, Equatable {
    /// The checklist file as a reader finds it: relative to the data root (`checklists/pos.json`), never an absolute path.
    public var path: String
    /// The 1-based line of each record's `"id"` in that file, by record id.
    public var recordLines: [String: Int]

    /// Creates a location.
    public init(path: String, recordLines: [String: Int]) { self.path = path; self.recordLines = recordLines }

    /// `checklists/pos.json:297`, or the path alone when the record's line is unknown.
    public func reference(_ recordId: String) -> String {
        recordLines[recordId].map { "\(path):\($0)" } ?? path
    }

    /// The line of every `$.records[*].id` in a checklist's bytes (the first one when an id repeats).
    ///
    /// A structural scan, not a second parser: the file was parsed and validated already, so this only follows
    /// objects, arrays, keys and strings far enough to know which `"id"` key is a record's, and counts newlines.
    public static func recordLines(_ bytes: [UInt8]) -> [String: Int] {
        struct Frame { var isObject: Bool; var key: String?; var expectingKey: Bool }
        var stack: [Frame] = []
        var out: [String: Int] = [:]
        var line = 1, keyLine = 1, i = 0
        let n = bytes.count
        /// Reads the string starting at the quote at `i`; leaves `i` after its closing quote.
        func string() -> String {
            let start = i
            i += 1
            var escaped = false
            while i < n {
                let c = bytes[i]
                if c == 0x0A { line += 1 }
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { break }
                i += 1
            }
            let raw = Array(bytes[start..<min(i + 1, n)])
            i += 1
            return (try? JSONValue.parse(raw))?.stringValue ?? String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
        }
        while i < n {
            switch bytes[i] {
            case 0x0A: line += 1; i += 1
            case 0x7B: stack.append(Frame(isObject: true, key: nil, expectingKey: true)); i += 1      // {
            case 0x5B: stack.append(Frame(isObject: false, key: nil, expectingKey: false)); i += 1    // [
            case 0x7D, 0x5D: if !stack.isEmpty { stack.removeLast() }; i += 1                       // } ]
            case 0x2C: if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true; stack[stack.count - 1].key = nil }; i += 1
            case 0x3A: if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = false }; i += 1
            case 0x22:
                let lineHere = line
                let s = string()
                if let top = stack.last, top.isObject, top.expectingKey {
                    stack[stack.count - 1].key = s
                    keyLine = lineHere
                } else if stack.count == 3, stack[0].isObject, stack[0].key == "records", !stack[1].isObject,
                          stack[2].isObject, stack[2].key == "id", out[s] == nil {
                    out[s] = keyLine
                }
            default: i += 1
            }
        }
        return out
    }
}
