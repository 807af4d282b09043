import RunFormat

/// Uhlig's IPC size sweep, his lock-versus-message comparison and his
/// fork-join signalling benchmark, from `ctxbench ipc`, `ctxbench remote-op`
/// and `ctxbench forkjoin` runs.
enum CrossCPUTables {
    static func tables(_ measurements: [Measurement], floors: ReportFloors) -> [ReportTable] {
        [ipcSweep(measurements), remoteOperations(measurements), forkJoin(measurements, floors: floors)].compactMap { $0 }
    }

    /// Uhlig §6.2.3, Fig 6.5: one fork-join region (Bull's PARALLEL
    /// directive) per barrier and worker count, as multiples of the floors and
    /// of the spinning barrier at the same count.
    static func forkJoin(_ measurements: [Measurement], floors: ReportFloors) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "forkjoin" && $0.metric == "region" && $0.unit == "ns" }
        guard !rows.isEmpty else { return nil }
        let figure = PaperFigures.uhligForkJoinMessageOverLock
        return ReportTable(
            title: "Fork-join regions (Uhlig §6.2.3, Fig 6.5)",
            note: "ctxbench forkjoin, median ns per region: the master wakes every worker and waits for the last. "
                + "\"× spin\": over the spinning barrier at the same worker count. Uhlig's Fig 6.5 compares his two "
                + "kernel IPC primitives instead: message-based \(ReportNumber.format(figure.twoCPUs))× lock-based at 2 "
                + "processors, \(ReportNumber.format(figure.sixteenCPUs))× at 16; a blocking barrier against a spinning "
                + "one is this machine's nearest pair.",
            header: ["barrier", "workers", "ns", "ticks", "× syscall", "× round trip", "× spin"],
            rows: rows.sorted { ($0.threads, $0.variant) < ($1.threads, $1.variant) }.map { m in
                let ticks = ReportLookup.p50(measurements.filter { $0.benchmark == "forkjoin" }, variant: m.variant,
                                             metric: "region", unit: "ticks", threads: m.threads)
                let spin = ReportLookup.p50(rows, variant: "spin", metric: "region", unit: "ns", threads: m.threads)
                return [m.variant, String(m.threads), ReportNumber.format(m.statistics.p50), ReportNumber.format(ticks),
                        ReportNumber.multiple(m.statistics.p50, of: floors.systemCallNs),
                        ReportNumber.multiple(m.statistics.p50, of: floors.roundTripNs),
                        ReportNumber.multiple(m.statistics.p50, of: spin)]
            })
    }

    /// Round trip (ns, median) by mechanism, address spaces and placement,
    /// one column per message size, and perf bench sched pipe beside pipe.
    static func ipcSweep(_ measurements: [Measurement]) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "ipc" && $0.metric == "round_trip" && $0.unit == "ns" }
        let ours = rows.filter { $0.variant == "kbench" }
        guard !ours.isEmpty else { return nil }
        struct Key: Hashable, Comparable {
            var mechanism: String, spaces: String, placement: String
            static func < (a: Key, b: Key) -> Bool {
                (a.placement, a.spaces, a.mechanism) < (b.placement, b.spaces, b.mechanism)
            }
        }
        func key(_ m: Measurement) -> (Key, Int)? {
            let p = ReportParameters(m.param)
            guard let mechanism = p["mechanism"], let spaces = p["spaces"], let bytes = p["bytes"].flatMap({ Int($0) })
            else { return nil }
            let placement = p["cpu"] == p["peer"] ? "same CPU" : "across CPUs"
            return (Key(mechanism: mechanism, spaces: spaces, placement: placement), bytes)
        }
        var cells: [Key: [Int: Double]] = [:]
        for m in ours { if let (k, bytes) = key(m) { cells[k, default: [:]][bytes] = m.statistics.p50 } }
        var perf: [Key: Double] = [:]
        for m in rows where m.variant == "reference" { if let (k, _) = key(m) { perf[k] = m.statistics.p50 } }
        let sizes = Set(cells.values.flatMap(\.keys)).sorted()
        return ReportTable(
            title: "IPC round trips by message size (ns)",
            note: "ctxbench ipc, medians; every byte checked at the receiver. \"perf\": perf bench sched pipe pinned "
                + "the same way, in the same run. Uhlig found the cost nearly flat from 0 to 252 bytes.",
            header: ["placement", "spaces", "mechanism"] + sizes.map { "\($0) B" } + ["perf"],
            rows: cells.keys.sorted().map { k in
                [k.placement, k.spaces, k.mechanism] + sizes.map { ReportNumber.format(cells[k]?[$0]) }
                    + [k.mechanism == "pipe" ? ReportNumber.format(perf[k]) : ""]
            })
    }

    /// ns per insertion by mode, and message/lock as a ratio per pair.
    static func remoteOperations(_ measurements: [Measurement]) -> ReportTable? {
        let rows = measurements.filter { $0.benchmark == "remote_op" }
        let inserts = rows.filter { $0.metric == "insert" && $0.unit == "ns" }
        guard !inserts.isEmpty else { return nil }
        let ratios = rows.filter { $0.metric == "message_over_lock" }
        let locks = inserts.map(\.variant).filter { $0.hasPrefix("lock_") }
        func ratio(_ message: String, _ lock: String) -> Double? {
            ratios.first {
                let p = ReportParameters($0.param)
                return p["message"] == message && p["lock"] == lock
            }?.statistics.p50
        }
        return ReportTable(
            title: "Cross-CPU operations: lock against message",
            note: "ctxbench remote-op: an insertion into a table owned by the other CPU, under a lock or by a request "
                + "to its owner; medians, ns, and message/lock per trial. Uhlig: message-based operations 153–170% slower.",
            header: ["mode", "ns per insert"] + locks.map { "× \($0)" },
            rows: inserts.map { m in
                [m.variant, ReportNumber.format(m.statistics.p50)]
                    + locks.map { m.variant.hasPrefix("message_") ? ReportNumber.format(ratio(m.variant, $0)) : "" }
            })
    }
}
