// Preflight on this project's 2-vCPU VM, recorded by Samples/record.sh:
// exact findings from known files, whatever machine runs the tests.

import Foundation
import Platform
import Testing
@testable import PreflightKit

@Suite struct RecordedMachineTests {
    static let tree = SystemTree(root: TreeFixture.samples + "/vm-2cpu")

    @Test("CPU 1 of the VM: not isolated, 10 IRQs routed there, no cpufreq or cpuidle, movable tasks allowed")
    func findingsForCPU1() throws {
        let findings = Preflight.run(cpus: [1], in: Self.tree, selfPID: nil)
        let severity = Dictionary(uniqueKeysWithValues: findings.map { ($0.id, $0.severity) })
        #expect(severity == [
            "restore": .pass, "isolcpus": .warn, "nohz_full": .warn, "rcu_nocbs": .warn, "irqs": .fail,
            "cpufreq": .pass, "cstates": .pass, "smt": .pass, "clocksource": .pass, "thp": .pass,
            "rt_throttling": .pass, "swap": .pass, "tasks.runnable": .pass, "tasks.movable": .warn,
        ])
        let irqs = try #require(findings.first { $0.id == "irqs" })
        #expect(irqs.summary.hasPrefix("10 IRQs may be delivered to CPUs 1 (25 ACPI:Ged, 26 ttyS0"))
        #expect(irqs.fix == "for i in 25 26 29 31 33 35 36 38 40 42; do echo 0 > /proc/irq/$i/smp_affinity_list; done")
        // ksoftirqd/1 and migration/1 are per-CPU kernel threads: never counted as movable.
        let movable = try #require(findings.first { $0.id == "tasks.movable" })
        #expect(movable.summary.hasPrefix("4 tasks") && !movable.summary.contains("ksoftirqd"))
        #expect(movable.fix == "preflight --apply --cpus 1")
        #expect(findings.allSatisfy { $0.severity == .pass ? $0.fix.isEmpty : !$0.fix.isEmpty }, "every warn/fail says how to fix it")
    }

    @Test("the VM's cpuset is cgroup v1 (v2 is mounted beside it without the cpuset controller)")
    func layout() {
        #expect(CgroupLayout.detect(in: Self.tree) == .v1(mount: "/sys/fs/cgroup/cpuset"))
    }

    @Test("table and JSON carry the same findings; --strict's verdict is the worst severity")
    func outputs() throws {
        let findings = Preflight.run(cpus: [1], in: Self.tree, selfPID: nil)
        let table = FindingReport.table(findings, cpus: "1")
        #expect(table.contains("FAIL    irqs") && table.hasSuffix("9 pass, 4 warn, 1 fail\n"))
        struct Document: Decodable { let cpus: String; let findings: [Finding] }
        let decoded = try JSONDecoder().decode(Document.self, from: Data(FindingReport.json(findings, cpus: "1").utf8))
        #expect(decoded.cpus == "1" && decoded.findings == findings)
        #expect(FindingReport.worst(findings) == .fail && FindingReport.worst([]) == .pass)
    }

    @Test("a fabricated v2 machine: every check that can fail does, with its fix")
    func fabricatedFailures() throws {
        let f = try TreeFixture.fabricatedV2()
        let findings = Preflight.run(cpus: [2], in: f.tree, selfPID: nil)
        func finding(_ id: String) throws -> Finding { try #require(findings.first { $0.id == id }) }
        #expect(try finding("clocksource") == Finding("clocksource", .fail,
            "clocksource hpet: every clock_gettime may trap to the kernel or hypervisor",
            fix: "echo tsc > /sys/devices/system/clocksource/clocksource0/current_clocksource"))
        #expect(try finding("thp").fix == "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled")
        #expect(try finding("rt_throttling").fix == "echo -1 > /proc/sys/kernel/sched_rt_runtime_us")
        #expect(try finding("swap").severity == .warn)
        #expect(try finding("cstates").fix == "cpupower -c 2 idle-set -D 2")
        #expect(try finding("cstates").summary.contains("CPU2 C6 (100 µs)") && !(try finding("cstates").summary.contains("C1")))
        #expect(try finding("smt").severity == .warn && (try finding("smt").fix == "echo 0 > /sys/devices/system/cpu/cpu3/online"))
        #expect(try finding("tasks.runnable").summary.contains("500 stress ng"))
        // IRQ 24 may go to 0-3 but is delivered to 3 (effective affinity): only 25 reaches CPU 2.
        #expect(try finding("irqs").fix == "for i in 25; do echo 0-1,3 > /proc/irq/$i/smp_affinity_list; done")
        #expect(try finding("cpufreq").severity == .pass)
        let cpu3 = Preflight.run(cpus: [3], in: f.tree, selfPID: nil)
        #expect(cpu3.first { $0.id == "cpufreq" }?.fix == "cpupower -c 3 frequency-set -g performance")
        // The runnable task on CPU 2 makes the sibling busy for CPU 3's check.
        #expect(cpu3.first { $0.id == "smt" }?.severity == .fail)
    }

    @Test("boot parameters with flags (isolcpus=nohz,domain,1-3) and nohz_full from the command line")
    func bootParameters() throws {
        let f = try TreeFixture()
        try f.put("/proc/cmdline", "root=/dev/sda isolcpus=nohz,domain,managed_irq,1-3 nohz_full=2-3 rcu_nocbs=all\n")
        let findings = Preflight.run(cpus: [2], in: f.tree, selfPID: nil)
        #expect(findings.filter { ["isolcpus", "nohz_full", "rcu_nocbs"].contains($0.id) }.allSatisfy { $0.severity == .pass })
        #expect(Preflight.run(cpus: [1], in: f.tree, selfPID: nil).first { $0.id == "nohz_full" }?.severity == .warn)
    }

    @Test("task stat lines: names with spaces and parentheses; malformed lines refused")
    func taskParsing() throws {
        var fields = Array(repeating: "0", count: 50)
        fields[0] = "R"; fields[6] = "2097152"; fields[36] = "1"
        let stat = "77 (a) (b c)) " + fields.joined(separator: " ")
        let task = try #require(TaskInfo(pid: 77, tid: 77, stat: stat, status: "Cpus_allowed_list:\t0-1\n"))
        #expect(task.name == "a) (b c)" && task.isRunnable && task.processor == 1 && task.isKernelThread && !task.isPinnedByKernel)
        #expect(TaskInfo(pid: 1, tid: 1, stat: "1 (x) R 1 2", status: "Cpus_allowed_list:\t0\n") == nil)
        #expect(TaskInfo(pid: 1, tid: 1, stat: stat, status: "Cpus_allowed_list:\t0-999999999\n") == nil)
        fields[36] = "99999999999"
        #expect(TaskInfo(pid: 1, tid: 1, stat: "1 (x) " + fields.joined(separator: " "), status: "Cpus_allowed_list:\t0\n") == nil)
    }
}
