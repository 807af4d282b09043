// The restore file: written before each change, read back with a policy
// (only the files kbench manages), restore after a crash, idempotence, and
// the stale-file notice.

import Foundation
import Platform
import RunFormat
import Testing
@testable import PreflightKit

@Suite struct RestoreFileTests {
    @Test("after a crash: the next preflight names the stale file and the command; --restore undoes it; twice is harmless")
    func crashThenRestore() throws {
        let f = try TreeFixture.fabricatedV2()
        let before = f.snapshot()
        let j = try journal(f, cpus: "2", pid: 31337)
        _ = Shield.apply(Shield.Plan(cpus: [2]), journal: j, in: f.tree)
        // The process "dies" here: nothing restores. Process 31337 is not in the fake /proc.
        let stale = try #require(Preflight.run(cpus: [2], in: f.tree, selfPID: nil).first { $0.id == "restore.stale" })
        #expect(stale.severity == .fail)
        #expect(stale.summary.contains(j.resolvedPath) && stale.summary.contains("process 31337"))
        #expect(stale.fix == "preflight --restore \(j.resolvedPath)")

        let saved = try #require(f.get(j.path))
        let report = try ShieldRestore.restore(file: j.resolvedPath, in: f.tree)
        #expect(report.warnings.isEmpty && report.removedFile)
        let control = "/sys/fs/cgroup/cgroup.subtree_control"
        let normalized = { (files: [String: String]) in files.filter { $0.key != control }.mapValues { $0.trimmingWhitespace() } }
        #expect(normalized(f.snapshot()) == normalized(before))
        #expect(Preflight.run(cpus: [2], in: f.tree, selfPID: nil).first { $0.id == "restore" }?.severity == .pass)

        // The same file again (a second --restore, or one left by a restore that was interrupted).
        try f.put(j.path, saved)
        let again = try ShieldRestore.restore(file: j.resolvedPath, in: f.tree)
        #expect(again.warnings.isEmpty && again.removedFile)
        #expect(again.restored.isEmpty, "nothing left to undo: \(again.restored)")
        #expect(normalized(f.snapshot()) == normalized(before))
    }

    @Test("a shield whose process still runs is held, not stale; a reused pid (other start time) is stale")
    func heldOrStale() throws {
        let f = try TreeFixture.fabricatedV2()
        try f.task(pid: 777, name: "preflight", state: "S", flags: 0x0040_0000, cpu: 0, allowed: "0-1", start: 5555)
        let j = try journal(f, cpus: "2", pid: 777)
        #expect(RestoreFiles.entries(in: f.tree).map(\.isHeld) == [true])
        let held = Preflight.run(cpus: [2], in: f.tree, selfPID: nil).first { $0.id.hasPrefix("restore") }
        #expect(held?.id == "restore.held" && held?.severity == .warn && held?.fix.hasPrefix("kill -TERM 777") == true)
        #expect(throws: Never.self) { try Shield.check([3], in: f.tree) }
        // The process exits and another takes its pid.
        try f.task(pid: 777, name: "bash", state: "S", flags: 0x0040_0000, cpu: 0, allowed: "0-1", start: 9999)
        #expect(RestoreFiles.stale(in: f.tree).map(\.resolvedPath) == [j.resolvedPath])
    }

    @Test("hostile restore files are refused whole, and nothing is written", arguments: [
        ("file", "/etc/passwd", "root::0:0::/root:/bin/sh"),
        ("file", "/proc/irq/../../etc/shadow", "0"),
        ("file", "/proc/irq/24/../../../etc/shadow", "0"),
        ("file", "/proc/irq/24//smp_affinity_list", "0"),
        ("file", "/proc/irq/24/smp_affinity_list", "0; rm -rf /"),
        ("file", "/proc/irq/24/smp_affinity_list", "0\n1"),
        ("file", "/proc/irq/default_smp_affinity", "3; reboot"),
        ("file", "/proc/irq/default_smp_affinity", ""),
        ("file", "/proc/irq/default_smp_affinity_list", "0"),
        ("file", "/proc/irq/24/smp_affinity", "3"),
        ("file", "/proc/sys/kernel/sched_rt_runtime_us", "1e9"),
        ("file", "/sys/devices/system/cpu/cpu0/cpuidle/state1/disable", "2"),
        ("file", "/sys/devices/system/cpu/cpu0/online", "0"),
        ("file", "/proc/sys/kernel/core_pattern", "|/tmp/x"),
        ("cgroup", "/sys/fs/cgroup/../../tmp", ""),
        ("cgroup", "/sys/fs/cgroup/system.slice", ""),
        ("cgroup", "/tmp/kbench-shield", ""),
        ("controller", "/sys/fs/cgroup/cgroup.procs", ""),
        ("controller", "/sys/fs/cgroup/cgroup.subtree_control", "memory"),
    ])
    func hostile(_ kind: String, _ path: String, _ value: String) throws {
        let f = try TreeFixture()
        try f.put("/proc/irq/24/smp_affinity_list", "0-3\n")
        try f.put("/sys/fs/cgroup/cgroup.subtree_control", "cpuset\n")
        try f.put("/etc/passwd", "original\n")
        try f.put("/proc/sys/kernel/core_pattern", "core\n")
        let before = f.snapshot()
        let change: [String: Any] = ["kind": kind, "path": path, "original": value, "applied": value,
                                     "controller": value, "note": "x"]
        let json: [String: Any] = ["format": "kbench-restore", "version": 1, "created_utc": "2026-12-02T00:00:00Z",
                                   "pid": 9, "process_start_ticks": NSNull(), "host": "h", "cpus": "2",
                                   "command_line": [], "changes": [change]]
        let path = f.root + "/hostile.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ShieldRestore.restore(file: path, in: f.tree)
            Issue.record("accepted \(kind) \(path) = \(value)")
        } catch {
            #expect(error.description.hasPrefix(path + ": not a kbench restore file: changes[0]:"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
        #expect(f.snapshot(excluding: ["/hostile.json"]) == before)
    }

