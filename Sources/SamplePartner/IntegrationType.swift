/// The three kinds of Otter integration the sample partner can play.
enum IntegrationType: String, CaseIterable, Sendable {
    /// A delivery service provider (DSP): quotes, accepts and moves couriers.
    case delivery
    /// A point-of-sale system: receives orders and menus requests, drives orders through the kitchen.
    case pos
    /// An ordering platform (marketplace): sends orders to Otter, serves menu and store webhooks.
    case orders

    /// Every OAuth scope this integration needs, requested in a single token.
    ///
    /// Asking for all of them up front means one token serves every call; a token without the
    /// scope an endpoint needs is answered 403 by the Public API.
    var scopes: [String] {
        switch self {
        case .delivery:
            return ["delivery.provider", "callback.error.write"]
        case .pos:
            return ["manager.orders", "menus.get_current", "menus.upsert", "menus.entity_suspension",
                    "manager.storefront", "callback.error.write"]
        case .orders:
            return ["orders.create", "orders.update", "menus.publish", "menus.upsert_hours",
                    "menus.entity_suspension", "storefront.store_availability",
                    "storefront.store_hours_configuration", "storefront.store_pause_unpause",
                    "stores.manage", "callback.error.write"]
        }
    }

    /// Where this integration reports a webhook it could not serve.
    /// Delivery providers have their own error endpoint; everyone else uses the generic one.
    var errorCallbackPath: String {
        self == .delivery ? "/v1/delivery/callback/error" : "/v1/callback/error"
    }
}
