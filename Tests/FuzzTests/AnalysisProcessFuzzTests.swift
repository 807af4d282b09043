import Foundation
import Testing

/// The `analysis spectrum` executable on mutated ftq.csv files, one child process
/// each, so a trap is seen as a signal instead of ending the test run. The CLI
/// contract: exit 0 for a valid file; else exit 65 and one line on stderr naming
/// the file; never a signal, never longer than `timeLimitSeconds`. An input that
/// kills the tool is shrunk (lines, then bytes) and kept for a regression test.
///
/// `KBENCH_FUZZ_PROCESSES` sets the number of inputs (default below).
@Suite(.serialized) struct AnalysisProcessFuzzTests {
    static let defaultInputs = 60
    static let timeLimitSeconds = 30.0

    struct Outcome {
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var stderr: String
        var seconds: Double
    }

    /// The tool under test: `KBENCH_FUZZ_ANALYSIS` (another build, e.g. main's, to
    /// count what the harness finds there), else the one built beside this test.
    static var analysis: String {
        if let other = ProcessInfo.processInfo.environment["KBENCH_FUZZ_ANALYSIS"] { return other }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("analysis").path
    }

    /// Runs `analysis spectrum` on `bytes` written as `directory/ftq.csv`.
    static func run(_ bytes: [UInt8], in directory: String) throws -> Outcome {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let trace = directory + "/ftq.csv"
        try Data(bytes).write(to: URL(fileURLWithPath: trace))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analysis)
        process.arguments = ["spectrum", trace, "--config-hz", "250", "--write-spectra", "zooms"]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        let start = ContinuousClock.now
        try process.run()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var timedOut = false
        DispatchQueue.global().async {
            if done.wait(timeout: .now() + timeLimitSeconds) == .timedOut {
                timedOut = true
                process.terminate()
            }
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.signal()
        let elapsed = ContinuousClock.now - start
        return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                       timedOut: timedOut, stderr: String(decoding: errData, as: UTF8.self),
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// What is wrong with an outcome, or nil.
    static func violation(_ outcome: Outcome, trace: String) -> String? {
        if outcome.timedOut { return "no answer within \(timeLimitSeconds) s" }
        if outcome.signalled { return "killed by signal \(outcome.status)" }
        let errors = outcome.stderr.split(separator: "\n").filter { !$0.hasPrefix("analysis: warning:") }
        switch outcome.status {
        case 0: return errors.isEmpty ? nil : "exit 0 with errors: \(errors)"
        case 65:
            guard errors.count == 1 else { return "exit 65 with \(errors.count) error lines: \(errors)" }
            return errors[0].hasPrefix("Error: \(trace)") ? nil : "error does not name the file: \(errors[0])"
        default: return "exit \(outcome.status): \(outcome.stderr)"
        }
    }

    @Test(.timeLimit(.minutes(30))) func mutatedTracesNeverKillTheTool() throws {
        let seeds = try FuzzCorpus.seeds("ftq")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-fuzz-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/run"
        let count = ProcessInfo.processInfo.environment["KBENCH_FUZZ_PROCESSES"].flatMap(Int.init)
            ?? Self.defaultInputs
        var mutator = Mutator(seed: FuzzContract.seed ^ FuzzContract.hash("analysis spectrum"))
        var tally = FuzzTally(name: "analysis spectrum (child processes)")
        for iteration in 0..<count {
            let input = mutator.mutate(mutator.pick(seeds), other: mutator.pick(seeds))
            let outcome = try Self.run(input, in: directory)
            tally.record(seconds: outcome.seconds, label: "iteration \(iteration)")
            guard let problem = Self.violation(outcome, trace: directory + "/ftq.csv") else { continue }
            let small = outcome.signalled ? try Self.shrink(input, in: directory) : input
            let kept = FuzzContract.failureDirectory + "/analysis-\(iteration)-\(FuzzContract.hash(problem)).csv"
            try? Data(small).write(to: URL(fileURLWithPath: kept))
            tally.failures.append("iteration \(iteration): \(problem) (input kept as \(kept))")
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures.count) failures; first: \(tally.failures.first ?? "")")
    }

    /// The input with lines, then single bytes, removed while the tool still dies of a signal.
    static func shrink(_ input: [UInt8], in directory: String) throws -> [UInt8] {
        func dies(_ bytes: [UInt8]) throws -> Bool { try run(bytes, in: directory).signalled }
        var lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        var i = lines.count - 1
        while i >= 1 {  // keep the header
            var fewer = lines
            fewer.remove(at: i)
            if try dies(Array(fewer.joined(separator: [0x0A]))) { lines = fewer }
            i -= 1
        }
        return Array(lines.joined(separator: [0x0A]))
    }
}
