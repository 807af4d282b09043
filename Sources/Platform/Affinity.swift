import CPlatform
import Glibc

/// CPU affinity of threads: where they may run, and pinning them to one CPU.
public enum Affinity {
    /// CPUs thread `tid` (0: the caller) may run on.
    public static func allowedCPUs(thread tid: Int32 = 0) throws -> CPUSet {
        var buffer = [Int32](repeating: 0, count: Int(kb_cpu_count_configured()) + 64)
        let found = try checkShim(kb_get_affinity(tid, &buffer, Int32(buffer.count)),
                                  "sched_getaffinity(\(tid))")
        return CPUSet(buffer.prefix(Int(min(found, Int32(buffer.count)))).map(Int.init))
    }

    /// CPUs that exist and are online (/sys/devices/system/cpu/online).
    public static func onlineCPUs() -> CPUSet {
        if let text = try? SystemFiles.read("/sys/devices/system/cpu/online"),
           let set = try? CPUSet(parsing: text) {
            return set
        }
        return CPUSet(0..<Int(kb_cpu_count_configured()))
    }

    /// Restricts thread `tid` (0: the caller) to `cpus`.
    public static func set(_ cpus: CPUSet, thread tid: Int32 = 0) throws {
        let list = cpus.cpus.map(Int32.init)
        try checkShim(kb_set_affinity(tid, list, Int32(list.count)),
                      "sched_setaffinity(\(tid), \(cpus))")
    }

    /// The CPU the caller is running on right now.
    public static func currentCPU() -> Int { Int(kb_current_cpu()) }

    /// Pins the calling thread to `cpu` and verifies that it landed there: the
    /// kernel migrates the thread at its next scheduling point, so we yield until
    /// `sched_getcpu` agrees (or give up after a bounded number of tries).
    public static func pinCurrentThread(to cpu: Int) throws {
        try set([cpu])
        for _ in 0..<1000 {
            if currentCPU() == cpu { return }
            sched_yield()
        }
        throw AffinityError.didNotLand(cpu: cpu, runningOn: currentCPU())
    }

    /// Checks that `cpus` exist and are allowed to this process, with an error
    /// that says which CPUs are available.
    public static func validate(_ cpus: CPUSet) throws(AffinityError) {
        let online = onlineCPUs()
        let allowed = (try? allowedCPUs()) ?? online
        for cpu in cpus.cpus {
            guard online.contains(cpu) else {
                throw .noSuchCPU(cpu: cpu, online: online)
            }
            guard allowed.contains(cpu) else {
                throw .notAllowed(cpu: cpu, allowed: allowed)
            }
        }
    }
}

public enum AffinityError: Error, CustomStringConvertible, Sendable {
    case noSuchCPU(cpu: Int, online: CPUSet)
    case notAllowed(cpu: Int, allowed: CPUSet)
    case didNotLand(cpu: Int, runningOn: Int)

    public var description: String {
        switch self {
        case let .noSuchCPU(cpu, online):
            "CPU \(cpu) does not exist or is offline (online CPUs: \(online))"
        case let .notAllowed(cpu, allowed):
            "CPU \(cpu) is not in this process's affinity mask (allowed: \(allowed)); run it with taskset or choose another CPU"
        case let .didNotLand(cpu, runningOn):
            "pinned to CPU \(cpu) but still running on CPU \(runningOn)"
        }
    }
}
