import XCTest
final class OtterCoreTestsPlaceholder: XCTestCase { func testBuilds() {} }
