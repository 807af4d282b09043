import Glibc
import Platform

/// Where each CPU's time went, from /proc/stat: the difference between two
/// snapshots taken around a run tells how much of a measured CPU the kernel
/// (irq, softirq, system) and the hypervisor (steal) took while we measured.
/// Steal is noise /proc/interrupts cannot show: a VM's vCPU descheduled by
/// the host looks, from inside, like a quantum with less work and no cause.
public struct CPUTimes: Sendable {
    /// Per CPU, the /proc/stat fields in clock ticks.
    public struct Fields: Sendable, Equatable {
        public var user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0
    }

    public let perCPU: [Int: Fields]

    public static func read() -> CPUTimes {
        guard let text = try? SystemFiles.read("/proc/stat") else { return CPUTimes(perCPU: [:]) }
        var perCPU: [Int: Fields] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let words = line.split(separator: " ")
            guard let cpu = Int(words[0].dropFirst(3)) else { continue }
            let v = words.dropFirst().compactMap { Int($0) }
            guard v.count >= 8 else { continue }
            perCPU[cpu] = Fields(user: v[0], nice: v[1], system: v[2], idle: v[3], iowait: v[4],
                                 irq: v[5], softirq: v[6], steal: v[7])
        }
        return CPUTimes(perCPU: perCPU)
    }

    /// Milliseconds per category that `cpus` spent between `self` and `later`.
    public func millisecondsUntil(_ later: CPUTimes, cpus: CPUSet) -> [String: [String: Double]] {
        let msPerTick = 1000 / Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        var result: [String: [String: Double]] = [:]
        for cpu in cpus.cpus {
            guard let a = perCPU[cpu], let b = later.perCPU[cpu] else { continue }
            func ms(_ field: KeyPath<Fields, Int>) -> Double { Double(b[keyPath: field] - a[keyPath: field]) * msPerTick }
            result[String(cpu)] = [
                "user": ms(\.user) + ms(\.nice), "system": ms(\.system), "idle": ms(\.idle) + ms(\.iowait),
                "irq": ms(\.irq), "softirq": ms(\.softirq), "steal": ms(\.steal),
            ]
        }
        return result
    }
}
