/// A deliberately small command-line parser: `--name value`, `--name=value` and bare flags.
///
/// The sample partner is meant to be read by partners in any language, so it avoids clever
/// argument machinery; unknown options are errors so a typo never goes unnoticed.
struct Arguments {
    enum ParseError: Error, CustomStringConvertible {
        case missingValue(String)
        case unknownOption(String)
        case unexpected(String)

        var description: String {
            switch self {
            case .missingValue(let name): return "option --\(name) needs a value"
            case .unknownOption(let name): return "unknown option --\(name)"
            case .unexpected(let word): return "unexpected argument '\(word)'"
            }
        }
    }

    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []

    /// - Parameters:
    ///   - valued: options that take a value.
    ///   - flags: options that take none (e.g. `help`).
    init(_ words: [String], valued: Set<String>, flags allowedFlags: Set<String>) throws(ParseError) {
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            if word == "-h" { flags.insert("help"); continue }
            guard word.hasPrefix("--") else { throw .unexpected(word) }
            var name = String(word.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if allowedFlags.contains(name), inline == nil {
                flags.insert(name)
            } else if valued.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard i < words.count else { throw .missingValue(name) }
                    values[name] = words[i]
                    i += 1
                }
            } else {
                throw .unknownOption(name)
            }
        }
    }

    subscript(name: String) -> String? { values[name] }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}
