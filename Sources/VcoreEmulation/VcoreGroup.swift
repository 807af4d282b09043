// VcoreGroup: the emulated vcores of one process, as a BenchKit thread team
// whose members register in the vcore map before the start and leave it after.

import BenchKit
import KernelCore

/// What a vcore's body gets: its id, the map, and its team member (the
/// group's stop flag and the start tick).
@frozen
public struct Vcore: @unchecked Sendable {
    /// This vcore's id.
    public let id: VcoreID
    /// The CPU its thread is pinned to.
    public let cpu: Int32
    /// The process' vcore map.
    public let map: VcoreMap
    /// The vcore's thread as the team sees it (a trivial value: pointers).
    @usableFromInline let member: TeamMember

    init(member: TeamMember, map: VcoreMap) {
        id = VcoreID(member.index)
        cpu = Int32(member.cpu)
        self.map = map
        self.member = member
    }

    /// True once the group asked its vcores to stop (a relaxed load of the
    /// team's stop line: check it between lock acquisitions, never inside a
    /// critical section).
    @inlinable
    public var shouldStop: Bool { member.shouldStop }

    /// The TSC tick the group started at (`release`): every vcore's body
    /// sees the same one.
    public var startTick: UInt64 { member.startTick }
}

/// How a group's vcores get their CPUs.
public enum VcorePlacement: Sendable, Equatable {
    /// Vcore i pinned to `cpus[i % cpus.count]`, every vcore running. With
    /// more vcores than CPUs, Linux time-slices those that share a CPU,
    /// which the vcore map cannot see (it shows them all running).
    case pinned
    /// The emulated kernel hands the CPUs out as pcores, one vcore each
    /// (`VcoreMap.scheduleCores`); the other vcores are preempted in the map
    /// until the scheduler (`PreemptionController` with a rotation) gives
    /// them a core. The map tells the truth with any number of vcores.
    case scheduled
}

/// The vcores of one emulated process: one kernel thread per vcore of `map`,
/// placed as `placement` says. Several vcores share a CPU only when there
/// are more vcores than CPUs given: `.pinned` lets Linux time-slice them
/// (which the vcore map cannot see), `.scheduled` has the emulated kernel
/// give each CPU to one of them at a time.
///
/// A thin layer over `ThreadTeam`: the team pins, schedules, starts and
/// stops the threads; the group adds what makes a thread a vcore. Its
/// prologue registers the thread in the map (so the emulated kernel can
/// signal it) before it checks in at the start line, and its epilogue
/// leaves the map after the body returned. Leaving honours a pending
/// preemption first (`VcoreMap.exit` parks until the vcore is restored), so
/// a vcore counts as finished only once it runs again and has left.
public final class VcoreGroup: @unchecked Sendable {
    /// The map the vcores register in.
    public let map: VcoreMap
    /// The CPU of each vcore.
    public let cpus: [Int32]
    /// SCHED_FIFO priority of every vcore thread, or nil for SCHED_OTHER.
    public let fifoPriority: Int32?
    /// Pinned, or scheduled by the emulated kernel.
    public let placement: VcorePlacement
    private let team: ThreadTeam<Void>

