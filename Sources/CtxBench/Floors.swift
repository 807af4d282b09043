import Platform
import BenchKit
import CPlatform
import Glibc
import Synchronization

/// The physical floors every other number is read against: what a timer read,
/// an atomic, a system call and a cache-line transfer cost on this machine.

/// A fenced rdtsc read (the interval-closing `rdtscp; lfence`).
struct TimerReadFloor: TrialBenchmark {
    let benchmark = "floor", variant = "rdtscp", metric = "read"
    mutating func runBatch(iterations: Int) -> UInt64 {
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations { kb_keep(kb_rdtsc_end()) }
        return kb_rdtsc_end() &- start
    }
}

/// An uncontended compare-and-swap on a line only this thread touches.
struct AtomicCASFloor: TrialBenchmark {
    let benchmark = "floor", variant = "cas_uncontended", metric = "cas"
    let line = CacheLineWord()
    mutating func runBatch(iterations: Int) -> UInt64 {
        let word = line.atomic
        let start = kb_rdtsc_begin()
        var expected: UInt64 = word.pointee.load(ordering: .relaxed)
        for _ in 0..<iterations {
            // Always succeeds: measures the locked instruction, not a retry loop.
            let (_, original) = word.pointee.compareExchange(expected: expected, desired: expected &+ 1,
                                                     ordering: .sequentiallyConsistent)
            expected = original &+ 1
        }
        return kb_rdtsc_end() &- start
    }
}

/// The cheapest real system call: a user/kernel round trip.
struct SyscallFloor: TrialBenchmark {
    let benchmark = "floor", variant = "syscall_getppid", metric = "syscall"
    mutating func runBatch(iterations: Int) -> UInt64 {
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations { kb_keep(UInt64(UInt32(bitPattern: getppid()))) }
        return kb_rdtsc_end() &- start
    }
}
