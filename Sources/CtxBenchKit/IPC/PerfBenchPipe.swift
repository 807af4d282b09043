// The peer measured beside ctxbench ipc: `perf bench sched pipe` (linux-perf),
// two processes (or threads, -T) passing a 4-byte int through two pipes.

import Foundation
import Glibc
import RunFormat

/// Finds and runs `perf bench sched pipe`, pinned with taskset, and reads its
/// "usecs/op" figure.
public struct PerfBenchPipe: Sendable {
    /// The perf binary that answered `perf version`, and what it said.
    public let executable: String
    public let version: String
    /// taskset, which pins perf (and the child it forks) before exec.
    public let taskset: String

    /// The first perf that works: `/usr/bin/perf`, then Debian's versioned
    /// binaries (`/usr/bin/perf_6.1`, ...; the unversioned name may be a
    /// wrapper that wants the running kernel's version), then perf on PATH.
    /// nil, with the reason, when none answers or taskset is missing.
    public static func locate() -> Result<PerfBenchPipe, PerfBenchError> {
        let tasksets: [String] = ["/usr/bin/taskset", "/bin/taskset"]
        guard let taskset = tasksets.first(where: { access($0, X_OK) == 0 }) else {
            return .failure(PerfBenchError("taskset not found (util-linux): the perf reference cannot be pinned"))
        }
        var candidates = ["/usr/bin/perf"]
        let versioned = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/bin")) ?? []
        candidates += versioned.filter { $0.hasPrefix("perf_") }.sorted(by: >).map { "/usr/bin/" + $0 }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/perf")
        }
        var tried: [String] = []
        for path in candidates where access(path, X_OK) == 0 && !tried.contains(path) {
            tried.append(path)
            if let output = try? run([path, "version"], timeoutSeconds: 10), output.status == 0,
               let line = output.text.split(separator: "\n").first(where: { $0.hasPrefix("perf version") }) {
                return .success(PerfBenchPipe(executable: path, version: String(line), taskset: taskset))
            }
        }
        return .failure(PerfBenchError(tried.isEmpty ? "perf not found (install linux-perf)"
                                                     : "no working perf among \(tried.joined(separator: " ")) (a Debian wrapper without its perf_<version>?)"))
    }

    /// One run of `loops` round trips pinned to `cpus` (one CPU: both sides
    /// there; two: taskset lets the scheduler place each side on either, as
    /// perf cannot pin its two sides apart), threads with -T: microseconds
    /// per round trip.
    public func microsecondsPerRoundTrip(cpus: [Int], loops: Int, threads: Bool, timeoutSeconds: Double = 120) throws(PerfBenchError) -> Double {
        let list = cpus.map(String.init).joined(separator: ",")
        let arguments = [taskset, "-c", list, executable, "bench", "sched", "pipe", "-l", String(loops)] + (threads ? ["-T"] : [])
        let output: (status: Int32, text: String)
        do { output = try Self.run(arguments, timeoutSeconds: timeoutSeconds) } catch {
            throw PerfBenchError("perf bench sched pipe could not run: \(error)")
        }
        guard output.status == 0 else {
            throw PerfBenchError("perf bench sched pipe exited with status \(output.status): \(Self.firstLine(output.text))")
        }
        return try Self.parseMicrosecondsPerOp(output.text)
    }

    /// The figure of perf's "<number> usecs/op" line: finite, positive and
    /// below a second; anything else is one line of error.
    public static func parseMicrosecondsPerOp(_ text: String) throws(PerfBenchError) -> Double {
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: \.isWhitespace)
            guard let unit = words.firstIndex(of: "usecs/op"), unit > 0 else { continue }
            guard let value = Double(words[unit - 1]), value.isFinite, value > 0, value < 1e6 else {
                throw PerfBenchError("perf bench sched pipe: '\(words[unit - 1].prefix(40))' is not a time per round trip")
            }
            return value
        }
        throw PerfBenchError("perf bench sched pipe printed no usecs/op figure: \(firstLine(text))")
    }

    private static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "(no output)"
        return String(line.prefix(120))
    }

    /// Runs `arguments` with stdout and stderr in a temporary file (no pipe to
    /// fill and block on), killing it after `timeoutSeconds`.
    static func run(_ arguments: [String], timeoutSeconds: Double) throws -> (status: Int32, text: String) {
        var template = Array("/tmp/kbench-perf-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw PerfBenchError("mkstemp failed (errno \(errno))") }
        let path = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw PerfBenchError("\(arguments[0]) did not finish within \(Int(timeoutSeconds)) s and was killed")
        }
        process.waitUntilExit()
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        return (process.terminationStatus, String(decoding: data.prefix(65536), as: UTF8.self))
    }
}

/// Why the perf reference is missing, as one line (a warning, not a failure).
public struct PerfBenchError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
