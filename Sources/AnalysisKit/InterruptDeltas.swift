import Foundation

/// One `/proc/interrupts` line's count on one CPU, before and after a run.
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
    public var delta: UInt64 { after - before }
}

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

/// The run directory's `interrupts.csv`: header `irq,description,cpu,before,after`
/// (columns by name, extra columns allowed), one row per IRQ line and measured CPU.
/// The file is small (hundreds of rows), so it is read whole; quoted cells (a
/// description with a comma) are understood.
public struct InterruptDeltas: Sendable, Equatable {
    /// The columns the file must have.
    public static let requiredColumns = ["irq", "description", "cpu", "before", "after"]

    /// Rows in file order.
    public var counts: [InterruptDelta]

    public init(counts: [InterruptDelta]) {
        self.counts = counts
    }

    /// Reads `path`.
    /// - Throws: `InputFileError` naming the file and line.
    public static func read(path: String) throws -> InterruptDeltas {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputFileError(path: path, problem: .cannotOpen("no such file or not readable"))
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses the text of an `interrupts.csv`; `path` is only used in errors.
    public static func parse(_ text: String, path: String) throws -> InterruptDeltas {
        // `\r\n` is one Character in Swift: split on any line break, keeping empty lines
        // so that line numbers are the file's.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, text: $0.element) }
            .filter { !$0.text.isEmpty }
        guard !lines.isEmpty else { throw InputFileError(path: path, problem: .empty) }
        let header = lines.removeFirst()
        let names = splitCSV(header.text).map { $0.trimmingCharacters(in: .whitespaces) }
        var position: [String: Int] = [:]
        for name in requiredColumns {
            guard let index = names.firstIndex(of: name) else {
                throw InputFileError(path: path, line: header.number, problem: .missingColumn(name))
            }
            position[name] = index
        }
        guard !lines.isEmpty else { throw InputFileError(path: path, line: header.number + 1, problem: .noDataRows) }

        var counts: [InterruptDelta] = []
        for line in lines {
            let cells = splitCSV(line.text)
            guard cells.count == names.count else {
                throw InputFileError(path: path, line: line.number,
                                     problem: .wrongCellCount(expected: names.count, found: cells.count))
            }
            func cell(_ name: String) -> String { cells[position[name] ?? 0].trimmingCharacters(in: .whitespaces) }
            func unsigned(_ name: String) throws -> UInt64 {
                guard let value = UInt64(cell(name)) else {
                    throw InputFileError(path: path, line: line.number, problem: .notANumber(column: name, cell: cell(name)))
                }
                return value
            }
            guard let cpu = Int(cell("cpu")) else {
                throw InputFileError(path: path, line: line.number, problem: .notANumber(column: "cpu", cell: cell("cpu")))
            }
            let before = try unsigned("before"), after = try unsigned("after")
            guard after >= before else {
                throw InputFileError(path: path, line: line.number, problem: .counterWentBackwards(before: before, after: after))
            }
            counts.append(InterruptDelta(irq: cell("irq"), description: cell("description"),
                                         cpu: cpu, before: before, after: after))
        }
        return InterruptDeltas(counts: counts)
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

    /// Splits one CSV line; `"` quotes a cell, `""` inside quotes is a quote.
    static func splitCSV(_ line: Substring) -> [String] {
        var cells: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    // Either the closing quote or an escaped one.
                    var lookahead = iterator
                    if lookahead.next() == "\"" { current.append("\""); iterator = lookahead } else { quoted = false }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                cells.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        cells.append(current)
        return cells
    }
}
