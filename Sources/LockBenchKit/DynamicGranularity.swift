// Lock granularity (Uhlig §6.4, Fig 6.12): revoking a permission on 1-1024
// "map nodes" under one coarse lock against one lock per node, on one
// thread and on every CPU at once; then a cascade switching granularity at
// run time, both regimes in one run.

import BenchKit
import RunFormat
import CPlatform
import KernelCore
import Platform
import Synchronization

/// The map nodes: one permission word per node, each on its own line (as
/// Uhlig's mapping database gives each its own lock line).
struct MapNodes: @unchecked Sendable {
    let permissions: CacheLineArray<UInt64>
    init(count: Int) { permissions = CacheLineArray(count: count) { _ in 0b11 } }
    func deallocate() { permissions.deallocate() }
}

/// Revokes (toggles) the write permission of nodes `first..<end` under the
/// cascade: one coarse lock for the whole range (critical-section fusing),
/// or one fine lock per node.
@inline(never)
func dynamicRevokeBatch(_ cascade: LockCascade<SpinLock, SpinLock>, nodes: MapNodes, first: Int, end: Int,
                        vcore: VcoreID, iterations: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        let hold = cascade.enter(NoNode(), vcore: vcore)
        for index in first..<end {
            cascade.lockPart(index, NoNode(), vcore: vcore, hold: hold)
            nodes.permissions.pointer(at: index).pointee ^= 0b10
            cascade.unlockPart(index, NoNode(), vcore: vcore, hold: hold)
        }
        cascade.exit(NoNode(), vcore: vcore, hold: hold)
        cascade.ring.quiescent(vcore)
    }
    return kb_rdtsc_end() &- start
}

/// A member's counters and timings, made before it starts.
struct RevokeSlots: @unchecked Sendable {
    let values: UnsafeMutablePointer<UInt64>
    init(count: Int) {
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
    }
    subscript(index: Int) -> UInt64 {
        get { values[index] }
        nonmutating set { values[index] = newValue }
    }
    func deallocate() { values.deallocate() }
}

/// What a granularity team shares: the primary (member 0) sets `phase`; the
/// others idle (0) or revoke their own node (1) until it says stop (2).
struct GranularityShared: @unchecked Sendable {
    let cascade: LockCascade<SpinLock, SpinLock>
    let nodes: MapNodes
    let phase: CacheLineBox<Atomic<Int>>
}

/// A helper vcore's loop: in phase 1 it revokes one node (its own) over and
/// over, counting operations and ticks; it passes a quiescent state after
/// each operation and while idle, so the primary's switches complete.
@inline(never)
func dynamicRevokeHelperLoop(_ shared: GranularityShared, vcore: VcoreID, counts: RevokeSlots,
                             member: TeamMember) {
    let node = Int(vcore) % shared.nodes.permissions.count
    while !member.shouldStop {
        let phase = shared.phase.pointee.load(ordering: .acquiring)
        if phase == 2 { break }
        if phase == 1 {
            counts[1] &+= dynamicRevokeBatch(shared.cascade, nodes: shared.nodes, first: node, end: node + 1,
                                             vcore: vcore, iterations: 16)
            counts[0] &+= 16
        } else {
            shared.cascade.ring.quiescent(vcore)
            kb_pause()
        }
    }
}

public enum DynamicGranularity {
    /// A phase the primary runs, with the granularity it asks for first.
    struct Phase {
        let name: String
        let parallel: Bool
        let granularity: CascadeGranularity
    }

    /// `granularity` rows (variant coarse / fine, threads 1 or all CPUs,
    /// param nodes=N, metric revoke_per_node in ns: the primary's cost per
    /// node revoked; with other CPUs, also their single-node revoke as
    /// metric helper_revoke), then `cascade_switch` rows: one run through
    /// four phases (alone coarse, alone fine, parallel fine, parallel
    /// coarse) with the switch latencies between them.
    public static func measure(cpus: [Int], nodeCounts: [Int], trials: Int, runner: TrialRunner,
                               scheduling: TeamScheduling) throws -> [Measurement] {
        var rows: [Measurement] = []
        let threadCounts = cpus.count > 1 ? [1, cpus.count] : [1]
        for nodes in nodeCounts {
            for threads in threadCounts {
                for granularity in [CascadeGranularity.coarse, .fine] where !StopRequest.isRequested {
                    let phase = Phase(name: granularity == .coarse ? "coarse" : "fine", parallel: threads > 1,
                                      granularity: granularity)
                    rows += try run(cpus: Array(cpus.prefix(threads)), nodes: nodes, phases: [phase], trials: trials,
                                    runner: runner, scheduling: scheduling, benchmark: "granularity")
                }
            }
        }
        if cpus.count > 1 && !StopRequest.isRequested {
            let phases = [Phase(name: "alone-coarse", parallel: false, granularity: .coarse),
                          Phase(name: "alone-fine", parallel: false, granularity: .fine),
                          Phase(name: "parallel-fine", parallel: true, granularity: .fine),
                          Phase(name: "parallel-coarse", parallel: true, granularity: .coarse)]
            rows += try run(cpus: cpus, nodes: 64, phases: phases, trials: trials, runner: runner,
                            scheduling: scheduling, benchmark: "cascade_switch")
        }
        return rows
    }

