import Dispatch
import Foundation
import OtterClient
#if canImport(Glibc)
import Glibc
#endif

/// `otter-cert sample-partner serve`: wires the pieces together and runs until SIGTERM or SIGINT.
enum ServeCommand {
    static func run(_ words: [String]) -> Int32 {
        let options: ServeOptions
        do {
            let args = try Arguments(words, valued: ServeOptions.valuedOptions, flags: ["help"])
            if args.has("help") {
                print(Usage.serve)
                return 0
            }
            options = try ServeOptions(args, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("otter-cert sample-partner serve: \(error)\nRun `otter-cert sample-partner serve --help` for usage.\n".utf8))
            return 2
        }

        let client = HTTPClient(configuration: ClientConfiguration(userAgent: "otter-cert-sample-partner"))
        let tokens = AccessTokenProvider(client: client, otterURL: options.otterURL, clientId: options.clientId,
                                         clientSecret: options.clientSecret, scopes: options.type.scopes)
        let api = OtterAPI(client: client, baseURL: options.otterURL, tokens: tokens, fault: options.fault)
        let partner = PartnerServer(options: options, api: api)

        let port: Int
        do {
            port = try partner.start()
        } catch {
            FileHandle.standardError.write(Data("otter-cert sample-partner serve: cannot listen on \(options.host):\(options.port): \(error)\n".utf8))
            return 1
        }
        if let file = options.portFile {
            do {
                // Write then rename, so a reader polling the file never sees it half-written.
                let temp = file + ".tmp-\(getpid())"
                try String(port).write(toFile: temp, atomically: false, encoding: .utf8)
                guard rename(temp, file) == 0 else { throw CocoaError(.fileWriteUnknown) }
            } catch {
                FileHandle.standardError.write(Data("otter-cert sample-partner serve: cannot write --port-file \(file): \(error)\n".utf8))
                partner.stop()
                return 1
            }
        }
        Log.info("\(options.type.rawValue) partner, Otter at \(options.otterURL)"
                 + (options.fault.map { ", fault \($0.rawValue)" } ?? ""))
        // Unbuffered write: the harness waits for this line, so it must not sit in a stdio buffer.
        FileHandle.standardOutput.write(Data("sample-partner listening on http://\(options.host):\(port)/webhook\n".utf8))

        waitForTermination()
        Log.info("stopping")
        partner.stop()
        return 0
    }

    /// Blocks until SIGTERM or SIGINT. The signals are turned into dispatch events (not handled
    /// in a signal handler), so stopping runs as ordinary code.
    private static func waitForTermination() {
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        sources.forEach { $0.cancel() }
    }
}