    /// A group for every vcore of `map`, on `cpus` (round robin). With
    /// `fifoPriority`, every vcore thread runs SCHED_FIFO at that priority:
    /// then no other process (and no time slicing between vcores sharing a
    /// CPU) takes a CPU from a running vcore, as on Akaros, where a vcore
    /// keeps its core until the kernel preempts it; a vcore that shares a
    /// CPU with a running one waits until that one stops (is preempted or
    /// changes vcore). `launch` throws if SCHED_FIFO is not permitted.
    ///
    /// SCHED_FIFO vcores run their emulated system calls one priority higher
    /// (`VcoreMap.runKernelSide`), so `fifoPriority` must be below 99, and a
    /// preemption controller must run at `fifoPriority + 1` or above.
    ///
    /// `.scheduled` makes `map` schedule its vcores onto the CPUs (call it
    /// on a fresh map): vcore i is pinned to pcore `i % pcores`'s CPU and
    /// starts running only if i is below the pcore count; the others wait,
    /// preempted, for a core before their body begins.
    public init(map: VcoreMap, cpus: [Int32], fifoPriority: Int32? = nil, placement: VcorePlacement = .pinned) {
        precondition(!cpus.isEmpty, "VcoreGroup: no CPUs")
        if let fifoPriority {
            precondition((1...98).contains(fifoPriority), "VcoreGroup: SCHED_FIFO priority \(fifoPriority) not in 1...98")
        }
        map.runKernelSide(atPriority: fifoPriority.map { $0 + 1 }, vcorePriority: fifoPriority ?? 0)
        self.map = map
        self.fifoPriority = fifoPriority
        self.placement = placement
        var cpus = cpus
        if placement == .scheduled {
            map.scheduleCores(onto: cpus)
            cpus = map.pcoreCPUs
        }
        let placed = (0..<map.count).map { cpus[$0 % cpus.count] }
        self.cpus = placed
        team = ThreadTeam(cpus: placed.map(Int.init),
                          scheduling: fifoPriority.map { .fifo(priority: Int($0), required: true) } ?? .inherit,
                          workspace: { _, _ in () })
    }

    /// Starts every vcore's thread: pinned, scheduled, registered in the map,
    /// `onReady` run on it, then asleep at the start line until `release`;
    /// then it runs `body`, and leaves the map when `body` returns (after
    /// honouring a pending preemption). Throws, with every thread stopped and
    /// joined, if a thread cannot be created or pinned, SCHED_FIFO is refused,
    /// or the threads are not ready within 5 s.
    public func launch(onReady: @escaping @Sendable (Vcore) -> Void = { _ in },
                       _ body: @escaping @Sendable (Vcore) -> Void) throws {
        let map = self.map
        try team.launch(prologue: { member in
            let vcore = Vcore(member: member, map: map)
            map.register(vcore.id, cpu: vcore.cpu)
            onReady(vcore)
        }, body: { member, _ in
            // A scheduled vcore without a core waits for one first.
            map.awaitCore(VcoreID(member.index))
            body(Vcore(member: member, map: map))
        }, epilogue: { member in
            map.exit(VcoreID(member.index))
        })
    }

    /// Lets every launched vcore run its body, from now; returns the start
    /// tick (`Vcore.startTick`).
    @discardableResult
    public func release() -> UInt64 { team.release() }

    /// `launch` then `release`: every vcore runs `body`, all from one start.
    public func start(_ body: @escaping @Sendable (Vcore) -> Void) throws {
        try launch(body)
        release()
    }

    /// Asks every vcore's body to return (they poll `Vcore.shouldStop`).
    public func requestStop() {
        team.requestStop()
    }

    /// Number of vcores that have returned and left the map.
    public var finishedCount: Int { team.finishedCount }

    /// Waits up to `timeout` for every vcore to return and joins them. Returns
    /// false if some did not (a stuck lock); their threads are then abandoned,
    /// never waited on for ever. Preempted vcores are not restored here: stop
    /// the controller (or `map.restoreAll()`) first. May be called again
    /// after a false return.
    @discardableResult
    public func join(timeout: Duration) -> Bool {
        team.join(timeout: timeout).joined
    }

    /// Starts the team's watchdog: when neither `progress` nor the vcores
    /// that returned move for `timeoutSeconds`, `onStall` runs once (on the
    /// watchdog's thread) and the vcores are asked to stop.
    public func watch(timeoutSeconds: Double, progress: @escaping @Sendable () -> UInt64,
                      onStall: @escaping @Sendable (_ stalledSeconds: Double) -> Void) throws -> Watchdog {
        try team.watch(timeoutSeconds: timeoutSeconds, progress: progress, onStall: onStall)
    }
}
