import RunFormat

/// Thesis chapter 5's queues from `ctxbench queue` runs: ns per message,
/// throughput and memory of UCQ and BCQ beside the mutex deque and
/// Concurrency Kit, one row per queue and producer/consumer shape.
enum QueueTables {
    static func tables(_ measurements: [Measurement]) -> [ReportTable] {
        let rows = measurements.filter { $0.benchmark == "queue" }
        let times = rows.filter { $0.metric == "time_per_message" && $0.unit == "ns" }
        guard !times.isEmpty else { return [] }
        func value(_ like: Measurement, _ metric: String) -> Double? {
            rows.first { $0.variant == like.variant && $0.param == like.param && $0.metric == metric }?.statistics.p50
        }
        func shape(_ m: Measurement) -> String {
            let p = ReportParameters(m.param)
            return "\(p["producers"] ?? "?")P/\(p["consumers"] ?? "?")C"
        }
        return [ReportTable(
            title: "Event queues: UCQ and BCQ beside a mutex deque and Concurrency Kit",
            note: "ctxbench queue, medians over rounds; exactly-once checked in every run. Latency is produce to "
                + "consume, from each message's TSC stamp. The thesis packs 127 messages of 32 bytes into a 4 KiB page.",
            header: ["shape", "queue", "ns per message", "messages/s", "latency p50 ns", "peak memory", "final memory"],
            rows: times.sorted { (shape($0), $0.variant) < (shape($1), $1.variant) }.map { m in
                [shape(m), m.variant + (m.param.hasSuffix(";collapsed") ? " (collapsed: what it delivered in its budget)" : ""),
                 ReportNumber.format(m.statistics.p50),
                 ReportNumber.format(value(m, "throughput")), ReportNumber.format(value(m, "latency")),
                 ReportNumber.format(value(m, "peak_memory")), ReportNumber.format(value(m, "final_memory"))]
            })]
    }
}
