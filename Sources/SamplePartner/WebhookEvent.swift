import OtterCore

/// The envelope of every Otter webhook: `{eventId, eventTime, eventType, metadata: {storeId,
/// applicationId, resourceId, resourceHref, payload}}`.
struct WebhookEvent: Sendable {
    var eventId: String
    var eventType: String
    var storeId: String
    var applicationId: String?
    /// `metadata.resourceId`: what the event is about, when the payload does not say.
    var resourceId: String?
    /// `metadata.payload`; its schema depends on `eventType`.
    var payload: JSONValue

    /// Nil when the body is not an event envelope (not JSON, or no eventId/eventType).
    init?(body: [UInt8]) {
        guard let json = try? JSONValue.parse(body),
              let eventId = json["eventId"]?.stringValue, !eventId.isEmpty,
              let eventType = json["eventType"]?.stringValue else { return nil }
        let metadata = json["metadata"]
        self.eventId = eventId
        self.eventType = eventType
        self.storeId = metadata?["storeId"]?.stringValue ?? ""
        self.applicationId = metadata?["applicationId"]?.stringValue
        self.resourceId = metadata?["resourceId"]?.stringValue
        self.payload = metadata?["payload"] ?? .null
    }
}
