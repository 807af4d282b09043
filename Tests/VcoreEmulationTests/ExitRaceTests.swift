// VcoreMap.exit against preemption: a vcore leaving the map while the kernel
// preempts and restores it must never park holding the kernel lock (which
// hung restoreAll, the controller's and stop's, for ever).

import Platform
import BenchKit
import Testing
import KernelTestSupport
import KernelCore
import VcoreEmulation

extension VcoreEmulationSuite {
    @Suite("Vcore exit against preemption", .serialized, .timeLimit(.minutes(1)))
    struct ExitRaceTests {
        @Test("20,000 exits while the kernel preempts and restores the vcore: no deadlock")
        func exitAgainstPreemption() throws {
            let rounds: UInt64 = 20_000
            let map = VcoreMap(count: 1)
            let exits = Counters(1)
            let cpu = testCPUs[0]
            let worker = try PinnedThread.start(cpu: Int(cpu)) {
                for _ in 0..<rounds {
                    map.register(0, cpu: cpu)
                    map.exit(0)
                    exits.increment(0)
                }
            }
            let preemptions = Counters(1)
            // The kernel side, on a thread of its own under a bounded wait: a
            // vcore parked with the kernel lock held blocks it for ever.
            let finished = try BoundedWait.run(.seconds(30)) {
                while exits[0] < rounds {
                    if map.preempt(0) { preemptions.increment(0) }
                    map.restoreAll()
                }
            }
            #expect(finished, "the kernel hung after \(exits[0]) exits, \(preemptions[0]) preemptions")
            guard finished else { return }   // threads abandoned: leak the map
            worker.join()
            #expect(exits[0] == rounds)
            #expect(preemptions[0] > 0, "no preemption landed: the race was not exercised")
            #expect(map.state(0) == .exited)
            map.deallocate()
        }
    }
}
