import XCTest
final class OtterCryptoTestsPlaceholder: XCTestCase { func testBuilds() {} }
