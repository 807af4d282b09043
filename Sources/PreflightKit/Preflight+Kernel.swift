import Platform

extension Preflight {
    static func clocksource(in tree: SystemTree) -> Finding {
        let base = "/sys/devices/system/clocksource/clocksource0/"
        let current = tree.firstLine(base + "current_clocksource") ?? "unknown"
        if current == "tsc" { return Finding("clocksource", .pass, "clocksource tsc: clock_gettime is read in user space") }
        let available = words(tree.firstLine(base + "available_clocksource"))
        return available.contains("tsc")
            ? Finding("clocksource", .fail, "clocksource \(current): every clock_gettime may trap to the kernel or hypervisor",
                      fix: "echo tsc > \(base)current_clocksource")
            : Finding("clocksource", .warn, "clocksource \(current) and no tsc clocksource available (the kernel judged the TSC unstable)",
                      fix: "add tsc=reliable to the kernel command line if the TSC is invariant, and reboot")
    }

    /// The bracketed choice of a sysfs multiple-choice file ("always [madvise] never").
    static func selected(_ line: String?) -> String? {
        words(line).first { $0.hasPrefix("[") && $0.hasSuffix("]") }.map { String($0.dropFirst().dropLast()) }
    }

    static func transparentHugePages(in tree: SystemTree) -> Finding {
        let base = "/sys/kernel/mm/transparent_hugepage/"
        let enabled = selected(tree.firstLine(base + "enabled")), defrag = selected(tree.firstLine(base + "defrag"))
        guard let enabled else { return Finding("thp", .pass, "no transparent huge pages") }
        var fixes: [String] = []
        if enabled == "always" { fixes.append("echo madvise > \(base)enabled") }
        if defrag == "always" { fixes.append("echo defer+madvise > \(base)defrag") }
        return fixes.isEmpty
            ? Finding("thp", .pass, "transparent huge pages \(enabled), defrag \(defrag ?? "unknown"): no compaction stalls in kbench's memory")
            : Finding("thp", .warn, "transparent huge pages \(enabled), defrag \(defrag ?? "unknown"): khugepaged and direct compaction can stall a measured thread",
                      fix: fixes.joined(separator: " && "))
    }

    static func rtThrottling(in tree: SystemTree) -> Finding {
        let path = "/proc/sys/kernel/sched_rt_runtime_us"
        guard let runtime = tree.firstLine(path).flatMap({ Int($0) }) else {
            return Finding("rt_throttling", .warn, "RT throttling unknown: \(path) not readable")
        }
        let period = tree.firstLine("/proc/sys/kernel/sched_rt_period_us").flatMap { Int($0) } ?? 1_000_000
        return runtime < 0 || runtime >= period
            ? Finding("rt_throttling", .pass, "RT throttling off: a SCHED_FIFO thread keeps its CPU")
            : Finding("rt_throttling", .warn,
                      "RT throttling on: SCHED_FIFO threads that never sleep stop \((period - runtime) / 1000) ms every \(period / 1000) ms (matters with --fifo)",
                      fix: "echo -1 > \(path)")
    }

    static func swap(in tree: SystemTree) -> Finding {
        guard let text = tree.read("/proc/swaps") else { return Finding("swap", .pass, "no /proc/swaps: no swap") }
        let devices = text.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        return devices.isEmpty
            ? Finding("swap", .pass, "no swap")
            : Finding("swap", .warn, "swap on \(devices.joined(separator: ", ")): kbench locks its own memory, but other tasks' page-ins add noise",
                      fix: "swapoff -a")
    }
}
