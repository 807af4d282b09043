import Foundation
import RunFormat

/// The gate's verdicts as people and dashboards read them: a terminal table,
/// Markdown for a CI job summary, and github-action-benchmark's custom JSON.
public enum GateReport {
    // MARK: Terminal

    /// An aligned table, then one line with the totals and the verdict.
    public static func text(_ result: GateJob.Result) -> String {
        var lines: [String] = []
        if !result.environmentDifferences.isEmpty {
            lines.append(result.refused ? "environments differ: not compared (--allow-env-mismatch compares anyway)"
                                        : "environments differ (compared anyway: --allow-env-mismatch):")
            lines += result.environmentDifferences.map { "  " + $0 }
        }
        if !result.refused {
            lines.append(table(result.verdicts).render(.text))
            if let note = fallbackNote(result) { lines.append(note) }
            if let named = tooNoisyLine(result) { lines.append(named) }
        }
        lines.append(summaryLine(result))
        return lines.joined(separator: "\n")
    }

    /// The verdicts as a report table (`ReportTable` renders text and Markdown alike).
    static func table(_ verdicts: [GateVerdict]) -> ReportTable {
        ReportTable(title: "kbench gate",
                    note: "medians (of run medians with several runs); change: with several current runs, the least any run shows (a regression must reproduce in every run); noise: the baseline's run-to-run band; p: corrected",
                    header: ["status", "metric", "baseline", "current", "change", "noise", "p", "trials"],
                    rows: verdicts.map(cells))
    }

    /// "gate: FAIL, 1 regression, 2 improvements, ... (threshold 5%, Mann-Whitney U, alpha 0.05)".
    public static func summaryLine(_ result: GateJob.Result) -> String {
        if result.refused {
            return "gate: REFUSED: \(result.environmentDifferences.count) environment difference(s) (exit \(GateJob.Exit.environmentMismatch))"
        }
        let verdict = result.regressions.isEmpty ? "PASS" : "FAIL"
        let counts = GateVerdict.Status.allCases.compactMap { status -> String? in
            let n = result.count(status)
            return n == 0 ? nil : "\(n) \(status.rawValue)"
        }
        return "gate: \(verdict): " + (counts.isEmpty ? "no metrics" : counts.joined(separator: ", "))
            + " (\(policyText(result)))"
    }

    static func policyText(_ result: GateJob.Result) -> String {
        let policy = result.policy
        let test = policy.test == .mannWhitney ? "Mann-Whitney U" : "Welch t-test"
        let band = result.singleRunFallback
            ? "no noise band (\(result.baselineRuns) baseline run\(result.baselineRuns == 1 ? "" : "s"))"
            : "noise band \(CSVFormat.number(policy.noiseSigmas)) sd over \(result.baselineRuns) baseline runs"
        let correction = policy.correction == .holm ? "Holm over \(result.family) metrics" : "no correction"
        return "threshold \(CSVFormat.number(policy.threshold * 100))%, \(band), \(test), \(correction), "
            + "alpha \(CSVFormat.number(policy.alpha))"
    }

    /// Said whenever the baseline is too short for a noise band.
    static func fallbackNote(_ result: GateJob.Result) -> String? {
        guard result.singleRunFallback else { return nil }
        return "note: the baseline has \(result.baselineRuns) run(s), fewer than \(NoiseBand.minimumRuns): run-to-run "
            + "noise is not accounted for, and on a VM same-build runs fail this way (results/README.md, "
            + "\"Recording a baseline\")."
    }

    /// The metrics too noisy to gate, by name: never passed silently.
    static func tooNoisyLine(_ result: GateJob.Result) -> String? {
        let noisy = result.verdicts.filter { $0.status == .tooNoisy }
        guard !noisy.isEmpty else { return nil }
        return "too noisy to gate (the baseline's runs scatter so much that even a doubling could not be significant): "
            + noisy.map { "\($0.key.description) (band \(percent($0.noise?.width).replacingOccurrences(of: "+", with: "±")))" }
                .joined(separator: "; ")
    }

