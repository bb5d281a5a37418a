import Foundation
import OtterCore

/// The sample kitchen's menu, as the POS would export it.
///
/// A real POS builds these bodies from its own database. The sample partner ships the two
/// schema-valid example bodies of the project (`Fixtures/callbacks/menus_current.json` and
/// `menus_upsert.json`, compacted) so it needs no files at run time.
enum SampleMenu {
    /// Body of `POST /v1/menus/current` (SendMenuEventCallback): the full menu Otter asked for
    /// with `menus.send_menu`.
    static var sendMenuCallback: JSONValue { parse(currentJSON) }

    /// Body of `POST /v1/menus` (MenusUpsertRequest): the menu the POS pushes when it changes.
    static var upsertRequest: JSONValue { parse(upsertJSON) }

    private static func parse(_ text: String) -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            // Embedded constants: a parse failure is a bug in this file, not a runtime condition.
            fatalError("SampleMenu: embedded JSON does not parse: \(error)")
        }
    }

    private static let currentJSON = #"""
{"menuData":{"menus":{"ff6dd693-5e55-4a92-a359-ea61b23ed423":{"id":"ff6dd693-5e55-4a92-a359-ea61b23ed423","nam\#
e":"Tasty BBQ","categoryIds":["b01485b0-034a-47c5-8a0a-0eeca08bf994"],"fulfillmentModes":["DELIVERY"],"descrip\#
tion":"Cooking up BBQ deliciousness from around the globe!","hoursData":{"timeZone":"America/Los_Angeles","reg\#
ularHours":[{"days":["MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"],"timeRanges":[{"start":"08:00","end":\#
"22:00"}]}],"specialHours":[{"date":"2021-12-31","timeRanges":[{"start":"08:00","end":"22:00"}],"type":"CLOSED\#
"}]},"additionalCharges":[{"chargeType":"PACKAGING_CHARGE","percentageCharge":{"decimalValue":0.03}}],"exposed\#
ThirdPartyInfos":[{"externalId":"ff6dd693-5e55-4a92-a359-ea61b23ed423","externalServiceSlug":"3PD"}]}},"catego\#
ries":{"b01485b0-034a-47c5-8a0a-0eeca08bf994":{"name":"Drinks","description":"All drink items served up nice a\#
nd fresh!","id":"b01485b0-034a-47c5-8a0a-0eeca08bf994","itemIds":["fa4f0192-4c4e-4455-9db8-61d428c34969"]}},"i\#
tems":{"fa4f0192-4c4e-4455-9db8-61d428c34969":{"id":"fa4f0192-4c4e-4455-9db8-61d428c34969","name":"Canned Coke\#
","description":"Best soda pop ever made","price":{"currencyCode":"USD","amount":7.65},"status":{"saleStatus":\#
"FOR_SALE"},"modifierGroupIds":["f4c69056-3ae3-4517-9294-5ceec8df5f81"],"photoIds":["c75d9460-5d48-423d-8d01-f\#
825fd5b1672"],"priceOverrides":[{"rules":[{"type":"FulfillmentModeOverrideRule","fulfillmentMode":"PICK_UP"}],\#
"price":{"currencyCode":"USD","amount":7}}],"skuDetails":{"skuSlug":"canned-coke-355ml","dietaryClassification\#
s":[{"tag":"VEGAN"}],"allergenClassifications":[{"tag":"GLUTEN","containsAllergen":false},{"tag":"PEANUT","con\#
tainsAllergen":true}],"storageRequirements":[{"tag":"COLD"},{"tag":"AVOID_SUNLIGHT"}],"additives":["flavor enh\#
ancers","food coloring"],"containsAlcohol":false,"nutritionalInfo":{"energyKcal":{"low":1,"high":100},"nutriti\#
onContent":{"servingSizeInGrams":100,"servingSizeInMilliliters":100,"fats":100.2,"saturatedFats":3.5,"monoUnsa\#
turatedFats":5.2,"polyUnsaturatedFats":1.3,"carbohydrates":3.2,"sugar":101.0,"polyols":1.1,"starch":1.2,"prote\#
in":1.3,"salt":1.4,"sodium":1.5,"fibres":1.6,"vitaminC":1.7,"calcium":1.8,"magnesium":1.9,"chloride":2.0,"fluo\#
ride":2.1,"potassium":2.2,"caffeine":2.3,"energy":2.4}},"servings":{"min":1,"max":2},"producerInformation":"Th\#
e Coca-Cola Company","distributorInformation":"The Coca-Cola Company","countryOfOriginIso2":"US"},"additionalC\#
harges":[{"chargeType":"PACKAGING_CHARGE","flatCharge":{"currencyCode":"USD","amount":1.5}}],"tax":{"percentag\#
eValue":{"decimalValue":0.513},"isValueAddedTax":true},"exposedThirdPartyInfos":[{"externalId":"ff6dd693-5e55-\#
4a92-a359-ea61b23ed423","externalServiceSlug":"3PD"}]},"6d53cf04-9d62-40f5-a8b3-706e3377668f":{"id":"6d53cf04-\#
9d62-40f5-a8b3-706e3377668f","name":"Paper straw","description":"A paper straw","price":{"currencyCode":"USD",\#
"amount":0.5},"status":{"saleStatus":"FOR_SALE"},"photoIds":[],"priceOverrides":[]}},"modifierGroups":{"f4c690\#
56-3ae3-4517-9294-5ceec8df5f81":{"id":"f4c69056-3ae3-4517-9294-5ceec8df5f81","name":"Add Straw","minimumSelect\#
ions":0,"maximumSelections":1,"defaultModifierSelectionData":{"defaultModifierSelections":[{"itemId":"6d53cf04\#
-9d62-40f5-a8b3-706e3377668f","selectionQuantity":1}]},"itemIds":["6d53cf04-9d62-40f5-a8b3-706e3377668f"],"typ\#
e":"DEFAULT","exposedThirdPartyInfos":[{"externalId":"ff6dd693-5e55-4a92-a359-ea61b23ed423","externalServiceSl\#
ug":"3PD"}]}},"photos":{"c75d9460-5d48-423d-8d01-f825fd5b1672":{"id":"c75d9460-5d48-423d-8d01-f825fd5b1672","f\#
ileName":"c75d9460-5d48-423d-8d01-f825fd5b1672.jpeg","url":"https://example.com/photos/c75d9460-5d48-423d-8d01\#
-f825fd5b1672.jpeg","contentType":"image/jpeg"}}}}
"""#

    private static let upsertJSON = #"""
{"categories":{"b01485b0-034a-47c5-8a0a-0eeca08bf994":{"name":"Drinks","description":"All drink items served u\#
p nice and fresh!","id":"b01485b0-034a-47c5-8a0a-0eeca08bf994","itemIds":["fa4f0192-4c4e-4455-9db8-61d428c3496\#
9"]}},"modifierGroups":{"f4c69056-3ae3-4517-9294-5ceec8df5f81":{"id":"f4c69056-3ae3-4517-9294-5ceec8df5f81","n\#
ame":"Add Straw","minimumSelections":0,"maximumSelections":1,"defaultModifierSelectionData":{"defaultModifierS\#
elections":[{"itemId":"6d53cf04-9d62-40f5-a8b3-706e3377668f","selectionQuantity":1}]},"itemIds":["6d53cf04-9d6\#
2-40f5-a8b3-706e3377668f"],"type":"DEFAULT","exposedThirdPartyInfos":[{"externalId":"ff6dd693-5e55-4a92-a359-e\#
a61b23ed423","externalServiceSlug":"3PD"}]}},"menus":{"ff6dd693-5e55-4a92-a359-ea61b23ed423":{"id":"ff6dd693-5\#
e55-4a92-a359-ea61b23ed423","name":"Tasty BBQ","categoryIds":["b01485b0-034a-47c5-8a0a-0eeca08bf994"],"fulfill\#
mentModes":["DELIVERY"],"description":"Cooking up BBQ deliciousness from around the globe!","hours":{"interval\#
s":[{"day":"MONDAY","fromHour":7,"fromMinute":30,"toHour":22,"toMinute":0}]},"additionalCharges":[{"chargeType\#
":"PACKAGING_CHARGE","flatCharge":{"currencyCode":"USD","amount":1.5}}]}},"items":{"fa4f0192-4c4e-4455-9db8-61\#
d428c34969":{"id":"fa4f0192-4c4e-4455-9db8-61d428c34969","name":"Canned Coke","description":"Best soda pop eve\#
r made","price":{"currencyCode":"USD","amount":7.65},"status":{"saleStatus":"FOR_SALE"},"modifierGroupIds":["f\#
4c69056-3ae3-4517-9294-5ceec8df5f81"],"photoUrls":["https://example.com/photos/c75d9460-5d48-423d-8d01-f825fd5\#
b1672.jpeg"],"priceOverrides":[{"rules":[{"externalServiceSlug":"ubereats"}],"currencyCode":"USD","amount":7}]\#
,"skuDetails":{"skuSlug":"canned-coke-355ml","dietaryClassifications":[{"tag":"VEGAN"}],"allergenClassificatio\#
ns":[{"tag":"GLUTEN","containsAllergen":false},{"tag":"PEANUT","containsAllergen":true}],"storageRequirements"\#
:[{"tag":"FROZEN"}]}},"6d53cf04-9d62-40f5-a8b3-706e3377668f":{"id":"6d53cf04-9d62-40f5-a8b3-706e3377668f","nam\#
e":"Paper straw","description":"A paper straw","price":{"currencyCode":"USD","amount":0.5},"status":{"saleStat\#
us":"FOR_SALE"},"type":"DEFAULT"}}}
"""#
}
