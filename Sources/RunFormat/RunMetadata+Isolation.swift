extension RunMetadata {
    /// What `--isolate CPUS` did to the machine for a run (meta.json's
    /// `isolation`, null when the run was not shielded), so a result measured
    /// on a shielded core says so, and says how well the shield took.
    public struct Isolation: Codable, Equatable, Sendable {
        /// The CPUs asked for.
        public var cpus: String
        /// How tasks were kept off them: "cgroup2 isolated partition",
        /// "cgroup2 root partition", "cgroup1 cpuset shield", or "none".
        public var method: String
        /// Every change made, one line each (restored when the run ends).
        public var applied: [String]
        /// What could not be done (an IRQ that cannot move, no cpuset controller).
        public var warnings: [String]
        /// The restore file kept while the run lasted.
        @Nullable public var restoreFile: String?

        public init(cpus: String, method: String, applied: [String], warnings: [String], restoreFile: String?) {
            self.cpus = cpus
            self.method = method
            self.applied = applied
            self.warnings = warnings
            self.restoreFile = restoreFile
        }

        enum CodingKeys: String, CodingKey {
            case cpus, method, applied, warnings, restoreFile = "restore_file"
        }
    }
}
