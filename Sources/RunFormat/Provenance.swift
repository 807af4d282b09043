import Foundation
import Glibc

/// Who made a run's files: the host, and the git commit kbench was built from
/// with whether its work tree had uncommitted changes (a dirty tree means the
/// commit alone does not say what code ran).
public struct Provenance: Sendable, Equatable {
    public var host: String
    public var gitCommit: String?
    /// True with uncommitted changes to tracked files, false for a clean tree,
    /// nil when unknown (no checkout, or a commit given from outside).
    public var gitDirty: Bool?

    public init(host: String, gitCommit: String?, gitDirty: Bool?) {
        self.host = host
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
    }

    /// This process: $KBENCH_GIT_COMMIT (and $KBENCH_GIT_DIRTY, `true`/`false`)
    /// when set, as the suite does for an installed binary; else the checkout
    /// that holds the running executable, asked with git.
    public static func current() -> Provenance {
        let environment = ProcessInfo.processInfo.environment
        if let commit = environment["KBENCH_GIT_COMMIT"], !commit.isEmpty {
            let dirty: Bool? = switch environment["KBENCH_GIT_DIRTY"] {
            case "true": true
            case "false": false
            default: nil
            }
            return Provenance(host: hostName(), gitCommit: commit, gitDirty: dirty)
        }
        guard let checkout = checkoutOfExecutable() else {
            return Provenance(host: hostName(), gitCommit: nil, gitDirty: nil)
        }
        let commit = (try? Subprocess.output("/usr/bin/git", ["-C", checkout, "rev-parse", "HEAD"]))?
            .split(whereSeparator: \.isWhitespace).first.map(String.init)
        let status = try? Subprocess.output("/usr/bin/git", ["-C", checkout, "status", "--porcelain", "--untracked-files=no"])
        return Provenance(host: hostName(), gitCommit: commit,
                          gitDirty: commit == nil ? nil : status.map { !$0.isEmpty })
    }

    /// The kernel's host name (gethostname), "unknown" if it cannot be read.
    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "unknown" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The nearest directory above the running executable that has a `.git`.
    private static func checkoutOfExecutable() -> String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path) {
                return directory.path
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}

/// Runs a helper program to completion (git, gzip), outside any measurement.
public enum Subprocess {
    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public var description: String { "\(command) exited with status \(status)" }
    }

    /// The program's standard output; stderr is discarded.
    /// - Throws: `Failure` for a non-zero exit, or the launch error.
    public static func output(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(command: ([path] + arguments).joined(separator: " "), status: process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
