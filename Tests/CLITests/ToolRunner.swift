import Foundation
import Synchronization

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
        // Both pipes are drained at once, each on a thread of its own, from
        // before `whileRunning` until end of file: reading one to its end and
        // then the other deadlocks as soon as the tool fills the pipe not
        // being read (64 KiB) and blocks writing to it.
        let outDrain = PipeDrain(out.fileHandleForReading)
        let errDrain = PipeDrain(err.fileHandleForReading)
        whileRunning?(process)
        let outData = outDrain.wait()
        let errData = errDrain.wait()
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

/// Reads a pipe to end of file on a thread of its own.
final class PipeDrain: @unchecked Sendable {
    private let handle: FileHandle
    private let done = DispatchSemaphore(value: 0)
    /// Written by the reading thread before `done` is signalled, read after.
    private let data = Mutex(Data())

    init(_ handle: FileHandle) {
        self.handle = handle
        let thread = Thread { [self] in
            let bytes = self.handle.readDataToEndOfFile()
            self.data.withLock { $0 = bytes }
            self.done.signal()
        }
        thread.start()
    }

    /// Everything the pipe carried, once its writer closed it.
    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}
