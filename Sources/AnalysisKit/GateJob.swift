import Foundation
import RunFormat

/// `analysis gate` as one library call: read both sides, refuse different
/// environments, judge every metric. The executable prints and sets the exit code.
public struct GateJob: Sendable {
    public var baseline: String
    public var current: String
    public var policy: GatePolicy
    /// `--allow-env-mismatch`: compare anyway, with the differences reported.
    public var allowEnvironmentMismatch: Bool

    public init(baseline: String, current: String, policy: GatePolicy = GatePolicy(),
                allowEnvironmentMismatch: Bool = false) {
        self.baseline = baseline
        self.current = current
        self.policy = policy
        self.allowEnvironmentMismatch = allowEnvironmentMismatch
    }

    /// Exit codes: documented in `analysis gate --help` and results/README.md.
    public enum Exit {
        /// No regression (improvements and too-few-trials metrics are reported).
        public static let pass: Int32 = 0
        /// At least one significant regression beyond the threshold.
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

        public var regressions: [GateVerdict] { verdicts.filter { $0.status == .regression } }

        public var exitCode: Int32 {
            if refused { return Exit.environmentMismatch }
            return regressions.isEmpty ? Exit.pass : Exit.regression
        }

        public func count(_ status: GateVerdict.Status) -> Int { verdicts.filter { $0.status == status }.count }
    }

    /// - Throws: `InputFileError` for a side without runs or with a malformed file.
    public func run() throws -> Result {
        let base = try GateRuns(directory: baseline).metrics
        let now = try GateRuns(directory: current).metrics

        // Environments of the run pairs that share a metric, each pair once.
        var differences: [String] = []
        var seen = Set<String>()
        for (key, b) in base.sorted(by: { $0.key < $1.key }) {
            guard let c = now[key], let be = b.run.environment, let ce = c.run.environment else { continue }
            let pair = b.run.location + "|" + c.run.location
            guard seen.insert(pair).inserted else { continue }
            let label = b.run.location == c.run.location ? b.run.location
                                                          : "\(b.run.location) vs \(c.run.location)"
            for difference in EnvironmentComparison.differences(baseline: be, current: ce) {
                let line = "\(label == "." ? b.run.tool : label): \(difference)"
                if !differences.contains(line) { differences.append(line) }
            }
        }
        if !differences.isEmpty, !allowEnvironmentMismatch {
            return Result(policy: policy, verdicts: [], environmentDifferences: differences, refused: true)
        }

        var verdicts: [GateVerdict] = []
        for key in Set(base.keys).union(now.keys).sorted() {
            let b = base[key], c = now[key]
            verdicts.append(GateVerdict.judge(key: key, lowerIsBetter: (b ?? c)!.lowerIsBetter,
                                              baseline: b?.trials, current: c?.trials, policy: policy))
        }
        return Result(policy: policy, verdicts: verdicts, environmentDifferences: differences, refused: false)
    }
}
