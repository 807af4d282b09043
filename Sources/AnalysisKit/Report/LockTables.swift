import RunFormat

/// Thesis Tables 6.1 and 6.2 (lock acquisition latency in TSC ticks, with
/// quantiles) and the preemption runs of Figs 6.4–6.6, from lockbench runs.
enum LockTables {
    static func tables(_ measurements: [Measurement], floors: ReportFloors) -> [ReportTable] {
        let lockRows = measurements.filter { $0.benchmark == "lockbench" }
        let steady = lockRows.filter { !$0.param.contains("preempt=") }
        let preempted = lockRows.filter { $0.param.contains("preempt=") }
        var tables: [ReportTable] = []
        let spin = latencyTable(
            title: "Table 6.1: spinlock acquisition latency (ticks)",
            locks: ["spin", "ttas", "ticket", "spin-pdr", "pthread"], rows: steady, floors: floors,
            thesis: { lock, threads in
                guard let figures = PaperFigures.table61MedianTicks[threads] else { return nil }
                return lock == "spin-pdr" ? figures.pdr : lock == "pthread" ? nil : figures.linux
            })
        let mcs = latencyTable(
            title: "Table 6.2: MCS lock acquisition latency (ticks)",
            locks: ["mcs", "mcs-pdro", "mcs-pdrn"], rows: steady, floors: floors,
            thesis: { lock, threads in
                guard let figures = PaperFigures.table62MedianTicks[threads] else { return nil }
                switch lock {
                case "mcs-pdro": return figures.pdro
                case "mcs-pdrn": return figures.pdrn
                default: return figures.linux
                }
            })
        tables += [spin, mcs].compactMap { $0 }
        if let storm = preemptionTable(preempted) { tables.append(storm) }
        return tables
    }

    /// One row per lock and thread count: the quantiles of acquire_latency in
    /// ticks, the median as a multiple of the CAS floor, and the thesis' median
    /// at the same thread count (the thesis ran 1, 4 and 31).
    static func latencyTable(title: String, locks: [String], rows: [Measurement], floors: ReportFloors,
                             thesis: (String, Int) -> Double?) -> ReportTable? {
        var cells: [[String]] = []
        for lock in locks {
            let latencies = rows.filter { $0.variant == lock && $0.metric == "acquire_latency" }
            for ticks in latencies.filter({ $0.unit == "ticks" }).sorted(by: { $0.threads < $1.threads }) {
                let ns = latencies.first { $0.unit == "ns" && $0.threads == ticks.threads && $0.param == ticks.param }
                let s = ticks.statistics
                cells.append([lock, String(ticks.threads)]
                    + [s.mean, s.std, s.min, s.max, s.p50, s.p75, s.p90, s.p99, s.p999].map(ReportNumber.format)
                    + [ReportNumber.multiple(ns?.statistics.p50, of: floors.casNs),
                       ReportNumber.format(thesis(lock, ticks.threads))])
            }
        }
        guard !cells.isEmpty else { return nil }
        return ReportTable(
            title: title,
            note: "This machine, lockbench run. \"p50 × CAS\": median in ns over the uncontended-CAS floor. "
                + "\"thesis p50\": Rhoden's median on c89 (2.59 ticks/ns) at the same thread count (he ran 1, 4 and 31).",
            header: ["lock", "threads", "mean", "std", "min", "max", "p50", "p75", "p90", "p99", "p99.9",
                     "p50 × CAS", "thesis p50"],
            rows: cells)
    }

    /// Figs 6.4–6.6: throughput and preemption messages under injected
    /// preemption, with how fast the lock recovered.
    static func preemptionTable(_ rows: [Measurement]) -> ReportTable? {
        struct Key: Hashable { var lock: String, threads: Int, param: String }
        let runs = Dictionary(grouping: rows) { Key(lock: $0.variant, threads: $0.threads, param: $0.param) }
        guard !runs.isEmpty else { return nil }
        func value(_ metrics: [Measurement], _ metric: String, unit: String? = nil) -> Double? {
            metrics.first { $0.metric == metric && (unit == nil || $0.unit == unit) }?.statistics.p50
        }
        let order = ["mcs", "mcs-pdro", "mcs-pdrn", "spin", "spin-pdr"]
        let keys = runs.keys.sorted {
            let a = order.firstIndex(of: $0.lock) ?? order.count, b = order.firstIndex(of: $1.lock) ?? order.count
            return (a, $0.lock, $0.threads, $0.param) < (b, $1.lock, $1.threads, $1.param)
        }
        let cells = keys.map { key -> [String] in
            let m = runs[key]!
            let rounds = value(m, "preemption_rounds"), stalled = value(m, "rounds_with_stalled_window")
            return [key.lock, String(key.threads), key.param.replacing("hold_ns=0 delay_ns=0 ", with: ""),
                    ReportNumber.format(value(m, "throughput", unit: "acquisitions_per_ms")),
                    ReportNumber.format(value(m, "preemption_messages")),
                    ReportNumber.format(value(m, "windows_without_acquisition_in_rounds")),
                    ReportNumber.format(value(m, "windows_without_acquisition_outside_rounds")),
                    rounds.map { "\(ReportNumber.format(stalled)) of \(ReportNumber.format($0))" } ?? "n/a",
                    ReportNumber.format(value(m, "recovery_time", unit: "ns").map { $0 / 1000 })]
        }
        return ReportTable(
            title: "Figs 6.4–6.6: MCS locks under emulated preemption",
            note: "Median acquisitions per ms, preemption messages sent, 1 ms windows without an acquisition inside "
                + "and outside the injected rounds, rounds that stalled, median recovery (preemption to next "
                + "acquisition). Thesis (31 vcores): MCS-PDRO's storm sent \(ReportNumber.format(PaperFigures.stormMessages.pdro)) "
                + "messages, MCS-PDRN \(ReportNumber.format(PaperFigures.stormMessages.pdrn)).",
            header: ["lock", "vcores", "param", "acq/ms", "messages", "empty ms in rounds", "empty ms outside",
                     "stalled rounds", "recovery p50 µs"],
            rows: cells)
    }
}
