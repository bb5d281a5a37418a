import XCTest
final class OtterCLITestsPlaceholder: XCTestCase { func testBuilds() {} }
