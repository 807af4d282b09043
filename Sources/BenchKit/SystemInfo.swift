import Platform
import Foundation
import Glibc
import RunFormat

/// What the kernel tells about this machine, read from /proc and /sys. Each
/// reader returns nil when the information is not available; callers record
/// null and say why.
public enum SystemInfo {
    public static func hostName() -> String { Provenance.hostName() }

    public static func kernelRelease() -> String {
        SystemFiles.firstLine("/proc/sys/kernel/osrelease") ?? "unknown"
    }

    /// The kernel command line's value for `parameter` (e.g. "isolcpus"), "" if
    /// the parameter is present without a value, nil if absent.
    public static func bootParameter(_ parameter: String) -> String? {
        guard let line = SystemFiles.firstLine("/proc/cmdline") else { return nil }
        for word in line.split(separator: " ") {
            if word == parameter { return "" }
            if word.hasPrefix(parameter + "=") { return String(word.dropFirst(parameter.count + 1)) }
        }
        return nil
    }

    public static func clocksource() -> String? {
        SystemFiles.firstLine("/sys/devices/system/clocksource/clocksource0/current_clocksource")
    }

    /// CPUs isolated from the scheduler (isolcpus), from sysfs.
    public static func isolatedCPUs() -> CPUSet? {
        SystemFiles.firstLine("/sys/devices/system/cpu/isolated").flatMap { try? CPUSet(parsing: $0) }
    }

    /// CPUs running tickless (nohz_full). The sysfs file exists only on kernels
    /// built with NO_HZ_FULL; otherwise the boot parameter decides.
    public static func nohzFullCPUs() -> CPUSet? {
        if let line = SystemFiles.firstLine("/sys/devices/system/cpu/nohz_full") {
            return (try? CPUSet(parsing: line == "(null)" ? "" : line)) ?? CPUSet([Int]())
        }
        return bootParameter("nohz_full").flatMap { try? CPUSet(parsing: $0) }
    }

    /// The hyperthread siblings of `cpu` (including itself).
    public static func smtSiblings(of cpu: Int) -> CPUSet? {
        SystemFiles.firstLine("/sys/devices/system/cpu/cpu\(cpu)/topology/thread_siblings_list")
            .flatMap { try? CPUSet(parsing: $0) }
    }

    /// The git commit kbench was built from and whether its tree was dirty
    /// (`Provenance.current()`).
    public static func provenance() -> Provenance { Provenance.current() }
}

/// /proc/cpuinfo fields.
public enum CPUInfo {
    public static func modelName() -> String? { field("model name") }

    public static func flags() -> Set<String> {
        Set((field("flags") ?? "").split(separator: " ").map(String.init))
    }

    /// The first value of `name` in /proc/cpuinfo.
    static func field(_ name: String) -> String? {
        guard let text = try? SystemFiles.read("/proc/cpuinfo") else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingWhitespace() == name {
                return parts[1].trimmingWhitespace()
            }
        }
        return nil
    }
}
