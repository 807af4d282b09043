// One thread team: every tool's pinned measurement threads, started together
// on a TSC start line and stopped with a bound.

import Platform
import CPlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// N threads, member i pinned to `cpus[i]`, each with a workspace allocated
/// (and so pre-faulted) before any of them starts, optionally SCHED_FIFO, that
/// begin together at one TSC tick and stop with a bounded wait.
///
/// A run goes: `init` (workspaces), `launch` (threads pinned, scheduled,
/// prologue run, checked in at the start line, asleep), `release` (the start
/// tick published, members woken), then `requestStop`/`join(timeout:)`. The
/// thread that calls these is the coordinator; it never spins: it sleeps while
/// members check in and has nothing to do once it has released them (see
/// `StartLine`), so members that run SCHED_FIFO on every CPU cannot keep the
/// start from happening.
///
/// Lifetimes: each member's thread keeps the team's shared memory (stop flag,
/// start line, counters) and its own workspace alive while it runs, so a
/// member abandoned by `join(timeout:)` never touches freed memory; that
/// memory is leaked with it, on purpose.
///
/// Several members may share a CPU (`cpus` may repeat). Prologue and epilogue
/// run on each member's thread just before it checks in and just after its
/// body returns: the place for per-thread registration and exit (an emulated
/// vcore registering in its map, and leaving it).
public final class ThreadTeam<Workspace: Sendable>: @unchecked Sendable {
    /// The CPU of each member.
    public let cpus: [Int]
    /// Each member's workspace, made before any thread started.
    public let workspaces: [Workspace]
    /// What the members ask for.
    public let scheduling: TeamScheduling
    /// The start tick, once released.
    public private(set) var startTick: UInt64?

    private let shared: TeamShared
    private var threads: [PinnedThread] = []
    private var joined = false

    /// A team of one member per entry of `cpus`. `workspace` runs here, on the
    /// calling thread, for every member before any thread exists.
    public init(cpus: [Int], scheduling: TeamScheduling = .inherit,
                workspace: (_ member: Int, _ cpu: Int) throws -> Workspace) rethrows {
        precondition(!cpus.isEmpty, "ThreadTeam: no CPUs")
        self.cpus = cpus
        self.scheduling = scheduling
        workspaces = try cpus.enumerated().map { try workspace($0.offset, $0.element) }
        shared = TeamShared(members: cpus.count)
    }

    /// Starts every member's thread: pinned to its CPU (checked), scheduled as
    /// asked, `prologue` run, checked in at the start line, then asleep until
    /// `release`, when it runs `body` and then `epilogue`. Returns once every
    /// member has checked in. Throws, with every thread stopped and joined,
    /// when a thread cannot be created or pinned, when SCHED_FIFO is required
    /// and refused, or when members have not checked in within `timeout`.
    public func launch(timeout: Duration = .seconds(5),
                       prologue: @escaping @Sendable (TeamMember) -> Void = { _ in },
                       body: @escaping @Sendable (TeamMember, Workspace) -> Void,
                       epilogue: @escaping @Sendable (TeamMember) -> Void = { _ in }) throws {
        precondition(threads.isEmpty, "ThreadTeam.launch called twice")
        let shared = self.shared, scheduling = self.scheduling
        for (index, cpu) in cpus.enumerated() {
            let member = TeamMember(index: index, cpu: cpu, stopFlag: shared.stop)
            let workspace = workspaces[index]
            do {
                threads.append(try PinnedThread.start(cpu: cpu) {
                    Self.runMember(member, workspace, shared: shared, scheduling: scheduling,
                                   prologue: prologue, body: body, epilogue: epilogue)
                })
            } catch {
                abandonLaunch()
                throw error
            }
        }
        guard shared.line.waitForCheckIns(cpus.count, timeoutNs: Int64(timeout.nanoseconds)) else {
            abandonLaunch()
            throw SystemCallError("thread team launch (\(cpus.count - shared.line.checkedIn) of \(cpus.count) "
                                  + "threads not ready in \(timeout))", errno: ETIMEDOUT)
        }
        if case .fifo(let priority, required: true) = scheduling,
           memberScheduling.contains(where: { $0.refusal != nil }) {
            abandonLaunch()
            throw SystemCallError("sched_setscheduler(SCHED_FIFO, \(priority))", errno: EPERM)
        }
    }

    /// What each member asked for and got (valid after `launch`).
    public var memberScheduling: [MemberScheduling] {
        (0..<cpus.count).map { shared.scheduling[$0] ?? MemberScheduling(obtained: .current(), refusal: nil) }
    }

    /// Publishes the start, `leadTicks` from now, and wakes every member;
    /// returns the start tick. The tick is fixed before anyone is woken, so a
    /// member needs nothing more from the coordinator to begin. Give a lead
    /// of a few milliseconds when members line up on it (`waitForStartTick`),
    /// 0 when the start is simply "now".
    @discardableResult
    public func release(leadTicks: UInt64 = 0) -> UInt64 {
        precondition(startTick == nil, "ThreadTeam.release called twice")
        let tick = max(1, kb_rdtsc() &+ leadTicks)
        startTick = tick
        shared.line.release(at: tick)
        return tick
    }

