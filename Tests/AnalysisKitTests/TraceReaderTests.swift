import Foundation
import Testing
@testable import AnalysisKit
import RunFormat

@Suite("FTQ trace reader")
struct TraceReaderTests {
    func read(_ text: String, options: TraceReader.Options = .init()) throws -> FTQTrace {
        try withTemporaryDirectory { directory in
            try TraceReader(options: options).read(path: try directory.write("ftq.csv", text))
        }
    }

    /// The error reading `text` throws; fails the test when there is none.
    func error(_ text: String, options: TraceReader.Options = .init()) throws -> InputFileError {
        try withTemporaryDirectory { directory in
            let path = try directory.write("ftq.csv", text)
            let error = try #require(throws: InputFileError.self) { try TraceReader(options: options).read(path: path) }
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path))
            return error
        }
    }

    @Test("reads threads, columns in any order, extra and quoted columns, CRLF, decimals")
    func readsColumnsByName() throws {
        let text = """
        work,note,start_ns,cpu,thread,quantum\r
        100,"a, b",1000,3,0,0\r
        101,x,1000,5,1,0\r
        99.5,x,2000,3,0,1\r
        0,x,2000,5,1,1\r
        1.5e2,x,3000,3,0,2\r
        102,x,3000,5,1,2\r

        """
        let trace = try read(text)
        #expect(trace.threads.count == 2)
        let first = trace.threads[0], second = trace.threads[1]
        #expect(first.thread == 0 && first.cpu == 3)
        #expect(first.work == [100, 99.5, 150])
        #expect(first.startNs == [1000, 2000, 3000])
        #expect(first.quantumNs == 1000)
        #expect(first.sampleRateHz == 1e6)
        #expect(second.thread == 1 && second.cpu == 5 && second.work == [101, 0, 102])
        #expect(trace.sampleCount == 6)
    }

    @Test("a long single-thread trace crosses chunk boundaries intact; late starts after overruns are accepted")
    func longTraceWithOverruns() throws {
        let count = 70_000
        var text = "thread,cpu,quantum,start_ns,work\n"
        var expectedWork: [Double] = []
        for i in 0..<count {
            // Every 1000th quantum starts 70% late (the previous one overran), jitter otherwise.
            let late: Int64 = i % 1000 == 1 ? 70_000 : Int64(i % 2) * 30
            let work = i % 1000 == 1 ? 0 : 10_000 + i % 13
            text += "0,1,\(i),\(Int64(i) * 100_000 + late),\(work)\n"
            expectedWork.append(Double(work))
        }
        let trace = try read(text, options: .init(keepStartTimes: false))
        #expect(trace.threads.count == 1)
        #expect(trace.threads[0].work == expectedWork)
        #expect(trace.threads[0].startNs.isEmpty)
        #expect(trace.threads[0].lastStartNs == Int64(count - 1) * 100_000 + Int64((count - 1) % 2) * 30)
        #expect(trace.threads[0].quantumNs == 100_000)
    }

    @Test("the caller's sample rate wins over the spacing")
    func givenSampleRate() throws {
        let trace = try read(ftqCSV(threads: [(0, 0, [5, 5, 5])], quantumNs: 100_000),
                             options: .init(sampleRateHz: 10_000))
        #expect(trace.threads[0].sampleRateHz == 10_000)
        #expect(trace.threads[0].durationSeconds == 3e-4)
    }

    @Test("a byte-order mark, blank lines and a last line without a newline")
    func lenientLayout() throws {
        let trace = try read("\u{FEFF}thread,cpu,quantum,start_ns,work\n\n0,0,0,100,5\n\n0,0,1,200,6")
        #expect(trace.threads.first?.work == [5, 6])
        #expect(try error("\n\n").problem == .empty)
        #expect(try error("thread,cpu,quantum,start_ns,work\n0,0,0,100,5\n0,0,1,200,x").line == 3)
    }

    @Test("empty file") func emptyFile() throws {
        let error = try error("")
        #expect(error.problem == .empty)
        #expect(error.description.hasSuffix("ftq.csv: file is empty"))
    }

    @Test("header only") func headerOnly() throws {
        let error = try error("thread,cpu,quantum,start_ns,work\n")
        #expect(error.problem == .noDataRows)
    }

    @Test("missing column names the column and line 1") func missingColumn() throws {
        let error = try error("thread,cpu,quantum,work\n0,0,0,5\n")
        #expect(error.problem == .missingColumn("start_ns"))
        #expect(error.line == 1)
        #expect(error.description.hasSuffix("ftq.csv:1: missing column 'start_ns' in the header"))
    }

    @Test("non-numeric cell names the line, column and cell") func nonNumeric() throws {
        let error = try error("thread,cpu,quantum,start_ns,work\n0,0,0,100,5\n0,0,1,200,abc\n")
        #expect(error.problem == .notANumber(column: "work", cell: "abc"))
        #expect(error.line == 3)
        #expect(error.description.hasSuffix("ftq.csv:3: column 'work': 'abc' is not a number"))
        #expect(try self.error("thread,cpu,quantum,start_ns,work\n0,0,0,1e,5\n").problem
                == .notANumber(column: "start_ns", cell: "1e"))
        #expect(try self.error("thread,cpu,quantum,start_ns,work\n0,0,0,100,nan\n").problem
                == .notANumber(column: "work", cell: "nan"))
    }

    @Test("wrong cell count") func wrongCellCount() throws {
        let error = try error("thread,cpu,quantum,start_ns,work\n0,0,0,100,5\n0,0,1,200\n")
        #expect(error.problem == .wrongCellCount(expected: 5, found: 4))
        #expect(error.line == 3)
    }

    @Test("unsorted timestamps within a thread") func unsorted() throws {
        let text = "thread,cpu,quantum,start_ns,work\n0,0,0,100,5\n1,1,0,50,5\n0,0,1,200,5\n0,0,2,150,5\n"
        let error = try error(text)
        #expect(error.problem == .unsortedTimestamps(thread: 0, previousNs: 200, currentNs: 150))
        #expect(error.line == 5)
        #expect(error.description.contains("ftq.csv:5: thread 0: start_ns 150 is not after"))
    }

    @Test("mixed quantum lengths: a 50 µs stretch in a 100 µs trace, with and without a given rate")
    func mixedQuantum() throws {
        var text = "thread,cpu,quantum,start_ns,work\n"
        for i in 0..<2000 { text += "0,0,\(i),\(i * 100_000),10\n" }
        for i in 0..<10 { text += "0,0,\(2000 + i),\(200_000_000 + i * 50_000),10\n" }
        let inferred = try error(text)
        #expect(inferred.line == 2003)  // first 50 µs step: start 200,050,000 expected 200,100,000
        guard case .mixedQuantum(let thread, let start, let expected, let quantum) = inferred.problem else {
            Issue.record("wrong problem \(inferred.problem)"); return
        }
        #expect(thread == 0 && start == 200_050_000 && expected == 200_100_000 && quantum == 100_000)
        #expect(try error(text, options: .init(sampleRateHz: 10_000)).line == 2003)
    }

    @Test("mixed quantum lengths inside the inference window, and a missing row")
    func mixedQuantumEarly() throws {
        var text = "thread,cpu,quantum,start_ns,work\n"
        for i in 0..<20 { text += "0,0,\(i),\(i * 100_000),10\n" }
        text += "0,0,20,2200000,10\n"  // a row missing: two quanta later
        let error = try error(text)
        #expect(error.line == 22)
        #expect(error.description.contains("mixed quantum lengths or missing rows"))
    }

    @Test("a single quantum without a sample rate cannot give one")
    func singleQuantum() throws {
        #expect(try error("thread,cpu,quantum,start_ns,work\n0,0,0,100,5\n").problem == .cannotInferQuantum(thread: 0))
        #expect(try read("thread,cpu,quantum,start_ns,work\n0,0,0,100,5\n", options: .init(sampleRateHz: 1e4))
            .threads[0].work == [5])
    }

    @Test("a missing file") func missingFile() throws {
        let error = try #require(throws: InputFileError.self) {
            try TraceReader().read(path: "/nonexistent/ftq.csv")
        }
        #expect(error.description == "/nonexistent/ftq.csv: cannot open: No such file or directory")
    }
}
