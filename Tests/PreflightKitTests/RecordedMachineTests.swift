// Preflight on this project's 2-vCPU VM, recorded by Samples/record.sh:
// exact findings from known files, whatever machine runs the tests.

import Foundation
import Platform
import Testing
@testable import PreflightKit

@Suite struct RecordedMachineTests {
    static let tree = SystemTree(root: TreeFixture.samples + "/vm-2cpu")

    @Test("CPU 1 of the VM: not isolated, 19 IRQs routed there (10 delivered there now), new IRQs default there, no cpufreq or cpuidle, movable tasks allowed")
    func findingsForCPU1() throws {
        let findings = Preflight.run(cpus: [1], in: Self.tree, selfPID: nil)
        let severity = Dictionary(uniqueKeysWithValues: findings.map { ($0.id, $0.severity) })
        #expect(severity == [
            "restore": .pass, "isolcpus": .warn, "nohz_full": .warn, "rcu_nocbs": .warn, "irqs": .fail, "irqs.default": .warn,
            "cpufreq": .pass, "cstates": .pass, "smt": .pass, "clocksource": .pass, "thp": .pass,
            "rt_throttling": .pass, "swap": .pass, "tasks.runnable": .pass, "tasks.movable": .warn,
        ])
        let irqs = try #require(findings.first { $0.id == "irqs" })
        // Every IRQ's smp_affinity_list is 0-1; 10 of them are delivered to CPU 1 now (effective affinity).
        #expect(irqs.summary.hasPrefix("19 IRQs are routed to CPUs 1 (24 ACPI:Ged, 25 ACPI:Ged, 26 ttyS0, 28 virtio0-config, ...), 10 of them delivered there now"))
        #expect(irqs.fix == "for i in 24 25 26 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43; do echo 0 > /proc/irq/$i/smp_affinity_list; done")
        let defaults = try #require(findings.first { $0.id == "irqs.default" })
        #expect(defaults.fix == "echo 1 > /proc/irq/default_smp_affinity")
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
        #expect(table.contains("FAIL    irqs") && table.hasSuffix("9 pass, 5 warn, 1 fail\n"))
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
        // IRQ 24 is routed to 0-3 and delivered to 3 now (effective affinity): routed to CPU 2 all the same.
        #expect(try finding("irqs").fix == "for i in 24 25; do echo 0-1,3 > /proc/irq/$i/smp_affinity_list; done")
        #expect(try finding("irqs").summary.hasPrefix("2 IRQs are routed to CPUs 2 (24 nvme0q0, 25 eth0), 1 of them delivered there now"))
        #expect(try finding("cpufreq").severity == .pass)
        let cpu3 = Preflight.run(cpus: [3], in: f.tree, selfPID: nil)
        #expect(cpu3.first { $0.id == "cpufreq" }?.fix == "cpupower -c 3 frequency-set -g performance")
        // The runnable task on CPU 2 makes the sibling busy for CPU 3's check.
        #expect(cpu3.first { $0.id == "smt" }?.severity == .fail)
    }

    /// What the VM showed inside the shield: moved IRQs whose effective
    /// affinity still names the shielded CPU because they have not fired since.
    @Test("IRQs moved off the CPUs but not yet fired pass, named as pending; the default affinity is checked as a mask")
    func pendingIRQMoves() throws {
        let f = try TreeFixture()
        for (irq, configured, effective) in [("24", "0", "1"), ("25", "0", "0"), ("26", "0,2", "2")] {
            try f.put("/proc/irq/\(irq)/smp_affinity_list", configured + "\n")
            try f.put("/proc/irq/\(irq)/effective_affinity_list", effective + "\n")
        }
        try f.put("/proc/irq/default_smp_affinity", "5\n")
        let findings = Preflight.run(cpus: [1], in: f.tree, selfPID: nil)
        let irqs = try #require(findings.first { $0.id == "irqs" })
        #expect(irqs.severity == .pass)
        #expect(irqs.summary == "no device IRQ is routed to CPUs 1 (smp_affinity_list); 1 IRQs moved off them still show them "
                + "as effective affinity (24) until they next fire, when the kernel moves them")
        #expect(findings.first { $0.id == "irqs.default" }?.severity == .pass)
        let cpu2 = Preflight.run(cpus: [2], in: f.tree, selfPID: nil)
        #expect(cpu2.first { $0.id == "irqs" }?.severity == .fail)
        #expect(cpu2.first { $0.id == "irqs.default" } == Finding("irqs.default", .warn,
            "new IRQs default to CPUs 0,2, which includes CPUs 2 (/proc/irq/default_smp_affinity)",
            fix: "echo 1 > /proc/irq/default_smp_affinity"))
        try f.put("/proc/irq/default_smp_affinity", "not a mask\n")
        #expect(!Preflight.run(cpus: [1], in: f.tree, selfPID: nil).contains { $0.id == "irqs.default" })
    }

    @Test("CPU masks: groups of 32 bits, most significant first; malformed or oversized masks refused; round trips")
    func cpuMasks() {
        #expect(CPUMask.parse("3\n") == [0, 1])
        #expect(CPUMask.parse("00000001,00000000") == [32])
        #expect(CPUMask.parse("ff,ffffffff") == CPUSet(0..<40))
        #expect(CPUMask.parse("0") == CPUSet([Int]()))
        for bad in ["", ",", "1,,2", "xyz", "123456789", "-1", String(repeating: "1,", count: 300) + "1"] {
            #expect(CPUMask.parse(bad) == nil, "\(bad.prefix(20))")
        }
        #expect(CPUMask.format([0]) == "1" && CPUMask.format([32]) == "1,00000000" && CPUMask.format([0, 1, 35]) == "8,00000003")
        for set: CPUSet in [[0], [1], [0, 2, 31], [31, 32], [4095], CPUSet(0..<70)] {
            #expect(CPUMask.parse(CPUMask.format(set)) == set)
        }
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
