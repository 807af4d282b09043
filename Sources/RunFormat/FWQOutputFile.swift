/// The output of LLNL's fixed-work-quanta benchmark (github.com/LLNL/system-noise):
/// - `fwq` writes `NAME_<thread>_times.dat`: one integer per line, the TSC
///   cycles each fixed amount of work took, with no header (the cycle rate must
///   be given: `analysis import --tsc-ghz`);
/// - `fwq-th` and `fwq-mpi` write one file: `Speed: thread <t>, cycles <c>,
///   seconds <s>, GHz <g>` lines, then per thread (or process) a line
///   `Thread <t> running on CPUs <list>` followed by its cycle counts.
///
/// Read for `analysis import`; kbench never writes this format.
public enum FWQOutputFile {
    public static let tool = "LLNL fwq"

    /// One sample: whose, and how many cycles the work took.
    public struct Sample: Sendable, Equatable {
        public var thread: Int
        /// The CPU the thread was bound to, when the file says (a single CPU).
        public var cpu: Int?
        public var cycles: Int64
    }

    /// What the `Speed:` lines say: each thread's measured cycle rate.
    public struct Header: Sendable, Equatable {
        public var ghzByThread: [Int: Double] = [:]
        public init() {}
    }

    /// Most threads a file may name (fwq-mpi runs one per core of a node).
    public static let maximumThreads = 1 << 16

    /// Calls `body(header, sample, line)` for every sample, in file order.
    /// `thread` is the section's number (0 for a file without sections).
    /// - Throws: `InputFileError` naming the file and line.
    @discardableResult
    public static func read(path: String, _ body: (Header, Sample, Int) throws -> Void) throws -> Header {
        var header = Header()
        var thread = 0, cpu: Int?
        var sawSection = false, rows = 0, lines = 0
        try ForeignTextLines.forEach(path: path, tool: tool) { line, number in
            lines = number
            let text = line.trimmingCharacters()
            if text.isEmpty { return }
            if text.hasPrefix("Speed:") {
                // "Speed: thread 0, cycles 61272148, seconds 0.025062, GHz 2.444828"
                let parts = text.dropFirst("Speed:".count).split(separator: ",").map { $0.trimmingCharacters() }
                guard parts.count == 4, let id = Int(parts[0].split(separator: " ").last ?? ""),
                      (0..<maximumThreads).contains(id),
                      let ghz = Double(parts[3].split(separator: " ").last ?? ""), ghz.isFinite, ghz > 0, ghz < 1000
                else {
                    throw InputFileError(path: path, line: number, problem: .notToolOutput(
                        tool: tool, reason: "a 'Speed:' line is not 'Speed: thread T, cycles C, seconds S, GHz G'"))
                }
                header.ghzByThread[id] = ghz
                return
            }
            if text.hasPrefix("Thread ") || text.hasPrefix("Process ") {
                // "Thread 0 running on CPUs 0" (fwq-mpi: "Process 0 running on CPUs 0-3")
                let words = text.split(separator: " ")
                guard words.count >= 2, let id = Int(words[1]), (0..<maximumThreads).contains(id) else {
                    throw InputFileError(path: path, line: number, problem: .notToolOutput(
                        tool: tool, reason: "a section line is not 'Thread T running on CPUs LIST'"))
                }
                thread = id
                cpu = words.count >= 6 ? Int(words[5]).flatMap { (0..<(1 << 20)).contains($0) ? $0 : nil } : nil
                sawSection = true
                return
            }
            let fields = ForeignTextLines.fields(text)
            guard fields.count == 1 else {
                throw InputFileError(path: path, line: number, problem: .wrongCellCount(expected: 1, found: fields.count))
            }
            if !header.ghzByThread.isEmpty, !sawSection {
                throw InputFileError(path: path, line: number, problem: .notToolOutput(
                    tool: tool, reason: "samples after 'Speed:' lines but before any 'Thread T running on CPUs' line"))
            }
            let cycles = try ForeignTextLines.count(fields[0], column: "cycles", path: path, line: number)
            rows += 1
            try body(header, Sample(thread: thread, cpu: cpu, cycles: cycles), number)
        }
        guard lines > 0 else { throw InputFileError(path: path, problem: .empty) }
        guard rows > 0 else { throw InputFileError(path: path, line: lines, problem: .noDataRows) }
        return header
    }
}
