// The shield applied to and restored from trees in temporary directories:
// the recorded VM (cgroup v1 cpuset) and a fabricated cgroup v2 machine.
// Never the real machine: other runs pin threads on it.

import Foundation
import Platform
import RunFormat
import Testing
@testable import PreflightKit

@Suite struct ShieldTests {
    @Test("v1 (the recorded VM): system and shield cpusets, tasks moved, IRQs moved, all restored byte for byte")
    func cgroupV1ApplyAndRestore() throws {
        let f = try TreeFixture(copying: "vm-2cpu")
        let before = f.snapshot()
        let j = try journal(f, cpus: "1")
        var plan = Shield.Plan(cpus: [1], joinPID: 1)
        plan.joinOnlyWhenRequired = true
        let outcome = Shield.apply(plan, journal: j, in: f.tree)

        #expect(outcome.method == "cgroup1 cpuset shield")
        #expect(f.get("/sys/fs/cgroup/cpuset/kbench-shield/cpuset.cpus") == "1")
        #expect(f.get("/sys/fs/cgroup/cpuset/kbench-system/cpuset.cpus") == "0")
        #expect(f.get("/sys/fs/cgroup/cpuset/cpuset.sched_load_balance") == "0")
        // Every recorded thread but those of process 1 (the one joining) went to system.
        #expect(f.get("/sys/fs/cgroup/cpuset/kbench-system/tasks") == "214212238")  // 2, 14, 21, 22, 38 appended
        #expect(f.get("/proc/irq/25/smp_affinity_list") == "0")
        #expect(f.get("/proc/irq/default_smp_affinity") == "1")
        // The restore file on disk holds every change, in order, before restore.
        let file = try RestoreFile.read(path: j.resolvedPath)
        #expect(file.changes == j.changes)
        #expect(file.changes.map(\.kind) == [.cgroup, .cgroup, .file] + Array(repeating: .file, count: 20))
        #expect(file.changes.last?.path == "/proc/irq/default_smp_affinity" && file.changes.last?.original == "3")
        #expect(file.changes.first?.path == "/sys/fs/cgroup/cpuset/kbench-system")

        let report = try ShieldRestore.restore(file: j.resolvedPath, in: f.tree)
        #expect(report.warnings.isEmpty && report.removedFile)
        // The fake tasks file keeps what was written (the kernel keeps nothing): the
        // threads moved back to the root are appended to it.
        let tasks = "/sys/fs/cgroup/cpuset/tasks"
        #expect(f.get(tasks)?.hasSuffix("214212238") == true)
        // Restored values are written without the kernel's trailing newline.
        let trimmed = { (files: [String: String]) in files.mapValues { $0.trimmingWhitespace() } }
        #expect(trimmed(f.snapshot(excluding: [tasks])) == trimmed(before.filter { $0.key != tasks }))
        #expect(!f.tree.exists("/sys/fs/cgroup/cpuset/kbench-shield") && !f.tree.exists(RestoreFiles.directory + "/restore-4242.json"))
    }

