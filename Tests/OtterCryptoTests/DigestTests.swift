import XCTest
import OtterCrypto

private func unhex(_ s: String) -> [UInt8] {
    let chars = Array(s.utf8)
    precondition(chars.count % 2 == 0)
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex")
        }
    }
    return stride(from: 0, to: chars.count, by: 2).map { nibble(chars[$0]) << 4 | nibble(chars[$0 + 1]) }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

final class HMACSHA256RFC4231Tests: XCTestCase {
    func testCase1() {
        let mac = Digest.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: bytes("Hi There"))
        XCTAssertEqual(Digest.hex(mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    func testCase2() {
        let mac = Digest.hmacSHA256(key: bytes("Jefe"), message: bytes("what do ya want for nothing?"))
        XCTAssertEqual(Digest.hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testCase3() {
        let mac = Digest.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 20), message: [UInt8](repeating: 0xdd, count: 50))
        XCTAssertEqual(Digest.hex(mac), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
    }

    func testCase4() {
        let key = unhex("0102030405060708090a0b0c0d0e0f10111213141516171819")
        let mac = Digest.hmacSHA256(key: key, message: [UInt8](repeating: 0xcd, count: 50))
        XCTAssertEqual(Digest.hex(mac), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")
    }

    func testCase5Truncated128() {
        let mac = Digest.hmacSHA256(key: [UInt8](repeating: 0x0c, count: 20), message: bytes("Test With Truncation"))
        XCTAssertEqual(Digest.hex(Array(mac.prefix(16))), "a3b6167473100ee06e0c796c2955552b")
    }

    func testCase6LargeKey() {
        let mac = Digest.hmacSHA256(
            key: [UInt8](repeating: 0xaa, count: 131),
            message: bytes("Test Using Larger Than Block-Size Key - Hash Key First"))
        XCTAssertEqual(Digest.hex(mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testCase7LargeKeyAndData() {
        let message = "This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm."
        let mac = Digest.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131), message: bytes(message))
        XCTAssertEqual(Digest.hex(mac), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    func testAcceptsAnyByteCollection() {
        // ArraySlice / String.UTF8View go through the same path as [UInt8].
        let key: ArraySlice<UInt8> = bytes("xJefex").dropFirst().dropLast()
        let mac = Digest.hmacSHA256(key: key, message: "what do ya want for nothing?".utf8)
        XCTAssertEqual(Digest.hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testEmptyKeyAndMessage() {
        // Well-known value of HMAC-SHA256("", "").
        XCTAssertEqual(Digest.hex(Digest.hmacSHA256(key: [UInt8](), message: [UInt8]())),
                       "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}

final class HMACSHA1RFC2202Tests: XCTestCase {
    func testCase1() {
        let mac = Digest.hmacSHA1(key: [UInt8](repeating: 0x0b, count: 20), message: bytes("Hi There"))
        XCTAssertEqual(Digest.hex(mac), "b617318655057264e28bc0b6fb378c8ef146be00")
    }

    func testCase2() {
        let mac = Digest.hmacSHA1(key: bytes("Jefe"), message: bytes("what do ya want for nothing?"))
        XCTAssertEqual(Digest.hex(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }
}

final class SHA256Tests: XCTestCase {
    func testEmpty() {
        XCTAssertEqual(Digest.hex(Digest.sha256([UInt8]())),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testABC() {
        XCTAssertEqual(Digest.hex(Digest.sha256(bytes("abc"))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testMillionAStreamed() {
        var hasher = SHA256Hasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for i in 0..<1000 {
            if i % 2 == 0 {
                hasher.update(chunk)
            } else {
                chunk.withUnsafeBytes { hasher.update($0) }
            }
        }
        XCTAssertEqual(Digest.hex(hasher.finalize()),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testFinalizeResetsAndCopiesAreIndependent() {
        var a = SHA256Hasher()
        a.update(bytes("ab"))
        var b = a            // shares the context until one of them writes
        b.update(bytes("c"))
        XCTAssertEqual(Digest.hex(b.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        a.update(bytes("c"))
        XCTAssertEqual(Digest.hex(a.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // After finalize the hasher starts over.
        XCTAssertEqual(Digest.hex(a.finalize()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

final class EncodingTests: XCTestCase {
    func testHexIsLowercase() {
        XCTAssertEqual(Digest.hex([0x00, 0x0f, 0xab, 0xff]), "000fabff")
        XCTAssertEqual(Digest.hex([]), "")
    }

    func testBase64() {
        XCTAssertEqual(Digest.base64(bytes("")), "")
        XCTAssertEqual(Digest.base64(bytes("f")), "Zg==")
        XCTAssertEqual(Digest.base64(bytes("foobar")), "Zm9vYmFy")
        XCTAssertEqual(Digest.base64([0xfb, 0xff]), "+/8=")
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(Digest.constantTimeEquals([], []))
        XCTAssertTrue(Digest.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(Digest.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Digest.constantTimeEquals([1, 2, 3], [1, 2]))
    }
}
