import Foundation
import Testing
@testable import PreflightKit

/// A machine tree in a temporary directory: a copy of a recorded sample, or
/// files written by the test. Removed when the test ends.
final class TreeFixture {
    let root: String
    var tree: SystemTree { SystemTree(root: root) }

    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Samples").path

    init(copying sample: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-preflight-\(UUID().uuidString)").path
        if let sample {
            try FileManager.default.copyItem(atPath: Self.samples + "/" + sample, toPath: root)
        } else {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `text` at `path` (machine path), creating directories.
    func put(_ path: String, _ text: String) throws {
        let full = root + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
    }

    func get(_ path: String) -> String? { try? String(contentsOfFile: root + path, encoding: .utf8) }

    /// Every regular file under the root and its content, for before/after comparisons.
    func snapshot(excluding excluded: Set<String> = []) -> [String: String] {
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !excluded.contains(path) else { continue }
            files[path] = get(path) ?? "<unreadable>"
        }
        return files
    }

    /// A fabricated 4-CPU machine with cgroup v2 offering cpuset, cpuidle
    /// states on CPU 2 and 3, RT throttling on, and three IRQs.
    static func fabricatedV2() throws -> TreeFixture {
        let f = try TreeFixture()
        try f.put("/proc/mounts", "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n")
        try f.put("/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet\n")
        try f.put("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 0 -2\n")
        try f.put("/proc/sys/kernel/sched_rt_runtime_us", "950000\n")
        try f.put("/proc/sys/kernel/sched_rt_period_us", "1000000\n")
        try f.put("/proc/interrupts", "           CPU0       CPU1       CPU2       CPU3\n 24:  1  2  3  4  PCI-MSI 1-edge nvme0q0\n 25:  0  0  9  0  PCI-MSI 2-edge eth0\n 26:  5  0  0  0  PCI-MSI 3-edge eth1\n")
        for (irq, list) in [("24", "0-3"), ("25", "2"), ("26", "0")] {
            try f.put("/proc/irq/\(irq)/smp_affinity_list", list + "\n")
            try f.put("/proc/irq/\(irq)/effective_affinity_list", (list == "0-3" ? "3" : list) + "\n")
        }
        try f.put("/sys/devices/system/cpu/online", "0-3\n")
        try f.put("/sys/devices/system/cpu/isolated", "\n")
        for cpu in 0...3 {
            try f.put("/sys/devices/system/cpu/cpu\(cpu)/topology/thread_siblings_list", cpu < 2 ? "\(cpu)\n" : "2-3\n")
            try f.put("/sys/devices/system/cpu/cpu\(cpu)/cpufreq/scaling_governor", cpu == 3 ? "powersave\n" : "performance\n")
            try f.put("/sys/devices/system/cpu/cpu\(cpu)/cpufreq/scaling_min_freq", "3000000\n")
            try f.put("/sys/devices/system/cpu/cpu\(cpu)/cpufreq/scaling_max_freq", "3000000\n")
            try f.put("/sys/devices/system/cpu/cpu\(cpu)/cpufreq/cpuinfo_max_freq", "3000000\n")
            for (index, (name, latency)) in [("POLL", 0), ("C1", 1), ("C6", 100)].enumerated() where cpu >= 2 {
                let base = "/sys/devices/system/cpu/cpu\(cpu)/cpuidle/state\(index)/"
                try f.put(base + "name", name + "\n")
                try f.put(base + "latency", "\(latency)\n")
                try f.put(base + "disable", "0\n")
            }
        }
        try f.put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet\n")
        try f.put("/sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm\n")
        try f.put("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n")
        try f.put("/sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n")
        try f.put("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
        try f.put("/sys/fs/cgroup/cgroup.subtree_control", "cpu memory pids\n")
        try f.put("/sys/fs/cgroup/cpuset.mems.effective", "0\n")
        // A runnable user task on CPU 2, a sleeping one allowed everywhere, a per-CPU kernel thread on 2.
        try f.task(pid: 500, name: "stress ng", state: "R", flags: 0x0040_0000, cpu: 2, allowed: "0-3")
        try f.task(pid: 501, name: "sshd", state: "S", flags: 0x0040_0100, cpu: 0, allowed: "0-3")
        try f.task(pid: 30, name: "ksoftirqd/2", state: "S", flags: 0x0420_8040, cpu: 2, allowed: "2")
        return f
    }

    func task(pid: Int, name: String, state: String, flags: UInt64, cpu: Int, allowed: String, start: UInt64 = 100) throws {
        var fields = Array(repeating: "0", count: 50)
        fields[0] = state; fields[6] = String(flags); fields[19] = String(start); fields[36] = String(cpu)
        let stat = "\(pid) (\(name)) " + fields.joined(separator: " ") + "\n"
        try put("/proc/\(pid)/stat", stat)
        try put("/proc/\(pid)/task/\(pid)/stat", stat)
        try put("/proc/\(pid)/task/\(pid)/status", "Name:\t\(name)\nState:\t\(state)\nCpus_allowed_list:\t\(allowed)\n")
    }
}

/// A journal for `tree` as process `pid` would keep it.
func journal(_ fixture: TreeFixture, cpus: String, pid: Int = 4242) throws -> RestoreJournal {
    try RestoreJournal(tree: fixture.tree, cpus: .init(parsing: cpus), pid: pid, commandLine: ["preflight", "--apply"])
}