    static func cells(_ v: GateVerdict) -> [String] {
        let status = v.status == .regression ? "REGRESSION" : v.status.rawValue
        let noise = v.noise.map { percent($0.width).replacingOccurrences(of: "+", with: "±") } ?? "-"
        var trials = "\(v.baselineTrials)/\(v.currentTrials)"
        if v.baselineRuns > 1 || v.currentRuns > 1 { trials += " in \(v.baselineRuns)/\(v.currentRuns) runs" }
        return [status, v.key.description, number(v.baselineMedian), number(v.currentMedian), percent(v.decidingChange),
                noise, (v.adjustedP ?? v.p).map(pValue) ?? "-", trials]
    }

    // MARK: Markdown

    /// A CI job summary: the verdict, environment differences, then a table
    /// with regressions first, then improvements, then the rest.
    public static func markdown(_ result: GateJob.Result) -> String {
        var out = "## kbench gate: "
        out += result.refused ? "refused (environments differ)\n\n" : (result.regressions.isEmpty ? "pass\n\n" : "FAIL\n\n")
        out += escape(summaryLine(result)) + "\n\n"
        for line in [fallbackNote(result), tooNoisyLine(result)].compactMap({ $0 }) where !result.refused {
            out += escape(line) + "\n\n"
        }
        if !result.environmentDifferences.isEmpty {
            out += "Environment differences:\n\n"
            out += result.environmentDifferences.map { "- " + escape($0) + "\n" }.joined() + "\n"
        }
        guard !result.refused, !result.verdicts.isEmpty else { return out }
        let order: [GateVerdict.Status] = [.regression, .improvement, .notSignificant, .tooNoisy, .withinNoise,
                                           .withinThreshold, .tooFewTrials, .onlyInBaseline, .onlyInCurrent, .unchanged]
        var sorted = table(order.flatMap { status in result.verdicts.filter { $0.status == status } })
        sorted.rows = sorted.rows.map { row in row[0] == "REGRESSION" ? ["**REGRESSION**"] + row.dropFirst() : row }
        return out + sorted.render(.markdown) + "\n"
    }

    /// Markdown table cells: a pipe would end the cell, a newline the row.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
    }

    // MARK: github-action-benchmark

    /// One entry of github-action-benchmark's `customSmallerIsBetter` /
    /// `customBiggerIsBetter` input: `{name, unit, value, range?, extra?}`.
    public struct BenchmarkEntry: Codable, Equatable, Sendable {
        public var name: String
        public var unit: String
        public var value: Double
        public var range: String?
        public var extra: String?
    }

    /// The current side's medians, for the metrics where lower is better
    /// (`customSmallerIsBetter`) or higher is better (`customBiggerIsBetter`).
    public static func benchmarkEntries(_ result: GateJob.Result, lowerIsBetter: Bool) -> [BenchmarkEntry] {
        result.verdicts.compactMap { v in
            guard v.lowerIsBetter == lowerIsBetter, let value = v.currentMedian, value.isFinite else { return nil }
            var extra = "median of \(v.currentTrials) trials; \(v.status.rawValue)"
            if let noise = v.noise { extra += "; noise band \(percent(noise.width).replacingOccurrences(of: "+", with: "±"))" }
            if let base = v.baselineMedian { extra += "; baseline \(number(base))" }
            if let change = v.decidingChange { extra += " (\(percent(change)))" }
            if let p = v.adjustedP ?? v.p { extra += ", p=\(pValue(p))" }
            return BenchmarkEntry(name: v.key.description, unit: v.key.unit, value: value,
                                  range: v.currentHalfIQR.flatMap { $0.isFinite ? "± \(number($0))" : nil },
                                  extra: extra)
        }
    }

    /// The entries as the JSON array the action reads.
    public static func benchmarkJSON(_ entries: [BenchmarkEntry]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(entries)
    }

    // MARK: Numbers

    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        guard value.isFinite else { return CSVFormat.number(value) }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1e6 || magnitude < 1e-3 { return String(format: "%.4g", value) }
        // Four significant digits.
        let decimals = max(0, 3 - Int(log10(magnitude).rounded(.down)))
        return String(format: "%.\(decimals)f", value)
    }

    static func percent(_ change: Double?) -> String {
        guard let change, change.isFinite else { return "-" }
        return String(format: "%+.1f%%", change * 100)
    }

    static func pValue(_ p: Double) -> String {
        p < 0.001 ? String(format: "%.1e", p) : String(format: "%.3f", p)
    }
}
