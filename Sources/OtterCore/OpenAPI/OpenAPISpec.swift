import Foundation

/// Otter's public OpenAPI 3.0 description, read once. Everything the harness sends, answers and demands of
/// an endpoint or a body comes from here: the endpoint table (paths, operationIds, scopes, required headers
/// and query parameters, rate limits, request and answer schemas, answer examples), the webhooks (event
/// type, envelope and payload schema, answers), the documented scopes, and one JSON Schema 2020-12 document
/// holding every schema, translated from OpenAPI 3.0 (`SchemaTranslation`) with the choices of
/// `SpecChoices` applied where the spec contradicts itself.
public struct OpenAPISpec: Sendable {
    /// One webhook (Otter → partner) of `x-webhooks`.
    public struct Webhook: Sendable {
        /// `orders.new_order`.
        public var eventType: String
        /// The spec's operationId (`orderCreateWebhook`).
        public var operationId: String
        /// The spec's summary line.
        public var summary: String
        /// The whole notification's schema (envelope and payload), a `$defs` name: `webhook:orders.new_order`.
        public var schema: String
        /// The payload's schema name, when the spec names one (`Order`, `UnpauseStoreEvent`).
        public var payloadSchema: String?
        /// The answers the spec documents for the partner (`2XX`, and a body for `stores.fetch_credentials`).
        public var responses: [EndpointTable.Response]
    }

    /// `info.title` and `info.version`.
    public var title: String, version: String
    /// The partner → Otter operations.
    public var endpoints: EndpointTable
    /// The Otter → partner webhooks, in spec order.
    public var webhooks: [Webhook]
    /// Every scope the security schemes document or an operation requires.
    public var scopes: Set<String>
    /// The 2020-12 schema document: every component schema under its own name, plus `webhook:<eventType>`,
    /// `request:<operationId>` and `response:<operationId>:<status>` for bodies the spec writes inline.
    public var schemaDocument: JSONValue
    /// A validator over `schemaDocument` that compiles each schema the first time it is used (`JSONSchemaValidator`'s
    /// `init(lazy:)`); `compileSchemas(_:)` and `compileAllSchemas()` compile ahead and throw what cannot be compiled.
    public var schemas: JSONSchemaValidator
    /// The file it was read from, for messages (set by whoever read it).
    public var file: String?

    /// The webhook of an event type.
    public func webhook(eventType: String) -> Webhook? { webhooks.first { $0.eventType == eventType } }

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// Starts some work elsewhere (another thread) and returns how to wait for its result.
    public typealias Aside = (_ work: @escaping @Sendable () -> JSONObject) -> () -> JSONObject

