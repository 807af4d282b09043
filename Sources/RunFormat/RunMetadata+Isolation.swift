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
        /// How the shield was undone when the run finished, just before
        /// meta.json was written; null if it was not (or in an older file).
        @Nullable public var restore: Restore?

        /// What undoing the shield did.
        public struct Restore: Codable, Equatable, Sendable {
            /// Changes put back.
            public var undone: Int
            /// What could not be put back: the restore file then stays, for `preflight --restore`.
            public var warnings: [String]
            /// Everything was put back and the restore file removed: the machine is as before.
            public var complete: Bool

            public init(undone: Int, warnings: [String], complete: Bool) {
                self.undone = undone
                self.warnings = warnings
                self.complete = complete
            }
        }

        public init(cpus: String, method: String, applied: [String], warnings: [String], restoreFile: String?,
                    restore: Restore? = nil) {
            self.cpus = cpus
            self.method = method
            self.applied = applied
            self.warnings = warnings
            self.restoreFile = restoreFile
            self.restore = restore
        }

        enum CodingKeys: String, CodingKey {
            case cpus, method, applied, warnings, restoreFile = "restore_file", restore
        }
    }
}
