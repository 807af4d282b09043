import CPlatform
import Glibc
import Testing
@testable import BenchKit

/// These tests move threads between CPUs and change scheduling policy: they
/// run one at a time, on threads they create, so nothing leaks into others.
@Suite(.serialized) struct PinningTests {
    final class Box<T>: @unchecked Sendable { var value: T; init(_ value: T) { self.value = value } }

    @Test func pinnedThreadLandsOnEveryAllowedCPU() throws {
        for cpu in try Affinity.allowedCPUs().cpus {
            let seen = Box<[Int]>([])
            let thread = try PinnedThread.start(cpu: cpu) {
                // Stay a while and keep checking: a pinned thread never migrates.
                for _ in 0..<1000 { seen.value.append(Affinity.currentCPU()); sched_yield() }
            }
            thread.join()
            #expect(Set(seen.value) == [cpu], "thread pinned to \(cpu) ran on \(Set(seen.value))")
            let allowed = Box<CPUSet>([])
            try PinnedThread.start(cpu: cpu) { allowed.value = (try? Affinity.allowedCPUs()) ?? [] }.join()
            #expect(allowed.value == [cpu])
        }
    }

    @Test func pinningToAMissingCPUFailsClearly() throws {
        let missing = (Affinity.onlineCPUs().cpus.max() ?? 0) + 1
        #expect(throws: AffinityError.self) { try Affinity.validate([missing]) }
        #expect(throws: (any Error).self) { try PinnedThread.start(cpu: missing) {} }
    }

    @Test func fifoIsObtainedOrReported() throws {
        let result = Box<(String?, SchedulingState, SchedulingState)>((nil, .current(), .current()))
        try PinnedThread.start(cpu: nil) {
            let before = SchedulingState.current()
            let warning = RealtimeScheduling.requestFIFO(priority: 10)
            let during = SchedulingState.current()
            try? RealtimeScheduling.restore(before)
            result.value = (warning, during, SchedulingState.current())
        }.join()
        let (warning, during, after) = result.value
        if let warning {
            #expect(warning.contains("SCHED_FIFO not obtained"))
            #expect(during.policy == "SCHED_OTHER")
        } else {
            #expect(during == SchedulingState(policy: "SCHED_FIFO", priority: 10))
        }
        #expect(after.policy == "SCHED_OTHER", "policy was not restored")
    }
}
