// Build-tool plugin: embeds the runtime data (checklists/, Fixtures/webhooks/) into the target it is applied to.
import Foundation
import PackagePlugin

@main
struct EmbedDataPlugin: BuildToolPlugin {
    /// The folders, relative to the package, whose files the binary needs at run time.
    static let folders = ["checklists", "Fixtures/webhooks"]
    /// Written by `.ci/release` (the git commit it builds), read here when present: `--version` then names the commit.
    /// A plain `swift build`, with or without git, has no such file and a binary without a commit.
    static let commitFile = ".build/otter-cert-commit"

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = [], relative: [String] = []
        for folder in Self.folders {
            let base = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in walker {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
                let rel = url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count).drop { $0 == "/" }
                inputs.append(url)
                relative.append(String(rel))
            }
        }
        var commitArguments: [String] = []
        let commit = root.appendingPathComponent(Self.commitFile)
        if FileManager.default.fileExists(atPath: commit.path) {
            inputs.append(commit)
            commitArguments = ["--commit-file", commit.path]
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BundledData+Files.swift")
        return [.buildCommand(displayName: "Embedding \(relative.count) data files into \(target.name)",
                              executable: try context.tool(named: "embed-data").url,
                              arguments: commitArguments + [output.path, root.path] + relative.sorted(),
                              inputFiles: inputs, outputFiles: [output])]
    }
}
