import RunFormat

/// What identifies one metric across two runs, so the gate compares like with
/// like: the tool that measured it, then summary.csv's identifying columns.
/// Layout-independent: a suite that moves a run to another sub-directory
/// still matches its baseline.
public struct MetricKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var tool: String
    public var benchmark: String
    public var variant: String
    public var threads: Int
    public var param: String
    public var metric: String
    public var unit: String
    /// The run's directory relative to the compared directory, set only when
    /// the other fields alone are ambiguous (two runs of one tool measuring
    /// the same thing in one suite).
    public var location: String = ""

    public init(tool: String, benchmark: String, variant: String, threads: Int, param: String, metric: String,
                unit: String, location: String = "") {
        self.tool = tool
        self.benchmark = benchmark
        self.variant = variant
        self.threads = threads
        self.param = param
        self.metric = metric
        self.unit = unit
        self.location = location
    }

    public init(tool: String, _ m: Measurement) {
        self.init(tool: tool, benchmark: m.benchmark, variant: m.variant, threads: m.threads, param: m.param,
                  metric: m.metric, unit: m.unit)
    }

    init(tool: String, _ row: TrialsFile.Row) {
        self.init(tool: tool, benchmark: row.benchmark, variant: row.variant, threads: row.threads, param: row.param,
                  metric: row.metric, unit: row.unit)
    }

    /// One line: `ctxbench floor/syscall_getppid threads=1 [iterations=100000] syscall (ns)`.
    public var description: String {
        var text = "\(tool) \(benchmark)"
        if !variant.isEmpty { text += "/\(variant)" }
        text += " threads=\(threads)"
        if !param.isEmpty { text += " [\(param)]" }
        text += " \(metric) (\(unit))"
        if !location.isEmpty { text += " @\(location)" }
        return text
    }

    public static func < (a: MetricKey, b: MetricKey) -> Bool {
        // Tuples compare up to six elements: the identifying fields, then the rest.
        let first = (a.tool, a.benchmark, a.variant, a.threads, a.param)
        let other = (b.tool, b.benchmark, b.variant, b.threads, b.param)
        if first != other { return first < other }
        return (a.metric, a.unit, a.location) < (b.metric, b.unit, b.location)
    }
}
