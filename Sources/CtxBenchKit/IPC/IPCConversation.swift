// One channel, one pair of CPUs, every size: the initiator on a pinned team
// member, the responder on another member or in a forked child, a
// coordinator that never lets either hang.

import BenchKit
import CReference
import Platform
import RunFormat
import Glibc

/// Where the two sides of a conversation run.
public struct IPCPairing: Sendable, Equatable {
    public var mechanism: IPCMechanism
    public var spaces: IPCSpaces
    /// The initiator's CPU (measured) and the responder's.
    public var cpu: Int, peerCPU: Int

    public init(mechanism: IPCMechanism, spaces: IPCSpaces, cpu: Int, peerCPU: Int) {
        self.mechanism = mechanism
        self.spaces = spaces
        self.cpu = cpu
        self.peerCPU = peerCPU
    }

    public var sameCPU: Bool { cpu == peerCPU }

    /// summary.csv's param (no commas: a cell of its own).
    public func param(bytes: Int) -> String {
        "mechanism=\(mechanism.rawValue);spaces=\(spaces.rawValue);cpu=\(cpu);peer=\(peerCPU);bytes=\(bytes)"
    }
}

/// What ended a conversation early, when something did.
public enum IPCInterruption: Error, CustomStringConvertible, Sendable, Equatable {
    /// A corrupted message, a closed peer, a failed call: the channel's record.
    case failed(IPCFailure)
    /// No reply for `seconds`: the responder (or the initiator) is stuck.
    case stalled(IPCPairing, seconds: Double)
    /// The responder process ended or was not ready.
    case responder(String)

    public var description: String {
        switch self {
        case .failed(let failure): failure.description
        case .stalled(let p, let seconds):
            "ipc \(p.mechanism.rawValue) (\(p.spaces.rawValue), CPU \(p.cpu) to \(p.peerCPU)): no reply for \(seconds) s; the channel was aborted"
        case .responder(let what): what
        }
    }
}

/// Runs the conversations of ctxbench ipc.
public enum IPCConversation {
    /// What one conversation measured, and how its threads were scheduled.
    public struct Result: Sendable {
        public var measurements: [Measurement]
        public var scheduling: [String: MemberScheduling]
        /// Notes for meta.json (a refused SCHED_FIFO of the responder process).
        public var warnings: [String]
    }

    final class Outcome: @unchecked Sendable {
        var measurements: [Measurement] = []
        var status: Int32 = 0
    }

    /// Measures `pairing` at every size of `sizes` with `runner` (ns per round
    /// trip, and ticks), until done, Ctrl-C, or a failure; a failure throws.
    /// The responder process (two address spaces) is always reaped before
    /// this returns: stopped, or killed after a bounded wait.
    public static func measure(_ pairing: IPCPairing, sizes: [Int], runner: TrialRunner,
                               scheduling: TeamScheduling = .inherit, stallSeconds: Double = 10) throws -> Result {
        try converse(pairing, scheduling: scheduling, stallSeconds: stallSeconds) { channel, sequence in
            var status: Int32 = 0
            var measurements: [Measurement] = []
            for size in sizes where !StopRequest.isRequested {
                var roundTrip = IPCRoundTrip(channel: channel, size: size, after: sequence)
                let measured = runner.measure(&roundTrip, threads: 2, param: pairing.param(bytes: size))
                sequence = roundTrip.sequence
                status = roundTrip.status
                if roundTrip.status != 0 { break }
                if let measured { measurements += [measured, measured.inTicks(runner.clock)] }
            }
            return (status, measurements)
        }
    }

