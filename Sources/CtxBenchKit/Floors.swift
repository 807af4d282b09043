// The physical floors every other number is read against: what a timer read,
// an atomic, a system call and a cache-line transfer cost on this machine.
// The CAS floor is BenchKit's `UncontendedCASFloor` (lockbench measures it too).

import BenchKit
import CPlatform
import CReference
import Glibc

/// A fenced rdtsc read (the interval-closing `rdtscp; lfence`).
public struct TimerReadFloor: TrialBenchmark {
    public let benchmark = "floor", variant = "rdtscp", metric = "read"
    public init() {}
    public mutating func runBatch(iterations: Int) -> UInt64 {
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations { kb_keep(kb_rdtsc_end()) }
        return kb_rdtsc_end() &- start
    }
}

/// The cheapest real system call: a user/kernel round trip.
/// `delay` is the gate's test hook (`--inject-delay-ns`): a known slowdown
/// per call; `.none` in every real measurement.
public struct SyscallFloor: TrialBenchmark {
    public let benchmark = "floor", metric = "syscall"
    public let variant: String
    public let delay: InjectedDelay
    /// The loop is CReference's, compiled as C (`cTwin`).
    private let inC: Bool

    public init(delay: InjectedDelay = .none) { self.init(variant: "syscall_getppid", delay: delay, inC: false) }
    private init(variant: String, delay: InjectedDelay, inC: Bool) {
        self.variant = variant
        self.delay = delay
        self.inC = inC
    }

    /// The C twin: the same getppid loop compiled as C, run trial by trial
    /// beside the Swift one. Their ratio is the Swift call site's cost, and it
    /// stays put when the host moves the floor itself.
    public static var cTwin: SyscallFloor { SyscallFloor(variant: "reference", delay: .none, inC: true) }

    public mutating func runBatch(iterations: Int) -> UInt64 {
        if inC { return kb_reference_getppid_batch(iterations) }
        let start = kb_rdtsc_begin()
        if delay.steps == 0 {
            for _ in 0..<iterations { kb_keep(UInt64(UInt32(bitPattern: getppid()))) }
        } else {
            for _ in 0..<iterations {
                kb_keep(UInt64(UInt32(bitPattern: getppid())))
                delay.spin()
            }
        }
        return kb_rdtsc_end() &- start
    }
}