    /// Reads an OpenAPI 3.0 document (JSON). Throws with the JSON path of what cannot be read. With `aside`, the
    /// translation of the component schemas (a third of the reading) runs there while the operations are read.
    public init(document raw: JSONValue, aside: Aside? = nil) throws(DataError) {
        let document = SpecChoices.apply(to: raw)
        let root = JSONNode(document)
        guard case .object = document else { throw root.error("expected an OpenAPI document (a JSON object), found \(document.typeName)") }
        guard let v = document["openapi"]?.stringValue, v.hasPrefix("3.") else {
            throw root.error("not an OpenAPI 3 document: 'openapi' is \(document["openapi"]?.serialized() ?? "missing")")
        }
        title = document["info"]?["title"]?.stringValue ?? ""
        version = document["info"]?["version"]?.stringValue ?? ""
        let components = document["components"] ?? [:]
        let componentSchemas = components["schemas"]?.objectValue ?? JSONObject()
        let translate: @Sendable () -> JSONObject = {
            var defs = JSONObject()
            for (name, schema) in componentSchemas { defs[name] = SchemaTranslation.translate(schema) }
            return defs
        }
        let translated = aside?(translate) ?? { translate() }
        // The operations' inline schemas are collected apart and added after the components, as if in one pass.
        var reader = Reader(components: components, defs: JSONObject())

        var endpoints: [EndpointTable.Endpoint] = []
        var scopes = Set<String>()
        for (_, scheme) in components["securitySchemes"]?.objectValue ?? JSONObject() {
            for (_, f) in scheme["flows"]?.objectValue ?? JSONObject() { scopes.formUnion(f["scopes"]?.objectValue?.keys ?? []) }
        }
        let paths = try root.required("paths")
        for (pathText, item) in try paths.entries() {
            let template = try JSONNode(.string(pathText), path: item.path).pathTemplate()
            let shared = item.value["parameters"]?.arrayValue ?? []
            for method in Self.methods {
                guard let op = item.value[method] else { continue }
                let opId = op["operationId"]?.stringValue ?? "\(method.uppercased()) \(pathText)"
                let params = (shared + (op["parameters"]?.arrayValue ?? [])).map { reader.resolve($0, in: "parameters") }
                func names(_ place: String, requiredOnly: Bool) -> [String] {
                    params.filter { $0["in"]?.stringValue == place && (!requiredOnly || $0["required"]?.boolValue == true) }
                        .compactMap { $0["name"]?.stringValue }
                }
                let security = (op["security"] ?? document["security"])?.arrayValue ?? []
                let needed = security.first?.objectValue?.first(where: { _ in true })?.value.arrayValue?.compactMap(\.stringValue) ?? []
                scopes.formUnion(needed)
                let (bodyType, bodySchema) = reader.body(op["requestBody"], name: "request:\(opId)")
                endpoints.append(EndpointTable.Endpoint(
                    method: method.uppercased(), path: template, operationId: opId, summary: op["summary"]?.stringValue ?? "",
                    requiredHeaders: names("header", requiredOnly: true), requiredQuery: names("query", requiredOnly: true),
                    query: names("query", requiredOnly: false), scope: needed.first,
                    ratePerMinute: Self.rateLimit(in: op["description"]?.stringValue ?? ""),
                    bodySchema: bodySchema, bodyContentType: bodyType,
                    responses: reader.responses(op["responses"], operationId: opId)))
            }
        }

        var webhooks: [Webhook] = []
        for (key, item) in document["x-webhooks"]?.objectValue ?? JSONObject() {
            guard let op = item["post"] else { continue }
            let opId = op["operationId"]?.stringValue ?? key
            let media = op["requestBody"]?["content"]?["application/json"]
            guard let schema = media?["schema"], let eventType = Self.eventType(schema: schema, examples: media?["examples"]) else { continue }
            let name = "webhook:\(eventType)"
            let payload = Self.payloadReference(schema)
            // The notification as the spec states it, and the one thing the event type itself implies.
            reader.defs[name] = ["allOf": [SchemaTranslation.translate(schema),
                                           ["properties": ["eventType": ["const": .string(eventType)]]]]]
            webhooks.append(Webhook(eventType: eventType, operationId: opId, summary: op["summary"]?.stringValue ?? "",
                                    schema: name, payloadSchema: payload, responses: reader.responses(op["responses"], operationId: opId)))
        }

        var defs = translated()
        for (name, schema) in reader.defs { defs[name] = schema }
        self.endpoints = EndpointTable(endpoints)
        self.webhooks = webhooks
        self.scopes = scopes
        self.schemaDocument = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$comment": .string("Generated by otter-cert from \(title) \(version) (OpenAPI \(v)): components/schemas translated from OpenAPI 3.0 to JSON Schema 2020-12, plus the webhooks and inline bodies. Do not edit; see docs/openapi.md."),
            "$defs": .object(defs),
        ]
        do { schemas = try JSONSchemaValidator(lazy: schemaDocument) } catch { throw Self.compileError(error) }
    }

    /// Compiles the named schemas now (names the spec does not define are skipped); the first that cannot be compiled
    /// throws, in the words reading a broken spec always used.
    public func compileSchemas(_ names: some Sequence<String>) throws(DataError) {
        do { try schemas.prepare(names) } catch { throw withFile(Self.compileError(error)) }
    }

    /// Compiles every schema now, in document order; the first that cannot be compiled throws.
    public func compileAllSchemas() throws(DataError) {
        do { try schemas.prepareAll() } catch { throw withFile(Self.compileError(error)) }
    }

    static func compileError(_ e: JSONSchemaError) -> DataError {
        DataError(path: "$.components.schemas", message: "a schema cannot be compiled: \(e)")
    }

    private func withFile(_ e: DataError) -> DataError {
        var e = e
        e.file = file
        return e
    }

    /// `RATE LIMIT: 8 per minute` in an operation's description.
    static func rateLimit(in description: String) -> Int? {
        guard let r = description.range(of: "RATE LIMIT: ") else { return nil }
        let digits = description[r.upperBound...].prefix { $0.isNumber }
        guard let n = Int(digits), description[r.upperBound...].dropFirst(digits.count).hasPrefix(" per minute") else { return nil }
        return n
    }

    /// The event type a webhook's schema names (an `example.eventType` in its `allOf`), else its example body's.
    static func eventType(schema: JSONValue, examples: JSONValue?) -> String? {
        for part in schema["allOf"]?.arrayValue ?? [schema] {
            if let t = part["example"]?["eventType"]?.stringValue { return t }
        }
        for (_, e) in examples?.objectValue ?? JSONObject() {
            if let t = e["value"]?["eventType"]?.stringValue { return t }
        }
        return nil
    }

    /// The component a webhook's `metadata.payload` refers to.
    static func payloadReference(_ schema: JSONValue) -> String? {
        for part in schema["allOf"]?.arrayValue ?? [schema] {
            if let r = part["properties"]?["metadata"]?["properties"]?["payload"]?["$ref"]?.stringValue,
               r.hasPrefix(SchemaTranslation.componentPrefix) {
                return String(r.dropFirst(SchemaTranslation.componentPrefix.count))
            }
        }
        return nil
    }

    /// Resolves component references and collects inline schemas into `defs`.
    struct Reader {
        let components: JSONValue
        var defs: JSONObject

        /// A `$ref: #/components/<kind>/X` resolved (one level, as the spec uses them).
        func resolve(_ value: JSONValue, in kind: String) -> JSONValue {
            let prefix = "#/components/\(kind)/"
            guard let r = value["$ref"]?.stringValue, r.hasPrefix(prefix),
                  let target = components[kind]?[String(r.dropFirst(prefix.count))] else { return value }
            return target
        }

        /// A media type's schema as a `$defs` name: the component it refers to, or `name` for an inline schema.
        mutating func schemaName(_ schema: JSONValue?, name: String) -> String? {
            guard let schema else { return nil }
            if let r = schema["$ref"]?.stringValue, r.hasPrefix(SchemaTranslation.componentPrefix), schema.objectValue?.count == 1 {
                return String(r.dropFirst(SchemaTranslation.componentPrefix.count))
            }
            defs[name] = SchemaTranslation.translate(schema)
            return name
        }

        /// The request body's media type and schema name.
        mutating func body(_ requestBody: JSONValue?, name: String) -> (String?, String?) {
            guard let rb = requestBody.map({ resolve($0, in: "requestBodies") }),
                  let (type, media) = rb["content"]?.objectValue?.first(where: { _ in true }) else { return (nil, nil) }
            return (type, schemaName(media["schema"], name: name))
        }

        /// The documented answers.
        mutating func responses(_ value: JSONValue?, operationId: String) -> [EndpointTable.Response] {
            var out: [EndpointTable.Response] = []
            for (status, raw) in value?.objectValue ?? JSONObject() {
                let r = resolve(raw, in: "responses")
                let media = r["content"]?["application/json"]
                let example = media?["examples"]?.objectValue?.first(where: { _ in true })?.value["value"] ?? media?["example"]
                out.append(EndpointTable.Response(status: status, description: r["description"]?.stringValue ?? "",
                                                  schema: schemaName(media?["schema"], name: "response:\(operationId):\(status)"),
                                                  example: example))
            }
            return out
        }
    }
}
