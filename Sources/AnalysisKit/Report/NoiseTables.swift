import RunFormat

/// The FTQ noise summary (thesis chapter 4's FTQ figures, one row per sampler
/// CPU) and the strongest peaks of its spectrum with their likely sources.
enum NoiseTables {
    static func tables(_ runs: [ReportRun]) -> [ReportTable] {
        var tables: [ReportTable] = []
        let all = runs.flatMap(\.measurements)
        let noise = all.filter { $0.benchmark == "ftq_noise" }
        let work = all.filter { ($0.benchmark == "ftq" || $0.benchmark == "fwq") && $0.metric == "work_per_quantum" }
        let cpus = Set(noise.map(\.variant)).union(work.map(\.variant)).sorted()
        if !cpus.isEmpty {
            func metric(_ cpu: String, _ name: String) -> Double? {
                noise.first { $0.variant == cpu && $0.metric == name }?.statistics.p50
            }
            let rows = cpus.map { cpu -> [String] in
                let w = work.first { $0.variant == cpu }
                return [cpu, w.map(\.param) ?? "n/a", ReportNumber.format(w?.statistics.p50),
                        ReportNumber.percent(metric(cpu, "work_cv")), ReportNumber.format(metric(cpu, "deviations")),
                        ReportNumber.format(metric(cpu, "zero_work_quanta")),
                        ReportNumber.percent(metric(cpu, "fraction_lost")), ReportNumber.format(metric(cpu, "noise_floor"))]
            }
            tables.append(ReportTable(
                title: "FTQ noise summary",
                note: "Median work per quantum, its coefficient of variation, quanta deviating more than the "
                    + "threshold from the median, quanta with no work, the share of time lost, and the spectrum's "
                    + "noise floor (work²/Hz).",
                header: ["cpu", "quantum", "work p50", "CV", "deviating quanta", "empty quanta", "time lost",
                         "noise floor"],
                rows: rows))
        }
        let peaks = runs.flatMap { run in run.peaks.map { (run.path, $0) } }
        if !peaks.isEmpty {
            // Fundamentals only: a harmonic is the same source again.
            let strongest = peaks.filter { $0.1.harmonicOfHz == $0.1.frequencyHz }
                .sorted { $0.1.prominenceDb > $1.1.prominenceDb }.prefix(8)
            tables.append(ReportTable(
                title: "FTQ spectrum: strongest peaks",
                note: "Fundamentals by prominence over the local noise floor, with the likely source.",
                header: ["run", "Hz", "dB over floor", "source"],
                rows: strongest.map { path, peak in
                    [path, ReportNumber.format(peak.frequencyHz), ReportNumber.format(peak.prominenceDb), peak.label]
                }))
        }
        return tables
    }
}
