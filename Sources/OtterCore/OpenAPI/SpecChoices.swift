/// The one place where the harness departs from the letter of the OpenAPI, because the spec contradicts
/// itself there and cannot be followed both ways. Each choice is listed, with its reason, in docs/openapi.md
/// ("Where the spec contradicts itself"); a newer spec that no longer has the contradiction is left as it is.
enum SpecChoices {
    /// The envelope's `MetadataObject.payload` is `type: object`, yet the webhooks put their own payload
    /// schema there, and `storefront.unpause_store`'s `UnpauseStoreEvent` is a string (the closure id), so the
    /// `allOf` of that webhook could never be met. The webhook's own payload schema wins: the envelope's
    /// generic `type: object` is dropped, and every webhook still states its payload's type.
    static func apply(to document: JSONValue) -> JSONValue {
        guard var doc = document.objectValue,
              var components = doc["components"]?.objectValue,
              var schemas = components["schemas"]?.objectValue,
              var metadata = schemas["MetadataObject"]?.objectValue,
              var properties = metadata["properties"]?.objectValue,
              var payload = properties["payload"]?.objectValue,
              payload["type"] == "object" else { return document }
        payload["type"] = nil
        properties["payload"] = .object(payload)
        metadata["properties"] = .object(properties)
        schemas["MetadataObject"] = .object(metadata)
        components["schemas"] = .object(schemas)
        doc["components"] = .object(components)
        return .object(doc)
    }
}
