// Kernel messages: immediate before routine, routine only at the idle point
// and in order, exactly once under racing senders, no lost wake-up when a
// sender races the core going to sleep, and refusals (not losses) once the
// core is stopping.

import Platform
import CPlatform
import Synchronization
import Testing
import Glibc
@testable import KernelCore

/// What a core handled, written by the core's thread only (read after it is joined),
/// plus the count senders wait on.
final class KernelMessageLog: @unchecked Sendable {
    let senders: Int, perSender: Int
    let seen: UnsafeMutablePointer<UInt8>
    var nextSequence: [[UInt64]]
    var order: [(KernelMessageKind, UInt64)] = []
    var duplicates = 0, outOfOrder = 0, unknown = 0
    let handled = Atomic<Int>(0)

    init(senders: Int, perSender: Int) {
        self.senders = senders
        self.perSender = perSender
        seen = .allocate(capacity: max(1, senders * perSender))
        seen.initialize(repeating: 0, count: max(1, senders * perSender))
        nextSequence = Array(repeating: [0, 0], count: senders)
    }
    deinit { seen.deallocate() }

    func record(_ kind: KernelMessageKind, _ m: KernelMessage) {
        order.append((kind, m.sequence))
        defer { handled.add(1, ordering: .releasing) }
        let sender = Int(m.sender), sequence = Int(m.sequence)
        guard sender < senders, sequence < perSender else { unknown += 1; return }
        let index = sender * perSender + sequence
        if seen[index] != 0 { duplicates += 1 }
        seen[index] = 1
        // Each sender numbers its messages once over both kinds, so per kind
        // the numbers only grow.
        let k = kind == .immediate ? 0 : 1
        if m.sequence < nextSequence[sender][k] { outOfOrder += 1 }
        nextSequence[sender][k] = m.sequence + 1
    }

    var missing: Int { (0..<(senders * perSender)).reduce(0) { $0 + (seen[$1] == 0 ? 1 : 0) } }
}

struct LoggingHandler: KernelMessageHandler {
    let log: KernelMessageLog
    /// Routine messages with this code do not return.
    var noReturnCode: UInt32 = .max
    /// Routine messages with this code send an immediate message to `core` from the handler.
    var selfSendCode: UInt32 = .max
    var core: KernelMessageCore?

    mutating func handleImmediate(_ message: KernelMessage) { log.record(.immediate, message) }
    mutating func handleRoutine(_ message: KernelMessage) -> RoutineOutcome {
        log.record(.routine, message)
        if message.code == selfSendCode, let core {
            _ = core.send(.immediate, KernelMessage(code: 0, sender: 0, sequence: message.sequence + 100))
        }
        return message.code == noReturnCode ? .doesNotReturn : .returned
    }
}

extension KernelCoreSuite {
    @Suite("Kernel messages", .serialized)
    struct KernelMessageTests {
        func message(_ sequence: UInt64, code: UInt32 = 0, sender: UInt32 = 0) -> KernelMessage {
            KernelMessage(code: code, sender: sender, sequence: sequence, sentTick: kb_rdtsc())
        }

        @Test("immediate messages run at safe points and before routine ones; routine ones only at the idle point, in order")
        func immediateBeforeRoutine() throws {
            let core = try KernelMessageCore()
            defer { core.destroy() }
            let log = KernelMessageLog(senders: 1, perSender: 1000)
            var handler = LoggingHandler(log: log)
            #expect(core.send(.routine, message(0)) == .queued)
            #expect(core.send(.immediate, message(1)) == .queued)
            #expect(core.send(.routine, message(2)) == .queued)
            #expect(core.send(.immediate, message(3)) == .queued)
            core.safePoint(&handler)
            #expect(log.order.map(\.1) == [1, 3], "a safe point runs the immediate messages only")
            core.safePoint(&handler)
            #expect(log.order.count == 2)
            #expect(core.send(.routine, message(4)) == .queued)
            #expect(core.send(.immediate, message(5)) == .queued)
            #expect(core.idlePoint(&handler, mayWait: false) == .resume)
            #expect(log.order.map(\.1) == [1, 3, 5, 0, 2, 4])
            #expect(log.order.map(\.0) == [.immediate, .immediate, .immediate, .routine, .routine, .routine])

            // An immediate message sent while a routine one runs goes before the next routine one.
            handler.selfSendCode = 7
            handler.core = core
            #expect(core.send(.routine, message(10, code: 7)) == .queued)
            #expect(core.send(.routine, message(11)) == .queued)
            #expect(core.idlePoint(&handler, mayWait: false) == .resume)
            #expect(log.order.suffix(3).map(\.1) == [10, 110, 11])
            #expect(log.duplicates == 0 && log.unknown == 0)
        }

