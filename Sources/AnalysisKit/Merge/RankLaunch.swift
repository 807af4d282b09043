import Foundation
import RunFormat

/// The `launch` object a rank's meta.json carries when the tool ran as one rank of
/// many (under Open MPI, Slurm, PMI/PMIx), read by `analysis merge`.
///
/// Why merge has its own reader: merge needs only this object, the host and the
/// quantum, and must read 10^5 meta.json files; decoding the whole environment stamp
/// of each would cost time and tie merge to every other field. The keys follow the
/// contract the run side writes (snake_case like the rest of meta.json).
public struct RankLaunch: Codable, Equatable, Sendable {
    /// "openmpi", "slurm", "pmix", "pmi" or "none".
    public var launcher: String
    public var rank: Int
    public var size: Int
    public var nodeID: Int?
    public var localRank: Int?
    public var host: String
    public var jobID: String?
    /// The agreed start instant, ISO 8601 (nil when the ranks were not told one).
    public var startAtUTC: String?
    /// CLOCK_REALTIME, ns, at the instant ftq.csv's `start_ns` = 0: the shared time base.
    public var timeZeroRealtimeNs: Int64
    public var clock: Clock

    /// How well this host's clock agreed with the others when the rank ran.
    public struct Clock: Codable, Equatable, Sendable {
        /// "chrony", "ntpd", "ptp", "systemd-timesyncd", "none" or "unknown".
        public var sync: String
        public var synchronized: Bool?
        public var offsetNs: Double?
        public var maxErrorNs: Double?
        public var detail: String

        public init(sync: String, synchronized: Bool?, offsetNs: Double?, maxErrorNs: Double?, detail: String) {
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

    public init(launcher: String, rank: Int, size: Int, nodeID: Int?, localRank: Int?, host: String,
                jobID: String?, startAtUTC: String?, timeZeroRealtimeNs: Int64, clock: Clock) {
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

    /// The worst disagreement of this host's clock with true time that its
    /// synchronisation daemon admits, ns: |offset| + max error; nil when unknown.
    public var clockErrorBoundNs: Double? {
        guard clock.offsetNs != nil || clock.maxErrorNs != nil else { return nil }
        return abs(clock.offsetNs ?? 0) + abs(clock.maxErrorNs ?? 0)
    }
}

/// The part of a rank's meta.json that merge reads: host, quantum and `launch`.
/// Unknown keys are ignored, so any kbench meta.json decodes.
public struct RankMetadata: Decodable, Sendable {
    public var host: String?
    public var parameters: [String: JSONValue]?
    public var launch: RankLaunch?

    /// The sampler's quantum, ns, from `parameters.quantum_ns`.
    public var quantumNs: Double? { parameters?["quantum_ns"]?.doubleValue }

    public static func read(path: String) throws -> RankMetadata {
        try JSONCoding.read(RankMetadata.self, path: path)
    }
}
