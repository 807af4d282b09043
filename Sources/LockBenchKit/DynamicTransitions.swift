// Dynamic-lock transitions on a ring of vcores (a ThreadTeam): how long a
// demotion or promotion takes to be in effect, against the number of vcores
// and how often they pass quiescent states; and mutual exclusion checked
// while every vcore promotes and demotes at random under contention.

import BenchKit
import RunFormat
import CPlatform
import KernelCore
import Platform
import Synchronization

/// What the vcores of one configuration share.
struct TransitionShared: @unchecked Sendable {
    let ring: EpochRing
    let canary: CacheLineBox<Atomic<UInt32>>
    let work: MessageBuffers
    /// The vcore that asks for transitions and times them (the last; a
    /// remote vcore when there are two or more).
    let requester: VcoreID
    let quiescentEvery: Int
    let random: Bool
    let endTick: UInt64
}

/// One vcore's results, made before it starts.
struct TransitionSlots: @unchecked Sendable {
    static let capacity = 4096
    let demotions: UnsafeMutablePointer<UInt64>
    let promotions: UnsafeMutablePointer<UInt64>
    /// 0 demotions, 1 promotions, 2 entries, 3 violations, 4 transitions begun.
    let counts: UnsafeMutablePointer<Int>
    init() {
        demotions = .allocate(capacity: Self.capacity)
        promotions = .allocate(capacity: Self.capacity)
        counts = .allocate(capacity: 5)
        counts.initialize(repeating: 0, count: 5)
    }
    func deallocate() { demotions.deallocate(); promotions.deallocate(); counts.deallocate() }
}

/// One vcore's loop: enter when admitted (lock, transfer, canary check,
/// unlock), a quiescent state every `quiescentEvery` operations; the
/// requester alternates demotion and promotion and times each until it is
/// in effect; with `random`, every vcore flips the lock at random instead.
@inline(never)
func dynamicTransitionLoop<L: KernelLock>(_ lock: DynamicLock<L>, node: L.Node, vcore: VcoreID,
                                          shared: TransitionShared, slots: TransitionSlots,
                                          member: TeamMember) {
    var dice = UInt64(vcore) &* 0x9E37_79B9_7F4A_7C15 | 1
    var pendingSince: UInt64 = 0, pendingTarget = DynamicLockState.enabled, gap = 0
    var operations = 0
    let me = vcore &+ 1
    while !member.shouldStop {
        operations &+= 1
        if operations & 63 == 0 && kb_rdtsc() >= shared.endTick { break }
        if shared.random {
            dice ^= dice << 13; dice ^= dice >> 7; dice ^= dice << 17
            if dice & 63 == 0 {
                let begun = dice & 64 == 0 ? lock.demote() : lock.promote(from: vcore) != nil
                if begun { slots.counts[4] += 1 }
            }
        } else if vcore == shared.requester {
            if pendingSince != 0 {
                if lock.settle() == pendingTarget {
                    let ticks = kb_rdtsc() &- pendingSince
                    let which = pendingTarget == .disabled ? 0 : 1
                    let buffer = which == 0 ? slots.demotions : slots.promotions
                    if slots.counts[which] < TransitionSlots.capacity { buffer[slots.counts[which]] = ticks }
                    slots.counts[which] += 1
                    pendingSince = 0
                    gap = 0
                }
            } else if gap >= 32 {
                let start = kb_rdtsc()
                if lock.state == .enabled, lock.demote() {
                    pendingSince = start; pendingTarget = .disabled
                } else if lock.state == .disabled, let reached = lock.promote(from: vcore) {
                    pendingSince = start; pendingTarget = .enabled
                    if reached == .enabled {   // on the home vcore: in effect at once
                        if slots.counts[1] < TransitionSlots.capacity { slots.promotions[slots.counts[1]] = kb_rdtsc() &- start }
                        slots.counts[1] += 1
                        slots.counts[4] += 1
                        pendingSince = 0; gap = 0
                    }
                }
                if pendingSince != 0 { slots.counts[4] += 1 }
            } else {
                gap += 1
            }
        }
        if lock.admits(vcore) {
            let held = lock.lock(node, vcore: vcore)
            shared.canary.pointee.store(me, ordering: .relaxed)
            shared.work.transfer(tag: UInt64(operations))
            if shared.canary.pointee.load(ordering: .relaxed) != me { slots.counts[3] += 1 }
            lock.unlock(node, vcore: vcore, held: held)
            slots.counts[2] += 1
        }
        if operations % shared.quiescentEvery == 0 { shared.ring.quiescent(vcore) }
    }
}

