/// A problem with an input file (any file of a run directory: ftq.csv, interrupts.csv, meta.json), reported as one line
/// that names the file and, when there is one, the line: `ftq.csv:17: column 'work':
/// 'abc' is not a number`. The `analysis` tool prints `description` and exits non-zero.
public struct InputFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Problem: Sendable, Equatable {
        /// open(2) failed; the string is strerror(errno).
        case cannotOpen(String)
        /// read(2) failed; the string is strerror(errno).
        case readFailed(String)
        /// The file has no bytes (or only blank lines).
        case empty
        /// A header and no data rows.
        case noDataRows
        /// A column the format requires is not in the header.
        case missingColumn(String)
        /// A cell that must be a number is not one.
        case notANumber(column: String, cell: String)
        /// A row with a different number of cells than the header.
        case wrongCellCount(expected: Int, found: Int)
        /// A line longer than the read buffer (1 MiB): not a CSV this reader accepts.
        case lineTooLong(limit: Int)
        /// `start_ns` not strictly increasing within a thread.
        case unsortedTimestamps(thread: Int, previousNs: Int64, currentNs: Int64)
        /// `start_ns` not in the slot one quantum after the previous quantum: the file
        /// mixes quantum lengths, or rows are missing.
        case mixedQuantum(thread: Int, startNs: Int64, expectedNs: Int64, quantumNs: Double)
        /// A thread with a single quantum and no sample rate given: nothing to infer it from.
        case cannotInferQuantum(thread: Int)
        /// A counter that went backwards (`after` < `before` in interrupts.csv).
        case counterWentBackwards(before: UInt64, after: UInt64)
        /// A cell that must be `true` or `false` is not.
        case notABoolean(column: String, cell: String)
        /// A JSON file (meta.json) that does not decode; the string says where and why.
        case invalidJSON(String)
        /// A number that parses but is outside what its column can mean (a negative
        /// work count, a start before the run's start, a count past 2^53); `allowed`
        /// says what the column accepts.
        case outOfRange(column: String, cell: String, allowed: String)
        /// A thread with fewer quanta than an analysis needs.
        case tooFewQuanta(thread: Int, count: Int, minimum: Int)
        /// A quantum length (given, or inferred from the `start_ns` spacing) that no
        /// sampler runs at.
        case implausibleQuantum(thread: Int, quantumNs: Double)
        /// A file larger than the reader accepts (a meta.json is read whole).
        case fileTooLarge(limit: Int)
        /// A restore file that does not decode, or names a file or value kbench does
        /// not manage; the string says which and why.
        case invalidRestoreFile(String)
        /// Another tool's output (`analysis import`) that is not in the shape
        /// that tool writes; the string says what was expected.
        case notToolOutput(tool: String, reason: String)
    }

    /// The file, as the caller named it.
    public var path: String
    /// 1-based line number in the file (the header is line 1), when the problem has one.
    public var line: Int?
    public var problem: Problem

    public init(path: String, line: Int? = nil, problem: Problem) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    /// Always one line: control characters from the file (a CR or NUL inside a
    /// cell, a newline in a JSON key) or from the path are shown escaped.
    public var description: String {
        let location = line.map { "\(path):\($0)" } ?? path
        return Self.oneLine("\(location): \(message)")
    }

    /// `text` with every control character written as `\u{XX}`, so a hostile cell
    /// cannot split the error over several lines or move the terminal's cursor.
    static func oneLine(_ text: String) -> String {
        func breaks(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
        guard text.unicodeScalars.contains(where: breaks) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if breaks(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private var message: String {
        switch problem {
        case .cannotOpen(let reason): return "cannot open: \(reason)"
        case .readFailed(let reason): return "read failed: \(reason)"
        case .empty: return "file is empty"
        case .noDataRows: return "header only, no data rows"
        case .missingColumn(let name): return "missing column '\(name)' in the header"
        case .notANumber(let column, let cell): return "column '\(column)': '\(cell)' is not a number"
        case .wrongCellCount(let expected, let found):
            return "expected \(expected) cells as in the header, found \(found)"
        case .lineTooLong(let limit): return "line longer than \(limit) bytes"
        case .unsortedTimestamps(let thread, let previous, let current):
            return "thread \(thread): start_ns \(current) is not after the previous quantum's \(previous) (timestamps must increase within a thread)"
        case .mixedQuantum(let thread, let start, let expected, let quantum):
            return "thread \(thread): start_ns \(start) is not within one quantum of the expected \(expected) (quantum \(quantum) ns): mixed quantum lengths or missing rows"
        case .cannotInferQuantum(let thread):
            return "thread \(thread) has a single quantum: cannot infer the sample rate; give it explicitly"
        case .counterWentBackwards(let before, let after):
            return "counter went backwards (before \(before), after \(after))"
        case .notABoolean(let column, let cell): return "column '\(column)': '\(cell)' is not true or false"
        case .invalidJSON(let reason): return "not a kbench meta.json: \(reason)"
        case .outOfRange(let column, let cell, let allowed):
            return "column '\(column)': '\(cell)' is out of range (\(allowed))"
        case .tooFewQuanta(let thread, let count, let minimum):
            return "thread \(thread) has \(count) quanta; the analysis needs at least \(minimum)"
        case .implausibleQuantum(let thread, let quantumNs):
            return "thread \(thread): a quantum of \(quantumNs) ns is outside 1 ns to 1 hour: not a sampler's quantum"
        case .fileTooLarge(let limit): return "file larger than \(limit) bytes"
        case .invalidRestoreFile(let reason): return "not a kbench restore file: \(reason)"
        case .notToolOutput(let tool, let reason): return "not \(tool) output: \(reason)"
        }
    }
}
