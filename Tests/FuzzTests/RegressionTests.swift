@testable import AnalysisKit
import BenchKit
import Foundation
import Platform
import RunFormat
import Testing

/// Every failure the fuzz harness (or reading the code it pointed at) found, with
/// its minimized input: each trapped, or broke the one-line error, before the fix.
@Suite struct RegressionTests {
    private func write(_ text: String, name: String = "ftq.csv") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-regress-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func traceError(_ text: String, options: TraceReader.Options = .init()) throws -> InputFileError {
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let error = try #require(throws: InputFileError.self) { try TraceReader(options: options).read(path: path) }
        #expect(!error.description.contains("\n") && error.description.hasPrefix(path))
        return error
    }

    static let header = "thread,cpu,quantum,start_ns,work\n"

    /// Fuzz (child process, main at 1b4d26b): `work` of -9.3e18 reached the report, whose
    /// `Int64(value.rounded())` trapped (SIGILL). Now a work count below 0 is refused,
    /// one above 2^53 too, and the report prints any finite number.
    @Test func hugeNegativeWorkIsRefusedNotPrinted() throws {
        let error = try traceError(Self.header + "3,0,1,2000,501\n3,0,2,3000,502\n3,0,3,4000,-9.3e18\n")
        #expect(error.line == 4)
        #expect(error.problem == .outOfRange(column: "work", cell: "-9.3e18", allowed: "must be 0 or more"))
        #expect(try traceError(Self.header + "3,0,1,2000,9.3e18\n").problem
                == .outOfRange(column: "work", cell: "9.3e+18", allowed: "0 to 2^53"))
        #expect(ReportNumber.format(-9.3e18) == "-9.3e+18")
        #expect(ReportNumber.format(9.3e18) == "9.3e+18")
    }

    /// Fuzz (child process): `start_ns` of -2^63 then 50000 made the median spacing
    /// overflow Int64 (SIGILL). Spacings are now computed in Double, and a spacing of
    /// 2^63 ns is no sampler's quantum.
    @Test func startAtInt64MinIsRefused() throws {
        let error = try traceError(Self.header + "0,1,0,-9223372036854775808,1000\n0,1,1,50000,1001\n")
        #expect(error.line == 2)
        #expect(error.problem == .implausibleQuantum(thread: 0, quantumNs: 50_000 + 0x1p63))
        #expect(QuantumGrid.medianSpacing([.min, 50_000, .max]) != nil)
    }

    /// Code the fuzzer pointed at: a slot past 2^63 ns made `Int64(expected)` trap while
    /// naming the expected start of an off-grid row.
    @Test func offGridRowNearInt64MaxIsAnError() throws {
        let error = try traceError(Self.header + "0,0,0,9223372036854775000,5\n0,0,1,9223372036854775807,5\n",
                                   options: .init(sampleRateHz: 1))
        #expect(error.line == 3)
        guard case .mixedQuantum(_, _, let expected, _) = error.problem else { Issue.record("\(error)"); return }
        #expect(expected == .max)
    }

    /// An inferred quantum of ~4e18 ns (starts spread over the whole Int64 range) made
    /// the grid check overflow too; no sampler has a quantum over an hour.
    @Test func implausibleInferredQuantumIsRefused() throws {
        let error = try traceError(Self.header + "0,0,0,0,5\n0,0,1,5000000000000000000,5\n0,0,2,9200000000000000000,5\n0,0,3,9210000000000000000,5\n")
        #expect(error.line == 2)
        #expect(error.problem == .implausibleQuantum(thread: 0, quantumNs: 4.2e18))
        #expect(try traceError(Self.header + "0,0,0,0,5\n0,0,1,100,5\n", options: .init(sampleRateHz: 1e-6)).problem
                == .implausibleQuantum(thread: 0, quantumNs: 1e15))
    }

    /// A tiny bin width (a sample rate of 1e-300 Hz from a corrupted meta.json) made
    /// `Int(minFrequency / binWidth)` trap in the peak finder.
    @Test func peakFinderSurvivesATinyBinWidth() {
        let spectrum = Spectrum(method: .periodogram, sampleRateHz: 1e-300, fftLength: 8, segmentCount: 1,
                                power: [1, 5, 1, 7, 1])
        #expect(PeakFinder(minFrequencyHz: 1).peaks(in: spectrum).isEmpty)
    }

    /// Report numbers past Int64 or subnormal: `Int64(_:)` trapped in `percent` and `scientific`.
    @Test func reportFormatsAnyFiniteNumber() {
        #expect(SpectrumReport.percent(1e300) == "1e+302%")
        #expect(SpectrumReport.scientific(.leastNonzeroMagnitude).hasSuffix("e-324"))
        #expect(SpectrumReport.scientific(1.5e-3) == "1.5e-3")
    }

    /// Fuzz (in process): a CR inside a cell, or a CRLF /proc/interrupts, put a line
    /// break into an error message. Errors now escape control characters.
    @Test func errorsStayOnOneLine() throws {
        let error = try traceError(Self.header + "0,0,0,100,5\r7\n")
        #expect(error.description.hasSuffix("ftq.csv:2: column 'work': '5\\u{d}7' is not a number"))
        let proc = #expect(throws: InterruptParseError.self) { try InterruptCounts(parsing: "\r\n CPU0 x\r\n") }
        #expect(proc.map { !$0.description.contains("\r") && !$0.description.contains("\n") } == true)
        // CRLF line ends are line ends, not one long line.
        let counts = try InterruptCounts(parsing: "  CPU0  CPU1\r\n LOC: 5 6 Local timer\r\n")
        #expect(counts.lines.map(\.irq) == ["LOC"] && counts.lines[0].counts == [5, 6] && counts.lines[0].description == "Local timer")
    }

    /// Code the fuzzer pointed at: /proc/stat counts of Int.max or below 0 overflowed `busy`
    /// and the differences between two samples.
    @Test func procStatWithHostileCountsDoesNotTrap() {
        let hostile = CPUTimes(parsing: "cpu0 \(Int.max) \(Int.max) 1 1 1 1 1 1\ncpu1 -9223372036854775808 0 0 0 0 0 0 0\n")
        #expect(hostile.perCPU.isEmpty)
        let a = CPUTimes(parsing: "cpu0 100 0 0 0 0 0 0 0\n"), b = CPUTimes(parsing: "cpu0 0 0 0 0 0 0 0 0\r\n")
        #expect(a.millisecondsUntil(b, cpus: [0])["0"]?["user"].map { $0 < 0 } == true)
    }

    /// A counter that went backwards between two /proc/interrupts samples made `delta` trap.
    @Test func interruptCounterGoingBackwardsIsZero() {
        #expect(InterruptDelta(irq: "LOC", description: "", cpu: 0, before: 9, after: 3).delta == 0)
    }
}

