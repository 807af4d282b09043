/// One result of a preflight check: what was found on the CPUs a run will use,
/// how much it matters, and the exact command that fixes it.
public struct Finding: Codable, Equatable, Sendable {
    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        /// Nothing to do.
        case pass
        /// Measurements stay valid but carry this noise, or the fix needs a reboot.
        case warn
        /// Something will disturb the measurement and can be fixed now (or must be:
        /// a stale restore file means the machine is still changed).
        case fail

        private var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Stable identifier for scripts ("irqs", "cstates", "restore.stale", ...).
    public var id: String
    public var severity: Severity
    /// What was found, one line.
    public var summary: String
    /// The exact command that fixes it; empty when there is nothing to fix.
    public var fix: String

    public init(_ id: String, _ severity: Severity, _ summary: String, fix: String = "") {
        self.id = id
        self.severity = severity
        self.summary = summary
        self.fix = fix
    }
}
