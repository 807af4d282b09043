import Foundation
import Glibc
import Testing

/// End-to-end runs of the ftq tool: a complete run directory, and Ctrl-C.
@Suite(.serialized, .timeLimit(.minutes(2))) struct FTQRunTests {
    func meta(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    @Test func shortRunWritesACompleteRunDirectory() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("ftq", ["--samples", "2000", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try String(contentsOfFile: dir + "/ftq.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "thread,cpu,quantum,start_ns,work")
        #expect(csv.count == 2001)
        // Quanta start exactly one quantum apart (absolute deadlines).
        let starts = csv.dropFirst().map { Int($0.split(separator: ",")[3])! }
        #expect(zip(starts, starts.dropFirst()).allSatisfy { abs($1 - $0 - 100_000) <= 1 })
        let meta = try meta(dir)
        #expect(meta["complete"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: dir + "/interrupts.csv"))
        #expect(FileManager.default.fileExists(atPath: dir + "/summary.csv"))
    }

    @Test func ctrlCStopsPromptlyKeepsDataAndMarksTheRunIncomplete() throws {
        let dir = ToolRunner.temporaryDirectory()
        var signalledAt = Date()
        let result = try ToolRunner.run("ftq", ["--duration", "60", "--out", dir]) { process in
            // Wait until the run has started measuring (meta.json written), then interrupt.
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: dir + "/meta.json"), Date() < deadline {
                usleep(50_000)
            }
            usleep(700_000)
            signalledAt = Date()
            kill(process.processIdentifier, SIGINT)
        }
        let stopDelay = Date().timeIntervalSince(signalledAt)
        #expect(stopDelay < 5, "took \(stopDelay) s to stop after Ctrl-C")
        #expect(result.status == 130)
        let meta = try meta(dir)
        #expect(meta["complete"] as? Bool == false)
        let rows = try String(contentsOfFile: dir + "/ftq.csv", encoding: .utf8).split(separator: "\n").count - 1
        #expect(rows > 1000 && rows < 600_000, "\(rows) quanta kept")
        #expect((meta["warnings"] as? [String] ?? []).contains { $0.contains("interrupted") })
    }
}
