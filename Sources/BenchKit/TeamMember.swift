// What a thread team hands each member's code: who it is, where it runs, when
// it starts and whether it should stop.

import CPlatform
import Synchronization

/// One member of a `ThreadTeam`, as its own thread sees it. A trivial value
/// (pointers into memory the team keeps alive while the thread runs), so a
/// measurement loop can take it without reference counting.
@frozen
public struct TeamMember: @unchecked Sendable {
    /// The member's number: its index in the team's CPU list.
    public let index: Int
    /// The CPU its thread is pinned to (checked with sched_getcpu at launch).
    public let cpu: Int
    /// The start tick the coordinator published (0 in the prologue).
    public internal(set) var startTick: UInt64
    @usableFromInline let stopFlag: UnsafeMutablePointer<Atomic<Bool>>

    init(index: Int, cpu: Int, stopFlag: UnsafeMutablePointer<Atomic<Bool>>) {
        self.index = index
        self.cpu = cpu
        self.startTick = 0
        self.stopFlag = stopFlag
    }

    /// True once the team was asked to stop (a relaxed load of a line only the
    /// coordinator writes: cheap enough for every loop iteration).
    @inlinable
    public var shouldStop: Bool { stopFlag.pointee.load(ordering: .relaxed) }

    /// Spins on this member's CPU until the TSC reaches `startTick`, so that
    /// every member begins at the same instant.
    @inlinable
    public func waitForStartTick() {
        while kb_rdtsc() < startTick { kb_pause() }
    }
}

/// The scheduling policy a team asks for its members.
public enum TeamScheduling: Sendable, Equatable {
    /// Members keep the policy of the thread that launched them.
    case inherit
    /// Each member asks for SCHED_FIFO at `priority` on its own thread before
    /// it checks in. If refused, it runs under the ordinary policy and says so
    /// (`MemberScheduling.refusal`), unless `required`: then the launch fails.
    case fifo(priority: Int, required: Bool)
}

/// What one member asked for and got, for meta.json.
public struct MemberScheduling: Sendable, Equatable {
    /// The policy and priority the member's thread runs under.
    public var obtained: SchedulingState
    /// Why SCHED_FIFO was refused, when it was asked for and refused.
    public var refusal: String?
}

/// How a bounded join ended.
public struct TeamJoin: Sendable, Equatable {
    /// Members whose code did not return in time: their threads are abandoned
    /// (never waited on again) and the memory they use is leaked on purpose.
    public var abandoned: [Int]
    /// Every member returned and was joined.
    public var joined: Bool { abandoned.isEmpty }
}
