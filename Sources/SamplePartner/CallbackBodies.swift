import Foundation
import OtterCore

/// The JSON bodies the partner sends, one function per schema, so each is easy to find and
/// compare with the Otter API reference.
enum CallbackBodies {
    static let courierProvider = "sample-partner-courier"

    /// RequestDeliveryQuoteCallbackRequest.
    static func quote(_ payload: JSONValue) -> JSONValue {
        let prep = payload["preferredPickupDuration"]?.intValue ?? 10
        return [
            "minPickupDuration": .number(Double(max(prep - 5, 5))),
            "maxPickupDuration": .number(Double(max(prep - 5, 5) + 10)),
            "deliveryDistance": ["unit": "KILOMETERS", "value": .number(distanceKm(payload))],
            "currencyCode": .string(currency(payload)),
            "cost": ["baseCost": 4.99, "extraCost": 0.5],
            "provider": .string(payload["provider"]?.stringValue ?? courierProvider),
            "createdAt": .string(Timestamp.now()),
        ]
    }

    /// AcceptDeliveryCallbackRequest.
    static func accept(_ payload: JSONValue, providerDeliveryId: String) -> JSONValue {
        [
            "deliveryDistance": ["unit": "KILOMETERS", "value": .number(distanceKm(payload))],
            "currencyCode": .string(currency(payload)),
            "cost": ["baseCost": 4.99, "extraCost": 0.5],
            "confirmedAt": .string(Timestamp.now()),
            "estimatedPickupTime": .string(Timestamp.now(plus: 15 * 60)),
            "estimatedDeliveryTime": .string(Timestamp.now(plus: 30 * 60)),
            "providerDeliveryId": .string(providerDeliveryId),
            "deliveryTrackingUrl": .string("https://track.example/\(providerDeliveryId)"),
        ]
    }

    /// ViewCredentialsArray, the synchronous answer to `stores.fetch_credentials`: the credentials a store owner gives
    /// to pair a store with this partner, in the schema version `stores.upsert` will name. With a store, its saved
    /// values too ("If the request contains the Store ID, it also returns the saved store credentials").
    static func credentialsSchema(saved: [(key: String, value: String)]?) -> JSONValue {
        let fields: [(key: String, label: String)] = [("email", "Email"), ("password", "Password")]
        return [
            "credentialsSchemaVersion": .string(credentialsSchemaVersion),
            "credentials": .array(fields.map { f in
                var o: JSONObject = ["key": .string(f.key), "label": .string(f.label), "inputType": "TEXT"]
                if let v = saved?.first(where: { $0.key == f.key })?.value { o["value"] = .string(v) }
                return .object(o)
            }),
        ]
    }

    /// The version of the credentials schema above.
    static let credentialsSchemaVersion = "1.0"

    /// UpdateDeliveryRequestCallbackRequest: the new cost after e.g. a tip change.
    static func deliveryUpdate(_ payload: JSONValue) -> JSONValue {
        ["currencyCode": .string(currency(payload)), "cost": ["baseCost": 4.99, "extraCost": 1.5]]
    }

    /// CancelDeliveryCallbackRequest.
    static func deliveryCancel() -> JSONValue {
        ["canceledAt": .string(Timestamp.now())]
    }

    /// DeliveryStatusUpdateRequest. The courier is named from ALLOCATED on: before that there is none.
    static func deliveryStatus(_ status: String, providerDeliveryId: String) -> JSONValue {
        var body: JSONObject = ["deliveryStatus": .string(status)]
        if status != "REQUESTED" {
            body["courier"] = ["name": "Sam Courier", "phone": "+1-555-555-0100"]
            body["location"] = ["latitude": 37.79, "longitude": -122.39]
        }
        body["createdAt"] = .string(Timestamp.now())
        body["providerDeliveryId"] = .string(providerDeliveryId)
        return .object(body)
    }

    /// EventCallbackError. `code` is one of the documented gRPC-style codes.
    static func error(_ code: String, _ message: String) -> JSONValue {
        ["errorCode": .string(code), "errorMessage": .string(message)]
    }

