import Foundation

/// Runs a kbench executable built beside the test bundle and captures what it
/// printed and how it exited.
struct ToolRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// True when the process died of a signal rather than exiting.
        let signalled: Bool
    }

    static let binDirectory: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    static func path(_ tool: String) -> String { binDirectory.appendingPathComponent(tool).path }

    /// Starts `tool` with `arguments`; `whileRunning` may signal the process.
    static func run(_ tool: String, _ arguments: [String],
                    whileRunning: ((Process) -> Void)? = nil) throws -> Result {
        try run(executable: path(tool), arguments, whileRunning: whileRunning)
    }

    static func run(executable: String, _ arguments: [String],
                    whileRunning: ((Process) -> Void)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        whileRunning?(process)
        // Read both pipes before waiting, so a chatty tool cannot block on a full pipe.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      signalled: process.terminationReason == .uncaughtSignal)
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kbench-cli-\(UUID().uuidString)").path
    }
}
