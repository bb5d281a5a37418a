import XCTest
final class OtterClientTestsPlaceholder: XCTestCase { func testBuilds() {} }
