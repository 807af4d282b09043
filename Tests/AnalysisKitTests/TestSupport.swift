import Foundation
import SeededRandom
@testable import AnalysisKit

func whiteNoise(count: Int, sigma: Double = 1, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in sigma * generator.gaussian() }
}

func sine(count: Int, amplitude: Double, frequencyHz: Double, sampleRateHz: Double, phase: Double = 0.3) -> [Double] {
    (0..<count).map { amplitude * sin(2 * .pi * frequencyHz * Double($0) / sampleRateHz + phase) }
}

func populationVariance(_ x: [Double]) -> Double {
    let mean = x.reduce(0, +) / Double(x.count)
    return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
}

/// A fresh directory under the temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("analysiskit-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` in the directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a temporary directory, removing it afterwards.
func withTemporaryDirectory<R>(_ body: (TemporaryDirectory) throws -> R) throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    return try body(directory)
}

/// Whether `python3 -c "import scipy"` works here.
let scipyAvailable: Bool = {
    runPython("import scipy, numpy") != nil
}()

/// Runs a Python program, returning its standard output, or nil if it failed.
func runPython(_ program: String, arguments: [String] = []) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", program] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

/// An ftq.csv text for one or more threads with the given work series at `quantumNs`.
func ftqCSV(threads: [(thread: Int, cpu: Int, work: [Double])], quantumNs: Int64 = 100_000) -> String {
    var text = "thread,cpu,quantum,start_ns,work\n"
    for series in threads {
        for (i, w) in series.work.enumerated() {
            text += "\(series.thread),\(series.cpu),\(i),\(Int64(i) * quantumNs + 17),\(Int(w))\n"
        }
    }
    return text
}