    @Test("v2: cpuset enabled, an isolated partition joined by the process, deep idle states and RT throttling off; restored")
    func cgroupV2ApplyAndRestore() throws {
        let f = try TreeFixture.fabricatedV2()
        let before = f.snapshot()
        let j = try journal(f, cpus: "2")
        let outcome = Shield.apply(Shield.Plan(cpus: [2], joinPID: 4242), journal: j, in: f.tree)

        #expect(outcome.method == "cgroup2 isolated partition")
        #expect(f.get("/sys/fs/cgroup/cgroup.subtree_control") == "+cpuset")
        #expect(f.get("/sys/fs/cgroup/kbench-shield/cpuset.cpus") == "2")
        #expect(f.get("/sys/fs/cgroup/kbench-shield/cgroup.procs") == "4242")
        #expect(f.get("/sys/devices/system/cpu/cpu2/cpuidle/state2/disable") == "1")
        #expect(f.get("/sys/devices/system/cpu/cpu2/cpuidle/state1/disable") == "0\n", "C1 (1 µs) stays")
        #expect(f.get("/sys/devices/system/cpu/cpu3/cpuidle/state2/disable") == "0\n", "CPU 3 is not shielded")
        #expect(f.get("/proc/sys/kernel/sched_rt_runtime_us") == "-1")
        #expect(f.get("/proc/irq/24/smp_affinity_list") == "0-1,3" && f.get("/proc/irq/25/smp_affinity_list") == "0-1,3")
        #expect(f.get("/proc/irq/26/smp_affinity_list") == "0\n", "an IRQ not on CPU 2 is left alone")
        #expect(j.changes.map(\.kind) == [.controller, .cgroup, .file, .file, .file, .file])

        let report = ShieldRestore.undo(j.changes, in: f.tree)
        #expect(report.warnings.isEmpty)
        let control = "/sys/fs/cgroup/cgroup.subtree_control", procs = "/sys/fs/cgroup/cgroup.procs"
        #expect(f.get(control) == "-cpuset")
        #expect(f.get(procs) == "4242", "the process went back to the root cgroup")
        // Restored values are written without the kernel's trailing newline.
        let trimmed = { (files: [String: String]) in files.mapValues { $0.trimmingWhitespace() } }
        var expected = before
        expected[control] = nil
        #expect(trimmed(f.snapshot(excluding: [control, procs, j.path])) == trimmed(expected))
        #expect(!f.tree.exists("/sys/fs/cgroup/kbench-shield"))
    }

    @Test("an IRQ that cannot move is a warning; the rest is applied; restore passes over it")
    func irqThatCannotMove() throws {
        let f = try TreeFixture.fabricatedV2()
        // IRQ 25's file is a read-only kernel attribute holding "1" (CPU 1's SMT siblings, a
        // file without a store method): readable, and every write fails, as for an IRQ its
        // driver manages.
        try FileManager.default.removeItem(atPath: f.root + "/proc/irq/25/smp_affinity_list")
        try FileManager.default.createSymbolicLink(atPath: f.root + "/proc/irq/25/smp_affinity_list",
                                                   withDestinationPath: "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list")
        guard SystemFiles.firstLine("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list") == "1" else {
            try Test.cancel("this machine's CPU 1 has SMT siblings or no topology file")
        }
        let j = try journal(f, cpus: "1")
        var plan = Shield.Plan(cpus: [1])
        plan.disableDeepIdleStates = false
        let outcome = Shield.apply(plan, journal: j, in: f.tree)
        #expect(f.get("/proc/irq/24/smp_affinity_list") == "0,2-3")
        #expect(outcome.warnings.contains { $0.hasPrefix("IRQ 25 cannot be moved off CPUs 1") }, "\(outcome.warnings)")
        #expect(j.changes.contains { $0.path == "/proc/irq/25/smp_affinity_list" }, "recorded before it was tried")
        let report = ShieldRestore.undo(j.changes, in: f.tree)
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        #expect(f.get("/proc/irq/24/smp_affinity_list") == "0-3")
        #expect(SystemFiles.firstLine("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list") == "1")
    }

    @Test("refused: every CPU, an offline CPU, a stale restore file (named with its command)")
    func refusals() throws {
        let f = try TreeFixture.fabricatedV2()
        #expect(throws: ShieldError.self) { try Shield.check([0, 1, 2, 3], in: f.tree) }
        #expect(throws: ShieldError.self) { try Shield.check([7], in: f.tree) }
        let j = try journal(f, cpus: "2")
        _ = Shield.apply(Shield.Plan(cpus: [2]), journal: j, in: f.tree)
        // Process 4242 is not in the fake /proc: the shield's process is gone, as after a crash.
        do {
            try Shield.check([2], in: f.tree)
            Issue.record("a stale restore file must block a new shield")
        } catch {
            #expect(error.description.contains("preflight --restore \(j.resolvedPath)"))
        }
    }

    @Test("the VM's CPUs: no cpufreq and no cpuidle through libcpupower, the same from its sysfs files")
    func libcpupowerAgreesWithSysfs() {
        for cpu in Affinity.onlineCPUs().cpus {
            let viaLibrary = PowerStates.read(cpu: cpu, in: .live)
            let viaFiles = PowerStates.readSysfs(cpu: cpu, in: .live)
            #expect(viaLibrary.idleStates == viaFiles.idleStates)
            #expect(viaLibrary.frequency?.governor == viaFiles.frequency?.governor)
        }
    }
}
