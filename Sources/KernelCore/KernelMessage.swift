// KernelMessage: the work one core ships to another (thesis §3.2, "Kernel
// Messaging"), and what the receiving core's handler promises.

/// One kernel message: a code naming the work (the thesis' function pointer),
/// the sender and its own sequence number, the TSC tick of the send and one
/// argument. Fixed size and trivial, so it is copied by value into the
/// receiving core's queues with no allocation (the thesis allocates a block per
/// message; a UCQ page holds 127 of these instead).
@frozen
public struct KernelMessage: Sendable, Equatable {
    public var code: UInt32
    public var sender: UInt32
    public var sequence: UInt64
    /// `kb_rdtsc()` just before the send: the start of the send-to-handler time.
    public var sentTick: UInt64
    public var argument: UInt64

    @inlinable
    public init(code: UInt32 = 0, sender: UInt32 = 0, sequence: UInt64 = 0, sentTick: UInt64 = 0, argument: UInt64 = 0) {
        self.code = code
        self.sender = sender
        self.sequence = sequence
        self.sentTick = sentTick
        self.argument = argument
    }

    /// Bytes of one message in the queues (the struct's stride).
    public static let bytes = MemoryLayout<KernelMessage>.stride
}

/// The two lists of the thesis, which decide when a message runs.
public enum KernelMessageKind: String, Sendable, CaseIterable {
    /// Runs as soon as the target core can: at its next safe point, even in
    /// the middle of its current work (the thesis runs them in interrupt
    /// context). Must return, and must not touch what the interrupted work relies on.
    case immediate
    /// Runs only where the core would otherwise return to user work or go
    /// idle (`smp_idle`), in the order sent, after every pending immediate
    /// message. May block, and may not return (`RoutineOutcome.doesNotReturn`).
    case routine
}

/// What a send did. A message is either queued, and then handled exactly
/// once, or refused and reported: never lost silently.
public enum KernelMessageSendResult: Sendable, Equatable {
    case queued
    /// The core is stopping: the message was not queued and will not run.
    case coreStopping
    /// The core's queue could not grow (mmap failed): not queued.
    case noMemory
}

/// What a routine handler did with the core.
public enum RoutineOutcome: Sendable, Equatable {
    /// It returned: the core goes on with the next routine message.
    case returned
    /// It did not return (it started another context, as `__startcore`
    /// does): the core leaves its message loop at once; later routine
    /// messages wait, in order, for its next idle point.
    case doesNotReturn
}

/// Where a core's idle point leaves it.
public enum IdleOutcome: Sendable, Equatable {
    /// Every message is handled and the core has work: go run it.
    case resume
    /// A routine handler did not return: run the context it started.
    case contextStarted
    /// The core was asked to stop, and every message queued before that is handled.
    case stopped
}

/// The receiving core's code: one function per list. Implemented by structs,
/// so the core's loop specializes and calls no witness table.
public protocol KernelMessageHandler {
    /// Runs at a safe point, interrupting the core's work.
    mutating func handleImmediate(_ message: KernelMessage)
    /// Runs at the core's idle point.
    mutating func handleRoutine(_ message: KernelMessage) -> RoutineOutcome
}

/// How a sender wakes a core that sleeps at its idle point (the stand-in for
/// the thesis' IPI). `futex` is the default: the kernel compares the core's
/// state word before it sleeps, so the lost wake-up is closed by the kernel
/// itself, and it needs no file descriptor; `eventfd` is the same hand-off
/// through a counter (one descriptor per core, a read per sleep).
public enum CoreWakeMechanism: String, Sendable, CaseIterable {
    case futex, eventfd
}
