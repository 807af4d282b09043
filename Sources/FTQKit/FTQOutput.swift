import Platform
import BenchKit

/// Writes what the samplers recorded: ftq.csv or fwq.csv, streamed (a 10-minute
/// run is six million rows per CPU), and the summary measurements.
public enum FTQOutput {
    public static func write(_ records: [SamplerRecord], mode: FTQConfiguration.Mode,
                             firstStart: UInt64, clock: TSCClock, to directory: RunDirectory) throws {
        let name = mode == .ftq ? "ftq.csv" : "fwq.csv"
        let writer = try directory.streamingWriter(for: name)
        try writer.write(mode == .ftq ? "thread,cpu,quantum,start_ns,work\n"
                                      : "thread,cpu,index,start_ns,duration_ns\n")
        let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        for record in records {
            let starts = record.starts.prefix(record.count)
            let values = record.values.prefix(record.count)
            for index in 0..<record.count {
                try writer.write(UInt64(record.thread)); try writer.write(byte: comma)
                try writer.write(UInt64(record.cpu)); try writer.write(byte: comma)
                try writer.write(UInt64(index)); try writer.write(byte: comma)
                let offset = Double(Int64(bitPattern: starts[index] &- firstStart))
                try writer.write(Int64(clock.nanoseconds(offset).rounded())); try writer.write(byte: comma)
                switch mode {
                case .ftq: try writer.write(values[index])
                case .fwq: try writer.write(UInt64(clock.nanoseconds(values[index]).rounded()))
                }
                try writer.write(byte: newline)
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
