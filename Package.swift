// swift-tools-version:6.0
// otter-cert: a certification harness for Otter Public API integrations.
// No SwiftPM package dependencies: libcurl and OpenSSL's libcrypto come in as system libraries.
import PackageDescription

let package = Package(
    name: "otter-cert",
    products: [
        .executable(name: "otter-cert", targets: ["otter-cert"]),
    ],
    targets: [
        // C at the bottom of the graph (header-only shims; no .c files are compiled in a system library).
        // libcurl's headers only: the library is opened with dlopen by the first HTTP client (Sources/CCurl/shim.h),
        // so commands that send no HTTP request do not load it and the thirty libraries it needs.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),

        // HMAC-SHA256 and SHA-256 from libcrypto: computation only, no I/O.
        .target(name: "OtterCrypto", dependencies: ["CCrypto"]),
        // The pure core: JSON, checklists, the event log model, HAR import, evaluation, verdict text. No I/O.
        .target(name: "OtterCore", dependencies: ["OtterCrypto"]),
        // HTTP/1.1 message parser and the embedded server (sockets); SHA-256 of bodies it does not keep whole.
        .target(name: "OtterHTTP", dependencies: ["OtterCrypto"]),
        // The libcurl HTTP client.
        .target(name: "OtterClient", dependencies: ["CCurl"]),
        // Files, the terminal, the run driver: everything that touches the outside world.
        // The runtime data (checklists, schemas, webhook fixtures) built into the binary, so a copied binary still runs.
        .executableTarget(name: "embed-data"),
        .plugin(name: "EmbedDataPlugin", capability: .buildTool(), dependencies: ["embed-data"], path: "Sources/EmbedDataPlugin"),
        .target(name: "OtterData", plugins: [.plugin(name: "EmbedDataPlugin")]),
        .target(name: "OtterHarness", dependencies: ["OtterCore", "OtterCrypto", "OtterHTTP", "OtterClient", "OtterData"]),
        // Argument parsing and the commands.
        // The reference partner, served by `otter-cert sample-partner` (the demo starts it from the same binary).
        .target(name: "SamplePartner", dependencies: ["OtterHarness", "OtterCore", "OtterHTTP", "OtterClient", "OtterCrypto"]),
        .target(name: "OtterCLI", dependencies: ["OtterHarness", "OtterCore", "SamplePartner"]),
        .executableTarget(name: "otter-cert", dependencies: ["OtterCLI", "OtterHarness"]),

        .target(name: "TestSupport", dependencies: ["OtterCore", "OtterHarness"], path: "Tests/TestSupport"),
        .testTarget(name: "OtterCoreTests", dependencies: ["OtterCore", "TestSupport"]),
        .testTarget(name: "OtterCryptoTests", dependencies: ["OtterCrypto"]),
        .testTarget(name: "OtterHTTPTests", dependencies: ["OtterHTTP", "OtterCrypto", "TestSupport"]),
        .testTarget(name: "OtterClientTests", dependencies: ["OtterClient", "OtterHTTP", "TestSupport"]),
        .testTarget(name: "OtterCLITests", dependencies: ["OtterCLI", "TestSupport"]),
        .testTarget(name: "OtterHarnessTests", dependencies: ["OtterHarness", "OtterCore", "OtterHTTP", "OtterClient", "TestSupport"]),
        .testTarget(name: "SamplePartnerTests", dependencies: ["OtterHTTP", "OtterClient", "OtterCore", "OtterCrypto", "TestSupport"]),
    ]
)
