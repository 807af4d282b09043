import CPlatform
import Glibc
import Testing
@testable import Platform

/// These tests move threads between CPUs: they run one at a time, on threads
/// they create, so nothing leaks into other tests.
@Suite(.serialized, .timeLimit(.minutes(1))) struct AffinityTests {
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
}