/// Values that parse but make no sense (README, "Inputs"): each is refused with its line.
@Suite struct NonsenseValueTests {
    private func error(_ text: String, name: String, _ read: (String) throws -> Void) throws -> InputFileError {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-nonsense-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try #require(throws: InputFileError.self) { try read(path) }
    }

    @Test(arguments: [
        ("0,0,0,100,-1", "work"), ("0,0,0,100,18014398509481984", "work"),
        ("-1,0,0,100,3", "thread"), ("0,-2,0,100,3", "cpu"), ("0,0,0,9.3e18,3", "start_ns"),
    ])
    func traceValuesOutOfRange(_ row: String, _ column: String) throws {
        let e = try error(RegressionTests.header + row + "\n", name: "ftq.csv") {
            _ = try TraceReader(options: .init(sampleRateHz: 1e4)).read(path: $0)
        }
        #expect(e.line == 2)
        guard case .outOfRange(let named, _, _) = e.problem else { Issue.record("\(e)"); return }
        #expect(named == column)
    }

    @Test func negativeDurationInFWQ() throws {
        let e = try error("thread,cpu,index,start_ns,duration_ns\n0,0,0,0,-3\n", name: "fwq.csv") {
            _ = try SamplerTraceFile.fwq.read(path: $0)
        }
        #expect(e.description.hasSuffix("fwq.csv:2: column 'duration_ns': '-3' is out of range (must be 0 or more)"))
    }

