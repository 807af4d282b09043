import BenchCLI
import LockBenchKit

/// `--preempt` and `--native-preempt` parse straight into a `PreemptionSpec`,
/// once, while the arguments are parsed; a malformed spec fails there with the
/// reason (exit 64).
extension PreemptionSpec: ArgumentValue {
    public static func parse(_ text: String) throws -> PreemptionSpec {
        try PreemptionSpec(parsing: text)
    }

    public var defaultValueDescription: String { description }
}
