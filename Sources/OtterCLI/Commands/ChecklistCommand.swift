import Foundation
import OtterCore
import OtterHarness

/// `otter-cert checklist list|show|validate`.
enum ChecklistCommand {
    static let spec = CommandSpec(
        name: "checklist", abstract: "List, show and validate certification checklists.",
        discussion: "", options: [], arguments: [],
        subcommands: [
            CommandSpec(name: "list", abstract: "List the bundled checklists: type, version, record count and ids.",
                        discussion: "Example:\n  otter-cert checklist list", options: [], arguments: [], subcommands: []),
            CommandSpec(name: "show", abstract: "Show every record of a checklist: id, title, source, trigger, expectations, rationale.",
                        discussion: "Each record names where its rule comes from: 'spec' (an operation, schema or section of the bundled OpenAPI, with the words that state it) or 'policy' (Otter's certification rule, with the reason), or both. A check with a source of its own shows it under the check.\nExample:\n  otter-cert checklist show delivery", options: [],
                        arguments: [ArgumentSpec(name: "type", help: "delivery, pos or orders")], subcommands: []),
            CommandSpec(name: "validate", abstract: "Check checklist files: format, record ids, steps, fixtures, variables, sources.",
                        discussion: "Prints one line per file and the first mistake with its file, record id and JSON path. Every record must name its source; every spec citation must name an operation, schema, property or section of checklists/openapi/otter-public-api.json whose text holds its quote verbatim.\nExample:\n  otter-cert checklist validate checklists/*.json",
                        options: [openapiOption], arguments: [ArgumentSpec(name: "file", help: "Checklist files to check.", variadic: true)], subcommands: []),
            CommandSpec(name: "openapi", abstract: "Show what the harness reads from Otter's OpenAPI description: operations, scopes, rate limits, webhooks.",
                        discussion: """
                        Every endpoint the sandbox serves, every scope it grants and every body schema it checks comes from this
                        one document (the bundled copy, or --openapi FILE). See docs/openapi.md.
                        Examples:
                          otter-cert checklist openapi
                          otter-cert checklist openapi --json-schema > otter-api.schema.json
                        """,
                        options: [openapiOption,
                                  .flag("json-schema", help: "Print the spec's schemas as one JSON Schema 2020-12 document instead (webhooks and inline bodies included).")],
                        arguments: [], subcommands: []),
        ])

    static let openapiOption = OptionSpec(name: "openapi", valueName: "file", help: "Use this OpenAPI description (JSON) instead of the bundled one.")

    static func run(_ c: Context) throws -> Int32 {
        let files = try c.files()
        switch c.args.commandPath.dropFirst().first {
        case "list":
            for t in IntegrationType.allCases {
                let s = try DataFiles.checklistSummary(files.checklist(t))
                c.out.line("\(t.rawValue.padded(to: 9)) v\(s.version)  \(s.recordIds.count) records  sha256:\(s.sha256.prefix(12))  \(s.title)")
                c.out.line("          " + s.recordIds.joined(separator: " "))
            }
            return OtterCert.Exit.ok
        case "show":
            let name = c.args.argument("type") ?? ""
            guard let t = IntegrationType(rawValue: name.lowercased()) else { throw HarnessError.input("unknown checklist '\(name)'; types: delivery, pos, orders") }
            let (cl, _) = try DataFiles.checklist(files.checklist(t), files: files)
            c.out.line("\(cl.title) (v\(cl.version), \(cl.records.count) records)")
            let counts = cl.sourceCounts
            func tally(_ d: [RuleSource.Kind: Int]) -> String { RuleSource.Kind.allCases.map { "\(d[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") }
            c.out.line("Sources: records \(tally(counts.records)); checks \(tally(counts.rules))")
            if !cl.policies.isEmpty {
                c.out.line("")
                c.out.line("Policies for every record:")
                for p in cl.policies { for l in sourceLines(p) { c.out.line("  " + l) } }
            }
            for r in cl.records {
                c.out.line("")
                c.out.line("\(r.id)  \(r.title)\(r.required ? "" : " (optional)")")
                for (i, l) in sourceLines(r.source).enumerated() { c.out.line((i == 0 ? "  source:  " : "           ") + l) }
                for s in r.steps { c.out.line("  \(s.name == "trigger" ? "trigger" : "setup  "): \(describe(s))") }
                for rule in r.sourcedRules {
                    let pad = String(repeating: "  ", count: rule.depth)
                    if rule.depth == 0 {
                        c.out.line("  expect:  \(rule.label)")
                    } else if !rule.isField || rule.own != nil {
                        c.out.line("           \(pad)\(rule.isField ? "field " : "or ")\(rule.label)")
                    }
                    if let own = rule.own {
                        for (i, l) in sourceLines(own).enumerated() { c.out.line("           \(pad)" + (i == 0 ? "  source: " : "          ") + l) }
                    }
                }
                c.out.line("  why:     \(r.rationale)")
            }
            return OtterCert.Exit.ok
        case "openapi":
            let file = c.args.value("openapi") ?? files.checklistsFile(DataFiles.openAPIPath)
            let s = try DataFiles.compiledSpec(document: try DataFiles.json(file), file: file)
            if c.args.flag("json-schema") {
                c.out.line(s.schemaDocument.serialized(pretty: true))
                return OtterCert.Exit.ok
            }
            c.out.line("\(s.title) \(s.version): \(s.endpoints.endpoints.count) operations, \(s.webhooks.count) webhooks, \(s.schemas.schemaNames.count) schemas, \(s.scopes.count) scopes")
            c.out.line("")
            for e in s.endpoints.endpoints {
                var facts = [e.scope.map { "scope \($0)" } ?? "no scope"]
                if let r = e.ratePerMinute { facts.append("\(r)/min") }
                if !e.requiredHeaders.isEmpty { facts.append(e.requiredHeaders.joined(separator: ", ")) }
                if !e.requiredQuery.isEmpty { facts.append("?" + e.requiredQuery.joined(separator: "&")) }
                if let b = e.bodySchema { facts.append("body \(b)") }
                facts.append(e.responses.map(\.status).joined(separator: "/"))
                c.out.line("\(e.label)  (\(e.operationId))")
                c.out.line("    " + facts.joined(separator: " · "))
            }
            c.out.line("")
            for w in s.webhooks {
                c.out.line("webhook \(w.eventType)  (\(w.operationId))  payload \(w.payloadSchema ?? "inline")  answers \(w.responses.map(\.status).joined(separator: "/"))")
            }
            return OtterCert.Exit.ok
        default:
            let paths = c.args.arguments("file")
            if paths.isEmpty { throw HarnessError.input("give one or more checklist files, e.g. otter-cert checklist validate checklists/*.json") }
            var bad = 0
            let spec = SpecOnce(files: files, path: c.args.value("openapi"))
            for p in paths {
                do {
                    c.out.line("ok    \(p): " + (try validate(p, files: files, spec: spec)))
                } catch {
                    bad += 1
                    c.out.line("FAIL  \(error.description)")
                }
            }
            return bad == 0 ? OtterCert.Exit.ok : OtterCert.Exit.usage
        }
    }

