import SystemPackage

/// bsp.csv: what each step of `ftq --mode bsp` took on this rank,
/// `step,start_ns,compute_ns,step_ns`. A step computes a fixed amount of work
/// (sized to the quantum Q on a quiet CPU, the same on every rank) and then
/// meets every other rank at a barrier; `start_ns` counts from the run's start
/// (meta.json's `launch.time_zero_realtime_ns`, as ftq.csv), `compute_ns` is the
/// work alone (Q plus the noise this rank took), `step_ns` the work plus the
/// wait at the barrier: the next step starts when the barrier lets the rank go,
/// so `step_ns` is what a bulk-synchronous job feels, the slowest rank's noise.
public enum BSPStepsFile {
    public static let name = "bsp.csv"
    public static let header = ["step", "start_ns", "compute_ns", "step_ns"]

    public struct Row: Sendable, Equatable {
        public var step: Int
        public var startNs: Int64
        public var computeNs: Int64
        public var stepNs: Int64

        public init(step: Int, startNs: Int64, computeNs: Int64, stepNs: Int64) {
            self.step = step
            self.startNs = startNs
            self.computeNs = computeNs
            self.stepNs = stepNs
        }
    }

    public static func table(_ rows: [Row]) -> CSVTable {
        CSVTable(header: header, rows: rows.map {
            [String($0.step), String($0.startNs), String($0.computeNs), String($0.stepNs)]
        })
    }

    public static func write(_ rows: [Row], to path: FilePath) throws {
        try table(rows).write(to: path)
    }

    /// The steps in file order.
    /// - Throws: `InputFileError` naming the file and line of the first bad row
    ///   (a negative time, a step shorter than its computation).
    public static func read(path: String) throws -> [Row] {
        let (_, records) = try CSVRecord.read(path: path, required: header, allowEmpty: true)
        return try records.map { r in
            let row = Row(step: try r.count(0), startNs: Int64(try r.count(1)), computeNs: Int64(try r.count(2)),
                          stepNs: Int64(try r.count(3)))
            guard row.stepNs >= row.computeNs else {
                throw r.error(.outOfRange(column: "step_ns", cell: String(row.stepNs),
                                          allowed: "must be at least compute_ns (\(row.computeNs))"))
            }
            return row
        }
    }
}
