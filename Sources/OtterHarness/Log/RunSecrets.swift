import Foundation
import OtterCore
import OtterCrypto

/// The secrets of a live run, taught to the redactor of its log, its terminal lines and its reports.
///
/// What is masked by value, and with which marker:
/// - the webhook secret: `<redacted:webhook-secret>`;
/// - the client secret: `<redacted:client-secret>`;
/// - the client id: `<redacted:client-id>`. OAuth 2 calls it an identifier, not a secret, but it is half of the
///   partner's credentials: it is what HTTP Basic sends beside the secret (and the user of `--webhook-auth basic`), and
///   it is worth nothing to a reader of a report, so it is masked everywhere. The label keeps a report readable:
///   a token request that sent `client_id=<redacted:client-id>` used the configured id, one that shows a hash did not;
/// - `client-id:client-secret` and `client-id:webhook-secret` (HTTP Basic), and the `user:password` of `--partner-url`:
///   `<redacted:client-credentials>`, `<redacted:webhook-credentials>`, `<redacted:partner-url-credentials>`;
/// - the user, the password and each secret-named query parameter (`?token=`, `access_token=`, `client_secret=` …) of
///   `--partner-url`, decoded and as given: `<redacted:partner-url-user>`, `<redacted:partner-url-password>`,
///   `<redacted:partner-url-credential>`;
/// - every token the sandbox issues, learnt before its answer is logged: its salted hash (`<redacted:3f2a9c1b7d4e>`),
///   the same wherever and however encoded it shows up, so the token audit compares bearer tokens with grants.
///
/// Each in its encodings (`Redactor`). The store id and application id are never masked by value (checks compare
/// them), even when a secret equals one of them. Secrets under 8 bytes are masked by value only as whole words, under
/// 4 bytes not at all (`Redactor`); `shortSecretWarnings` says so. The two identifiers, the client id and the URL's
/// user, are masked by value only from 8 bytes (a short one is an ordinary word); under that, by name and inside
/// the pairs above.
public enum RunSecrets {
    /// A redactor with a fresh random salt that knows the run's configured secrets.
    public static func redactor(for o: RunOptions, salt: String = freshSalt()) -> Redactor {
        var r = Redactor(salt: salt)
        r.spare([o.storeId, o.applicationId])
        r.learn(o.webhookSecret, label: "webhook-secret")
        r.learn(o.clientSecret, label: "client-secret")
        // Identifiers are masked by value only from 8 bytes: a short one ("demo", "partner") is an ordinary word.
        if o.clientId.utf8.count >= Redactor.anywhereLength { r.learn(o.clientId, label: "client-id") }
        r.learnPair(user: o.clientId, secret: o.clientSecret, label: "client-credentials")
        if case .basic(let user) = o.webhookAuth { r.learnPair(user: user, secret: o.webhookSecret, label: "webhook-credentials") }
        let u = urlCredentials(o.partnerURL)
        for (label, values) in [("partner-url-credentials", u.userInfo), ("partner-url-password", u.password), ("partner-url-credential", u.query)] {
            for v in values { r.learn(v, label: label) }
        }
        for v in u.user where v.utf8.count >= Redactor.anywhereLength { r.learn(v, label: "partner-url-user") }
        return r
    }

    /// 8 random bytes, hex: the salt of a log's hashes.
    public static func freshSalt() -> String { Digest.hex((0..<8).map { _ in UInt8.random(in: 0...255) }) }

    /// The credentials a URL carries, each as written and percent-decoded: its user information (`user:password`),
    /// user, password, and the values of its secret-named query and fragment parameters.
    public static func urlCredentials(_ url: String) -> (userInfo: [String], user: [String], password: [String], query: [String]) {
        var out: (userInfo: [String], user: [String], password: [String], query: [String]) = ([], [], [], [])
        func both(_ s: Substring) -> [String] {
            var out = [String(s)]
            for d in [s.removingPercentEncoding, SecretText.formDecoded(s)] { if let d, !out.contains(d) { out.append(d) } }
            return out
        }
        if let range = SecretText.userInfo(url) {
            let info = url[range]
            out.userInfo = both(info)
            if let colon = info.firstIndex(of: ":") {
                out.user = both(info[..<colon])
                out.password = both(info[info.index(after: colon)...])
                let user = info[..<colon].removingPercentEncoding ?? String(info[..<colon])
                let password = info[info.index(after: colon)...].removingPercentEncoding ?? String(info[info.index(after: colon)...])
                out.userInfo += [user + ":" + password].filter { !out.userInfo.contains($0) }
            } else {
                out.user = both(info)
            }
        }
        if let q = url.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            for pair in url[url.index(after: q)...].split(whereSeparator: { $0 == "&" || $0 == "#" || $0 == ";" }) {
                guard let eq = pair.firstIndex(of: "="), SecretNames.isSecret(SecretText.formDecoded(pair[..<eq])) else { continue }
                let v = pair[pair.index(after: eq)...]
                if !v.isEmpty { out.query += both(v) }
            }
        }
        return out
    }

    /// One warning for each configured secret too short to be masked by value everywhere (shown before the run).
    public static func shortSecretWarnings(for o: RunOptions) -> [String] {
        var out: [String] = []
        for (name, value) in [("--webhook-secret", o.webhookSecret), ("--client-secret", o.clientSecret)] where !value.isEmpty {
            let n = value.utf8.count
            if n < Redactor.wholeWordLength {
                out.append("\(name) is only \(n) byte\(n == 1 ? "" : "s") long: it is masked in logs and reports only where its name says it is a secret (a header, a key), not wherever its value appears; use a longer secret")
            } else if n < Redactor.anywhereLength {
                out.append("\(name) is only \(n) bytes long: logs and reports mask its value only as a whole word, not inside longer text; use a secret of \(Redactor.anywhereLength) bytes or more")
            }
        }
        return out
    }
}