    /// One conversation on `pairing` whose initiator side is `initiator`, run
    /// on the pinned initiator thread: it sends requests 1, 2, ... (keeping
    /// the last one sent in its `inout` sequence) and returns KB_IPC_OK or
    /// what ended it, with its rows. Everything else is this function's: the
    /// channel, the responder (a team member, or a forked process for two
    /// address spaces), the stop message, Ctrl-C, the stall watchdog and the
    /// reaping. `lockbench dynamic` runs its locked round trips through it,
    /// so both tools measure one IPC path.
    public static func converse(_ pairing: IPCPairing, scheduling: TeamScheduling = .inherit, stallSeconds: Double = 10,
                                initiator: @escaping @Sendable (IPCChannel, inout UInt32) -> (status: Int32, measurements: [Measurement])) throws -> Result {
        let channel = try IPCChannel(pairing.mechanism, betweenProcesses: pairing.spaces == .processes,
                                     sameCPU: pairing.sameCPU)
        var abandoned = false
        defer { if !abandoned { channel.close() } }
        var warnings: [String] = []
        var child: Int32?
        defer { if let child { reap(child, channel: channel) } }
        if pairing.spaces == .processes {
            var priority: Int32 = 0
            if case .fifo(let p, _) = scheduling { priority = Int32(p) }
            let pid = try checkShim(kb_ipc_spawn_responder(channel.pointer, Int32(pairing.peerCPU), priority),
                                    "fork (the ipc responder process)")
            child = pid
            try waitUntilReady(channel, child: pid, cpu: pairing.peerCPU)
            let refused = channel.pointer.pointee.responder_sched_error
            if refused != 0 {
                warnings.append("the responder process on CPU \(pairing.peerCPU) runs SCHED_OTHER: sched_setscheduler(SCHED_FIFO) failed with errno \(refused)")
            }
        }

        let cpus = pairing.spaces == .threads ? [pairing.cpu, pairing.peerCPU] : [pairing.cpu]
        let team = ThreadTeam(cpus: cpus, scheduling: scheduling) { _, _ in Outcome() }
        try team.launch(body: { member, outcome in
            if member.index == 1 {
                outcome.status = channel.serve()
                return
            }
            var sequence: UInt32 = 0
            let (status, measurements) = initiator(channel, &sequence)
            outcome.status = status
            outcome.measurements = measurements
            if outcome.status == 0 { outcome.status = channel.sendStop(after: sequence) }
        })
        team.release()

        // Coordinate: Ctrl-C, a dead responder process or a stall abort the
        // channel, which wakes both sides; then the team returns.
        var stalled = false, lastReplies = channel.replies, lastMove = monotonicNanos()
        var childStatus: Int32?
        while team.finishedCount < cpus.count {
            sleepNanoseconds(5_000_000)
            if StopRequest.isRequested { channel.abort() }
            if let pid = child, childStatus == nil {
                let status = kb_ipc_wait_child(pid, 0)
                if status != -ETIMEDOUT {
                    childStatus = status
                    self.child(exited: status, channel: channel)
                }
            }
            let replies = channel.replies
            if replies != lastReplies { lastReplies = replies; lastMove = monotonicNanos() }
            else if Double(monotonicNanos() &- lastMove) > stallSeconds * 1e9 && !stalled {
                stalled = true
                channel.abort()
            }
        }
        if !team.join(timeout: .seconds(5)).joined {
            abandoned = true   // a member may still touch the channel: leave it mapped
            throw IPCInterruption.responder("ipc \(pairing.mechanism.rawValue): a thread did not return 5 s after the channel was aborted")
        }
        if let pid = child {
            child = nil
            let status = childStatus ?? reap(pid, channel: channel)
            if status != Int32(KB_IPC_STOPPED), channel.failure == nil, !StopRequest.isRequested, !stalled {
                throw IPCInterruption.responder("ipc \(pairing.mechanism.rawValue): the responder process ended with status \(status)")
            }
        }
        if let failure = channel.failure { throw IPCInterruption.failed(failure) }
        if stalled { throw IPCInterruption.stalled(pairing, seconds: stallSeconds) }
        var scheduling: [String: MemberScheduling] = [:]
        for (index, obtained) in team.memberScheduling.enumerated() {
            scheduling["ipc-\(index == 0 ? "initiator" : "responder")@cpu\(cpus[index])"] = obtained
        }
        return Result(measurements: team.workspaces[0].measurements, scheduling: scheduling, warnings: warnings)
    }

    /// Waits (at most 5 s) for the responder process to say it is pinned and
    /// serving; a child that died or landed elsewhere is an error.
    private static func waitUntilReady(_ channel: IPCChannel, child pid: Int32, cpu: Int) throws {
        let deadline = monotonicNanos() &+ 5_000_000_000
        while !channel.responderReady {
            let status = kb_ipc_wait_child(pid, 0)
            if status != -ETIMEDOUT {
                throw IPCInterruption.responder("the ipc responder process exited (status \(status)) before it was ready; could it pin itself to CPU \(cpu)?")
            }
            if monotonicNanos() > deadline {
                throw IPCInterruption.responder("the ipc responder process was not ready within 5 s")
            }
            sleepNanoseconds(1_000_000)
        }
        let found = channel.pointer.pointee.responder_cpu
        if found != Int32(cpu) {
            throw IPCInterruption.responder("the ipc responder process runs on CPU \(found), not \(cpu)")
        }
    }

    /// The child ended while the initiator talked to it: abort, so the
    /// initiator stops waiting for a reply that cannot come.
    private static func child(exited status: Int32, channel: IPCChannel) {
        channel.abort()
    }

    /// Ends the responder process: up to 2 s for it to exit by itself (it
    /// does on the stop message or an abort), then SIGKILL. Returns its status.
    @discardableResult
    private static func reap(_ pid: Int32, channel: IPCChannel) -> Int32 {
        let status = kb_ipc_wait_child(pid, 2_000_000_000)
        if status != -ETIMEDOUT { return status }
        channel.abort()
        kill(pid, SIGKILL)
        return kb_ipc_wait_child(pid, 10_000_000_000)
    }
}
