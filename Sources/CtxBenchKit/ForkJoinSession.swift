// `ctxbench forkjoin`: the cost of an OpenMP-style parallel region over N
// pinned threads (Uhlig §6.2.3, Bull's PARALLEL directive), with a futex
// barrier, a sense-reversing spinning barrier and a combining-tree barrier.

import Platform
import BenchKit
import KernelCore
import RunFormat
import Synchronization
import Glibc

/// The barriers a region can fork and join with.
public enum ForkJoinBarrier: String, CaseIterable, Sendable {
    case futex, spin, tree

    /// Whether this barrier is meaningful for `participants`: the tree needs
    /// at least two levels (N >= 3 with fan-in 2); with fewer it is the
    /// central barrier again.
    public func applies(participants: Int) -> Bool {
        self != .tree || CombiningTreeBarrier.shape(participants: participants, fanIn: 2).levels >= 2
    }
}

/// A region run that lost a worker: some participant did not run every region.
public struct ForkJoinCheckError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

public enum ForkJoinSession {
    /// One barrier at one team size.
    public struct Result: Sendable {
        public var measurement: Measurement?
        /// Regions each participant ran (master first), warm-up included.
        public var regionsRun: [UInt64]
        public var scheduling: [MemberScheduling]
        /// Whether the spinning barriers were told to yield early (more
        /// participants than CPUs).
        public var oversubscribed: Bool
    }

    /// Runs parallel regions of `participants` threads (the master is
    /// participant 0; member i runs on `cpus[i % cpus.count]`), timed by the
    /// master with `runner` (its iterations are regions). Checks afterwards
    /// that every participant ran exactly the master's regions, each in its
    /// turn; throws `ForkJoinCheckError` otherwise. A watchdog cancels the
    /// barrier when the master makes no progress for `stallSeconds`.
    public static func measure(_ kind: ForkJoinBarrier, participants: Int, cpus: [Int], runner: TrialRunner,
                               scheduling: TeamScheduling = .inherit, stallSeconds: Double = 20) throws -> Result {
        precondition(participants > 0 && !cpus.isEmpty)
        let spin = BarrierSpin.forParticipants(participants, cpus: Set(cpus).count)
        let oversubscribed = kind != .futex && spin == .oversubscribed
        switch kind {
        case .futex:
            let barrier = FutexBarrier(participants: participants)
            return try measure(barrier, master: .futex(barrier), cpus: cpus, runner: runner, scheduling: scheduling,
                               stallSeconds: stallSeconds, oversubscribed: oversubscribed)
        case .spin:
            let barrier = SenseBarrier(participants: participants, spin: spin)
            return try measure(barrier, master: .spin(barrier), cpus: cpus, runner: runner, scheduling: scheduling,
                               stallSeconds: stallSeconds, oversubscribed: oversubscribed)
        case .tree:
            let barrier = CombiningTreeBarrier(participants: participants, fanIn: 2, spin: spin)
            return try measure(barrier, master: .tree(barrier), cpus: cpus, runner: runner, scheduling: scheduling,
                               stallSeconds: stallSeconds, oversubscribed: oversubscribed)
        }
    }

    /// The master's outcome, kept in its workspace.
    final class Outcome: @unchecked Sendable { var measurement: Measurement? }