        @Test("a routine handler that does not return leaves the loop; later routine messages wait, in order, for the next idle point")
        func routineMayNotReturn() throws {
            let core = try KernelMessageCore()
            defer { core.destroy() }
            let log = KernelMessageLog(senders: 1, perSender: 10)
            var handler = LoggingHandler(log: log, noReturnCode: 9)
            for sequence in 0..<4 { _ = core.send(.routine, message(UInt64(sequence), code: sequence == 1 ? 9 : 0)) }
            #expect(core.idlePoint(&handler, mayWait: false) == .contextStarted)
            #expect(log.order.map(\.1) == [0, 1])
            core.safePoint(&handler)
            #expect(log.order.count == 2, "routine messages never run at a safe point")
            #expect(core.idlePoint(&handler, mayWait: false) == .resume)
            #expect(log.order.map(\.1) == [0, 1, 2, 3])
        }

        /// Senders race each other and the core, which works (safe points),
        /// idles and sleeps at random; every message queued runs exactly
        /// once, each sender's in order per kind; then a stop ends the core.
        @Test("exactly once and in order per sender under racing senders", .timeLimit(.minutes(1)),
              arguments: CoreWakeMechanism.allCases)
        func exactlyOnce(wake: CoreWakeMechanism) throws {
            let core = try KernelMessageCore(wake: wake, pageBytes: 256)
            defer { core.destroy() }
            let senders = 3, perSender = 20_000
            let log = KernelMessageLog(senders: senders, perSender: perSender)
            let queued = Atomic<Int>(0), refused = Atomic<Int>(0), sendersDone = Atomic<Int>(0)
            let outcome = Atomic<Int>(-1)
            try runThreads(senders + 1) { index in
                if index == 0 {
                    var handler = LoggingHandler(log: log)
                    var noise = PauseNoise(state: 7)
                    while true {
                        let hasWork = noise.next() % 3 != 0
                        let result = core.idlePoint(&handler, mayWait: !hasWork)
                        if result == .stopped { outcome.store(0, ordering: .relaxed); return }
                        for _ in 0..<Int(noise.next() % 200) { kb_pause(); core.safePoint(&handler) }
                    }
                }
                let sender = UInt32(index - 1)
                var noise = PauseNoise(state: UInt64(index) &* 31)
                for sequence in 0..<perSender {
                    let kind: KernelMessageKind = noise.next() % 2 == 0 ? .immediate : .routine
                    switch core.send(kind, KernelMessage(sender: sender, sequence: UInt64(sequence))) {
                    case .queued: queued.add(1, ordering: .relaxed)
                    default: refused.add(1, ordering: .relaxed)
                    }
                    noise.maybePause()
                }
                if sendersDone.add(1, ordering: .acquiringAndReleasing).newValue == senders { core.requestStop() }
            }
            #expect(outcome.load(ordering: .relaxed) == 0)
            #expect(refused.load(ordering: .relaxed) == 0)
            #expect(queued.load(ordering: .relaxed) == senders * perSender)
            #expect(log.handled.load(ordering: .acquiring) == senders * perSender)
            #expect(log.duplicates == 0)
            #expect(log.missing == 0)
            #expect(log.unknown == 0)
            #expect(log.outOfOrder == 0)
            #expect(core.send(.routine, message(0)) == .coreStopping)
        }

