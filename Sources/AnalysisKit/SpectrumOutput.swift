import RunFormat

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
            let writer = try SpectrumFile.Writer(path: directory.file(SpectrumFile.name), threaded: several)
            for analysis in analyses { try analysis.spectrum.write(to: writer, thread: several ? analysis.thread : nil) }
            try writer.commit()
        }
        for (index, zoom) in (analyses.first?.zooms ?? []).enumerated() where spectra != .none {
            let writer = try SpectrumFile.Writer(path: directory.file(SpectrumFile.zoomName(hz: zoom.hz)),
                                                 threaded: several)
            for analysis in analyses {
                try analysis.zooms[index].spectrum.write(to: writer, thread: several ? analysis.thread : nil)
            }
            try writer.commit()
        }
        let peaks = analyses.flatMap { analysis in
            analysis.peaks.map { $0.fileRow(thread: several ? analysis.thread : nil) }
        }
        try PeaksFile.write(peaks, threaded: several, to: directory.file(PeaksFile.name))
        try NoiseFile.write(noiseRows(analyses), to: directory.file(NoiseFile.name))
    }

    /// noise.csv: every summary metric of every thread.
    public static func noiseRows(_ analyses: [ThreadAnalysis]) -> [NoiseFile.Row] {
        analyses.flatMap { analysis in
            analysis.summary.metrics.map {
                NoiseFile.Row(thread: analysis.thread, cpu: analysis.cpu, metric: $0.name, unit: $0.unit, value: $0.value)
            }
        }
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
}
