/// A JSON syntax error with its position (offset in bytes; line and column 1-based, column in Unicode scalars).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the error in the input.
    public var offset: Int
    /// 1-based line number.
    public var line: Int
    /// 1-based column, counted in Unicode scalars from the line start.
    public var column: Int
    /// What went wrong, e.g. "expected ',' or '}' after object member".
    public var message: String

    /// Creates an error.
    public init(offset: Int, line: Int, column: Int, message: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.message = message
    }

    /// "line 3, column 14: expected ',' or '}' after object member".
    public var description: String { "line \(line), column \(column): \(message)" }
}
