// End-to-end runs that had no test: ftq's C engine beside the Swift one on
// one CPU, lockbench --native-preempt, and what `lockbench uncontended` prints.

import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct EngineAndPreemptRunTests {
    func meta(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Work per quantum from ftq.csv, sorted.
    func work(_ dir: String) throws -> [Int] {
        let rows = try String(contentsOfFile: dir + "/ftq.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "thread,cpu,quantum,start_ns,work")
        return try rows.dropFirst().map { row in
            try #require(Int(row.split(separator: ",")[4]), "bad row \(row)")
        }.sorted()
    }

    /// The same quanta on the same CPU, Swift loop then C loop: both write a
    /// complete run of 3000 quanta and say which engine ran. Their p90 work
    /// per quantum (the undisturbed quanta: a busy machine lowers work, it
    /// cannot raise the top of the distribution) agree within a factor of 3.
    /// In a debug test build the Swift loop is not optimized, so only the
    /// order of magnitude is checked here; the release comparison is
    /// `ftq --engine c` beside `ftq` in the closing notes.
    @Test("ftq --engine c against the Swift engine on one CPU")
    func cEngineBesideSwift() throws {
        var p90: [String: Int] = [:]
        for engine in ["swift", "c"] {
            let dir = ToolRunner.temporaryDirectory()
            let result = try ToolRunner.run("ftq", ["--cpu", "0", "--samples", "3000", "--engine", engine,
                                                    "--no-mlock", "--out", dir])
            #expect(result.status == 0, "ftq --engine \(engine): \(result.stderr)")
            guard result.status == 0 else { continue }
            let meta = try meta(dir)
            #expect(meta["complete"] as? Bool == true)
            let parameters = meta["parameters"] as? [String: Any]
            #expect(parameters?["engine"] as? String == engine, "\(String(describing: parameters))")
            let work = try work(dir)
            #expect(work.count == 3000)
            #expect(work.last ?? 0 > 0, "\(engine): no work counted")
            p90[engine] = work[work.count * 9 / 10]
        }
        let swift = Double(p90["swift"] ?? 0), c = Double(p90["c"] ?? 0)
        #expect(swift > 0 && c > 0 && max(swift, c) / min(swift, c) < 3,
                "p90 work per quantum: swift \(swift), c \(c)")
    }

    /// Real preemption by SCHED_FIFO hogs on the last CPU, 10 ms of every 50,
    /// over 0.4 s: the run completes, meta.json says native-preempt with the
    /// spec, preemptions.csv lists the rounds, summary.csv the message count.
    /// Without the privilege to run FIFO hogs the run still completes and
    /// says so in its warnings.
    @Test("lockbench --native-preempt")
    func nativePreempt() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("lockbench", ["--lock", "mcs-pdrn", "--threads", "2", "--duration", "0.4",
                                                      "--native-preempt", "1:50:10", "--no-mlock", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        guard result.status == 0 else { return }
        let meta = try meta(dir)
        let parameters = meta["parameters"] as? [String: Any]
        #expect(parameters?["mode"] as? String == "native-preempt")
        #expect(parameters?["native_preempt"] as? String == "1:50:10")
        #expect(parameters?["preempt"] is NSNull)
        let summary = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        #expect(summary.contains("preemption_messages,count"))
        #expect(summary.contains("windows_without_acquisition,count"))
        let rounds = try String(contentsOfFile: dir + "/preemptions.csv", encoding: .utf8).split(separator: "\n")
        #expect(rounds.first == "round,start_ms,end_ms,victims")
        let warnings = meta["warnings"] as? [String] ?? []
        if getuid() == 0 {
            // Rounds every 50 ms from 50 ms on, in a 400 ms run.
            #expect(rounds.count - 1 >= 3, "\(rounds.count - 1) rounds: \(rounds)")
            for row in rounds.dropFirst() {
                let cells = row.split(separator: ",")
                #expect(cells.count == 4 && cells[3] == "1", "\(row)")
                if let start = Double(cells[1]), let end = Double(cells[2]) {
                    #expect(end > start && start >= 0, "\(row)")
                }
            }
        } else {
            #expect(warnings.contains { $0.contains("FIFO") }, "\(warnings)")
        }
    }

    /// The table `lockbench uncontended` prints: a header, one row per lock
    /// asked for plus the CAS floor, Swift and C p50 in ns with their ratio
    /// and the same in ticks, the trial line, then the run directory.
    @Test("the output of lockbench uncontended")
    func uncontendedOutput() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("lockbench", ["uncontended", "--cpu", "0", "--trials", "3", "--iterations", "2000",
                                                      "--locks", "spin,ticket,mcs-pdrn", "--no-mlock", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(lines)")
        guard lines.count == 7 else { return }
        #expect(lines[0].split(separator: " ") == ["lock", "swift_ns", "c_ns", "swift/c", "swift_ticks", "c_ticks"])
        #expect(lines[1...4].map { $0.split(separator: " ").first.map(String.init) ?? "" }
                == ["spin", "ticket", "mcs-pdrn", "cas"])
        // Locks with a C twin have every column; the others (mcs-pdrn here) print
        // "-" for C and the ratio, and write no C row.
        var twinned: [String: Bool] = [:]
        for row in lines[1...4] {
            let words = row.split(separator: " ").map(String.init)
            guard words.count == 6 else { Issue.record("\(row)"); continue }
            let swiftNs = Double(words[1]) ?? 0, swiftTicks = Double(words[4]) ?? 0
            #expect(swiftNs > 0 && swiftTicks > 0, "\(row)")
            if words[2] == "-" {
                #expect(words[3] == "-" && words[5] == "-", "\(row)")
                twinned[words[0]] = false
                continue
            }
            twinned[words[0]] = true
            let cNs = Double(words[2]) ?? 0, ratio = Double(words[3]) ?? 0, cTicks = Double(words[5]) ?? 0
            #expect(cNs > 0 && cTicks > 0, "\(row)")
            // swift/c is the ratio of the two ns columns as printed (2 decimals).
            #expect(abs(swiftNs / cNs - ratio) <= 0.01 * ratio + 0.01, "\(row)")
            // The ticks columns are the ns columns at one clock rate.
            #expect(abs(swiftTicks / swiftNs - cTicks / cNs) <= 0.05 * swiftTicks / swiftNs, "\(row)")
        }
        #expect(twinned["spin"] == true && twinned["ticket"] == true && twinned["cas"] == true)
        #expect(lines[5] == "(p50 over 3 trials of 2000 acquire+release pairs, Swift and C in alternating rounds)")
        #expect(lines[6] == dir)
        let summary = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        for lock in ["spin", "ticket", "mcs-pdrn"] {
            #expect(summary.contains("lock_uncontended,swift,1,lock=\(lock),acquire_release,ns"), "\(lock)")
            #expect(summary.contains("lock_uncontended,c,1,lock=\(lock),acquire_release,ns") == twinned[lock],
                    "\(lock): a C row exactly when the table shows a C column")
        }
        #expect(try meta(dir)["complete"] as? Bool == true)
    }
}
