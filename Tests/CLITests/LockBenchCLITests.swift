import Platform
import Foundation
import Testing
import Glibc

/// The lockbench command line: bad input exits 64 with one clear line before
/// measuring; a short run writes a complete run directory.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LockBenchCLITests {
    func expectUsageError(_ args: [String], mentions text: String) throws {
        let result = try ToolRunner.run("lockbench", args)
        #expect(result.status == 64, "lockbench \(args): status \(result.status), \(result.stderr)")
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: "), "lockbench \(args): \(result.stderr)")
        #expect(first.contains(text), "lockbench \(args): \(first)")
    }

    @Test func helpDescribesTheOptions() throws {
        let result = try ToolRunner.run("lockbench", ["run", "--help"])
        #expect(result.status == 0)
        for option in ["--lock", "--threads", "--iterations", "--duration", "--hold-ns", "--delay-ns", "--cpus",
                       "--preempt", "--native-preempt", "--rotate-ms", "--sweep", "--watchdog-s"] {
            #expect(result.stdout.contains(option), "no \(option) in lockbench run --help")
        }
        let top = try ToolRunner.run("lockbench", ["--help"])
        #expect(top.stdout.contains("uncontended"))
    }

    @Test func badLockNameListsTheValidOnes() throws {
        try expectUsageError(["--lock", "nosuch"], mentions: "unknown lock 'nosuch': valid locks are spin, ttas, ticket, mcs")
        try expectUsageError(["uncontended", "--locks", "spin,nosuch"], mentions: "unknown lock 'nosuch'")
    }

    @Test(arguments: [["--iterations", "0"], ["--iterations=-5"], ["--duration", "0"], ["--threads", "0"],
                      ["--hold-ns=-1"]])
    func nonPositiveCounts(_ args: [String]) throws {
        let result = try ToolRunner.run("lockbench", args)
        #expect(result.status == 64, "\(args): \(result.status) \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "\(args): \(result.stderr)")
    }

    @Test(arguments: [("2:10", "wants N:PERIOD_MS:DURATION_MS"), ("a:b:c", "must be an integer"),
                      ("2:10:10", "must be shorter than PERIOD_MS"), ("0:50:10", "N must be positive")])
    func badPreemptSpec(_ spec: String, _ message: String) throws {
        try expectUsageError(["--lock", "mcs", "--threads", "4", "--preempt", spec], mentions: message)
    }

    @Test func preemptingEveryVcoreIsRefused() throws {
        try expectUsageError(["--threads", "2", "--preempt", "2:50:10"], mentions: "leaves none running")
    }

    @Test func badCPUs() throws {
        let missing = (Affinity.onlineCPUs().cpus.max() ?? 0) + 7
        try expectUsageError(["--cpus", "\(missing)"], mentions: "CPU \(missing) does not exist")
        let garbage = try ToolRunner.run("lockbench", ["--cpus", "abc"])
        #expect(garbage.status == 64, "\(garbage.stderr)")
    }

    func meta(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    @Test func oversubscriptionWithoutEmulatedVcoresWarns() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("lockbench", ["--lock", "pthread", "--threads", "3", "--cpus", "0",
                                                      "--iterations", "200", "--no-mlock", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("3 threads on 1 CPUs without --preempt"), "\(result.stderr)")
    }

    @Test func shortRunWritesACompleteRunDirectory() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("lockbench", ["--lock", "mcs", "--threads", "2", "--iterations", "2000",
                                                      "--no-mlock", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let attempts = try String(contentsOfFile: dir + "/attempts.csv", encoding: .utf8).split(separator: "\n")
        #expect(attempts.first == "thread,attempt,pre_ticks,acq_ticks,rel_ticks")
        #expect(attempts.count == 4001)
        let summary = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        #expect(summary.contains("lockbench,mcs,2,hold_ns=0 delay_ns=0,acquire_latency,ticks"))
        #expect(summary.contains("acquire_latency,ns"))
        let throughput = try String(contentsOfFile: dir + "/throughput.csv", encoding: .utf8)
        #expect(throughput.hasPrefix("time_ms,total_per_ms,thread0_per_ms,thread1_per_ms,preempted"))
        #expect(try meta(dir)["complete"] as? Bool == true)
    }

    @Test func sweepWritesTheTable() throws {
        let dir = ToolRunner.temporaryDirectory()
        let result = try ToolRunner.run("lockbench", ["--sweep", "--lock", "all", "--threads-list", "1,2",
                                                      "--iterations", "500", "--no-mlock", "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let table = try String(contentsOfFile: dir + "/table.csv", encoding: .utf8).split(separator: "\n")
        #expect(table.first == "lock,threads,n,mean_ticks,std_ticks,min_ticks,max_ticks,p50_ticks,p75_ticks,p90_ticks,p99_ticks,p999_ticks")
        #expect(table.count == 1 + 16)
        #expect(FileManager.default.fileExists(atPath: dir + "/mcs-pdrn-t2/attempts.csv"))
        #expect(try meta(dir)["complete"] as? Bool == true)
    }

    @Test func emulatedPreemptionReportsMessages() throws {
        let dir = ToolRunner.temporaryDirectory()
        // 4 vcores on the machine's CPUs: scheduled (rotated) when it has
        // fewer than 4, with one CPU taken per round on top.
        let result = try ToolRunner.run("lockbench", ["--lock", "mcs-pdrn", "--threads", "4", "--duration", "0.3",
                                                      "--preempt", "1:20:10", "--rotate-ms", "2", "--no-mlock",
                                                      "--out", dir])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        #expect(summary.contains("preemption_messages,count"))
        #expect(FileManager.default.fileExists(atPath: dir + "/preemptions.csv"))
        let parameters = try meta(dir)["parameters"] as? [String: Any]
        let results = parameters?["results"] as? [String: Any]
        let run = results?["mcs-pdrn-t4"] as? [String: Any]
        #expect((run?["preemption_messages"] as? Int ?? 0) > 0, "\(String(describing: run))")
        let scheduler = run?["vcore_scheduler"] as? [String: Any]
        #expect(scheduler?["vcores"] as? Int == 4, "\(String(describing: scheduler))")
        if Affinity.onlineCPUs().cpus.count < 4 {
            #expect(scheduler?["rotate_ms"] as? Double == 2, "\(String(describing: scheduler))")
            #expect((scheduler?["ticks"] as? Int ?? 0) > 0, "\(String(describing: scheduler))")
            #expect(summary.contains("rotation_preemptions,count"))
            #expect(summary.contains("preemption_message_rate,per_s"))
        }
    }

    @Test(arguments: ["0", "-1", "nan", "1e9", "abc", "0.01"])
    func badRotationPeriod(_ value: String) throws {
        try expectUsageError(["--threads", "4", "--rotate-ms", value], mentions: "--rotate-ms")
    }

    @Test func takingEveryCPUFromMoreVcoresIsRefused() throws {
        try expectUsageError(["--threads", "8", "--cpus", "0", "--preempt", "1:50:10"], mentions: "leaves none running")
    }

    @Test func ctrlCStopsPromptlyKeepsDataAndExits130() throws {
        let dir = ToolRunner.temporaryDirectory()
        var signalledAt = Date()
        let result = try ToolRunner.run("lockbench", ["--lock", "ticket", "--threads", "2", "--duration", "60",
                                                      "--max-attempts", "100000", "--no-mlock", "--out", dir]) { process in
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: dir + "/meta.json"), Date() < deadline { usleep(50_000) }
            usleep(700_000)
            signalledAt = Date()
            kill(process.processIdentifier, SIGINT)
        }
        // A run that ignored Ctrl-C would go on to its 60 s; stopping and writing
        // what it has takes well under a second on a quiet machine but 5-8 s
        // at load 20-130, so the bound separates the two without timing the machine.
        let delay = Date().timeIntervalSince(signalledAt)
        #expect(delay < 30, "took \(delay) s to stop after Ctrl-C")
        #expect(result.status == 130, "\(result.stderr)")
        #expect(try meta(dir)["complete"] as? Bool == false)
        #expect(FileManager.default.fileExists(atPath: dir + "/attempts.csv"))
        #expect(FileManager.default.fileExists(atPath: dir + "/throughput.csv"))
    }
}
