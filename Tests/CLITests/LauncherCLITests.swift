// ftq as ranks of real launchers: Open MPI's mpirun and a one-node Slurm
// cluster (scripts/cluster), and the launcher environment as hostile input.

import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct LauncherCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func meta(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Runs a program bounded by `timeout` (and KILL 10 s later), its output
    /// in a file, waited for by pid. Not through Foundation's Process: a
    /// script that leaves daemons behind (slurm-up) made its waitUntilExit
    /// hang here (the exit was never noticed).
    static func bounded(_ seconds: Int, _ program: String, _ arguments: [String],
                        environment: [String: String] = [:]) throws -> ToolRunner.Result {
        let assignments = environment.map { "\($0.key)=\($0.value)" }
        let argv = ["/usr/bin/env"] + assignments + ["timeout", "--kill-after=10", String(seconds), program] + arguments
        let outPath = ToolRunner.temporaryDirectory() + ".out", errPath = outPath + ".err"
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exited = status & 0x7f == 0
        return ToolRunner.Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                                 stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                                 stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                                 signalled: !exited)
    }

    static func installed(_ program: String) -> Bool {
        ["/usr/bin", "/usr/sbin", "/usr/local/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }

    /// Every rank-N of a job: its launch object, checked against the launcher
    /// and the other ranks.
    static func checkRanks(_ dir: String, launcher: String, size: Int, file: String) throws {
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(entries == (0..<size).map { "rank-\($0)" }.sorted(), "\(dir) holds \(entries)")
        var jobs = Set<String>(), starts = Set<String>(), zeros: [Int64] = []
        for rank in 0..<size {
            let rankDir = "\(dir)/rank-\(rank)"
            let meta = try meta(rankDir)
            #expect(meta["complete"] as? Bool == true, "\(rankDir): \(meta["warnings"] ?? "")")
            #expect(FileManager.default.fileExists(atPath: "\(rankDir)/\(file)"))
            let launch = try #require(meta["launch"] as? [String: Any], "\(rankDir) has no launch object")
            #expect(launch["launcher"] as? String == launcher)
            #expect(launch["rank"] as? Int == rank)
            #expect(launch["size"] as? Int == size)
            #expect(launch["local_rank"] as? Int == rank, "one node: local rank = rank")
            #expect((launch["host"] as? String)?.isEmpty == false)
            if let job = launch["job_id"] as? String { jobs.insert(job) } else { Issue.record("\(rankDir): no job_id") }
            if let start = launch["start_at_utc"] as? String { starts.insert(start) }
            zeros.append(try #require((launch["time_zero_realtime_ns"] as? NSNumber)?.int64Value))
            let clock = try #require(launch["clock"] as? [String: Any])
            #expect(clock["sync"] is String && clock["detail"] is String)
            // No temporary file survived the run.
            #expect(try FileManager.default.contentsOfDirectory(atPath: rankDir).allSatisfy { !$0.contains(".partial-") })
        }
        #expect(jobs.count == 1, "every rank names the same job: \(jobs)")
        #expect(starts.count == 1, "every rank started on the same agreed instant: \(starts)")
        // The time zeros are real wall-clock instants of this run, close together.
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        #expect(zeros.allSatisfy { abs(now - $0) < 600_000_000_000 })
        #expect((zeros.max() ?? 0) - (zeros.min() ?? 0) < 1_000_000_000, "ranks started within a second: \(zeros)")
    }

    @Test("mpirun -np 2: ftq and --mode bsp through scripts/cluster/openmpi-check")
    func openMPI() throws {
        let out = ToolRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try Self.bounded(400, Self.root + "/scripts/cluster/openmpi-check", [ToolRunner.path("ftq"), out])
        if result.status != 0, !Self.installed("mpirun") {
            try Test.cancel("Open MPI is not installed and could not be (apt-get install openmpi-bin): \(result.stderr.suffix(300))")
        }
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        guard result.status == 0 else { return }
        try Self.checkRanks(out + "/ftq", launcher: "openmpi", size: 2, file: "ftq.csv")
        try Self.checkRanks(out + "/bsp", launcher: "openmpi", size: 2, file: "bsp.csv")
        let bsp = try Self.meta(out + "/bsp/rank-1")
        let parameters = try #require(bsp["parameters"] as? [String: Any])
        #expect(parameters["barrier"] as? String == "mpi", "the barrier is MPI's: \(parameters)")
        try Self.checkSteps(out + "/bsp", size: 2, steps: 500)
    }

    /// Both ranks took every step, and a step never ends on one rank before
    /// the other rank's work of that step is done (the barrier held).
    static func checkSteps(_ dir: String, size: Int, steps: Int) throws {
        var ends: [[Int64]] = [], computeEnds: [[Int64]] = [], zeros: [Int64] = []
        for rank in 0..<size {
            let launch = try #require(try meta("\(dir)/rank-\(rank)")["launch"] as? [String: Any])
            zeros.append(try #require((launch["time_zero_realtime_ns"] as? NSNumber)?.int64Value))
            let rows = try String(contentsOfFile: "\(dir)/rank-\(rank)/bsp.csv", encoding: .utf8)
                .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map { Int64($0)! } }
            #expect(rows.count == steps)
            ends.append(rows.map { $0[1] + $0[3] })
            computeEnds.append(rows.map { $0[1] + $0[2] })
        }
        // On one machine the wall clock is one clock: compare on it, with
        // 200 µs for the TSC-to-wall-clock conversion of each rank.
        var violations = 0
        for step in 0..<steps {
            let latestWork = (0..<size).map { zeros[$0] + computeEnds[$0][step] }.max()!
            let earliestRelease = (0..<size).map { zeros[$0] + ends[$0][step] }.min()!
            if earliestRelease + 200_000 < latestWork { violations += 1 }
        }
        #expect(violations == 0, "\(violations) steps released a rank before the other finished its work")
    }

    @Test("srun -n 2 on a one-node Slurm cluster: ftq and --mode bsp")
    func slurm() throws {
        let up = try Self.bounded(300, Self.root + "/scripts/cluster/slurm-up", [])
        defer { _ = try? Self.bounded(60, Self.root + "/scripts/cluster/slurm-down", []) }
        if up.status != 0, !Self.installed("slurmctld") || !Self.installed("munged") {
            try Test.cancel("Slurm is not installed and could not be (apt-get install slurm-wlm munge): \(up.stderr.suffix(300))")
        }
        try #require(up.status == 0, "slurm-up: \(up.stderr.suffix(2000))")
        let conf = try #require(up.stdout.split(separator: "\n").last.map(String.init))
        let out = ToolRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (name, arguments) in [("ftq", ["--samples", "2000"]), ("bsp", ["--mode", "bsp", "--quantum-us", "500", "--samples", "500"])] {
            let run = try Self.bounded(120, "srun", ["-n", "2", ToolRunner.path("ftq")] + arguments + ["--out", "\(out)/\(name)"],
                                       environment: ["SLURM_CONF": conf])
            #expect(run.status == 0, "srun ftq \(arguments): \(run.stderr.suffix(2000))")
        }
        try Self.checkRanks(out + "/ftq", launcher: "slurm", size: 2, file: "ftq.csv")
        try Self.checkRanks(out + "/bsp", launcher: "slurm", size: 2, file: "bsp.csv")
        let meta = try Self.meta(out + "/bsp/rank-0")
        let launch = try #require(meta["launch"] as? [String: Any])
        #expect(launch["node_id"] as? Int == 0)
        let parameters = try #require(meta["parameters"] as? [String: Any])
        #expect(parameters["barrier"] as? String == "shm", "no MPI under srun here: the node's shared-memory barrier")
        try Self.checkSteps(out + "/bsp", size: 2, steps: 500)
        // Task affinity bound each rank to a CPU of its own: ftq measured it.
        let cpus = try (0..<2).map { try #require(try Self.meta("\(out)/ftq/rank-\($0)")["cpus"] as? [Int]) }
        #expect(Set(cpus.flatMap { $0 }).count == 2, "the ranks measured different CPUs: \(cpus)")
        // The shared-memory barrier left nothing behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { $0.hasPrefix("kbench-barrier") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("hostile launcher variables: one line naming the variable, exit 64", arguments: [
        ["OMPI_COMM_WORLD_RANK=abc", "OMPI_COMM_WORLD_SIZE=2"],
        ["OMPI_COMM_WORLD_RANK=5", "OMPI_COMM_WORLD_SIZE=2"],
        ["SLURM_PROCID=0", "SLURM_STEP_ID=0", "SLURM_NTASKS=184467440737095516160"],
        ["PMI_RANK=0", "PMI_SIZE="],
    ])
    func hostileEnvironment(assignments: [String]) throws {
        let out = ToolRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try ToolRunner.run(executable: "/usr/bin/env", assignments + [ToolRunner.path("ftq"), "--samples", "10", "--out", out])
        #expect(result.status == 64, "\(result.stderr)")
        let variable = String(assignments.last!.split(separator: "=")[0])
        let named = assignments.first { result.stderr.contains(String($0.split(separator: "=")[0]) + "=") }
        #expect(named != nil, "the message names the variable (\(variable)): \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing written")
    }

    @Test("bad --start-at / --start-in / --barrier: exit 64", arguments: [
        ["--start-at", "tomorrow"], ["--start-at", "2026-12-02T04:30:00"], ["--start-at", "1999-01-01T00:00:00Z"],
        ["--start-in", "nan"], ["--start-in", "-1"], ["--start-in", "1e300"], ["--start-in", "1", "--start-at", "2026-12-02T04:30:00Z"],
        ["--barrier", "carrier-pigeon"], ["--mode", "bsp", "--cpus", "0-1"],
    ])
    func badStartOptions(arguments: [String]) throws {
        let result = try ToolRunner.run("ftq", ["--samples", "10", "--out", ToolRunner.temporaryDirectory()] + arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
    }

    /// A run of one with --start-in starts on the instant it names and says so.
    @Test func startInAlone() throws {
        let out = ToolRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let before = Int64(Date().timeIntervalSince1970 * 1e9)
        let result = try ToolRunner.run("ftq", ["--samples", "100", "--no-mlock", "--start-in", "0.3", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let launch = try #require(try Self.meta(out)["launch"] as? [String: Any])
        #expect(launch["launcher"] as? String == "none")
        let zero = try #require((launch["time_zero_realtime_ns"] as? NSNumber)?.int64Value)
        #expect(zero > before + 300_000_000, "started after the 0.3 s it was asked to wait")
        #expect(launch["start_at_utc"] is String)
    }
}
