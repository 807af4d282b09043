import Platform
/// Chooses the CPU least disturbed by device interrupts, for tools run without
/// an explicit CPU.
///
/// Device IRQs are routed to a few CPUs (often CPU 0); their counts since boot,
/// excluding the per-CPU lines every CPU takes (local timer, rescheduling,
/// function-call and TLB IPIs...), show where. Isolated CPUs win outright; ties
/// go to the highest-numbered CPU, the one housekeeping is least likely on.
public enum QuietestCPU {
    public static func pick(from candidates: CPUSet) -> Int? {
        pick(from: candidates, isolated: SystemInfo.isolatedCPUs(), interrupts: try? InterruptCounts.read())
    }

    /// The choice `pick(from:)` makes for these isolated CPUs and this
    /// /proc/interrupts snapshot (nil: unreadable, so the highest candidate).
    public static func pick(from candidates: CPUSet, isolated: CPUSet?, interrupts: InterruptCounts?) -> Int? {
        guard !candidates.isEmpty else { return nil }
        if let isolated, let cpu = candidates.cpus.last(where: isolated.contains) {
            return cpu
        }
        guard let counts = interrupts else { return candidates.cpus.last }
        let deviceLines = counts.lines.filter { Int($0.irq) != nil }
        return candidates.cpus.min { a, b in
            let loadA = load(of: a, in: counts, lines: deviceLines)
            let loadB = load(of: b, in: counts, lines: deviceLines)
            return loadA != loadB ? loadA < loadB : a > b
        }
    }

    static func load(of cpu: Int, in counts: InterruptCounts, lines: [InterruptCounts.Line]) -> UInt64 {
        guard let column = counts.column(of: cpu) else { return .max }
        return lines.reduce(0) { $0 &+ $1.counts[column] }
    }
}
