import RunFormat

/// An interrupt source's average rate on one CPU during a run.
public struct IRQRate: Sendable, Equatable {
    public var irq: String
    public var description: String
    public var cpu: Int
    /// Interrupts during the run.
    public var count: UInt64
    /// count / duration, per second.
    public var ratePerSecond: Double

    public init(irq: String, description: String, cpu: Int, count: UInt64, ratePerSecond: Double) {
        self.irq = irq
        self.description = description
        self.cpu = cpu
        self.count = count
        self.ratePerSecond = ratePerSecond
    }
}

/// The run directory's `interrupts.csv` (`InterruptsFile`: one row per IRQ line and
/// measured CPU), and the interrupt rates it implies.
public struct InterruptDeltas: Sendable, Equatable {
    /// The columns the file must have.
    public static var requiredColumns: [String] { InterruptsFile.header }

    /// Rows in file order.
    public var counts: [InterruptDelta]

    public init(counts: [InterruptDelta]) {
        self.counts = counts
    }

    /// Reads `path`.
    /// - Throws: `InputFileError` naming the file and line.
    public static func read(path: String) throws -> InterruptDeltas {
        InterruptDeltas(counts: try InterruptsFile.read(path: path))
    }

    /// Parses the text of an `interrupts.csv`; `path` is only used in errors.
    public static func parse(_ text: String, path: String) throws -> InterruptDeltas {
        InterruptDeltas(counts: try InterruptsFile.parse(text, path: path))
    }

    /// Rates on `cpu` over `durationSeconds`, for IRQs that fired at least `minimumCount`
    /// times (a line in a spectrum needs repetitions; a handful of events is not periodic
    /// evidence), highest rate first.
    public func rates(cpu: Int, durationSeconds: Double, minimumCount: UInt64 = 20) -> [IRQRate] {
        guard durationSeconds > 0 else { return [] }
        return counts
            .filter { $0.cpu == cpu && $0.delta >= minimumCount }
            .map { IRQRate(irq: $0.irq, description: $0.description, cpu: cpu, count: $0.delta,
                           ratePerSecond: Double($0.delta) / durationSeconds) }
            .sorted { $0.ratePerSecond > $1.ratePerSecond }
    }
}
