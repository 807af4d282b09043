import Glibc

/// Where CPU time went, from /proc/stat: the machine's total (the `cpu` line)
/// and each CPU's (`cpuN`). This is kbench's one /proc/stat parser.
///
/// The difference between two snapshots taken around a run tells how much of a
/// measured CPU the kernel (irq, softirq, system) and the hypervisor (steal)
/// took while we measured. Steal is noise /proc/interrupts cannot show: a VM's
/// vCPU descheduled by the host looks, from inside, like a quantum with less
/// work and no cause. The machine's total tells tests whether something else
/// was busy while they timed (`foreignCPUMilliseconds`).
public struct CPUTimes: Sendable {
    /// The /proc/stat fields of one line, in clock ticks (`sysconf(_SC_CLK_TCK)`).
    public struct Fields: Sendable, Equatable {
        public var user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0

        public init(user: Int = 0, nice: Int = 0, system: Int = 0, idle: Int = 0, iowait: Int = 0,
                    irq: Int = 0, softirq: Int = 0, steal: Int = 0) {
            (self.user, self.nice, self.system, self.idle) = (user, nice, system, idle)
            (self.iowait, self.irq, self.softirq, self.steal) = (iowait, irq, softirq, steal)
        }

        /// Ticks not spent idle (or waiting for I/O): user, nice, system, irq, softirq, steal.
        public var busy: Int { user + nice + system + irq + softirq + steal }
    }

    /// All CPUs together (the `cpu` line); nil if it could not be read.
    /// The largest tick count accepted from /proc/stat: 2^59 ticks is 10^8 years at 100 Hz.
    public static let largestTickCount = 1 << 59

    public let total: Fields?
    public let perCPU: [Int: Fields]

    /// Milliseconds in one /proc/stat tick (USER_HZ, 10 ms on most kernels; asked, not assumed).
    public static let millisecondsPerTick = 1000 / Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    public init(total: Fields?, perCPU: [Int: Fields]) {
        self.total = total
        self.perCPU = perCPU
    }

    /// Parses the text of /proc/stat. Lines other than `cpu` and `cpuN`, and
    /// lines with fewer than the eight fields up to steal, are skipped.
    public init(parsing text: String) {
        var total: Fields?
        var perCPU: [Int: Fields] = [:]
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cpu") {
            let words = line.split(whereSeparator: \.isWhitespace)
            // Tick counts: non-negative and far below Int.max, so `busy` (a sum of six)
            // and the differences in `millisecondsUntil` cannot overflow on a corrupted
            // sample; a line with any other value is skipped like a malformed one.
            let v = words.dropFirst().compactMap { Int($0) }
            guard v.count >= 8, v.prefix(8).allSatisfy({ (0...Self.largestTickCount).contains($0) }) else { continue }
            let fields = Fields(user: v[0], nice: v[1], system: v[2], idle: v[3], iowait: v[4],
                                irq: v[5], softirq: v[6], steal: v[7])
            if words[0] == "cpu" {
                total = fields
            } else if let cpu = Int(words[0].dropFirst(3)) {
                perCPU[cpu] = fields
            }
        }
        self.init(total: total, perCPU: perCPU)
    }

    /// /proc/stat now; empty if it cannot be read.
    public static func read() -> CPUTimes {
        guard let text = try? SystemFiles.read("/proc/stat") else { return CPUTimes(total: nil, perCPU: [:]) }
        return CPUTimes(parsing: text)
    }

    /// Milliseconds per category that `cpus` spent between `self` and `later`.
    public func millisecondsUntil(_ later: CPUTimes, cpus: CPUSet) -> [String: [String: Double]] {
        let msPerTick = Self.millisecondsPerTick
        var result: [String: [String: Double]] = [:]
        for cpu in cpus.cpus {
            guard let a = perCPU[cpu], let b = later.perCPU[cpu] else { continue }
            func ms(_ field: KeyPath<Fields, Int>) -> Double { (Double(b[keyPath: field]) - Double(a[keyPath: field])) * msPerTick }
            result[String(cpu)] = [
                "user": ms(\.user) + ms(\.nice), "system": ms(\.system), "idle": ms(\.idle) + ms(\.iowait),
                "irq": ms(\.irq), "softirq": ms(\.softirq), "steal": ms(\.steal),
            ]
        }
        return result
    }
}
