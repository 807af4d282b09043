import BenchKit

/// Writes what `analysis spectrum` computed into a run directory:
/// `spectrum.csv`, `spectrum_<Z>hz.csv` per zoom, `peaks.csv`, `noise.csv`,
/// and the summary measurements. With several sampler threads every file gets a
/// leading `thread` column and holds all threads.
public enum SpectrumOutput {
    /// Which spectrum files to write.
    public enum Spectra: String, Sendable, CaseIterable {
        case all, zooms, none
    }

    public static func write(_ analyses: [ThreadAnalysis], spectra: Spectra = .all, to directory: RunDirectory) throws {
        let several = analyses.count > 1
        if spectra == .all {
            try directory.write(concatenated(analyses.map { $0.spectrum.table(thread: several ? $0.thread : nil) }),
                                as: "spectrum.csv")
        }
        for (index, zoom) in (analyses.first?.zooms ?? []).enumerated() where spectra != .none {
            let tables = analyses.map { $0.zooms[index].spectrum.table(thread: several ? $0.thread : nil) }
            try directory.write(concatenated(tables), as: "spectrum_\(CSVFormat.number(zoom.hz))hz.csv")
        }
        try directory.write(concatenated(analyses.map { LabelledPeak.table($0.peaks, thread: several ? $0.thread : nil) }),
                            as: "peaks.csv")
        var noise = CSVTable(header: ["thread", "cpu", "metric", "unit", "value"])
        for analysis in analyses {
            for metric in analysis.summary.metrics {
                noise.append([String(analysis.thread), String(analysis.cpu), metric.name, metric.unit,
                              CSVFormat.number(metric.value)])
            }
        }
        try directory.write(noise, as: "noise.csv")
    }

    /// summary.csv rows: each noise metric of each thread as a single-valued row
    /// (n = 1). The work distribution itself is ftq's own summary row.
    public static func measurements(_ analyses: [ThreadAnalysis]) -> [Measurement] {
        analyses.flatMap { analysis in
            analysis.summary.metrics.compactMap { metric -> Measurement? in
                guard let lowerIsBetter = metric.lowerIsBetter, metric.value.isFinite,
                      !metric.name.hasPrefix("work_") || metric.name == "work_cv" else { return nil }
                return Measurement(benchmark: "ftq_noise", variant: "cpu\(analysis.cpu)", threads: analyses.count,
                                   param: "sample_rate_hz=\(CSVFormat.number(analysis.summary.sampleRateHz))",
                                   metric: metric.name, unit: metric.unit, lowerIsBetter: lowerIsBetter,
                                   statistics: SampleStatistics(sorted: [metric.value]))
            }
        }
    }

    /// Tables with the same header, one after the other, rows made on demand.
    static func concatenated(_ tables: [CSVTable]) -> CSVTable {
        guard tables.count > 1, let first = tables.first else { return tables.first ?? CSVTable(header: []) }
        var offsets: [Int] = []
        var total = 0
        for table in tables { offsets.append(total); total += table.rowCount }
        let starts = offsets
        return CSVTable(header: first.header, rowCount: total) { index in
            var table = starts.count - 1
            while starts[table] > index { table -= 1 }
            return tables[table].row(index - starts[table])
        }
    }
}
