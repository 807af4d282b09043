import RunFormat

/// Thesis Tables 4.1 and 4.2 from a `ctxbench switch` run: ns per context
/// switch of kernel threads and of uthreads in each 2LS variant, beside the
/// thesis' figures, with the run's references (Boost.Context, swapcontext).
enum SwitchTables {
    static func tables(_ measurements: [Measurement]) -> [ReportTable] {
        let rows = measurements.filter { $0.benchmark == "switch" && $0.unit == "ns" }
        guard !rows.isEmpty else { return [] }
        func ns(_ variant: String, _ threads: Int) -> Double? {
            rows.first { $0.variant == variant && $0.threads == threads }?.statistics.p50
        }
        let boost = rows.first { $0.variant == "reference" && $0.param.contains("boost") }?.statistics.p50
        var tables: [ReportTable] = []

        let counts = [1, 2, 100, 1000]
        let table41 = counts.compactMap { threads -> [String]? in
            let ours = [ns("kthread_sched_yield", threads), ns("kthread_futex_handoff", threads),
                        ns("uthread_locked_tls", threads), ns("uthread_locked", threads)]
            guard ours.contains(where: { $0 != nil }) else { return nil }
            let thesis = PaperFigures.table41Ns[threads] ?? []
            return [String(threads)] + ours.map(ReportNumber.format) + thesis.map(ReportNumber.format)
        }
        if !table41.isEmpty {
            tables.append(ReportTable(
                title: "Table 4.1: thread context-switch latency (ns)",
                note: "This machine: kernel threads on one CPU (sched_yield, futex hand-off) and uthreads in the locked "
                    + "2LS with and without TLS. Thesis (Xeon E5-2670, Linux 3.11): Linux pthreads, Linux uthreads "
                    + "with/without TLS, Akaros uthreads with/without TLS.",
                header: ["threads", "kthread yield", "kthread futex", "uthread TLS", "uthread", "thesis Linux pth",
                         "thesis Linux uth TLS", "thesis Linux uth", "thesis Akaros TLS", "thesis Akaros"],
                rows: table41))
        }

        let variants = ["uthread_locked_tls", "uthread_locked", "uthread_no-sched-locking",
                        "uthread_no-locking-no-asserts", "uthread_switch-to", "uthread_switch-to_tls"]
        let table42 = [2, 100, 1000].flatMap { threads -> [[String]] in
            let ours = variants.map { ns($0, threads) }
            guard ours.contains(where: { $0 != nil }) else { return [] }
            var result = [["this machine, \(threads) thr"] + ours.map(ReportNumber.format)
                            + [ReportNumber.multiple(ns("uthread_switch-to", threads), of: boost)]]
            if let thesis = PaperFigures.table42Ns[threads] {
                result.append(["thesis Akaros, \(threads) thr"] + thesis.map(ReportNumber.format) + ["n/a", "n/a"])
            }
            return result
        }
        if !table42.isEmpty {
            tables.append(ReportTable(
                title: "Table 4.2: uthread context-switch latency by 2LS variant (ns)",
                note: "Locked 2LS with and without TLS, no scheduler locking, no locking and no asserts, a direct "
                    + "switch-to without and with TLS, and switch-to as a multiple of Boost.Context's jump_fcontext "
                    + "measured in the same run.",
                header: ["", "with TLS", "w/o TLS", "no sched locking", "no locking, no asserts", "switch-to",
                         "switch-to TLS", "switch-to × Boost"],
                rows: table42))
        }

        let references = rows.filter { $0.variant == "reference" }
        if !references.isEmpty {
            tables.append(ReportTable(
                title: "Context-switch references (same run)",
                note: "The peers ctxbench switch measures beside its own figures.",
                header: ["reference", "what", "ns"],
                rows: references.map { m in
                    [ReportParameters(m.param)["peer"] ?? m.param, m.metric, ReportNumber.format(m.statistics.p50)]
                }))
        }
        return tables
    }
}