    /// Asks every member to stop: `TeamMember.shouldStop` turns true, and
    /// members not yet released will not run their body.
    public func requestStop() {
        shared.requestStop()
    }

    /// Members whose body (and epilogue) returned.
    public var finishedCount: Int { shared.finishedCount }

    /// Waits up to `timeout` for every member to return, then joins their
    /// threads. Members still running past it are abandoned, never waited on
    /// for ever, and named in the result. Call `requestStop` first unless the
    /// members end by themselves.
    @discardableResult
    public func join(timeout: Duration) -> TeamJoin {
        if joined || threads.isEmpty { return TeamJoin(abandoned: []) }
        if startTick == nil { shared.line.cancel() }
        let deadline = monotonicNanos() &+ timeout.nanoseconds
        while true {
            let done = shared.finished.pointee.value.load(ordering: .acquiring)
            if Int(done) == threads.count { break }
            let now = monotonicNanos()
            guard now < deadline else {
                return TeamJoin(abandoned: (0..<threads.count).filter { !shared.hasFinished($0) })
            }
            // Positive (now < deadline) and at most 10 ms: a bounded sleep,
            // never the futex's "no limit".
            shared.finished.pointee.wait(whileEqualTo: done, timeoutNs: Int64(min(deadline - now, 10_000_000)))
        }
        for thread in threads { thread.join() }
        joined = true
        return TeamJoin(abandoned: [])
    }

    /// Starts a watchdog over the members: `progress` (cheap, thread-safe)
    /// plus the members that returned; when neither moves for
    /// `timeoutSeconds`, `onStall` runs once (on the watchdog's thread) and the
    /// team is asked to stop. Stop the watchdog before joining.
    public func watch(timeoutSeconds: Double, progress: @escaping @Sendable () -> UInt64,
                      onStall: @escaping @Sendable (_ stalledSeconds: Double) -> Void) throws -> Watchdog {
        let shared = self.shared
        return try Watchdog(timeoutSeconds: timeoutSeconds, progress: {
            progress() &+ UInt64(shared.finishedCount)
        }, onStall: { seconds in
            onStall(seconds)
            shared.requestStop()
        })
    }

    deinit {
        // A team dropped after launch without a join: stop and wait a little,
        // so its threads do not outlive it doing work nobody reads.
        if !joined && !threads.isEmpty {
            shared.requestStop()
            _ = join(timeout: .seconds(2))
        }
    }

    /// A failed launch: nobody starts; wait for every thread to leave.
    private func abandonLaunch() {
        shared.requestStop()
        shared.line.cancel()
        _ = join(timeout: .seconds(5))
        joined = true
    }

    /// One member's thread, already pinned by `PinnedThread`.
    private static func runMember(_ member: TeamMember, _ workspace: Workspace, shared: TeamShared,
                                  scheduling: TeamScheduling,
                                  prologue: (TeamMember) -> Void, body: (TeamMember, Workspace) -> Void,
                                  epilogue: (TeamMember) -> Void) {
        var member = member
        var refusal: String?
        if case .fifo(let priority, _) = scheduling {
            refusal = RealtimeScheduling.requestFIFO(priority: priority)
        }
        shared.scheduling[member.index] = MemberScheduling(obtained: .current(), refusal: refusal)
        prologue(member)
        shared.line.checkIn()
        if let tick = shared.line.waitForStart(), !member.shouldStop {
            member.startTick = tick
            body(member, workspace)
        }
        epilogue(member)
        shared.finish(member.index)
    }
}

/// The memory a team's threads share, kept alive by every member thread (a
/// class they capture), so an abandoned member can never see it freed.
final class TeamShared: @unchecked Sendable {
    let line = StartLine()
    /// Set once to ask every member to stop (its own line: read in loops).
    let stop = CacheLineBox(Atomic<Bool>(false)).pointer
    /// Members that returned (futex word: the coordinator sleeps on it).
    let finished = CacheLineBox(FutexWord())
    /// One flag per member, set when it returned (to name abandoned ones).
    private let finishedFlags: UnsafeMutablePointer<Atomic<Bool>>
    /// Each member's scheduling outcome, written by it before it checks in.
    let scheduling: UnsafeMutablePointer<MemberScheduling?>
    private let members: Int

    init(members: Int) {
        self.members = members
        finishedFlags = .allocate(capacity: members)
        for index in 0..<members { (finishedFlags + index).initialize(to: Atomic(false)) }
        scheduling = .allocate(capacity: members)
        scheduling.initialize(repeating: nil, count: members)
    }

    deinit {
        CacheLineBox(boxAt: stop).deallocate()
        finished.deallocate()
        finishedFlags.deallocate()
        scheduling.deinitialize(count: members)
        scheduling.deallocate()
    }

    func requestStop() { stop.pointee.store(true, ordering: .relaxed) }

    var finishedCount: Int { Int(finished.pointee.value.load(ordering: .acquiring)) }

    func hasFinished(_ member: Int) -> Bool { finishedFlags[member].load(ordering: .acquiring) }

    func finish(_ member: Int) {
        finishedFlags[member].store(true, ordering: .releasing)
        finished.pointee.value.wrappingAdd(1, ordering: .releasing)
        finished.pointee.wakeAll()
    }
}
