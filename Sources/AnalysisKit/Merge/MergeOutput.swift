import RunFormat

/// The CSV files of `analysis merge` (heatmap.csv, `rank,freq_hz,power` with 160
/// log-spaced frequencies per rank, is streamed by `MergeJob`):
/// - ranks.csv: rank,host,node_id,local_rank,threads,quanta,fraction_lost,longest_loss_ns,noise_floor,peaks,slowest_share
/// - nodes.csv: host,ranks,fraction_lost_mean,fraction_lost_max,longest_loss_ns,slowest_share
/// - lines.csv: freq_hz,tolerance_hz,ranks,fraction_of_ranks,extent,max_power,mean_prominence_db,example_ranks
/// - slowdown_q.csv: one row per Q (10 µs ... 100 ms): q_nominal_us,q_us,windows,measured,
///   then aligned_<N>,unaligned_<N> for each rank count N; empty cells where Q is below the quantum
/// - slowdown_ranks.csv: q_us,ranks,estimate (measured|aligned|unaligned),slowdown
/// - bsp_check.csv (with `--bsp`): `BSPCheck.table`, the measured runs and the predictions (one per ftq run)
/// Slowdowns are fractions (0.05 = the job takes 5% longer).
public enum MergeOutput {
    public static func write(_ result: MergeJob.Result, to directory: RunDirectory) throws {
        func n(_ v: Double) -> String { v.isFinite ? CSVFormat.number(v) : "" }
        func opt(_ v: Int?) -> String { v.map(String.init) ?? "" }
        try directory.write(CSVTable(
            header: ["rank", "host", "node_id", "local_rank", "threads", "quanta", "fraction_lost", "longest_loss_ns",
                     "noise_floor", "peaks", "slowest_share"],
            rows: result.ranks.map {
                [String($0.rank), $0.host, opt($0.nodeID), opt($0.localRank), String($0.threads), String($0.quanta),
                 n($0.fractionLost), n($0.longestLossNs), n($0.noiseFloor), String($0.peaks), n($0.slowestShare)]
            }), as: "ranks.csv")
        try directory.write(CSVTable(
            header: ["host", "ranks", "fraction_lost_mean", "fraction_lost_max", "longest_loss_ns", "slowest_share"],
            rows: result.nodes.map {
                [$0.host, String($0.ranks), n($0.meanFractionLost), n($0.maxFractionLost), n($0.longestLossNs),
                 n($0.slowestShare)]
            }), as: "nodes.csv")
        let census = result.census, count = result.ranks.count
        try directory.write(CSVTable(
            header: ["freq_hz", "tolerance_hz", "ranks", "fraction_of_ranks", "extent", "max_power",
                     "mean_prominence_db", "example_ranks"],
            rows: census.lines.map {
                [n($0.frequencyHz), n(census.toleranceHz(at: $0.frequencyHz)), String($0.ranks),
                 n(Double($0.ranks) / Double(max(1, count))), census.extent(of: $0, rankCount: count).rawValue,
                 n($0.maxPower), n($0.meanProminenceDb), $0.exampleRanks.map(String.init).joined(separator: ";")]
            }), as: "lines.csv")
        let table = result.slowdown
        try directory.write(CSVTable(
            header: ["q_nominal_us", "q_us", "windows", "measured"]
                + table.rankCounts.flatMap { ["aligned_\($0)", "unaligned_\($0)"] },
            rows: table.rows.map { row in
                [n(row.step.nominalNs / 1000), n(row.step.ns / 1000), String(row.windows), n(row.measured)]
                    + table.rankCounts.flatMap { r -> [String] in
                        guard let e = row.extrapolated.first(where: { $0.ranks == r }) else { return ["", ""] }
                        return [n(e.aligned), n(e.unaligned)]
                    }
            }), as: "slowdown_q.csv")
        var long: [[String]] = []
        let resolved = table.rows.filter(\.step.isResolved)
        for (i, row) in resolved.enumerated() {
            for prefix in table.prefixes where i < prefix.slowdown.count {
                long.append([n(row.step.ns / 1000), String(prefix.ranks), "measured", n(prefix.slowdown[i])])
            }
            for e in row.extrapolated {
                long.append([n(row.step.ns / 1000), String(e.ranks), "aligned", n(e.aligned)])
                long.append([n(row.step.ns / 1000), String(e.ranks), "unaligned", n(e.unaligned)])
            }
        }
        try directory.write(CSVTable(header: ["q_us", "ranks", "estimate", "slowdown"], rows: long),
                            as: "slowdown_ranks.csv")
        if let check = result.bspCheck { try directory.write(check.table, as: "bsp_check.csv") }
    }
}
