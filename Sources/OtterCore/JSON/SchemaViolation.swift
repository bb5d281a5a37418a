/// One way a value fails a schema: where (a JSONPath like `$.quotes[0].fee`) and why.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// Location in the validated value, e.g. `$.quotes[0].fee`.
    public var path: String
    /// What is wrong, e.g. "expected number, found string".
    public var message: String

    /// Creates a violation.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// "$.quotes[0].fee: expected number, found string".
    public var description: String { "\(path): \(message)" }
}

/// A schema document that cannot be used: where in the document (a JSONPath) and why.
public struct JSONSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Location in the schema document, e.g. `$.$defs.Order.properties.total.minimum`.
    public var path: String
    /// What is wrong with the schema there.
    public var message: String

    /// Creates an error.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// "$.$defs.A.type: unknown type 'strin'".
    public var description: String { "\(path): \(message)" }
}
