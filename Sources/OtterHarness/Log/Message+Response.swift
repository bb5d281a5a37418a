import OtterCore
import OtterHTTP

extension Message {
    /// An answer of the harness's own server, as its log line holds it: status, headers and body.
    init(answer: HTTPResponse) {
        self.init(status: answer.status, headers: answer.headers.pairs)
        setBody(answer.body)
    }
}
