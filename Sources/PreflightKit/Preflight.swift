import Glibc
import Platform

/// `kbench preflight`: every check, for the CPUs a run will use, on a machine
/// seen through `tree`. Each check returns findings with the command that fixes
/// what it found; none changes anything.
public enum Preflight {
    /// The findings for `cpus`, in a fixed order. `selfPID` is left out of the
    /// task counts (the process asking).
    public static func run(cpus: CPUSet, in tree: SystemTree, selfPID: Int? = Int(getpid())) -> [Finding] {
        let tasks = TaskScan.tasks(in: tree)
        let shield = activeShield(in: tree)
        var findings: [Finding] = []
        findings += restoreFiles(in: tree)
        findings += bootIsolation(cpus: cpus, shield: shield, in: tree)
        findings.append(irqs(cpus: cpus, in: tree))
        findings += defaultIRQAffinity(cpus: cpus, in: tree)
        findings += power(cpus: cpus, in: tree)
        findings += smt(cpus: cpus, tasks: tasks, in: tree)
        findings.append(clocksource(in: tree))
        findings.append(transparentHugePages(in: tree))
        findings.append(rtThrottling(in: tree))
        findings.append(swap(in: tree))
        findings += otherTasks(cpus: cpus, tasks: tasks.filter { $0.pid != selfPID }, shield: shield, in: tree)
        return findings
    }

    /// The CPUs of a kbench shield in place, if there is one.
    public static func activeShield(in tree: SystemTree) -> (path: String, cpus: CPUSet)? {
        guard let path = CgroupLayout.detect(in: tree).shieldPath, tree.exists(path),
              let cpus = tree.firstLine(path + "/cpuset.cpus").flatMap({ try? CPUSet(parsing: $0) }) else { return nil }
        return (path, cpus)
    }

    /// A kernel list file or boot parameter as words, with `+` (as written to
    /// cgroup.subtree_control) dropped.
    static func words(_ line: String?) -> [String] {
        (line ?? "").split(separator: " ").map { String($0.drop { $0 == "+" }) }
    }

    /// The kernel command line's value for `name`; "" when present without one.
    static func bootParameter(_ name: String, in tree: SystemTree) -> String? {
        for word in words(tree.firstLine("/proc/cmdline")) {
            if word == "--" { break }
            if word == name { return "" }
            if word.hasPrefix(name + "=") { return String(word.dropFirst(name.count + 1)) }
        }
        return nil
    }

    /// The CPU list at the end of a boot parameter value ("nohz,domain,1-3" -> 1-3).
    static func cpuList(_ value: String?) -> CPUSet? {
        guard let value else { return nil }
        let flags: Set<String> = ["nohz", "domain", "managed_irq"]
        let list = value.split(separator: ",").filter { !flags.contains(String($0)) }.joined(separator: ",")
        return try? CPUSet(parsing: list)
    }

    /// "echo VALUE > PATH" for several paths, as one shell command.
    static func echo(_ value: String, to paths: [String]) -> String {
        paths.count == 1 ? "echo \(value) > \(paths[0])"
            : "for f in \(paths.joined(separator: " ")); do echo \(value) > $f; done"
    }
}
