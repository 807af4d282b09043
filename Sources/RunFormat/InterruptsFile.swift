import SystemPackage

/// One `/proc/interrupts` line's count on one CPU, before and after a run: a
/// row of interrupts.csv.
public struct InterruptDelta: Sendable, Equatable {
    /// The IRQ name as in /proc/interrupts: `LOC`, `0`, `24`.
    public var irq: String
    /// Its description: `Local timer interrupts`, `IO-APIC 2-edge timer`.
    public var description: String
    /// The CPU column of /proc/interrupts.
    public var cpu: Int
    /// Count before the run.
    public var before: UInt64
    /// Count after the run.
    public var after: UInt64

    public init(irq: String, description: String, cpu: Int, before: UInt64, after: UInt64) {
        self.irq = irq
        self.description = description
        self.cpu = cpu
        self.before = before
        self.after = after
    }

    /// Interrupts during the run.
    /// Interrupts during the run (0 if the counter went backwards: a reset, or a
    /// /proc/interrupts line that changed meaning between the two samples).
    public var delta: UInt64 { after >= before ? after - before : 0 }
}

/// interrupts.csv, the `/proc/interrupts` counts of the measured CPUs around a
/// run: `irq,description,cpu,before,after`, one row per IRQ line and CPU. The
/// file is small (hundreds of rows); a description with a comma is quoted.
public enum InterruptsFile {
    public static let name = "interrupts.csv"

    public static let header = ["irq", "description", "cpu", "before", "after"]

    public static func cells(_ row: InterruptDelta) -> [String] {
        [row.irq, row.description, String(row.cpu), String(row.before), String(row.after)]
    }

    public static func table(_ rows: [InterruptDelta]) -> CSVTable {
        CSVTable(header: header, rows: rows.map(cells))
    }

    public static func write(_ rows: [InterruptDelta], to path: FilePath) throws {
        try table(rows).write(to: path)
    }

    /// Reads `path` (columns by name, extra columns allowed).
    /// - Throws: `InputFileError` naming the file and line: a missing column, a
    ///   count that is not a number or that went backwards, no rows.
    public static func read(path: String) throws -> [InterruptDelta] {
        try rows(CSVRecord.read(path: path, required: header).records)
    }

    /// `read` on the text of an interrupts.csv; `path` is only used in errors.
    public static func parse(_ text: String, path: String) throws -> [InterruptDelta] {
        try rows(CSVRecord.parse(text, path: path, required: header).records)
    }

    private static func rows(_ records: [CSVRecord]) throws -> [InterruptDelta] {
        try records.map { r in
            let cpu = try r.count(2), before = try r.uint64(3), after = try r.uint64(4)
            guard after >= before else { throw r.error(.counterWentBackwards(before: before, after: after)) }
            return InterruptDelta(irq: r.text(0), description: r.text(1), cpu: cpu, before: before, after: after)
        }
    }
}
