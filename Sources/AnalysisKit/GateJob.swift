import Foundation
import RunFormat

/// `analysis gate` as one library call: read both sides, refuse different
/// environments, judge every metric. The executable prints and sets the exit code.
public struct GateJob: Sendable {
    /// The baseline's directories: each one run, or a directory of `run-*` runs.
    public var baseline: [String]
    /// The current side's directories, the same way (usually one run).
    public var current: [String]
    public var policy: GatePolicy
    /// `--allow-env-mismatch`: compare anyway, with the differences reported.
    public var allowEnvironmentMismatch: Bool

    public init(baseline: [String], current: [String], policy: GatePolicy = GatePolicy(),
                allowEnvironmentMismatch: Bool = false) {
        self.baseline = baseline
        self.current = current
        self.policy = policy
        self.allowEnvironmentMismatch = allowEnvironmentMismatch
    }

    public init(baseline: String, current: String, policy: GatePolicy = GatePolicy(),
                allowEnvironmentMismatch: Bool = false) {
        self.init(baseline: [baseline], current: [current], policy: policy,
                  allowEnvironmentMismatch: allowEnvironmentMismatch)
    }

    /// Exit codes: documented in `analysis gate --help` and results/README.md.
    public enum Exit {
        /// No regression (improvements and untestable metrics are reported).
        public static let pass: Int32 = 0
        /// At least one significant regression beyond the threshold and the noise band.
        public static let regression: Int32 = 1
        /// The runs come from different environments (and no `--allow-env-mismatch`).
        public static let environmentMismatch: Int32 = 3
    }

    public struct Result: Sendable {
        public var policy: GatePolicy
        /// Every metric of either side, sorted by key.
        public var verdicts: [GateVerdict]
        /// "<run>: <field>: baseline X, current Y", one per difference.
        public var environmentDifferences: [String]
        /// True when the differences stopped the comparison (verdicts then empty).
        public var refused: Bool
        /// How many runs each side holds.
        public var baselineRuns = 1
        public var currentRuns = 1
        /// The number of metrics the correction counted (Tarone's family).
        public var family = 0

        public var regressions: [GateVerdict] { verdicts.filter { $0.status == .regression } }

        /// True when the baseline has too few runs for a noise band: between-run
        /// noise is then not accounted for, and single-run verdicts on a VM mislead.
        public var singleRunFallback: Bool { baselineRuns < NoiseBand.minimumRuns }

        public var exitCode: Int32 {
            if refused { return Exit.environmentMismatch }
            return regressions.isEmpty ? Exit.pass : Exit.regression
        }

        public func count(_ status: GateVerdict.Status) -> Int { verdicts.filter { $0.status == status }.count }
    }

    /// - Throws: `InputFileError` for a side without runs or with a malformed file.
    public func run() throws -> Result {
        let baseSide = try GateSide(directories: baseline), nowSide = try GateSide(directories: current)
        let base = baseSide.metrics, now = nowSide.metrics

        // Within each side, every run against the side's first; then the sides.
        var differences: [String] = []
        for (name, side) in [("baseline", baseSide), ("current", nowSide)] {
            guard let first = side.replicates.first else { continue }
            for other in side.replicates.dropFirst() {
                let label = "among the \(name) runs, \(first.label) (as baseline) and \(other.label) (as current)"
                differences += Self.differences(first.runs.metrics.mapValues { $0.run }, other.runs.metrics.mapValues { $0.run },
                                                label: { _, _ in label })
            }
        }
        differences += Self.differences(base.mapValues(\.run), now.mapValues(\.run)) { b, c in
            b.location == c.location ? (b.location == "." ? b.tool : b.location) : "\(b.location) vs \(c.location)"
        }
        var result = Result(policy: policy, verdicts: [], environmentDifferences: differences, refused: false,
                            baselineRuns: baseSide.replicates.count, currentRuns: nowSide.replicates.count)
        if !differences.isEmpty, !allowEnvironmentMismatch {
            result.refused = true
            return result
        }

        var verdicts: [GateVerdict] = []
        for key in Set(base.keys).union(now.keys).sorted() {
            let b = base[key], c = now[key]
            verdicts.append(GateVerdict.judge(key: key, lowerIsBetter: (b ?? c)!.lowerIsBetter,
                                              baseline: b?.runs, current: c?.runs, policy: policy))
        }
        result.family = Self.correct(&verdicts, policy: policy)
        let level = policy.correction == .holm ? policy.alpha / Double(max(1, result.family)) : policy.alpha
        for index in verdicts.indices { verdicts[index].decide(policy: policy, level: level) }
        result.verdicts = verdicts
        return result
    }

    /// Applies the family-wise correction to every tested metric; returns the family size.
    static func correct(_ verdicts: inout [GateVerdict], policy: GatePolicy) -> Int {
        let tested = verdicts.indices.filter { verdicts[$0].p != nil }
        guard policy.correction == .holm else { return tested.count }
        let family = HolmCorrection.familySize(smallestPossibleP: tested.map { verdicts[$0].smallestPossibleP },
                                               alpha: policy.alpha)
        var kept: [Int] = []
        for index in tested {
            if verdicts[index].smallestPossibleP <= policy.alpha / Double(family) {
                kept.append(index)
            } else {
                verdicts[index].leaveOutOfFamily()
            }
        }
        let adjusted = HolmCorrection.adjusted(kept.map { verdicts[$0].p ?? 1 }, family: family)
        for (index, p) in zip(kept, adjusted) { verdicts[index].adjustedP = p }
        return family
    }

    /// The environment differences of the run pairs that share a metric, each pair once.
    static func differences(_ a: [MetricKey: GateRuns.Run], _ b: [MetricKey: GateRuns.Run],
                            label: (GateRuns.Run, GateRuns.Run) -> String) -> [String] {
        var differences: [String] = []
        var seen = Set<String>()
        for (key, x) in a.sorted(by: { $0.key < $1.key }) {
            guard let y = b[key], let xe = x.environment, let ye = y.environment else { continue }
            guard seen.insert(x.location + "|" + y.location).inserted else { continue }
            for difference in EnvironmentComparison.differences(baseline: xe, current: ye) {
                let line = "\(label(x, y)): \(difference)"
                if !differences.contains(line) { differences.append(line) }
            }
        }
        return differences
    }
}
