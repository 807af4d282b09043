import Foundation
import Testing
@testable import RunFormat

/// Bad input is one error that names the file and the line, for every reader.
@Suite struct ReaderErrorTests {
    let scratch = Scratch()

    func error(_ text: String, _ read: (String) throws -> Void) throws -> InputFileError {
        let path = try scratch.write("input.csv", text)
        return try #require(throws: InputFileError.self) { try read(path) }
    }

    typealias Reader = @Sendable (String) throws -> Void
    static let readers: [(String, [String], Reader)] = [
        ("ftq", SamplerTraceFile.ftq.header, { _ = try SamplerTraceFile.ftq.read(path: $0) }),
        ("interrupts", InterruptsFile.header, { _ = try InterruptsFile.read(path: $0) }),
        ("summary", SummaryFile.header, { _ = try SummaryFile.read(path: $0) }),
        ("trials", TrialsFile.header, { _ = try TrialsFile.read(path: $0) }),
        ("attempts", AttemptsFile.header, { _ = try AttemptsFile.read(path: $0) }),
        ("throughput", ThroughputFile.header(threads: 1), { _ = try ThroughputFile.read(path: $0) }),
        ("preemptions", PreemptionsFile.header, { _ = try PreemptionsFile.read(path: $0) }),
        ("table", LockTableFile.header, { _ = try LockTableFile.read(path: $0) }),
        ("spectrum", SpectrumFile.header(threaded: false), { _ = try SpectrumFile.read(path: $0) }),
        ("peaks", PeaksFile.header(threaded: false), { _ = try PeaksFile.read(path: $0) }),
        ("noise", NoiseFile.header, { _ = try NoiseFile.read(path: $0) }),
    ]

    /// A row that reads: numbers where numbers go (victims "1", preempted "0").
    static func goodRow(_ header: [String]) -> [String] {
        header.map { name in
            switch name {
            case "benchmark", "variant", "param", "metric", "unit", "lock", "irq", "description", "label": "x"
            case "lower_is_better": "true"
            default: "1"
            }
        }
    }

    @Test(arguments: 0..<11)
    func missingColumnBadNumberWrongCellCount(_ index: Int) throws {
        defer { scratch.remove() }
        let (name, header, read) = Self.readers[index]
        let good = Self.goodRow(header)
        let numeric = try #require(header.indices.first { good[$0] == "1" }, "\(name) has a number column")

        var missing = header
        missing.remove(at: numeric)
        let e1 = try error(missing.joined(separator: ",") + "\n" + good.dropLast().joined(separator: ",") + "\n", read)
        #expect(e1.problem == .missingColumn(header[numeric]), "\(name): \(e1)")
        #expect(e1.description.hasPrefix(scratch.path + "/input.csv:1: missing column"), "\(name): \(e1)")

        var bad = good
        bad[numeric] = "12x"
        let text = header.joined(separator: ",") + "\n" + good.joined(separator: ",") + "\n\n" + bad.joined(separator: ",") + "\n"
        let e2 = try error(text, read)
        #expect(e2.line == 4, "\(name): blank lines count: \(e2)")
        #expect(e2.problem == .notANumber(column: header[numeric], cell: "12x"), "\(name): \(e2)")
        #expect(e2.description.contains("input.csv:4: column '\(header[numeric])': '12x' is not a number"))

        let e3 = try error(header.joined(separator: ",") + "\n" + (good + ["extra"]).joined(separator: ",") + "\n", read)
        #expect(e3.line == 2 && e3.problem == .wrongCellCount(expected: header.count, found: header.count + 1),
                "\(name): \(e3)")

        let e4 = try error("", read)
        #expect(e4.problem == .empty, "\(name): \(e4)")
        #expect(throws: InputFileError.self) { try read(scratch.path + "/missing.csv") }
    }

    @Test func valuesThatAreNotNumbersButLookLikeThem() throws {
        defer { scratch.remove() }
        let summary = SummaryFile.header.joined(separator: ",") + "\n"
            + "b,v,1,p,m,u,maybe,3,nan,inf,-inf,1,1,1,1,1,1\n"
        let e1 = try error(summary, { _ = try SummaryFile.read(path: $0) })
        #expect(e1.line == 2 && e1.problem == .notABoolean(column: "lower_is_better", cell: "maybe"))

        let interrupts = "irq,description,cpu,before,after\nLOC,\"timer, local\",0,9,3\n"
        let e2 = try error(interrupts, { _ = try InterruptsFile.read(path: $0) })
        #expect(e2.line == 2 && e2.problem == .counterWentBackwards(before: 9, after: 3))

        let e3 = try error("thread,cpu,quantum,start_ns,work\n0,0,0,0,nan\n", { _ = try SamplerTraceFile.ftq.read(path: $0) })
        #expect(e3.problem == .notANumber(column: "work", cell: "nan"), "a trace's work must be a finite number")

        let e4 = try error("round,start_ms,end_ms,victims\n0,1,2,1 x\n", { _ = try PreemptionsFile.read(path: $0) })
        #expect(e4.problem == .notANumber(column: "victims", cell: "1 x"))
    }

    @Test func quotedCellsSpacesAndCRLF() throws {
        defer { scratch.remove() }
        let path = try scratch.write("i.csv", "\u{FEFF}after, \"irq\" ,cpu,description,before\r\n7,LOC,1,\"say \"\"hi\"\", twice\",5\r\n")
        #expect(try InterruptsFile.read(path: path)
                == [InterruptDelta(irq: "LOC", description: "say \"hi\", twice", cpu: 1, before: 5, after: 7)])
    }
}
