import RunFormat

/// Völp's two hardware measurements, from `ctxbench ipi` and `ctxbench c2c`
/// runs: what an IPI costs its sender and its victim (§3.3.1), and what moving
/// a cache line between CPUs costs (§3.2.2, Table 2). Völp counted processor
/// cycles on a Pentium III; this machine's TSC ticks stand beside them.
enum InterProcessorTables {
    static func tables(_ measurements: [Measurement], floors: ReportFloors) -> [ReportTable] {
        [ipis(measurements, floors: floors), coreToCore(measurements, floors: floors)].compactMap { $0 }
    }

    /// One row per operation: the sender's cost, the IPIs /proc/interrupts
    /// saw per operation, and the time each took from the victim's loop.
    static func ipis(_ measurements: [Measurement], floors: ReportFloors) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "ipi" }
        let operations = rows.map(\.variant).uniqued()
        guard !operations.isEmpty else { return nil }
        let delivery = PaperFigures.voelpIPIDeliveryCycles, interruption = PaperFigures.voelpIPIInterruptionCycles
        return ReportTable(
            title: "IPIs: delivery and interruption (Völp §3.3.1)",
            note: "ctxbench ipi, medians. \"sender\": the operation's cost to the CPU that causes the IPI; "
                + "\"IPIs/op\": counted in /proc/interrupts on the victim; \"victim loss\": time the victim's TSC loop "
                + "lost per IPI. Völp (Pentium III 450 MHz, cycles): delivery "
                + "\(ReportNumber.format(delivery.low))–\(ReportNumber.format(delivery.high)), the victim interrupted for "
                + "\(ReportNumber.format(interruption.low))–\(ReportNumber.format(interruption.high)) plus its handler.",
            header: ["operation", "sender ns", "sender ticks", "× syscall", "IPIs/op", "victim loss ns",
                     "victim loss ticks", "× syscall", "gaps/IPI"],
            rows: operations.map { operation in
                let p50 = { (metric: String, unit: String) in
                    ReportLookup.p50(rows, variant: operation, metric: metric, unit: unit)
                }
                let sender = p50("initiator_latency", "ns"), loss = p50("victim_time_per_ipi", "ns")
                return [operation, ReportNumber.format(sender), ReportNumber.format(p50("initiator_latency", "ticks")),
                        ReportNumber.multiple(sender, of: floors.systemCallNs),
                        ReportNumber.format(p50("ipis_per_op", "count")), ReportNumber.format(loss),
                        ReportNumber.format(p50("victim_time_per_ipi", "ticks")),
                        ReportNumber.multiple(loss, of: floors.systemCallNs),
                        ReportNumber.format(p50("victim_gaps_per_ipi", "count"))]
            })
    }

    /// One row per ordered CPU pair and transfer: ns and ticks, as a multiple
    /// of the floors' round trip, beside Völp's cycles for the same MESI move.
    static func coreToCore(_ measurements: [Measurement], floors: ReportFloors) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "c2c" && $0.unit == "ns" }
        guard !rows.isEmpty else { return nil }
        let mesi = Dictionary(uniqueKeysWithValues: PaperFigures.voelpMESICyclesPerLine.map { ($0.transition, $0.cycles) })
        // Völp's Table 2 moves one line one way; a CAS round trip moves it there and back.
        let voelp: [String: String] = [
            "read_modified": "M to S: \(ReportNumber.format(mesi["M to S"]))",
            "write_modified": "M to M: \(ReportNumber.format(mesi["M to M"]))",
            "cas_round_trip": "2 × M to M: \(ReportNumber.format(mesi["M to M"].map { $0 * 2 }))",
        ]
        return ReportTable(
            title: "Core to core: a cache line between CPUs (Völp §3.2.2, Table 2)",
            note: "ctxbench c2c, medians per ordered pair (the first CPU measures, the second holds the line). "
                + "\"× round trip\": over the floors' core-to-core CAS round trip. Völp: cycles per line on a dual "
                + "Pentium III 450 MHz (440BX, 100 MHz bus).",
            header: ["transfer", "CPUs", "relation", "ns", "ticks", "× CAS", "× round trip", "Völp cycles"],
            rows: rows.map { m in
                let ticks = measurements.first {
                    $0.benchmark == "c2c" && $0.unit == "ticks" && $0.variant == m.variant && $0.metric == m.metric
                        && $0.param == m.param
                }
                return [m.metric, m.variant.replacing("cpu", with: "").replacing("_", with: "→"),
                        ReportParameters(m.param)["relation"] ?? "", ReportNumber.format(m.statistics.p50),
                        ReportNumber.format(ticks?.statistics.p50), ReportNumber.multiple(m.statistics.p50, of: floors.casNs),
                        ReportNumber.multiple(m.statistics.p50, of: floors.roundTripNs), voelp[m.metric] ?? ""]
            })
    }
}
