// The measured loops of `ctxbench kmsg`: the core, the sender, and the plain
// wake-up ping they are read against. Alone in their functions, raw pointers
// and trivial values only: no allocation, no reference counting, no printing.

import BenchKit
import CPlatform
import KernelCore
import Platform
import Synchronization
import Glibc

/// The core's handler: at its very start, the ticks since the send (both
/// CPUs' TSCs are synchronized: checked by BenchRun), then the ack the sender waits for.
@frozen
public struct KmsgRecorder: KernelMessageHandler {
    @usableFromInline let samples: UnsafeMutablePointer<UInt64>
    @usableFromInline let capacity: Int
    /// The number of messages handled, published after each sample.
    @usableFromInline let ack: UnsafeMutablePointer<Atomic<UInt64>>

    @inlinable
    mutating func record(_ message: KernelMessage) {
        let now = kb_rdtsc()
        let index = Int(truncatingIfNeeded: message.sequence)
        if index < capacity { samples[index] = now > message.sentTick ? now - message.sentTick : 0 }
        // Releasing: the sample is written before the sender sends the next message.
        ack.pointee.store(message.sequence &+ 1, ordering: .releasing)
    }

    @inlinable public mutating func handleImmediate(_ message: KernelMessage) { record(message) }
    @inlinable public mutating func handleRoutine(_ message: KernelMessage) -> RoutineOutcome {
        record(message)
        return .returned
    }
}

/// The core: idle point, then (when `busy`) a chunk of `chunkTicks` of work
/// with a safe point at every step, until the core is stopped. Not busy: the
/// core sleeps at its idle point until a message comes.
@inline(never)
func runKernelMessageCore(_ core: KernelMessageCore, _ handler: inout KmsgRecorder, busy: Bool, chunkTicks: UInt64) {
    while core.idlePoint(&handler, mayWait: !busy) != .stopped {
        let end = kb_rdtsc() &+ chunkTicks
        while kb_rdtsc() < end {
            core.safePoint(&handler)
            kb_pause()
        }
    }
}

/// How the sender paces its messages.
@frozen
public struct KmsgPacing: Sendable {
    /// Wait until the core announced sleep, then `settleTicks` more, before each send.
    public var waitsForSleep: Bool
    public var settleTicks: UInt64
    /// A pseudo-random pause of up to this many ticks before each send, so
    /// sends land anywhere in the core's work.
    public var spreadTicks: UInt64
}

/// Sends `count` messages of `kind`, one at a time: stamp, send, wait for the
/// handler's ack. Returns the messages sent (fewer when stopped or refused).
@inline(never)
func sendKernelMessages(_ core: KernelMessageCore, kind: KernelMessageKind, count: Int, pacing: KmsgPacing,
                        ack: UnsafeMutablePointer<Atomic<UInt64>>, member: TeamMember) -> Int {
    var noise: UInt64 = 0x9E37_79B9_7F4A_7C15
    for sequence in 0..<count {
        if pacing.waitsForSleep {
            while !core.isSleeping { if member.shouldStop { return sequence }; kb_pause() }
            spinTicks(pacing.settleTicks)
        } else if pacing.spreadTicks > 0 {
            noise = noise &* 6364136223846793005 &+ 1442695040888963407
            spinTicks((noise >> 33) % pacing.spreadTicks)
        }
        let message = KernelMessage(code: 1, sender: 0, sequence: UInt64(sequence), sentTick: kb_rdtsc())
        guard core.send(kind, message) == .queued else { return sequence }
        // Acquiring: pairs with the handler's ack (its sample is written).
        while ack.pointee.load(ordering: .acquiring) <= UInt64(sequence) {
            if member.shouldStop { return sequence }
            kb_pause()
        }
    }
    return count
}

@inlinable
func spinTicks(_ ticks: UInt64) {
    let end = kb_rdtsc() &+ ticks
    while kb_rdtsc() < end { kb_pause() }
}

