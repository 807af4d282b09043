import Platform
import RunFormat
/// A snapshot of /proc/interrupts: per IRQ line, the count on each CPU.
///
/// FTQ records one before and one after a run; the deltas on the measured CPUs
/// label spectrum peaks (a 250/s local timer is the 250 Hz line).
public struct InterruptCounts: Sendable {
    public struct Line: Sendable, Equatable {
        /// "0", "24", "LOC", "RES", ...
        public let irq: String
        /// Counts indexed like `cpus`.
        public let counts: [UInt64]
        /// The rest of the line: chip, hwirq, handler names ("IO-APIC 2-edge timer"),
        /// or the text of the named lines ("Local timer interrupts").
        public let description: String
    }

    /// CPU numbers of the columns, from the header ("CPU0 CPU1 ...").
    public let cpus: [Int]
    public let lines: [Line]

    public static func read() throws -> InterruptCounts {
        try InterruptCounts(parsing: SystemFiles.read("/proc/interrupts"))
    }

    public init(parsing text: String) throws {
        // Split on any line end: "\r\n" is one Character, which split(separator: "\n") never matches.
        var rows = text.split(whereSeparator: \.isNewline)
        guard !rows.isEmpty else { throw InterruptParseError(reason: "empty file") }
        let header = rows.removeFirst().split(whereSeparator: \.isWhitespace)
        var cpus: [Int] = []
        for word in header {
            guard word.hasPrefix("CPU"), let cpu = Int(word.dropFirst(3)) else {
                throw InterruptParseError(reason: "header word \(String(word.prefix(40)).debugDescription) is not CPUn")
            }
            cpus.append(cpu)
        }
        var lines: [Line] = []
        for row in rows {
            let parts = row.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let irq = parts[0].trimmingWhitespace()
            var words = parts[1].split(whereSeparator: \.isWhitespace)[...]
            var counts: [UInt64] = []
            // Lines such as ERR and MIS carry one total, not one count per CPU.
            while counts.count < cpus.count, let word = words.first, let count = UInt64(word) {
                counts.append(count)
                words.removeFirst()
            }
            guard counts.count == cpus.count else { continue }
            lines.append(Line(irq: irq, counts: counts, description: words.joined(separator: " ")))
        }
        self.cpus = cpus
        self.lines = lines
    }

    /// The column of `cpu`, if the snapshot has one.
    public func column(of cpu: Int) -> Int? { cpus.firstIndex(of: cpu) }

    /// The rows of `interrupts.csv` (`InterruptsFile`) for the measured CPUs: one per
    /// IRQ line and CPU. Lines that did not exist before count from 0.
    public static func deltas(before: InterruptCounts, after: InterruptCounts, cpus: CPUSet) -> [InterruptDelta] {
        var rows: [InterruptDelta] = []
        let earlier = Dictionary(before.lines.map { ($0.irq, $0) }, uniquingKeysWith: { first, _ in first })
        for line in after.lines {
            for cpu in cpus.cpus {
                guard let column = after.column(of: cpu) else { continue }
                let old = earlier[line.irq].flatMap { previous in
                    before.column(of: cpu).map { previous.counts[$0] }
                } ?? 0
                rows.append(InterruptDelta(irq: line.irq, description: line.description, cpu: cpu,
                                           before: old, after: line.counts[column]))
            }
        }
        return rows
    }

    /// `interrupts.csv` as a table (`deltas` in `InterruptsFile`'s columns).
    public static func deltaTable(before: InterruptCounts, after: InterruptCounts, cpus: CPUSet) -> CSVTable {
        InterruptsFile.table(deltas(before: before, after: after, cpus: cpus))
    }
}

public struct InterruptParseError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { "cannot parse /proc/interrupts: \(reason)" }
}
