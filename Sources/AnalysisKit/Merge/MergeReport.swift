import Foundation
import RunFormat

/// What `analysis merge` prints: which noise will slow the job and by how much, as
/// plain text or Markdown (for a wiki page or an issue).
public enum MergeReport {
    /// How many worst nodes and lines the report lists (the CSVs have all).
    static let listed = 8

    public static func render(_ result: MergeJob.Result, format: ReportTable.Format) -> String {
        let md = format == .markdown
        var out: [String] = []
        var title = ""
        func heading(_ text: String) { title = text }
        func table(_ header: [String], _ rows: [[String]]) {
            out.append("")
            out.append(ReportTable(title: title, header: header, rows: rows).render(format))
        }
        func pct(_ v: Double) -> String { v.isFinite ? format2(v * 100) + "%" : "-" }
        func us(_ ns: Double) -> String { ns.isFinite ? format2(ns / 1000) : "-" }

        let plan = result.plan
        let hosts = result.nodes.count
        let launcher = plan.ranks.first?.launch?.launcher.rawValue ?? "none"
        out.append((md ? "# " : "") + "analysis merge: \(result.ranks.count) ranks on \(hosts) hosts (launcher \(launcher), job size \(plan.size)), quantum \(us(plan.quantumNs)) µs, \(format2(result.commonSeconds)) s shared by every rank")
        for w in result.warnings { out.append((md ? "- " : "") + "warning: \(w)") }

        heading("Worst nodes (by fraction of time lost; all in nodes.csv)")
        let worst = result.nodes.sorted { $0.maxFractionLost > $1.maxFractionLost }.prefix(listed)
        let refQ = result.slowdown.referenceStep.map { us($0.ns) + " µs" } ?? "-"
        table(["host", "ranks", "lost mean", "lost max", "longest loss µs", "slowest at Q=\(refQ)"],
              worst.map { [$0.host, String($0.ranks), pct($0.meanFractionLost), pct($0.maxFractionLost),
                           us($0.longestLossNs), pct($0.slowestShare)] })

        let census = result.census, count = result.ranks.count
        let common = census.lines.filter { census.extent(of: $0, rankCount: count) == .common }
            .sorted { $0.ranks > $1.ranks || ($0.ranks == $1.ranks && $0.maxPower > $1.maxPower) }
        let local = census.lines.filter { census.extent(of: $0, rankCount: count) == .local }
            .sorted { $0.maxPower > $1.maxPower }
        let rankHost = Dictionary(result.ranks.map { ($0.rank, $0.host) }, uniquingKeysWith: { a, _ in a })
        heading("Spectral lines (peaks matched across ranks within max(\(format2(census.toleranceBins)) bins = \(format2(census.toleranceBins * census.binWidthHz)) Hz, \(format2(census.toleranceFraction * 1e6)) ppm); all in lines.csv)")
        title += ". System-wide (on ≥ \(Int(PeakCensus.commonFraction * 100))% of ranks): \(common.count) lines; node-local (on one rank or ≤ \(Int(PeakCensus.localFraction * 100))%): \(local.count) lines."
        table(["extent", "freq Hz", "ranks", "prominence dB", "max power", "e.g. ranks (host)"],
              (common.prefix(listed).map { ($0, "system-wide") } + local.prefix(listed).map { ($0, "node-local") }).map { line, kind in
                  [kind, format2(line.frequencyHz), "\(line.ranks)/\(count)", format2(line.meanProminenceDb),
                   String(format: "%.3g", line.maxPower),
                   line.exampleRanks.prefix(3).map { "\($0) (\(rankHost[$0] ?? "?"))" }.joined(separator: ", ")]
              })

        let slow = result.slowdown
        heading("Bulk-synchronous slowdown against Q (slowdown_q.csv)")
        let shown = slow.rankCounts.filter { $0 >= 1000 || $0 == slow.measuredRanks }
        table(["Q µs", "measured (\(slow.measuredRanks))"] + shown.flatMap { ["aligned \($0)", "unaligned \($0)"] },
              slow.rows.map { row in
                  guard row.step.isResolved else {
                      return ["\(us(row.step.nominalNs)) (below the quantum: unresolved)", "-"] + shown.flatMap { _ in ["-", "-"] }
                  }
                  return [us(row.step.ns), pct(row.measured)] + shown.flatMap { r -> [String] in
                      let e = row.extrapolated.first { $0.ranks == r }
                      return [pct(e?.aligned ?? .nan), pct(e?.unaligned ?? .nan)]
                  }
              })
        if let ref = slow.referenceStep, let index = slow.rows.filter(\.step.isResolved).firstIndex(where: { $0.step == ref }),
           let row = slow.rows.first(where: { $0.step == ref }) {
            heading("Slowdown against rank count at Q = \(us(ref.ns)) µs (slowdown_ranks.csv)")
            var rows: [[String]] = slow.prefixes.map { ["\($0.ranks)", "measured (first \($0.ranks) ranks)", pct($0.slowdown[index]), "-"] }
            rows += row.extrapolated.map { ["\($0.ranks)", "resampled", pct($0.aligned), pct($0.unaligned)] }
            table(["ranks", "estimate", "aligned / measured", "unaligned"], rows)
        }

        if let check = result.bspCheck {
            heading("Bulk-synchronous check at Q = \(us(check.quantumNs)) µs, \(check.ranks) ranks (bsp_check.csv): \(check.verdict.rawValue)")
            var rows = check.runs.map {
                ["measured", $0.directory, String($0.steps), format2($0.workNs / 1000), format2($0.barrierNs / 1000),
                 format2($0.meanStepNs / 1000), pct($0.slowdown)]
            }
            if check.runs.count > 1 {
                rows.append(["measured mean (spread)", "\(check.runs.count) runs", "-", "-", "-", "-",
                             "\(pct(check.mean)) (\(pct(check.lowest)) to \(pct(check.highest)))"])
            }
            rows += check.predictions.map { ["predicted", $0.run, "-", "-", "-", "-", pct($0.slowdown)] }
            if check.predictions.count > 1 {
                rows.append(["predicted mean (spread)", "\(check.predictions.count) ftq runs", "-", "-", "-", "-",
                             "\(pct(check.predictedMean)) (\(pct(check.predictedLowest)) to \(pct(check.predictedHighest)))"])
            }
            table(["estimate", "run", "steps", "work µs", "barrier µs", "mean step µs", "slowdown"], rows)
            out.append("Measured slowdown: the mean over steps of max(0, step − work − barrier), over work. Work is the undisturbed step: each rank's 1% quantile of compute_ns (the rate 99% of its steps do not beat), the least over ranks; barrier the median over steps of the smallest step_ns − compute_ns over the ranks (what the last rank to arrive pays). Predicted: each rank's FTQ trace walked from each window's start until an undisturbed Q of work is done (undisturbed: the 99% quantile of the work in blocks of Q quanta, the same rate), the elapsed time minus Q being the delay, the largest over ranks, steps chained. Agrees when the range of the predictions overlaps the range of the measured runs.")
        }

        out.append(md ? "\n### How the slowdown is computed\n" : "\nHow the slowdown is computed:")
        out.append("""
            A job computes for Q, then meets at a barrier; each step is delayed by the slowest rank. A rank's delay for a step starting at a window's start: its FTQ trace is walked from there until the work of an undisturbed Q is done (undisturbed: the 99% quantile of its work in blocks of Q), and the delay is the elapsed time minus Q, so a detour longer than Q delays a step by all of it; windows are whole quanta in absolute time on the shared time base (each rank's time_zero_realtime_ns), so the windows of all ranks coincide. Measured: steps run one after another over the windows every rank covers (the next step starts where the last one ended), and the mean of their largest delay is divided by Q (also over the first 1, 2, 4, ... ranks). Extrapolated by resampling the measured windows: aligned draws N ranks with replacement from the measured ranks within the same window (noise that strikes all nodes together stays together; it saturates at the measured worst); unaligned draws N independent windows from all ranks' windows (each node's noise on its own schedule; rare long detours dominate at scale). These are the limits studied by Petrini, Kerbyson and Pakin, "The case of the missing supercomputer performance" (SC'03), and Hoefler, Schneider and Lumsdaine, "Characterizing the influence of system noise on large-scale applications by simulation" (SC'10): at scale few long interruptions cost more than many short ones of the same total. Q below the quantum is not resolved: rerun ftq with a smaller --quantum-us.
            """)
        out.append("Output: \(result.outputDirectory) (plots: scripts/plot-merge \(result.outputDirectory))")
        return out.joined(separator: "\n")
    }

    /// A number with about three significant digits, for reading.
    static func format2(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let a = abs(v)
        let digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 3 : 4
        if a != 0, a < 0.0001 { return CSVFormat.number(Double(Float(v))) }
        var s = String(format: "%.\(digits)f", v)
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s
    }
}