/// The plain wake-up ping: a thread asleep on a futex word or in an eventfd
/// read, woken by the sender; the time from the sender's stamp to the
/// sleeper's first instruction after the wait. No queue, no state word: the
/// cost floor of a kernel message's wake-up.
public struct WakePing: @unchecked Sendable {
    public let mechanism: CoreWakeMechanism
    /// Futex word: bumped per ping. `asleep`: the waiter is about to wait.
    let word = CacheLineBox(FutexWord())
    let stamp = CacheLineBox(Atomic<UInt64>(0))
    let asleep = CacheLineBox(Atomic<UInt32>(0))
    let ack = CacheLineBox(Atomic<UInt64>(0))
    let stop = CacheLineBox(Atomic<Bool>(false))
    let fd: Int32

    public init(_ mechanism: CoreWakeMechanism) throws {
        self.mechanism = mechanism
        fd = mechanism == .eventfd ? kb_eventfd_open() : -1
        if mechanism == .eventfd && fd < 0 { throw SystemCallError("eventfd", errno: -fd) }
    }

    /// The sleeper: waits, samples, acks, until stopped.
    @inline(never)
    func wait(samples: UnsafeMutablePointer<UInt64>, capacity: Int) {
        var handled: UInt64 = 0
        var seen = word.pointer.pointee.value.load(ordering: .acquiring)
        while true {
            // Releasing: the sender waits for this before its settle time.
            asleep.pointer.pointee.store(1, ordering: .releasing)
            switch mechanism {
            case .futex:
                while word.pointer.pointee.value.load(ordering: .acquiring) == seen { word.pointer.pointee.wait(whileEqualTo: seen) }
                seen = word.pointer.pointee.value.load(ordering: .acquiring)
            case .eventfd:
                _ = kb_eventfd_wait(fd)
            }
            let now = kb_rdtsc()
            if stop.pointer.pointee.load(ordering: .acquiring) { return }
            // Acquiring: the stamp written before the wake.
            let sent = stamp.pointer.pointee.load(ordering: .acquiring)
            if Int(handled) < capacity { samples[Int(handled)] = now > sent ? now - sent : 0 }
            handled &+= 1
            // Releasing: the sample is written before the next ping.
            ack.pointer.pointee.store(handled, ordering: .releasing)
        }
    }

    /// The sender: `count` pings, each after the sleeper announced sleep and
    /// `settleTicks` more; then stops the sleeper. Returns the pings sent.
    @inline(never)
    func ping(count: Int, settleTicks: UInt64, member: TeamMember) -> Int {
        var sent = 0
        while sent < count && !member.shouldStop {
            // Acquiring: pairs with the sleeper's announcement.
            while asleep.pointer.pointee.load(ordering: .acquiring) == 0 && !member.shouldStop { kb_pause() }
            asleep.pointer.pointee.store(0, ordering: .relaxed)
            spinTicks(settleTicks)
            // Releasing: the stamp is visible to the woken sleeper.
            stamp.pointer.pointee.store(kb_rdtsc(), ordering: .releasing)
            wake()
            sent += 1
            while ack.pointer.pointee.load(ordering: .acquiring) < UInt64(sent) && !member.shouldStop { kb_pause() }
        }
        finish()
        return sent
    }

    func wake() {
        switch mechanism {
        case .futex:
            word.pointer.pointee.value.wrappingAdd(1, ordering: .releasing)
            word.pointer.pointee.wake(1)
        case .eventfd:
            _ = kb_eventfd_signal(fd)
        }
    }

    /// Stops the sleeper (any thread; more than once is harmless).
    func finish() {
        stop.pointer.pointee.store(true, ordering: .releasing)
        wake()
    }

    public func deallocate() {
        if fd >= 0 { _ = close(fd) }
        word.deallocate(); stamp.deallocate(); asleep.deallocate(); ack.deallocate(); stop.deallocate()
    }
}