    @Test("other versions, other formats, garbage and huge files are refused with one line naming the file")
    func wrongFiles() throws {
        let f = try TreeFixture()
        // Whole seconds: the file keeps ISO 8601 time to the second.
        let good = RestoreFile(createdUTC: Date(timeIntervalSince1970: 1_796_000_000), pid: 9, processStartTicks: nil,
                               host: "h", cpus: "1", commandLine: [])
        var newer = good
        newer.version = 2
        var other = good
        other.format = "something-else"
        var zero = good
        zero.pid = 0
        for (name, file) in [("newer", newer), ("other", other), ("zero", zero)] {
            let path = f.root + "/\(name).json"
            try file.write(to: path)
            #expect(throws: InputFileError.self) { try RestoreFile.read(path: path) }
        }
        try f.put("/garbage.json", "{\"format\": 1")
        #expect(throws: InputFileError.self) { try RestoreFile.read(path: f.root + "/garbage.json") }
        #expect(throws: InputFileError.self) { try RestoreFile.read(path: f.root + "/missing.json") }
        let path = f.root + "/good.json"
        try good.write(to: path)
        #expect(try RestoreFile.read(path: path) == good)
    }

    @Test("--isolate's session: a shield for the process, recorded for meta.json, restored by end() once")
    func isolationSession() throws {
        let f = try TreeFixture.fabricatedV2()
        let isolation = IsolationSession.begin(cpus: [2], fifo: true, in: f.tree, commandLine: ["ftq", "--isolate", "2"])
        #expect(isolation.method == "cgroup2 isolated partition" && isolation.cpus == "2")
        #expect(isolation.applied.contains { $0.hasPrefix("RT throttling off") })
        let file = try #require(isolation.restoreFile)
        #expect(try RestoreFile.read(path: file).commandLine == ["ftq", "--isolate", "2"])
        let restore = try #require(IsolationSession.end())
        #expect(IsolationSession.end() == nil)
        #expect(restore.complete && restore.warnings.isEmpty && restore.undone >= isolation.applied.count / 2)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(f.get("/proc/sys/kernel/sched_rt_runtime_us") == "950000" && !f.tree.exists("/sys/fs/cgroup/kbench-shield"))
        // Without --fifo, RT throttling is left alone.
        let quiet = IsolationSession.begin(cpus: [2], fifo: false, in: f.tree)
        #expect(!quiet.applied.contains { $0.hasPrefix("RT throttling") })
        IsolationSession.end()
    }

    @Test("a restore that cannot undo something keeps the file and says what")
    func incompleteRestoreKeepsTheFile() throws {
        let f = try TreeFixture.fabricatedV2()
        let j = try journal(f, cpus: "2")
        _ = Shield.apply(Shield.Plan(cpus: [2]), journal: j, in: f.tree)
        // A task the fake kernel will not let go: the cgroup cannot be removed (a directory in it).
        try FileManager.default.createDirectory(atPath: f.root + "/sys/fs/cgroup/kbench-shield/kbench-child",
                                                withIntermediateDirectories: true)
        let report = try ShieldRestore.restore(file: j.resolvedPath, in: f.tree)
        #expect(report.warnings.count == 1 && report.warnings[0].contains("kbench-shield not removed"))
        #expect(!report.removedFile && FileManager.default.fileExists(atPath: j.resolvedPath))
        #expect(f.get("/proc/sys/kernel/sched_rt_runtime_us") == "950000\n" || f.get("/proc/sys/kernel/sched_rt_runtime_us") == "950000")
    }
}
