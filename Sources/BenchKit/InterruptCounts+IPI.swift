// Reading IPIs out of /proc/interrupts: the CAL, TLB and RES lines of one
// CPU, and whether a batch of operations caused any beyond the background.

/// The x86 /proc/interrupts lines that count inter-processor interrupts.
public enum IPILine: String, CaseIterable, Sendable {
    /// Function call interrupts (smp_call_function: membarrier, TLB shootdowns).
    case call = "CAL"
    /// TLB shootdowns received (delivered as function calls: counted in CAL too).
    case tlb = "TLB"
    /// Rescheduling interrupts (a wake-up of a task on a CPU that is not polling).
    case reschedule = "RES"
}

extension InterruptCounts {
    /// The count of `irq` on `cpu`; nil when the snapshot has no such line or CPU.
    public func count(irq: String, cpu: Int) -> UInt64? {
        guard let column = column(of: cpu), let line = lines.first(where: { $0.irq == irq }) else { return nil }
        return line.counts[column]
    }

    /// CAL, TLB and RES on `cpu` (a line the snapshot lacks counts 0).
    public func ipiCounts(cpu: Int) -> [IPILine: UInt64] {
        Dictionary(uniqueKeysWithValues: IPILine.allCases.map { ($0, count(irq: $0.rawValue, cpu: cpu) ?? 0) })
    }
}

/// What three /proc/interrupts snapshots say about a batch of operations and
/// one victim CPU: `before`, `afterOperations` (the batch took
/// `operationsNs`), `afterQuiet` (an idle window of `quietNs` right after).
///
/// Each line's count during the batch, minus its count in the quiet window
/// scaled to the batch's length (the background: the victim's own timers,
/// other processes), divided by the operations, is that line's IPIs per
/// operation (never below 0). IPIs per operation are CAL (or TLB, where a
/// kernel counts more there) plus RES: a TLB shootdown arrives as a function
/// call and counts in both CAL and TLB, so adding them would count it twice.
///
/// An IPI is *observed* when at least one arrived per `minimumPerOperation`
/// operations (default: one per ten) above the background; otherwise the
/// operation's cost is no IPI cost and must not be reported as one.
public struct IPIObservation: Sendable, Equatable {
    public var victimCPU: Int
    public var operations: Int
    /// Per line: interrupts per operation above the background.
    public var perOperation: [IPILine: Double]
    /// Per line: the raw counts during the batch and during the quiet window.
    public var duringOperations: [IPILine: UInt64]
    public var duringQuiet: [IPILine: UInt64]
    /// Inter-processor interrupts per operation (CAL or TLB, whichever is more, plus RES).
    public var ipisPerOperation: Double
    /// Whether the operations caused IPIs on the victim.
    public var observed: Bool

    public static let minimumPerOperation = 0.1

    public init(before: InterruptCounts, afterOperations: InterruptCounts, afterQuiet: InterruptCounts,
                victimCPU: Int, operations: Int, operationsNs: Double, quietNs: Double) throws(IPIObservationError) {
        guard operations > 0 else { throw IPIObservationError.noOperations }
        guard operationsNs > 0, quietNs > 0, operationsNs.isFinite, quietNs.isFinite else {
            throw IPIObservationError.badDurations(operationsNs: operationsNs, quietNs: quietNs)
        }
        for snapshot in [before, afterOperations, afterQuiet] where snapshot.column(of: victimCPU) == nil {
            throw IPIObservationError.noSuchCPU(victimCPU)
        }
        let counts = [before, afterOperations, afterQuiet].map { $0.ipiCounts(cpu: victimCPU) }
        var during: [IPILine: UInt64] = [:], quiet: [IPILine: UInt64] = [:], perOperation: [IPILine: Double] = [:]
        for line in IPILine.allCases {
            let a = counts[0][line]!, b = counts[1][line]!, c = counts[2][line]!
            guard b >= a, c >= b else { throw IPIObservationError.counterWentBackwards(line) }
            during[line] = b - a
            quiet[line] = c - b
            let background = Double(c - b) * operationsNs / quietNs
            perOperation[line] = max(0, Double(b - a) - background) / Double(operations)
        }
        self.victimCPU = victimCPU
        self.operations = operations
        self.perOperation = perOperation
        duringOperations = during
        duringQuiet = quiet
        ipisPerOperation = max(perOperation[.call]!, perOperation[.tlb]!) + perOperation[.reschedule]!
        observed = ipisPerOperation >= Self.minimumPerOperation
    }

    /// One line for the user: what arrived per operation, or that nothing did.
    public var summary: String {
        let lines = IPILine.allCases.map { line in
            "\(line.rawValue) \(String(format: "%.2f", perOperation[line]!))"
        }.joined(separator: ", ")
        return observed
            ? "\(String(format: "%.2f", ipisPerOperation)) IPIs per operation on CPU \(victimCPU) (\(lines))"
            : "no IPI observed on CPU \(victimCPU) (\(lines) per operation above the background)"
    }
}

public enum IPIObservationError: Error, CustomStringConvertible, Sendable, Equatable {
    case noOperations
    case badDurations(operationsNs: Double, quietNs: Double)
    case noSuchCPU(Int)
    case counterWentBackwards(IPILine)

    public var description: String {
        switch self {
        case .noOperations: return "IPI observation: no operations were run"
        case .badDurations(let operations, let quiet):
            return "IPI observation: durations must be positive (operations \(operations) ns, quiet \(quiet) ns)"
        case .noSuchCPU(let cpu): return "IPI observation: /proc/interrupts has no column for CPU \(cpu)"
        case .counterWentBackwards(let line):
            return "IPI observation: the \(line.rawValue) count went backwards between snapshots"
        }
    }
}