    @Test(arguments: [1, 2]) func aSpectrumNeedsThreeQuanta(_ quanta: Int) throws {
        let rows = (0..<quanta).map { "0,0,\($0),\($0 * 1000),5\n" }.joined()
        let e = try error(RegressionTests.header + rows, name: "ftq.csv") {
            _ = try TraceReader(options: .init(sampleRateHz: 1e6, minimumQuanta: SpectrumJob.minimumQuanta)).read(path: $0)
        }
        #expect(e.problem == .tooFewQuanta(thread: 0, count: quanta, minimum: 3))
        #expect(e.line == 2)
    }

    /// Threads of different lengths are fine: each thread is analysed on its own.
    @Test func threadsOfDifferentLengthsAreAccepted() throws {
        let rows = (0..<5).map { "0,0,\($0),\($0 * 1000),5\n" }.joined() + (0..<3).map { "1,1,\($0),\($0 * 1000),5\n" }.joined()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-len-\(UUID().uuidString).csv").path
        try (RegressionTests.header + rows).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trace = try TraceReader(options: .init(minimumQuanta: SpectrumJob.minimumQuanta)).read(path: path)
        #expect(trace.threads.map(\.count) == [5, 3])
    }

    @Test func negativeCountsInSmallFiles() throws {
        let summary = SummaryFile.header.joined(separator: ",") + "\nftq,,1,,work,units,false,-4,1,1,1,1,1,1,1,1,1\n"
        #expect(try error(summary, name: "summary.csv") { _ = try SummaryFile.read(path: $0) }.problem
                == .outOfRange(column: "n", cell: "-4", allowed: "must be 0 or more"))
        let trials = TrialsFile.header.joined(separator: ",") + "\nftq,,1,,work,units,-1,5\n"
        #expect(try error(trials, name: "trials.csv") { _ = try TrialsFile.read(path: $0) }.line == 2)
        let interrupts = "irq,description,cpu,before,after\nLOC,timer,-1,1,2\n"
        #expect(try error(interrupts, name: "interrupts.csv") { _ = try InterruptsFile.read(path: $0) }.line == 2)
    }

    /// meta.json is read whole, so its size is bounded (a sparse file costs no disk).
    @Test func hugeMetaJSONIsRefusedBySize() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-big-\(UUID().uuidString).json").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try FileHandle(forWritingAtPath: path).unwrap()
        try handle.truncate(atOffset: UInt64(JSONCoding.largestJSONFile) + 1)
        try handle.close()
        let e = try #require(throws: InputFileError.self) { try RunMetadata.read(path: path) }
        #expect(e.problem == .fileTooLarge(limit: JSONCoding.largestJSONFile))
    }

    /// A single line of 64 MiB with no newline: refused after one 1 MiB buffer, not loaded.
    @Test func hugeSingleLineIsRefusedAfterOneBuffer() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-line-\(UUID().uuidString).csv").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(RegressionTests.header.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try FileHandle(forWritingAtPath: path).unwrap()
        try handle.truncate(atOffset: 64 << 20)  // NUL bytes, sparse
        try handle.close()
        let e = try #require(throws: InputFileError.self) { try SamplerTraceFile.ftq.read(path: path) }
        #expect(e.problem == .lineTooLong(limit: ByteLineReader.bufferSize))
        #expect(e.line == 2)
    }
}

private extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw CocoaError(.fileNoSuchFile) }
        return self
    }
}
