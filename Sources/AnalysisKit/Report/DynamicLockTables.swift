import RunFormat

/// Uhlig's adaptive mechanisms, from a `lockbench dynamic` run: what a
/// (dynamic) lock costs on the IPC path (§6.2, summarized in §6.5), event
/// logging's configurations (a)–(f) (§6.3, Figs 6.7–6.9), and coarse against
/// fine locks when revoking permissions (§6.4, Figs 6.10–6.12).
enum DynamicLockTables {
    static func tables(_ measurements: [Measurement], floors: ReportFloors) -> [ReportTable] {
        [overhead(measurements, floors: floors), eventLogging(measurements, floors: floors),
         granularity(measurements, floors: floors)].compactMap { $0 }
    }

    /// ns per critical section with no lock, a disabled and an enabled dynamic
    /// lock and the plain locks, with the same-run ratios the tool wrote.
    static func overhead(_ measurements: [Measurement], floors: ReportFloors) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "dynamic_overhead" }
        let ops = rows.filter { $0.metric == "op" && $0.unit == "ns" }
        guard !ops.isEmpty else { return nil }
        let figure = PaperFigures.uhligLockOverhead
        let thesis: [String: String] = [
            "dynamic-disabled": "≈1 (lock eliminated)",
            "spin": "\(ReportNumber.format(figure.interSpace.0))–\(ReportNumber.format(figure.intraSpace.1))",
            "mcs": "\(ReportNumber.format(figure.interSpace.0))–\(ReportNumber.format(figure.intraSpace.1))",
        ]
        return ReportTable(
            title: "Dynamic locks: overhead on one CPU (Uhlig §6.2, §6.5)",
            note: "lockbench dynamic, median ns per critical section (a message copy). \"ratio\": the tool's same-run "
                + "ratio (dynamic-disabled and the plain locks to no lock, dynamic-X to X). Uhlig: locks cost "
                + "16–20% of inter-address-space IPC and 35–64% of intra-address-space IPC; disabling the dynamic lock "
                + "removes it.",
            header: ["lock", "ns", "× CAS", "ratio", "to", "Uhlig ratio"],
            rows: ops.map { m in
                let ratio = rows.first { $0.variant == m.variant && $0.metric.hasPrefix("ratio_to_") }
                return [m.variant, ReportNumber.format(m.statistics.p50), ReportNumber.multiple(m.statistics.p50, of: floors.casNs),
                        ReportNumber.format(ratio?.statistics.p50),
                        ratio.map { String($0.metric.dropFirst("ratio_to_".count)) } ?? "",
                        thesis[m.variant] ?? ""]
            })
    }

    /// One row per logging configuration: alone on one CPU (Figs 6.7/6.8) and
    /// on every CPU at once (Fig 6.9), as ns and as ratios to (a).
    static func eventLogging(_ measurements: [Measurement], floors: ReportFloors) -> ReportTable? {
        let alone = measurements.filter { $0.benchmark == "eventlog_overhead" }
        let scaling = measurements.filter { $0.benchmark == "eventlog_scaling" }
        let configurations = (alone + scaling).filter { $0.metric == "op" }.map(\.variant).uniqued().sorted()
        guard !configurations.isEmpty else { return nil }
        let counts = scaling.map(\.threads).uniqued().sorted()
        let meaning = Dictionary(uniqueKeysWithValues: [
            ("a", "no logging code"), ("b", "logging code, same domain"), ("c", "accounting only"),
            ("d", "one 4-byte entry"), ("e", "four entries"), ("f", "five entries with the TSC"),
        ])
        return ReportTable(
            title: "Event logging, configurations (a)–(f) (Uhlig §6.3, Figs 6.7–6.9)",
            note: "lockbench dynamic, median ns per logged operation and ratio to (a), alone on one CPU, then with "
                + "N CPUs logging at once. Uhlig (Xeon 2.2 GHz): (b) costs nothing measurable (sometimes less than "
                + "(a)), and every configuration costs the same on 1 to 8 CPUs (Fig 6.9).",
            header: ["config", "what", "ns", "× CAS", "÷ (a)"] + counts.flatMap { ["ns \($0) CPUs", "÷ (a) \($0) CPUs"] },
            rows: configurations.map { c in
                let op = ReportLookup.p50(alone, variant: c, metric: "op", unit: "ns")
                return [c, meaning[c] ?? "", ReportNumber.format(op), ReportNumber.multiple(op, of: floors.casNs),
                        ReportNumber.format(ReportLookup.p50(alone, variant: c, metric: "ratio_to_a", unit: "ratio"))]
                    + counts.flatMap { n in
                        [ReportNumber.format(ReportLookup.p50(scaling, variant: c, metric: "op", unit: "ns", threads: n)),
                         ReportNumber.format(ReportLookup.p50(scaling, variant: c, metric: "ratio_to_a", unit: "ratio", threads: n))]
                    }
            })
    }

    /// Revoking a permission on N map nodes under one coarse lock or one lock
    /// per node, alone and with every other CPU revoking single nodes
    /// (Fig 6.12's per-CPU cost is the helpers' column).
    static func granularity(_ measurements: [Measurement], floors: ReportFloors) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "granularity" && $0.unit == "ns" }
        guard !rows.isEmpty else { return nil }
        let nodes = rows.compactMap { ReportParameters($0.param)["nodes"].flatMap { Int($0) } }.uniqued().sorted()
        let parallel = rows.map(\.threads).filter { $0 > 1 }.uniqued().sorted().last
        func value(_ lock: String, _ metric: String, threads: Int?, nodes count: Int) -> Double? {
            guard let threads else { return nil }
            return ReportLookup.p50(rows, variant: lock, metric: metric, unit: "ns", threads: threads) {
                $0["nodes"] == String(count)
            }
        }
        let p = parallel.map(String.init) ?? "N"
        return ReportTable(
            title: "Lock granularity: coarse against fine (Uhlig §6.4, Figs 6.10–6.12)",
            note: "lockbench dynamic, median ns per node revoked, on one CPU and with \(p) CPUs at once; \"helper\": "
                + "the other CPUs' single-node revokes meanwhile (Fig 6.12). Uhlig: fine over coarse on one CPU "
                + "1.15 (64 pages), 1.24 (128), 1.32 (256) (Fig 6.10); one coarse-locked page costs 3.8× at 2 CPUs, "
                + "64 pages 1.93× (Fig 6.11b); fine-grained helpers stay flat, coarse ones grow (Fig 6.12).",
            header: ["nodes", "coarse", "fine", "fine ÷ coarse", "Uhlig", "coarse \(p) CPUs", "fine \(p) CPUs",
                     "helper coarse", "helper fine", "helper fine × CAS"],
            rows: nodes.map { n in
                let coarse = value("coarse", "revoke_per_node", threads: 1, nodes: n)
                let fine = value("fine", "revoke_per_node", threads: 1, nodes: n)
                let helperFine = value("fine", "helper_revoke", threads: parallel, nodes: n)
                return [String(n), ReportNumber.format(coarse), ReportNumber.format(fine),
                        ReportNumber.multiple(fine, of: coarse), ReportNumber.format(PaperFigures.uhligFineOverCoarse[n]),
                        ReportNumber.format(value("coarse", "revoke_per_node", threads: parallel, nodes: n)),
                        ReportNumber.format(value("fine", "revoke_per_node", threads: parallel, nodes: n)),
                        ReportNumber.format(value("coarse", "helper_revoke", threads: parallel, nodes: n)),
                        ReportNumber.format(helperFine), ReportNumber.multiple(helperFine, of: floors.casNs)]
            })
    }
}
