import BenchKit
import Foundation
import RunFormat

/// The contract every reader keeps on any input, and the bookkeeping of a fuzz run.
enum FuzzContract {
    /// Longest one input may take before it counts as a hang. Generous: a debug
    /// build on a shared 2-CPU machine reads a 1 MiB line in tens of milliseconds.
    static let timeLimitSeconds = 5.0

    /// Inputs per reader: `KBENCH_FUZZ_ITERATIONS` when set (long runs by hand),
    /// else a count that keeps the whole harness near half a minute in `scripts/test`.
    static func iterations(default fallback: Int) -> Int {
        ProcessInfo.processInfo.environment["KBENCH_FUZZ_ITERATIONS"].flatMap(Int.init).map { max(1, $0) } ?? fallback
    }

    /// The base seed: `KBENCH_FUZZ_SEED` to explore new inputs, else fixed so CI is repeatable.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["KBENCH_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x6B62_656E_6368
    }

    /// A stable hash of a name (FNV-1a), to give each reader its own stream.
    static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    /// What is wrong with how `read` treated the file at `path`, or nil when it kept the contract:
    /// returned, or threw an error whose description is one line naming the file (and the line).
    static func violation(reading path: String, with reader: FuzzedReader, lineCount: Int) -> String? {
        do {
            try reader.read(path)
            return nil
        } catch let error as InputFileError {
            let text = error.description
            if text.contains("\n") || text.contains("\r") { return "error is not one line: \(text.debugDescription)" }
            guard text.hasPrefix(path) else { return "error does not start with the file: \(text)" }
            if let line = error.line {
                guard line >= 1, line <= lineCount + 1 else { return "error names line \(line) of \(lineCount): \(text)" }
                guard text.hasPrefix("\(path):\(line): ") else { return "error does not name its line: \(text)" }
            }
            return nil
        } catch let error as InterruptParseError where !reader.namesFile {
            let text = error.description
            return text.contains("\n") || text.contains("\r") ? "error is not one line: \(text.debugDescription)" : nil
        } catch where !reader.namesFile && error is CocoaError {
            return nil  // not UTF-8: String(contentsOfFile:) refuses it before the parser sees it
        } catch {
            return "threw \(type(of: error)), not InputFileError: \(error)"
        }
    }

    /// Lines in `bytes` as a reader counts them.
    static func lineCount(_ bytes: [UInt8]) -> Int { bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } }

    /// Where failing inputs are kept for minimizing and regression tests.
    static let failureDirectory: String = {
        let path = ProcessInfo.processInfo.environment["KBENCH_FUZZ_FAILURES"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("kbench-fuzz-failures").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
}

/// The numbers a fuzz run reports: inputs, failures, the slowest input.
struct FuzzTally: CustomStringConvertible {
    let name: String
    var inputs = 0
    var failures: [String] = []
    var slowestSeconds = 0.0
    var slowestInput = ""

    mutating func record(seconds: Double, label: String) {
        inputs += 1
        if seconds > slowestSeconds { slowestSeconds = seconds; slowestInput = label }
    }

    var description: String {
        "fuzz \(name): \(inputs) inputs, \(failures.count) failures, slowest \(String(format: "%.1f", slowestSeconds * 1000)) ms (\(slowestInput))"
    }
}
