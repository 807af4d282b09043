import Platform

/// The threads of the machine as /proc shows them: where each last ran,
/// whether it is runnable, where it may run and whether it can be moved.
/// Preflight counts the ones that share the measured CPUs; the shield moves
/// the movable ones off.
public struct TaskInfo: Sendable, Equatable {
    public var pid: Int
    public var tid: Int
    public var name: String
    /// /proc/PID/task/TID/stat's state letter: R runnable, S sleeping, ...
    public var state: Character
    /// The CPU it last ran on (stat field 39).
    public var processor: Int
    /// Cpus_allowed_list from status.
    public var allowed: CPUSet
    /// PF_KTHREAD: a kernel thread.
    public var isKernelThread: Bool
    /// PF_NO_SETAFFINITY: a per-CPU kernel thread nothing may move.
    public var isPinnedByKernel: Bool

    /// The kernel's task flags (include/linux/sched.h).
    static let kernelThreadFlag: UInt64 = 0x0020_0000
    static let noSetAffinityFlag: UInt64 = 0x0400_0000

    /// Parses a task's stat line and status text; nil when either is malformed.
    public init?(pid: Int, tid: Int, stat: String, status: String) {
        // The name is between the first "(" and the last ")": it may hold spaces and parentheses.
        guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"), open < close else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        guard rest.count > 36, let state = rest[0].first, let flags = UInt64(rest[6]), let processor = Int(rest[36]),
              (0...CPUSet.maximumCPU).contains(processor)
        else { return nil }
        var allowed: CPUSet?
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
            allowed = try? CPUSet(parsing: String(line.dropFirst("Cpus_allowed_list:".count)))
        }
        guard let allowed else { return nil }
        self.pid = pid
        self.tid = tid
        name = String(stat[stat.index(after: open)..<close].prefix(64))
        self.state = state
        self.processor = processor
        self.allowed = allowed
        isKernelThread = flags & Self.kernelThreadFlag != 0
        isPinnedByKernel = flags & Self.noSetAffinityFlag != 0
    }

    /// Runnable (or running) now.
    public var isRunnable: Bool { state == "R" }
}

public enum TaskScan {
    /// Threads scanned at most: far beyond any machine kbench runs on, and a bound
    /// on a hostile or runaway /proc.
    public static let limit = 1 << 20

    /// Every thread under `tree`'s /proc (threads that exit while scanned are skipped).
    public static func tasks(in tree: SystemTree) -> [TaskInfo] {
        var tasks: [TaskInfo] = []
        for pidName in tree.list("/proc") {
            guard let pid = Int(pidName), pid > 0 else { continue }
            for tidName in tree.list("/proc/\(pid)/task") {
                guard let tid = Int(tidName), tid > 0, tasks.count < limit else { continue }
                let base = "/proc/\(pid)/task/\(tid)/"
                guard let stat = tree.read(base + "stat"), let status = tree.read(base + "status"),
                      let task = TaskInfo(pid: pid, tid: tid, stat: stat, status: status) else { continue }
                tasks.append(task)
            }
        }
        return tasks.sorted { ($0.pid, $0.tid) < ($1.pid, $1.tid) }
    }

    /// A process's start time in clock ticks after boot (stat field 22), which
    /// together with its pid names it uniquely; nil when it does not exist.
    public static func startTicks(pid: Int, in tree: SystemTree) -> UInt64? {
        guard let stat = tree.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        return rest.count > 19 ? UInt64(rest[19]) : nil
    }
}
