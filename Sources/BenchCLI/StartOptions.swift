import ArgumentParser
import BenchKit
import Foundation

/// When the ranks of a job start, and how they meet: `--start-at`,
/// `--start-in`, `--barrier`. Every rank's quanta then share one time base
/// (meta.json's `launch.time_zero_realtime_ns`); within a node the thread
/// team's TSC start line takes it from there.
public struct StartOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("start-at"), help: ArgumentHelp(
        "Start measuring at this UTC instant (ISO 8601, e.g. 2026-12-02T04:30:00Z; fractional seconds allowed).",
        discussion: "Every rank given the same instant starts on it, as well as their clocks agree (meta.json records how well: launch.clock).",
        valueName: "instant"))
    public var startAt: String?

    @Option(name: .customLong("start-in"), help: ArgumentHelp(
        "Start measuring this many seconds from now (0-86400), as rank 0 counts them.",
        discussion: "Rank 0 resolves the instant once, after every rank is ready, and passes it to the others through the barrier. Under a launcher with a barrier the default is 1 s.",
        valueName: "s"))
    public var startIn: Double?

    @Option(help: ArgumentHelp(
        "How ranks meet: auto, mpi (Open MPI's libmpi, loaded at run time), shm (shared memory, all ranks on one node) or none.",
        discussion: "auto takes MPI under mpirun when libmpi loads, shared memory when every rank is on this node, and otherwise none (then ranks meet only on --start-at, with a warning in meta.json).",
        valueName: "kind"))
    public var barrier: RankBarrier.Choice = .auto

    @Option(name: .customLong("mpi-library"), help: ArgumentHelp("The MPI library to load (Open MPI's ABI).", valueName: "path"))
    public var mpiLibrary: String = RankBarrier.defaultMPILibrary

    public init() {}

    /// The longest --start-in, and how far --start-at may lie from now.
    public static let horizonSeconds = 86_400.0

    public func validate() throws {
        if startAt != nil, startIn != nil { throw ValidationError("give --start-at or --start-in, not both") }
        if let startIn {
            guard startIn.isFinite, (0...Self.horizonSeconds).contains(startIn) else {
                throw ValidationError("--start-in must be between 0 and \(Int(Self.horizonSeconds)) seconds, got \(startIn)")
            }
        }
        if let startAt {
            guard let ns = RealtimeAnchor.parseISO8601(startAt) else {
                throw ValidationError("--start-at \(String(startAt.prefix(64)).debugDescription) is not an ISO 8601 UTC instant (e.g. 2026-12-02T04:30:00Z)")
            }
            let away = Double(ns - RealtimeAnchor.nowNs()) / 1e9
            guard abs(away) <= Self.horizonSeconds else {
                throw ValidationError("--start-at \(startAt) is \(Int(away)) s from now: give an instant within a day")
            }
        }
        // A shared library's name or path ("libmpi.so.40", "/opt/ompi/lib/libmpi.so"):
        // anything else would only fail later, after the run has started.
        guard mpiLibrary.count <= 4096, mpiLibrary.contains(".so"),
              !mpiLibrary.contains(where: { $0.isWhitespace || $0 == "," || $0 == "\0" }) else {
            throw ValidationError("--mpi-library \(String(mpiLibrary.prefix(64)).debugDescription) is not a shared library's name or path (e.g. libmpi.so.40)")
        }
    }

    /// --start-at in CLOCK_REALTIME nanoseconds.
    public var startAtRealtimeNs: Int64? { startAt.flatMap(RealtimeAnchor.parseISO8601) }

    /// True when the run asks for an agreed start.
    public var asksForStart: Bool { startAt != nil || startIn != nil }
}

extension RankBarrier.Choice: ExpressibleByArgument {}
