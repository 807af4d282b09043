extension RunMetadata {
    /// How a run was launched as one rank of many (meta.json's `launch`; null
    /// for a run nobody launched). `analysis merge` reads every rank's object to
    /// put the ranks side by side and on one time base, so its keys are a
    /// contract shared with the merge side: change them in both or not at all.
    public struct Launch: Codable, Equatable, Sendable {
        /// Who launched the rank.
        public enum Launcher: String, Codable, Sendable, CaseIterable {
            case openmpi, slurm, pmix, pmi, none
        }

        public var launcher: Launcher
        /// This process's rank, 0..<size.
        public var rank: Int
        /// How many ranks the launcher started.
        public var size: Int
        /// The node's index in the job (Slurm's SLURM_NODEID), null when the
        /// launcher does not say.
        @Nullable public var nodeID: Int?
        /// The rank's index among the ranks on its node.
        @Nullable public var localRank: Int?
        public var host: String
        @Nullable public var jobID: String?
        /// The agreed start instant (ISO 8601, UTC, fractional seconds), null
        /// when each rank started as soon as it could.
        @Nullable public var startAtUTC: String?
        /// CLOCK_REALTIME in nanoseconds at the instant the run's `start_ns` = 0:
        /// ranks' traces share a time base through it (as well as the clocks agree).
        public var timeZeroRealtimeNs: Int
        /// How well this node's clock agrees with the others.
        public var clock: ClockAgreement

        public init(launcher: Launcher, rank: Int, size: Int, nodeID: Int? = nil, localRank: Int? = nil,
                    host: String, jobID: String? = nil, startAtUTC: String? = nil, timeZeroRealtimeNs: Int,
                    clock: ClockAgreement) {
            self.launcher = launcher
            self.rank = rank
            self.size = size
            self.nodeID = nodeID
            self.localRank = localRank
            self.host = host
            self.jobID = jobID
            self.startAtUTC = startAtUTC
            self.timeZeroRealtimeNs = timeZeroRealtimeNs
            self.clock = clock
        }

        enum CodingKeys: String, CodingKey {
            case launcher, rank, size, nodeID = "node_id", localRank = "local_rank", host, jobID = "job_id",
                 startAtUTC = "start_at_utc", timeZeroRealtimeNs = "time_zero_realtime_ns", clock
        }

        /// Every key the object carries.
        public static let keys = ["launcher", "rank", "size", "node_id", "local_rank", "host", "job_id",
                                  "start_at_utc", "time_zero_realtime_ns", "clock"]
    }

    /// The state of the clock discipline on a node: who keeps the clock
    /// (chrony, ntpd, PTP, systemd-timesyncd), whether the kernel calls the
    /// clock synchronized, and the offset and error bound it reports. The
    /// error bound is what makes two ranks' time bases comparable or not.
    public struct ClockAgreement: Codable, Equatable, Sendable {
        public enum Sync: String, Codable, Sendable, CaseIterable {
            case chrony, ntpd, ptp
            case systemdTimesyncd = "systemd-timesyncd"
            case none, unknown
        }

        public var sync: Sync
        /// The kernel's view (adjtimex: STA_UNSYNC clear), null when unreadable.
        @Nullable public var synchronized: Bool?
        /// The estimated offset from the reference clock, signed (positive: this
        /// clock is ahead), when the daemon reports one.
        @Nullable public var offsetNs: Double?
        /// An upper bound on the clock's error: the daemon's (chrony: |offset| +
        /// root delay / 2 + root dispersion), else the kernel's maxerror.
        @Nullable public var maxErrorNs: Double?
        /// Where the numbers came from, in words.
        public var detail: String

        public init(sync: Sync, synchronized: Bool?, offsetNs: Double?, maxErrorNs: Double?, detail: String) {
            self.sync = sync
            self.synchronized = synchronized
            self.offsetNs = offsetNs
            self.maxErrorNs = maxErrorNs
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey {
            case sync, synchronized, offsetNs = "offset_ns", maxErrorNs = "max_error_ns", detail
        }
    }
}
