import XCTest
final class OtterHTTPTestsPlaceholder: XCTestCase { func testBuilds() {} }