    /// UpsertFullMenuEventCallback: which id the partner gave to each entity Otter asked to create.
    static func menuPublished(_ menuData: JSONValue) -> JSONValue {
        var created = JSONObject()
        for kind in ["menus", "categories", "items", "modifierGroups"] {
            for (requestedId, _) in menuData[kind]?.objectValue ?? [:] {
                created[requestedId] = .string("sp-\(requestedId)")
            }
        }
        return ["requestedToCreatedEntityIds": .object(created)]
    }

    /// The result metadata every storefront callback carries.
    static func succeeded() -> JSONValue {
        ["operationStatus": "SUCCEEDED", "operationFinishedAt": .string(Timestamp.now())]
    }

    /// StoreHoursConfigurationEventResult: the sample store keeps default hours in Los Angeles time.
    static func storeHours() -> JSONValue {
        [
            "storeHoursConfiguration": ["deliveryHours": [:], "pickupHours": [:], "timezone": "America/Los_Angeles"],
            "statusChangedAt": .string(Timestamp.now()),
            "eventResultMetadata": succeeded(),
        ]
    }

    /// PauseRequest for the manager storefront: pause for an hour, for the reason the staff gave.
    static func managerPause() -> JSONValue {
        ["start": .string(Timestamp.now()), "end": .string(Timestamp.now(plus: 3600)),
         "comment": "Paused from the sample POS", "reason": "STORE_MAINTENANCE"]
    }

    /// An Order for POST/PUT /v1/orders. Money is computed in cents so the total adds up exactly:
    /// total = subtotal - discount + tax + tip + deliveryFee.
    static func order(id: String, friendlyId: String, withDrink: Bool, note: String, badTotals: Bool) -> JSONValue {
        struct Line { var id: String; var name: String; var quantity: Int; var unitCents: Int }
        var lines = [Line(id: "item-burger", name: "Juicy Cheeseburger", quantity: 2, unitCents: 550)]
        if withDrink { lines.append(Line(id: "item-coke", name: "Canned Coke", quantity: 1, unitCents: 250)) }

        let subtotal = lines.reduce(0) { $0 + $1.quantity * $1.unitCents }
        let discount = 100, tax = 99, tip = 200, deliveryFee = 300
        var total = subtotal - discount + tax + tip + deliveryFee
        if badTotals {
            Log.info("[fault bad-totals] orderTotal.total 1.00 less than its parts")
            total -= 100
        }
        func money(_ cents: Int) -> JSONValue { .number(Double(cents) / 100) }

        return [
            "externalIdentifiers": ["id": .string(id), "friendlyId": .string(friendlyId),
                                    "source": "sample-partner", "sourceType": "ORDERING_MARKETPLACE"],
            "currencyCode": "USD",
            "status": "NEW_ORDER",
            "items": .array(lines.map { line in
                ["id": .string(line.id), "name": .string(line.name), "quantity": .number(Double(line.quantity)),
                 "skuPrice": money(line.unitCents), "price": money(line.quantity * line.unitCents)]
            }),
            "orderedAt": .string(Timestamp.now()),
            "customerNote": .string(note),
            "orderTotal": ["subtotal": money(subtotal), "discount": money(discount), "tax": money(tax),
                           "tip": money(tip), "deliveryFee": money(deliveryFee), "total": money(total)],
        ]
    }

    private static func currency(_ payload: JSONValue) -> String {
        payload["currencyCode"]?.stringValue ?? "USD"
    }

    /// Straight-line distance between pickup and dropoff, to one decimal (a real DSP would route).
    private static func distanceKm(_ payload: JSONValue) -> Double {
        guard let a = payload["pickupAddress"]?["location"], let b = payload["dropoffAddress"]?["location"],
              let lat1 = a["latitude"]?.doubleValue, let lon1 = a["longitude"]?.doubleValue,
              let lat2 = b["latitude"]?.doubleValue, let lon2 = b["longitude"]?.doubleValue else { return 1.5 }
        let rad = Double.pi / 180
        let dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dLon / 2) * sin(dLon / 2)
        let km = 2 * 6371 * asin(min(1, sqrt(h)))
        return max(0.1, (km * 10).rounded() / 10)
    }
}