public enum DynamicTransitions {
    /// The lock whose transitions are measured: a dynamic spin lock, home vcore 0.
    /// Rows: `dynamic_transition` (variant demote / promote-remote /
    /// promote-home, threads = vcores, param quiescent_every=Q, metric
    /// latency in ns, one sample per transition) for each vcore count and
    /// quiescent interval; then `dynamic_exclusion` (random transitions by
    /// every vcore: entries, transitions, violations). Throws when any
    /// vcore saw another inside.
    /// With `yieldWhenOversubscribed` false, vcores sharing a CPU spin
    /// through their quiescent states without yielding (the behaviour before
    /// `EpochRing.oversubscribed`, kept to measure the difference).
    public static func measure(cpus: [Int], vcoreCounts: [Int], quiescentEvery: [Int], seconds: Double,
                               clock: TSCClock, scheduling: TeamScheduling,
                               yieldWhenOversubscribed: Bool = true) throws -> [Measurement] {
        var rows: [Measurement] = []
        for vcores in vcoreCounts {
            for every in quiescentEvery where !StopRequest.isRequested {
                let result = try run(cpus: cpus, vcores: vcores, every: every, random: false, seconds: seconds,
                                     clock: clock, scheduling: scheduling, yield: yieldWhenOversubscribed)
                let param = "quiescent_every=\(every)"
                for (variant, samples) in [("demote", result.demotions),
                                           (vcores > 1 ? "promote-remote" : "promote-home", result.promotions)] {
                    let ns = samples.map { clock.nanoseconds($0) }
                    guard let statistics = SampleStatistics(ns) else { continue }
                    rows.append(Measurement(benchmark: "dynamic_transition", variant: variant, threads: vcores,
                                            param: param, metric: "latency", unit: "ns", lowerIsBetter: true,
                                            statistics: statistics, trials: ns))
                }
                rows += result.exclusionRows(benchmark: "dynamic_transition", vcores: vcores, param: param)
            }
        }
        for vcores in vcoreCounts where vcores > 1 && !StopRequest.isRequested {
            let result = try run(cpus: cpus, vcores: vcores, every: 1, random: true, seconds: seconds,
                                 clock: clock, scheduling: scheduling, yield: yieldWhenOversubscribed)
            rows += result.exclusionRows(benchmark: "dynamic_exclusion", vcores: vcores, param: "random=1/64")
        }
        if let broken = rows.first(where: { $0.metric == "violations" && $0.statistics.max > 0 }) {
            throw DynamicExclusionError(row: broken)
        }
        return rows
    }

    struct Outcome {
        var demotions: [UInt64] = [], promotions: [UInt64] = []
        var entries = 0, violations = 0, transitions = 0

        func exclusionRows(benchmark: String, vcores: Int, param: String) -> [Measurement] {
            [("entries", entries), ("transitions", transitions), ("violations", violations)].map { metric, value in
                Measurement(benchmark: benchmark, variant: "spin", threads: vcores, param: param, metric: metric,
                            unit: "count", lowerIsBetter: metric == "violations",
                            statistics: SampleStatistics([Double(value)])!, trials: [Double(value)])
            }
        }
    }

    static func run(cpus: [Int], vcores: Int, every: Int, random: Bool, seconds: Double, clock: TSCClock,
                    scheduling: TeamScheduling, yield: Bool) throws -> Outcome {
        let ring = EpochRing(vcores: vcores, oversubscribed: yield && vcores > cpus.count)
        let lock = DynamicLock(base: SpinLock(), ring: ring, home: 0, state: .enabled)
        let work = MessageBuffers()
        let canary = CacheLineBox(Atomic<UInt32>(0))
        let shared = TransitionShared(ring: ring, canary: canary, work: work, requester: VcoreID(vcores - 1),
                                      quiescentEvery: every, random: random,
                                      endTick: kb_rdtsc() &+ clock.ticks(nanoseconds: (seconds + 0.05) * 1e9))
        let members = (0..<vcores).map { cpus[$0 % cpus.count] }
        // More vcores than CPUs stay SCHED_OTHER: a FIFO vcore spinning for the
        // lock would never let a same-CPU holder (or the token) run.
        let policy = vcores > cpus.count ? TeamScheduling.inherit : scheduling
        let team = ThreadTeam(cpus: members, scheduling: policy) { _, _ in TransitionSlots() }
        try team.launch(body: { member, slots in
            dynamicTransitionLoop(lock, node: NoNode(), vcore: VcoreID(member.index), shared: shared,
                                  slots: slots, member: member)
        })
        team.release()
        let watchdog = try team.watch(timeoutSeconds: max(5, seconds * 4), progress: { ring.passes }) { waited in
            writeStderr("lockbench dynamic: \(ring.stallReport(waitedSeconds: waited))\n")
        }
        let joined = team.join(timeout: .seconds(seconds * 10 + 10))
        watchdog.stop()
        guard joined.joined else { throw TeamTrialsError(abandoned: joined.abandoned) }
        var outcome = Outcome()
        for slots in team.workspaces {
            outcome.demotions += (0..<min(slots.counts[0], TransitionSlots.capacity)).map { slots.demotions[$0] }
            outcome.promotions += (0..<min(slots.counts[1], TransitionSlots.capacity)).map { slots.promotions[$0] }
            outcome.entries += slots.counts[2]
            outcome.violations += slots.counts[3]
            outcome.transitions += slots.counts[4]
            slots.deallocate()
        }
        lock.deallocate(); ring.deallocate(); work.deallocate(); canary.deallocate()
        return outcome
    }
}

/// Two vcores were inside a dynamic lock at once.
public struct DynamicExclusionError: Error, CustomStringConvertible {
    public let row: Measurement
    public var description: String {
        "mutual exclusion broken: \(Int(row.statistics.max)) violations (\(row.benchmark), \(row.threads) vcores, \(row.param))"
    }
}
