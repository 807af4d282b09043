import RunFormat

/// `analysis report`: the tables of the papers, filled with this machine's
/// runs, each beside the papers' figures and this machine's floors. Rows no
/// table claims are listed at the end, so nothing a run measured is hidden.
public struct Report: Sendable {
    public var tables: [ReportTable]
    /// "run/plot.png" for every plot of every run.
    public var plots: [String]

    public init(runs: [ReportRun]) {
        let measurements = runs.flatMap(\.measurements)
        let floors = ReportFloors(measurements)
        var tables: [ReportTable] = []
        if !floors.isEmpty { tables.append(floors.table()) }
        tables += NoiseTables.tables(runs)
        tables += LockTables.tables(measurements, floors: floors)
        tables += SwitchTables.tables(measurements)
        tables += CrossCPUTables.tables(measurements, floors: floors)
        tables += InterProcessorTables.tables(measurements, floors: floors)
        tables += DynamicLockTables.tables(measurements, floors: floors)
        tables += QueueTables.tables(measurements)
        let others = measurements.filter { !Self.isShownInATable($0) }
        if !others.isEmpty { tables.append(Self.otherMeasurements(others, floors: floors)) }
        self.tables = tables
        plots = runs.flatMap { run in run.plots.map { run.path == "." ? $0 : run.path + "/" + $0 } }
    }

    public func render(_ format: ReportTable.Format) -> String {
        var parts = tables.map { $0.render(format) }
        if !plots.isEmpty {
            switch format {
            case .markdown:
                parts.append((["### Plots", ""] + plots.map { "- [\($0)](\($0))" }).joined(separator: "\n"))
            case .text:
                parts.append((["Plots", "====="] + plots).joined(separator: "\n"))
            }
        }
        let heading = format == .markdown ? "## kbench report\n\n" : ""
        return heading + parts.joined(separator: "\n\n") + "\n"
    }

    /// Whether one of the tables above shows this row (in ns or, for the
    /// same figure, ticks); the rest go to "Other measurements".
    static func isShownInATable(_ m: Measurement) -> Bool {
        switch m.benchmark {
        case "floor", "ftq", "fwq", "ftq_noise", "lockbench", "switch", "ipi", "forkjoin": return true
        case "c2c": return m.unit == "ns" || m.unit == "ticks"
        case "dynamic_overhead": return m.metric == "op" || m.metric.hasPrefix("ratio_to_")
        case "eventlog_overhead", "eventlog_scaling": return m.metric == "op" || m.metric == "ratio_to_a"
        case "granularity": return m.unit == "ns"
        case "ipc": return m.metric == "round_trip"
        case "remote_op": return m.metric == "insert" || m.metric == "message_over_lock"
        case "queue": return ["time_per_message", "throughput", "latency", "peak_memory", "final_memory"].contains(m.metric)
        default: return false
        }
    }

    /// Every other summary row: benchmark, variant, threads, parameter, metric
    /// and median, and ns figures as multiples of the CAS and system-call floors.
    static func otherMeasurements(_ rows: [Measurement], floors: ReportFloors) -> ReportTable {
        ReportTable(
            title: "Other measurements",
            note: "Medians. ns figures also as multiples of the uncontended CAS and of a system call.",
            header: ["benchmark", "variant", "threads", "param", "metric", "p50", "unit", "× CAS", "× syscall"],
            rows: rows.map { m in
                let ns = m.unit == "ns" ? m.statistics.p50 : nil
                return [m.benchmark, m.variant, String(m.threads), m.param, m.metric,
                        ReportNumber.format(m.statistics.p50), m.unit,
                        ns == nil ? "" : ReportNumber.multiple(ns, of: floors.casNs),
                        ns == nil ? "" : ReportNumber.multiple(ns, of: floors.systemCallNs)]
            })
    }
}
