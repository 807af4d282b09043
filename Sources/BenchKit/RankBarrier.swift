import CCluster
import Foundation
import Glibc

/// A barrier across the ranks of a job, and rank 0's word to all of them:
/// MPI (Open MPI's libmpi, loaded at run time: kbench builds and runs without
/// MPI), or a page of shared memory when every rank runs on this node, or none.
///
/// The start of a run and the steps of `ftq --mode bsp` meet here. Every wait
/// is bounded: a rank that never arrives ends the wait with an error, it does
/// not hang the others (MPI's own waits are bounded by the launcher, which
/// kills the job when a rank exits).
public final class RankBarrier: @unchecked Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// MPI_Allreduce over MPI_COMM_WORLD (a barrier that also agrees on stopping).
        case mpi
        /// A counter in /dev/shm shared by the ranks of one node.
        case shm
        /// No barrier: ranks start on the agreed instant alone.
        case none
    }

    /// What the command line asks for: a kind, or `auto` (MPI under Open MPI
    /// or PMIx when libmpi loads, else shared memory when every rank is on this
    /// node, else none).
    public enum Choice: String, Sendable, CaseIterable {
        case auto, mpi, shm, none
    }

    public let kind: Kind
    /// Why the barrier is what it is (and what was skipped), for meta.json.
    public let note: String
    /// The C barrier the step loop calls (stable address, allocated once).
    public let raw: UnsafeMutablePointer<kb_rank_barrier>
    private let identity: RankIdentity?
    private let shmName: String?
    private var closed = false

    /// Open MPI's libmpi as Debian's openmpi-bin (libopenmpi3) installs it.
    public static let defaultMPILibrary = "libmpi.so.40"
    /// The longest a shared-memory barrier waits for the last rank.
    public static let defaultTimeoutNs: UInt64 = 120_000_000_000

    /// Sets up the barrier `choice` asks for among the ranks of `identity`.
    /// - Throws: `BarrierError` when an explicit choice cannot be had (MPI that
    ///   does not load, shared memory across nodes); `auto` degrades instead,
    ///   saying why in `note`.
    public init(choice: Choice, identity: RankIdentity?, mpiLibrary: String = RankBarrier.defaultMPILibrary,
                timeoutNs: UInt64 = RankBarrier.defaultTimeoutNs) throws(BarrierError) {
        self.identity = identity
        raw = .allocate(capacity: 1)
        raw.initialize(to: kb_rank_barrier(kind: Int32(KB_BARRIER_NONE), segment: nil,
                                           size: UInt64(identity?.size ?? 1), episode: 0, timeout_ns: timeoutNs))
        guard let identity, identity.size > 1 else {
            kind = .none
            note = "one rank: no barrier needed"
            shmName = nil
            return
        }
        var mpiFailure: String?
        if choice == .mpi || (choice == .auto && (identity.launcher == .openmpi || identity.launcher == .pmix)) {
            switch Self.startMPI(library: mpiLibrary, identity: identity) {
            case .success:
                raw.pointee.kind = Int32(KB_BARRIER_MPI)
                kind = .mpi
                note = "MPI_Allreduce over MPI_COMM_WORLD (\(mpiLibrary), loaded at run time)"
                shmName = nil
                return
            case let .failure(reason):
                if choice == .mpi { raw.deallocate(); throw BarrierError(description: "--barrier mpi: \(reason)") }
                mpiFailure = reason.description
            }
        }
        // The segment is named by the job (and step): a name without one could
        // meet a segment a killed run left behind.
        if choice == .shm || (choice == .auto && identity.allRanksOnThisNode && identity.jobID != nil) {
            guard identity.allRanksOnThisNode, let job = identity.jobID else {
                raw.deallocate()
                throw BarrierError(description: "--barrier shm: " + (identity.jobID == nil
                    ? "the launcher gives no job id to name the shared segment by"
                    : "the \(identity.size) ranks are not all on this node (use --barrier mpi under mpirun, or none)"))
            }
            let name = "/kbench-barrier-\(job)"
            var error: Int32 = 0
            guard let segment = kb_shm_barrier_open(name, &error) else {
                raw.deallocate()
                throw BarrierError(description: "shared-memory barrier /dev/shm\(name): \(String(cString: strerror(error)))")
            }
            raw.pointee.segment = segment
            raw.pointee.kind = Int32(KB_BARRIER_SHM)
            kind = .shm
            shmName = name
            note = "shared-memory barrier /dev/shm\(name) among the \(identity.size) ranks of this node"
                + (mpiFailure.map { " (MPI not used: \($0))" } ?? "")
            return
        }
        kind = .none
        shmName = nil
        note = "no barrier: " + (choice == .none ? "--barrier none"
            : "ranks span nodes and MPI is not available\(mpiFailure.map { " (\($0))" } ?? " (the launcher is \(identity.launcher.rawValue), not Open MPI)")")
            + "; ranks start on the agreed instant alone"
    }

    deinit {
        close()
        raw.deallocate()
    }

    /// Waits for every rank; true when some rank asked to stop (the same
    /// answer on every rank).
    /// - Throws: `BarrierError` when a rank never arrived.
    public func wait(stop: Bool = false) throws(BarrierError) -> Bool {
        let result = kb_rank_barrier_wait(raw, stop ? 1 : 0)
        if result < 0 {
            throw BarrierError(description: "\(kind.rawValue) barrier: \(result == -ETIMEDOUT ? "a rank did not arrive within \(raw.pointee.timeout_ns / 1_000_000_000) s" : String(cString: strerror(-result)))")
        }
        return result == 1
    }

    /// Rank 0's `value`, on every rank (each rank's own without a barrier).
    /// A barrier first: every rank is ready when rank 0 decides.
    public func broadcastFromRankZero(_ value: () -> Int64) throws(BarrierError) -> Int64 {
        switch kind {
        case .none:
            return value()
        case .mpi:
            _ = try wait()
            var word = identity?.rank == 0 ? value() : 0
            guard kb_mpi_broadcast_i64(&word) == 0 else { throw BarrierError(description: "MPI_Bcast failed") }
            return word
        case .shm:
            _ = try wait()
            if identity?.rank == 0 { kb_shm_barrier_publish(raw.pointee.segment, value()) }
            _ = try wait()
            return kb_shm_barrier_published(raw.pointee.segment)
        }
    }

    /// Leaves the barrier: MPI_Finalize, or the segment closed (and removed by
    /// the last rank). Call on every rank; nothing after it uses the barrier.
    public func close() {
        guard !closed else { return }
        closed = true
        switch kind {
        case .mpi: _ = kb_mpi_finalize()
        case .shm:
            if let segment = raw.pointee.segment, let shmName {
                kb_shm_barrier_close(segment, shmName, raw.pointee.size, 0)
            }
            raw.pointee.segment = nil
        case .none: break
        }
    }

    private static func startMPI(library: String, identity: RankIdentity) -> Result<Void, BarrierError> {
        var reason = [CChar](repeating: 0, count: 512)
        guard kb_mpi_load(library, &reason, reason.count) == 0 else {
            let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(BarrierError(description: "cannot load \(library): \(text)"))
        }
        var rank: Int32 = -1, size: Int32 = -1
        guard kb_mpi_init(&rank, &size) == 0 else { return .failure(BarrierError(description: "MPI_Init failed")) }
        guard Int(rank) == identity.rank, Int(size) == identity.size else {
            _ = kb_mpi_finalize()
            return .failure(BarrierError(description: "MPI says rank \(rank) of \(size), the launcher rank \(identity.rank) of \(identity.size)"))
        }
        return .success(())
    }
}

/// A barrier that cannot be set up or did not complete: one line.
public struct BarrierError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
