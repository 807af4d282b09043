import Foundation

/// The few lines `analysis spectrum` prints per thread: the noise summary and
/// the strongest peak families.
public enum SpectrumReport {
    public static func text(_ analysis: ThreadAnalysis, families: Int = 6) -> String {
        let s = analysis.summary
        var lines = [
            "thread \(analysis.thread) (cpu \(analysis.cpu)): \(s.count) quanta at \(ReportNumber.format(s.sampleRateHz)) Hz",
            "  work per quantum: median \(ReportNumber.format(s.medianWork)), mean \(ReportNumber.format(s.meanWork)), CV \(percent(s.coefficientOfVariation))",
            "  \(s.deviations) quanta deviate > \(ReportNumber.format(s.deviationPct))% from the median, \(s.zeroWorkQuanta) missed entirely; \(percent(s.fractionLost)) of the time lost",
            "  noise floor \(scientific(s.noiseFloor)) work^2/Hz",
        ]
        // Families by the power of their strongest member, fundamental first.
        let grouped = Dictionary(grouping: analysis.peaks, by: \.fundamentalHz)
        let strongest = grouped.sorted { a, b in
            (a.value.map(\.peak.power).max() ?? 0) > (b.value.map(\.peak.power).max() ?? 0)
        }.prefix(families)
        if strongest.isEmpty { lines.append("  no peaks above the noise") }
        for (fundamental, members) in strongest {
            let base = members.first { $0.harmonic == 1 } ?? members[0]
            let harmonics = Set(members.map(\.harmonic)).subtracting([1])
            let family = harmonics.isEmpty ? "" : " and \(harmonics.count) harmonics up to \(harmonics.max() ?? 1)×"
            lines.append("  peak \(ReportNumber.format(fundamental)) Hz\(family), +\(ReportNumber.format(base.peak.prominenceDb)) dB: \(base.label)")
        }
        return lines.joined(separator: "\n")
    }

    /// Whole numbers from 100 up, otherwise three significant digits (0.0167 Hz stays visible).
    static func percent(_ ratio: Double) -> String {
        guard ratio.isFinite else { return "n/a" }
        guard abs(ratio) < 1e12 else { return String(format: "%.3g%%", ratio * 100) }
        return "\(Double(Int64(ratio * 10_000)) / 100)%"
    }

    static func scientific(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return ReportNumber.format(value) }
        let exponent = Int(log10(value).rounded(.down))
        let mantissa = value / pow(10, Double(exponent))
        // pow(10, -324) is 0 for a subnormal value: no finite mantissa to truncate.
        guard mantissa.isFinite, abs(mantissa) < 1e15 else { return String(format: "%.2e", value) }
        return "\(Double(Int64(mantissa * 100)) / 100)e\(exponent)"
    }
}