    static func run(cpus: [Int], nodes count: Int, phases: [Phase], trials: Int, runner: TrialRunner,
                    scheduling: TeamScheduling, benchmark: String) throws -> [Measurement] {
        let ring = EpochRing(vcores: cpus.count)
        let cascade = LockCascade(coarse: SpinLock(), parts: count, fine: SpinLock.self, ring: ring,
                                  granularity: phases[0].granularity)
        let nodes = MapNodes(count: count)
        let shared = GranularityShared(cascade: cascade, nodes: nodes, phase: CacheLineBox(Atomic<Int>(0)))
        // Operations per trial: about 16k nodes revoked, at least 4 operations.
        let iterations = max(4, min(runner.iterations, 16_384 / count))
        let clock = runner.clock
        let team = ThreadTeam(cpus: cpus, scheduling: scheduling) { _, _ in
            RevokeSlots(count: 2 + trials * phases.count + phases.count)
        }
        let results = team.workspaces[0]
        try team.launch(body: { member, counts in
            let vcore = VcoreID(member.index)
            guard member.index == 0 else {
                dynamicRevokeHelperLoop(shared, vcore: vcore, counts: counts, member: member)
                return
            }
            for (index, phase) in phases.enumerated() where !member.shouldStop {
                // Switch first (timed until in effect), then start or stop the helpers.
                let switchStart = kb_rdtsc()
                let switched = phase.granularity == .fine ? cascade.switchToFine() : cascade.switchToCoarse()
                if switched { _ = cascade.waitUntilSettled(as: vcore, timeoutNs: 10_000_000_000) }
                results[2 + trials * phases.count + index] = switched ? kb_rdtsc() &- switchStart : 0
                shared.phase.pointee.store(phase.parallel ? 1 : 0, ordering: .releasing)
                for trial in 0..<trials where !member.shouldStop {
                    results[2 + index * trials + trial] =
                        dynamicRevokeBatch(cascade, nodes: nodes, first: 0, end: count, vcore: vcore, iterations: iterations)
                }
            }
            shared.phase.pointee.store(2, ordering: .releasing)
        })
        team.release()
        let watchdog = try team.watch(timeoutSeconds: 30, progress: { ring.passes }) { waited in
            writeStderr("lockbench dynamic: granularity: \(ring.stallReport(waitedSeconds: waited))\n")
        }
        let joined = team.join(timeout: .seconds(300))
        watchdog.stop()
        guard joined.joined else { throw TeamTrialsError(abandoned: joined.abandoned) }
        defer {
            for counts in team.workspaces { counts.deallocate() }
            cascade.deallocate(); ring.deallocate(); nodes.deallocate(); shared.phase.deallocate()
        }
        var rows: [Measurement] = []
        for (index, phase) in phases.enumerated() {
            let perNode = (0..<trials).map { trial -> Double in
                let ticks = results[2 + index * trials + trial]
                return clock.nanoseconds(ticks) / Double(iterations * count)
            }
            guard let statistics = SampleStatistics(perNode) else { continue }
            let variant = benchmark == "granularity" ? phase.name : "cascade"
            let param = benchmark == "granularity" ? "nodes=\(count)" : "nodes=\(count) phase=\(phase.name)"
            rows.append(Measurement(benchmark: benchmark, variant: variant, threads: phase.parallel ? cpus.count : 1,
                                    param: param, metric: "revoke_per_node", unit: "ns", lowerIsBetter: true,
                                    statistics: statistics, trials: perNode))
            let switchTicks = results[2 + trials * phases.count + index]
            if benchmark == "cascade_switch" && switchTicks > 0 && index > 0 {
                let ns = clock.nanoseconds(switchTicks)
                rows.append(Measurement(benchmark: benchmark, variant: "cascade", threads: cpus.count, param: param,
                                        metric: "switch_latency", unit: "ns", lowerIsBetter: true,
                                        statistics: SampleStatistics([ns])!, trials: [ns]))
            }
        }
        // The helpers' own single-node revokes (Fig 6.12's per-CPU cost), over the whole run.
        let helperOps = team.workspaces.dropFirst().reduce(0) { $0 + $1[0] }
        let helperTicks = team.workspaces.dropFirst().reduce(0) { $0 + $1[1] }
        if helperOps > 0 {
            let ns = clock.nanoseconds(helperTicks) / Double(helperOps)
            rows.append(Measurement(benchmark: benchmark, variant: benchmark == "granularity" ? phases[0].name : "cascade",
                                    threads: cpus.count, param: benchmark == "granularity" ? "nodes=\(count)" : "nodes=\(count) phase=all-parallel",
                                    metric: "helper_revoke", unit: "ns", lowerIsBetter: true,
                                    statistics: SampleStatistics([ns])!, trials: [ns]))
        }
        return rows
    }
}
