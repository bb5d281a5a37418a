/// Rewrites an OpenAPI 3.0 Schema Object as JSON Schema draft 2020-12, so a standard validator reads it as
/// the spec means it:
/// - `$ref: #/components/schemas/X` becomes `#/$defs/X`;
/// - `nullable: true` adds `"null"` to `type` (and to `enum`), or, with no `type`, wraps the schema as
///   `anyOf: [schema, {type: null}]`; `nullable: false` is dropped;
/// - the boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric form (`minimum: 0` +
///   `exclusiveMinimum: true` is `exclusiveMinimum: 0`);
/// - `example` becomes `examples: [example]`; `discriminator`, `xml` and `externalDocs` are dropped, and so is a
///   `format` that is not a string (invalid in both dialects; docs/openapi.md lists where the spec has one).
/// Everything else (type, properties, required, items, allOf, oneOf, enum, format, description …) means the
/// same in both and is kept. Values (`example`, `enum`, `default`, `const`) are copied, never rewritten.
enum SchemaTranslation {
    static let componentPrefix = "#/components/schemas/"

    /// One schema, recursively.
    static func translate(_ schema: JSONValue) -> JSONValue {
        guard case .object(let o) = schema else { return schema }
        var out = JSONObject()
        var nullable = false
        let minimum = o["minimum"], maximum = o["maximum"]
        for (key, value) in o {
            switch key {
            case "$ref":
                if let r = value.stringValue, r.hasPrefix(componentPrefix) {
                    out[key] = .string("#/$defs/" + r.dropFirst(componentPrefix.count))
                } else { out[key] = value }
            case "nullable":
                nullable = value.boolValue ?? false
            case "exclusiveMinimum", "exclusiveMaximum":
                if let flag = value.boolValue {
                    let bound = key == "exclusiveMinimum" ? minimum : maximum
                    if flag, let bound { out[key] = bound }
                } else { out[key] = value }
            case "minimum" where o["exclusiveMinimum"]?.boolValue == true,
                 "maximum" where o["exclusiveMaximum"]?.boolValue == true:
                continue  // carried by the numeric exclusive bound
            case "example":
                out["examples"] = .array([value])
            case "discriminator", "xml", "externalDocs":
                continue
            case "format" where value.stringValue == nil:
                continue  // `format: 10` (EaterOrderHistoryRequest.limit) means nothing in either dialect

            case "properties", "patternProperties", "$defs", "dependentSchemas":
                guard case .object(let members) = value else { out[key] = value; continue }
                out[key] = .object(JSONObject(members.map { ($0.key, translate($0.value)) }))
            case "items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else":
                out[key] = translate(value)
            case "allOf", "anyOf", "oneOf", "prefixItems":
                guard case .array(let list) = value else { out[key] = value; continue }
                out[key] = .array(list.map(translate))
            default:
                out[key] = value
            }
        }
        guard nullable else { return .object(out) }
        if let type = out["type"] {
            switch type {
            case .string(let t) where t != "null": out["type"] = .array([.string(t), "null"])
            case .array(let ts) where !ts.contains("null"): out["type"] = .array(ts + ["null"])
            default: break
            }
            if case .array(let values) = out["enum"], !values.contains(.null) { out["enum"] = .array(values + [.null]) }
            return .object(out)
        }
        // No type to widen ($ref, allOf, oneOf …): allow null beside whatever the schema allows.
        var wrapper = JSONObject()
        for key in ["title", "description"] { if let v = out[key] { wrapper[key] = v; out[key] = nil } }
        wrapper["anyOf"] = .array([.object(out), ["type": "null"]])
        return .object(wrapper)
    }
}