        /// One sender, one sleeping core on the other CPU: each message is
        /// sent after a random pause, so sends land before, while and after
        /// the core announces sleep. A lost wake-up leaves the core asleep
        /// with a message queued: the sender's bounded wait sees it.
        @Test("no lost wake-up when a sender races the core going to sleep", .timeLimit(.minutes(1)),
              arguments: CoreWakeMechanism.allCases)
        func noLostWakeUp(wake: CoreWakeMechanism) throws {
            let core = try KernelMessageCore(wake: wake)
            defer { core.destroy() }
            let messages = 10_000
            let log = KernelMessageLog(senders: 1, perSender: messages)
            let lostAt = Atomic<Int>(-1)
            try runThreads(2) { index in
                if index == 1 {
                    var handler = LoggingHandler(log: log)
                    while core.idlePoint(&handler, mayWait: true) != .stopped {}
                    return
                }
                var noise = PauseNoise(state: 42)
                for sequence in 0..<messages {
                    let spins = Int(noise.next() % 4000)
                    for _ in 0..<spins { kb_pause() }
                    let kind: KernelMessageKind = sequence % 2 == 0 ? .immediate : .routine
                    _ = core.send(kind, KernelMessage(sequence: UInt64(sequence)))
                    let deadline = monotonicNanos() + 3_000_000_000
                    while log.handled.load(ordering: .acquiring) <= sequence {
                        if monotonicNanos() > deadline { lostAt.store(sequence, ordering: .relaxed); break }
                        sched_yield()
                    }
                    if lostAt.load(ordering: .relaxed) >= 0 { break }
                }
                core.requestStop()
            }
            #expect(lostAt.load(ordering: .relaxed) == -1, "message \(lostAt.load(ordering: .relaxed)) sat queued while the core slept")
            #expect(log.duplicates == 0 && log.missing == 0)
            if core.sleeps == 0 { try Test.cancel("the core never slept: the race was not exercised") }
        }

        /// Senders keep sending while another thread stops the core: every
        /// message accepted runs, every other one is refused with
        /// `.coreStopping`, and after the stop nothing is accepted.
        @Test("a message sent to a stopping core is refused and reported, never lost", .timeLimit(.minutes(1)),
              arguments: CoreWakeMechanism.allCases)
        func stoppingCoreRefuses(wake: CoreWakeMechanism) throws {
            let core = try KernelMessageCore(wake: wake)
            defer { core.destroy() }
            let senders = 2, limit = 2_000_000
            let log = KernelMessageLog(senders: senders, perSender: limit)
            let queued = Atomic<Int>(0), refused = Atomic<Int>(0), acceptedAfterRefusal = Atomic<Int>(0)
            try runThreads(senders + 2) { index in
                switch index {
                case 0:
                    var handler = LoggingHandler(log: log)
                    while core.idlePoint(&handler, mayWait: true) != .stopped {}
                case 1:
                    usleep(20_000)
                    core.requestStop()
                default:
                    var refusals = 0
                    for sequence in 0..<limit {
                        let kind: KernelMessageKind = sequence % 3 == 0 ? .immediate : .routine
                        switch core.send(kind, KernelMessage(sender: UInt32(index - 2), sequence: UInt64(sequence))) {
                        case .queued:
                            queued.add(1, ordering: .relaxed)
                            if refusals > 0 { acceptedAfterRefusal.add(1, ordering: .relaxed) }
                        case .coreStopping:
                            refused.add(1, ordering: .relaxed)
                            refusals += 1
                        case .noMemory: break
                        }
                        if refusals >= 100 { break }
                    }
                }
            }
            #expect(refused.load(ordering: .relaxed) > 0)
            #expect(acceptedAfterRefusal.load(ordering: .relaxed) == 0)
            #expect(log.handled.load(ordering: .acquiring) == queued.load(ordering: .relaxed),
                    "every accepted message ran exactly once before the core stopped")
            #expect(log.duplicates == 0 && log.outOfOrder == 0)
        }
    }
}