    /// `master` is `barrier` again, by type, for the master's batch.
    static func measure<B: KernelBarrier>(_ barrier: B, master: ForkJoinMasterBarrier, cpus: [Int], runner: TrialRunner,
                                          scheduling: TeamScheduling,
                                          stallSeconds: Double, oversubscribed: Bool) throws -> Result {
        let participants = barrier.participants
        let control = CacheLineBox(ForkJoinControl())
        let records = CacheLineArray(count: participants) { _ in RegionRecord() }
        let placement = (0..<participants).map { cpus[$0 % cpus.count] }
        let team = ThreadTeam(cpus: placement, scheduling: scheduling) { _, _ in Outcome() }
        var joined = false
        defer {
            // An abandoned participant may still touch these: leak them then.
            if joined { barrier.deallocate(); control.deallocate(); records.deallocate() }
        }
        let param = "cpus=\(CPUSet(placement))"
        try team.launch(body: { member, outcome in
            let record = records.pointer(at: member.index)
            if member.index == 0 {
                var regions = ParallelRegions(variant: B.name, barrier: master, control: control.pointer, master: record)
                outcome.measurement = runner.measure(&regions, threads: participants,
                                                     param: "\(param);regions=\(runner.iterations)")
                // The last fork: the workers see `quit` and leave.
                control.pointee.quit.store(true, ordering: .relaxed)
                _ = barrier.wait(participant: 0)
            } else {
                runForkJoinWorker(barrier, participant: member.index, control: control.pointer, record: record)
            }
        })
        let watchdog = try team.watch(timeoutSeconds: stallSeconds, progress: {
            control.pointee.region.load(ordering: .relaxed)
        }, onStall: { _ in barrier.cancel() })
        team.release()
        // The master ends by itself (or at the next trial after Ctrl-C) and
        // its last fork ends the workers; a stall cancels the barrier, which
        // ends everyone.
        while team.finishedCount < participants { sleepNanoseconds(10_000_000) }
        watchdog.stop()
        let join = team.join(timeout: .seconds(5))
        joined = join.joined
        guard join.joined else {
            throw ForkJoinCheckError(description: "forkjoin \(B.name): participants \(join.abandoned) did not return")
        }
        let regionsRun = (0..<participants).map { records[$0].regions }
        if barrier.isCancelled && !StopRequest.isRequested {
            throw ForkJoinCheckError(description: "forkjoin \(B.name) with \(participants) threads stalled for \(Int(stallSeconds)) s and was cancelled (regions run: \(regionsRun))")
        }
        if !barrier.isCancelled {
            try check(regionsRun: regionsRun, mismatches: (0..<participants).map { records[$0].mismatches },
                      barrier: B.name)
        }
        return Result(measurement: team.workspaces[0].measurement, regionsRun: regionsRun,
                      scheduling: team.memberScheduling, oversubscribed: oversubscribed)
    }

    /// Every participant ran every region, each in its turn: the same count
    /// as the master, and no region out of step.
    static func check(regionsRun: [UInt64], mismatches: [UInt64], barrier: String) throws {
        for (participant, regions) in regionsRun.enumerated().dropFirst() where regions != regionsRun[0] {
            throw ForkJoinCheckError(description: "forkjoin \(barrier): worker \(participant) ran \(regions) of the master's \(regionsRun[0]) regions")
        }
        for (participant, count) in mismatches.enumerated() where count > 0 {
            throw ForkJoinCheckError(description: "forkjoin \(barrier): participant \(participant) ran \(count) regions out of step with the master")
        }
    }

    /// `ctxbench forkjoin`: every barrier that applies, at every team size of
    /// `participants`, on `cpus`; writes summary.csv (ns and ticks per
    /// region), trials.csv and meta.json. Throws when a check fails.
    public static func run(barriers: [ForkJoinBarrier], participants: [Int], cpus: [Int], runner: TrialRunner,
                           benchRun: BenchRun) throws -> [Measurement] {
        var rows: [Measurement] = []
        var checked: [String: JSONValue] = [:]
        for count in participants where !StopRequest.isRequested {
            if count > Set(cpus).count {
                benchRun.warn("forkjoin with \(count) threads on \(Set(cpus).count) CPUs is oversubscribed: the spinning barriers yield after \(BarrierSpin.oversubscribed.pauses) pauses, so those figures include context switches")
            }
            for kind in barriers where !StopRequest.isRequested {
                guard kind.applies(participants: count) else {
                    benchRun.warn("forkjoin: no \(kind.rawValue) barrier with \(count) threads (a combining tree needs 3 or more)")
                    continue
                }
                let result = try measure(kind, participants: count, cpus: cpus, runner: runner,
                                         scheduling: benchRun.teamScheduling)
                for (index, scheduling) in result.scheduling.enumerated() {
                    benchRun.recordScheduling(scheduling, thread: "forkjoin-\(kind.rawValue)-t\(count)-\(index)@cpu\(cpus[index % cpus.count])")
                }
                checked["\(kind.rawValue)_t\(count)"] = .int(Int64(result.regionsRun.first ?? 0))
                if let measurement = result.measurement { rows += measurement.withTicks(runner.clock) }
            }
        }
        // The proof every worker ran every region: the regions each
        // participant ran (all equal, or the run failed above).
        benchRun.setParameter("regions_run_by_every_participant", .object(checked))
        try benchRun.finish(measurements: rows, complete: !StopRequest.isRequested)
        return rows
    }
}