    /// Validates one data file by what it holds: a checklist, the endpoint table, or a JSON Schema.
    static func validate(_ path: String, files: ProjectFiles, spec: SpecOnce) throws(HarnessError) -> String {
        let json = try DataFiles.json(path)
        if json["records"] == nil, json["openapi"] != nil {
            let s = try DataFiles.compiledSpec(document: json, file: path)
            return "OpenAPI \(s.title) \(s.version): \(s.endpoints.endpoints.count) operations, \(s.webhooks.count) webhooks, \(s.schemas.schemaNames.count) schemas"
        }
        if json["records"] == nil, json["liveDay"] != nil || json["callbacks"] != nil {
            do {
                _ = try IncidentRules(json: json)
                return "onboarding incident rules"
            } catch { var e = error; e.file = path; throw .input(e.description) }
        }
        if json["records"] == nil, json["$schema"] != nil {
            do {
                let v = try JSONSchemaValidator(document: json)
                return "JSON Schema, \(v.schemaNames.count) definitions"
            } catch { throw .input("\(path): \(error)") }
        }
        let (cl, _) = try DataFiles.checklist(path, files: files)
        let (openAPI, texts) = try spec.get()
        try DataFiles.audit(cl, path: path, spec: openAPI, files: files)
        if let e = texts.problems(in: cl).first { var e = e; e.file = path; throw .input(e.description) }
        let n = cl.sourceCounts.records
        return "\(cl.integrationType.rawValue) v\(cl.version), \(cl.records.count) records (sources: "
            + RuleSource.Kind.allCases.map { "\(n[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + "; quotes found in the OpenAPI)"
    }

    /// The OpenAPI `checklist validate` checks checklists against, read and parsed once however many files it checks
    /// (a broken one fails each checklist with the same error, as if read for each).
    final class SpecOnce {
        let files: ProjectFiles, path: String?
        private var loaded: Result<(OpenAPISpec, OpenAPIText), HarnessError>?
        init(files: ProjectFiles, path: String?) { self.files = files; self.path = path }

        func get() throws(HarnessError) -> (OpenAPISpec, OpenAPIText) {
            if let loaded { return try loaded.get() }
            let result: Result<(OpenAPISpec, OpenAPIText), HarnessError>
            do {
                let file = path ?? files.checklistsFile(DataFiles.openAPIPath)
                let document = try DataFiles.json(file)
                result = .success((try DataFiles.compiledSpec(document: document, file: file),
                                   try DataFiles.specTexts(files: files, document: document)))
            } catch { result = .failure(error) }
            loaded = result
            return try result.get()
        }
    }

    /// A source as lines marked `spec` or `policy`: what the spec says (with its words), what the policy adds and why.
    static func sourceLines(_ s: RuleSource) -> [String] {
        var out = s.spec.map { "spec    \($0.label): \"\($0.quote)\"" }
        if let p = s.policy { out.append("policy  " + p) }
        if let q = s.process { out.append("        process document: \"\(q)\"") }
        return out
    }

    static func describe(_ s: Step) -> String {
        switch s.source {
        case .webhook(let w):
            var d = "\(w.eventType ?? "?") webhook (\(w.fixture))"
            if w.signature == .invalid { d += ", invalid signature" }
            if w.deliveries > 1 { d += ", delivered \(w.deliveries) times" }
            return d
        case .action(let name, let instructions): return "partner action \(name): \(instructions)"
        }
    }
}
