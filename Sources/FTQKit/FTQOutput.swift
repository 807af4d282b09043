import Platform
import BenchKit
import RunFormat

/// Writes what the samplers recorded: ftq.csv or fwq.csv, streamed (a 10-minute
/// run is six million rows per CPU), and the summary measurements.
public enum FTQOutput {
    public static func write(_ records: [SamplerRecord], mode: FTQConfiguration.Mode,
                             firstStart: UInt64, clock: TSCClock, to directory: RunDirectory) throws {
        let format = SamplerTraceFile(mode == .ftq ? .ftq : .fwq)
        let writer = try SamplerTraceFile.Writer(format, path: directory.file(format.name))
        for record in records {
            let starts = record.starts.prefix(record.count)
            let values = record.values.prefix(record.count)
            for index in 0..<record.count {
                let offset = Double(Int64(bitPattern: starts[index] &- firstStart))
                let value = switch mode {
                case .ftq: values[index]
                case .fwq: UInt64(clock.nanoseconds(values[index]).rounded())
                }
                try writer.append(thread: record.thread, cpu: record.cpu, index: index,
                                  startNs: Int64(clock.nanoseconds(offset).rounded()), value: value)
            }
        }
        try writer.commit()
    }

    /// One measurement per sampler: work per quantum (FTQ) or ns per sample (FWQ).
    public static func measurements(_ records: [SamplerRecord], configuration: FTQConfiguration,
                                    clock: TSCClock) -> [Measurement] {
        records.compactMap { record in
            let raw = record.values.prefix(record.count)
            let values = configuration.mode == .ftq ? raw.map { Double($0) } : raw.map { clock.nanoseconds($0) }
            guard let statistics = SampleStatistics(values) else { return nil }
            let quantum = "quantum_us=\(CSVFormat.number(configuration.quantumNs / 1000))"
            return configuration.mode == .ftq
                ? Measurement(benchmark: "ftq", variant: "cpu\(record.cpu)", threads: records.count,
                              param: quantum, metric: "work_per_quantum", unit: "units",
                              lowerIsBetter: false, statistics: statistics)
                : Measurement(benchmark: "fwq", variant: "cpu\(record.cpu)", threads: records.count,
                              param: quantum, metric: "sample_duration", unit: "ns",
                              lowerIsBetter: true, statistics: statistics)
        }
    }
}
