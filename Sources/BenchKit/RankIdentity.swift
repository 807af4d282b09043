import Foundation
import RunFormat

/// Who this process is among the ranks a launcher started (Open MPI's mpirun,
/// Slurm's srun, a PMIx or PMI launcher), read from the environment the
/// launcher sets. nil when no launcher started it: a run of one.
///
/// The environment is input like any other: a rank that is not a number, a
/// rank at or past the size, or a size beyond any machine is refused with one
/// line naming the variable (exit 64 at the command line), never trusted.
public struct RankIdentity: Sendable, Equatable {
    public typealias Launcher = RunMetadata.Launch.Launcher

    public var launcher: Launcher
    public var rank: Int
    public var size: Int
    /// The node's index in the job, when the launcher says (Slurm).
    public var nodeID: Int?
    /// The rank's index among those on its node, and how many there are.
    public var localRank: Int?
    public var localSize: Int?
    /// Nodes in the job step, when the launcher says (Slurm).
    public var nodeCount: Int?
    /// The job (and step) the rank belongs to: names shared files and the
    /// default run directory, the same on every rank.
    public var jobID: String?

    public init(launcher: Launcher, rank: Int, size: Int, nodeID: Int? = nil, localRank: Int? = nil,
                localSize: Int? = nil, nodeCount: Int? = nil, jobID: String? = nil) {
        self.launcher = launcher
        self.rank = rank
        self.size = size
        self.nodeID = nodeID
        self.localRank = localRank
        self.localSize = localSize
        self.nodeCount = nodeCount
        self.jobID = jobID
    }

    /// The most ranks kbench accepts (well beyond the largest machines).
    public static let maximumSize = 10_000_000

    /// The rank's own run directory under the job's: `rank-<N>`, no padding.
    public var directoryName: String { "rank-\(rank)" }

    /// True when every rank runs on this node (a shared-memory barrier reaches them all).
    public var allRanksOnThisNode: Bool { localSize == size || nodeCount == 1 || size == 1 }

    /// The identity the environment gives, or nil when no launcher set one.
    /// Open MPI first (mpirun inside a Slurm allocation sets both, and its
    /// ranks are the real ones), then Slurm, PMIx, PMI.
    /// - Throws: `LaunchError` for a variable that is not a valid value.
    public static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(LaunchError) -> RankIdentity? {
        let reader = Reader(environment: environment)
        if environment["OMPI_COMM_WORLD_RANK"] != nil {
            let size = try reader.size("OMPI_COMM_WORLD_SIZE")
            return try RankIdentity(
                launcher: .openmpi, rank: reader.rank("OMPI_COMM_WORLD_RANK", size: size), size: size,
                localRank: reader.optionalRank("OMPI_COMM_WORLD_LOCAL_RANK", size: size),
                localSize: reader.optionalSize("OMPI_COMM_WORLD_LOCAL_SIZE"),
                jobID: reader.name("OMPI_MCA_ess_base_jobid") ?? reader.name("PMIX_NAMESPACE"))
        }
        // A batch script has SLURM_PROCID too, but is no task of a step: only
        // srun's tasks carry a step id (and not the batch or extern steps').
        if environment["SLURM_PROCID"] != nil, let step = environment["SLURM_STEP_ID"] ?? environment["SLURM_STEPID"],
           !slurmNonTaskSteps.contains(step) {
            let size = try reader.size(environment["SLURM_STEP_NUM_TASKS"] != nil ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS")
            let nodes = try reader.optionalSize(environment["SLURM_STEP_NUM_NODES"] != nil ? "SLURM_STEP_NUM_NODES" : "SLURM_NNODES")
            let job = reader.name("SLURM_JOB_ID") ?? reader.name("SLURM_JOBID")
            return try RankIdentity(
                launcher: .slurm, rank: reader.rank("SLURM_PROCID", size: size), size: size,
                nodeID: reader.optionalRank("SLURM_NODEID", size: nodes ?? size),
                localRank: reader.optionalRank("SLURM_LOCALID", size: size),
                localSize: nil, nodeCount: nodes,
                jobID: job.map { job in reader.name("SLURM_STEP_ID").map { "\(job).\($0)" } ?? job })
        }
        if environment["PMIX_RANK"] != nil {
            guard environment["PMI_SIZE"] != nil else {
                throw LaunchError(variable: "PMIX_RANK", value: environment["PMIX_RANK"] ?? "",
                                  problem: "is set but PMI_SIZE is not: the number of ranks is unknown")
            }
            let size = try reader.size("PMI_SIZE")
            return try RankIdentity(launcher: .pmix, rank: reader.rank("PMIX_RANK", size: size), size: size,
                                    jobID: reader.name("PMIX_NAMESPACE"))
        }
        if environment["PMI_RANK"] != nil {
            let size = try reader.size("PMI_SIZE")
            return try RankIdentity(launcher: .pmi, rank: reader.rank("PMI_RANK", size: size), size: size,
                                    jobID: reader.name("PMI_JOBID") ?? reader.name("PMI_KVSNAME"))
        }
        return nil
    }

    /// Slurm's step ids of the batch script (4294967294), the extern step
    /// (4294967293) and an interactive allocation (4294967290).
    static let slurmNonTaskSteps: Set<String> = ["4294967294", "4294967293", "4294967290", "batch", "extern"]

    /// Typed, bounded reads of the launcher's variables.
    struct Reader {
        let environment: [String: String]

        func integer(_ variable: String, in range: ClosedRange<Int>, what: String) throws(LaunchError) -> Int {
            let text = environment[variable] ?? ""
            guard !text.isEmpty, text.count <= 12, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
                  let value = Int(text), range.contains(value) else {
                throw LaunchError(variable: variable, value: text,
                                  problem: "is not \(what) (an integer from \(range.lowerBound) to \(range.upperBound))")
            }
            return value
        }

        func size(_ variable: String) throws(LaunchError) -> Int {
            guard environment[variable] != nil else {
                throw LaunchError(variable: variable, value: "", problem: "is not set, yet a launcher's rank is")
            }
            return try integer(variable, in: 1...RankIdentity.maximumSize, what: "a rank count")
        }

        func optionalSize(_ variable: String) throws(LaunchError) -> Int? {
            environment[variable] == nil ? nil : try integer(variable, in: 1...RankIdentity.maximumSize, what: "a count")
        }

        func rank(_ variable: String, size: Int) throws(LaunchError) -> Int {
            try integer(variable, in: 0...(size - 1), what: "a rank below the size \(size)")
        }

        func optionalRank(_ variable: String, size: Int) throws(LaunchError) -> Int? {
            environment[variable] == nil ? nil : try rank(variable, size: size)
        }

        /// A job name as given when it is safe in a file name, else nil.
        func name(_ variable: String) -> String? {
            guard let text = environment[variable], !text.isEmpty, text.count <= 64,
                  text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
            return text
        }
    }
}

/// A launcher variable that cannot be used: one line naming it and its value.
public struct LaunchError: Error, CustomStringConvertible, Sendable, Equatable {
    public let variable: String
    public let value: String
    public let problem: String

    public var description: String {
        "launcher environment: \(variable)=\(String(value.prefix(40)).debugDescription) \(problem)"
    }
}
