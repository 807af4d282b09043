// Mutual exclusion of every lock under contention: exact counts, intact canary.

import CPlatform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore
import VcoreEmulation

extension KernelCoreSuite {
    @Suite("Mutual exclusion", .serialized)
    struct MutualExclusionTests {
        /// How the threads are run.
        enum Mode: String, CaseIterable, CustomTestStringConvertible, Sendable {
            /// Vcores pinned round robin to the machine's CPUs (more threads than
            /// CPUs share them; Linux time-slices them), no injected preemption.
            case pinned
            /// As pinned, plus the emulated kernel preempting one vcore every 6 ms for 2 ms.
            case emulatedPreemption
            var testDescription: String { rawValue }
        }

        /// Acquisitions per vcore: enough to interleave, few enough that waiters
        /// spinning on a shared CPU (a time slice per hand-off at worst) finish fast.
        /// FIFO locks oversubscribed are the slow case: a hand-off to a
        /// waiter Linux has descheduled waits until Linux runs it (a slice,
        /// several ms), up to 14 ms per acquisition with 8 threads here.
        static func iterations(threads: Int) -> Int {
            threads <= testCPUs.count ? 20_000 : 200 / threads
        }

        @Test("every lock excludes", arguments: LockKind.allCases, [2, 4, 8])
        func excludes(kind: LockKind, threads: Int) throws {
            for mode in Mode.allCases {
                try run(kind: kind, threads: threads, mode: mode)
            }
        }

        func run(kind: LockKind, threads: Int, mode: Mode) throws {
            let map = VcoreMap(count: threads)
            defer { map.deallocate() }
            let lock = kind.make(map: map)
            defer { lock.deallocate() }
            let iterations = Self.iterations(threads: threads)
            let state = Shared(CriticalState())
            try hammer(lock, map: map, state: state.pointer, iterations: iterations, mode: mode)
            #expect(state.value.violations == 0, "\(kind) \(mode) \(threads) threads: canary overwritten")
            #expect(state.value.counter == threads * iterations,
                    "\(kind) \(mode) \(threads) threads: \(state.value.counter) of \(threads * iterations) updates")
        }

        func hammer<L: KernelLock>(_ lock: L, map: VcoreMap, state: UnsafeMutablePointer<CriticalState>,
                                   iterations: Int, mode: Mode) throws {
            let group = VcoreGroup(map: map, cpus: testCPUs)
            nonisolated(unsafe) let state = state
            try group.start { vcore in
                let node = L.Node.allocate()
                defer { node.deallocate() }
                for _ in 0..<iterations {
                    lock.lock(node, vcore: vcore.id)
                    criticalSection(state, vcore: vcore.id)
                    lock.unlock(node, vcore: vcore.id)
                }
            }
            var controller: PreemptionController?
            if mode == .emulatedPreemption {
                let schedule = PreemptionSchedule(victims: .rotating(count: 1), period: .milliseconds(6),
                                                  duration: .milliseconds(2))
                controller = PreemptionController(map: map, schedule: schedule)
                try controller?.start()
            }
            // Bounded: a lock that deadlocks fails the test instead of hanging it.
            let finished = waitUntil(timeout: .seconds(20)) { group.finishedCount == map.count }
            controller?.stop()
            map.restoreAll()
            #expect(finished, "\(L.name) \(mode): vcores did not finish in 20 s")
            if finished { group.join(timeout: .seconds(5)) } else { group.requestStop() }
        }
    }
}
