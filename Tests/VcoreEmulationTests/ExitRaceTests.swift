// VcoreMap.exit against preemption: a vcore leaving the map while the kernel
// preempts and restores it must never park holding the kernel lock (which
// hung restoreAll, the controller's and stop's, for ever).

import Platform
import BenchKit
import Testing
import KernelTestSupport
import KernelCore
import CPlatform
@testable import VcoreEmulation

extension VcoreEmulationSuite {
    @Suite("Vcore exit against preemption", .serialized, .timeLimit(.minutes(1)))
    struct ExitRaceTests {
        @Test("20,000 exits and 1,000 landed preemptions (10 s at most) while the kernel preempts and restores the vcore: no deadlock")
        func exitAgainstPreemption() throws {
            // Counts and a time budget: each exit races a preemption round;
            // a busy 2-CPU machine manages 12,000 to 20,000 exits in 30 s, a
            // quiet Zen 5 one 20,000 in 20 ms, before the kernel thread had
            // preempted once. So the exits go on until 1,000 preemptions
            // have landed too. What is tested is that no exit hangs, not how
            // many fit.
            let rounds: UInt64 = 20_000
            let landed: UInt64 = 1_000
            let budgetNs: UInt64 = 10_000_000_000
            let map = VcoreMap(count: 1)
            let exits = Counters(1)
            let workerDone = Counters(1)
            let preemptions = Counters(1)
            let cpu = testCPUs[0]
            let worker = try PinnedThread.start(cpu: Int(cpu)) {
                let deadline = monotonicNanos() &+ budgetNs
                while (exits[0] < rounds || preemptions[0] < landed) && monotonicNanos() < deadline {
                    map.register(0, cpu: cpu)
                    map.exit(0)
                    exits.increment(0)
                }
                workerDone.increment(0)
            }
            // The kernel side, on a thread of its own under a bounded wait: a
            // vcore parked with the kernel lock held blocks it for ever.
            // Besides `preempt`'s own signal, three more "IPIs" land late, as
            // the signal of a controller that signals after releasing the
            // kernel lock may: some arrive while `exit` holds the lock.
            let tid = worker.tid
            nonisolated(unsafe) let slot = UnsafeMutableRawPointer(map.slot(0))
            let finished = try BoundedWait.run(.seconds(30)) {
                while workerDone[0] == 0 {
                    if map.preempt(0) {
                        preemptions.increment(0)
                        for _ in 0..<3 { _ = kb_tgsigqueue(tid, PreemptionSignal.number, slot) }
                    }
                    map.restoreAll()
                }
            }
            #expect(finished, "the kernel hung after \(exits[0]) exits, \(preemptions[0]) preemptions")
            guard finished else { return }   // threads abandoned: leak the map
            worker.join()
            // Each landed preemption parks the worker until the restore, so
            // when they land often the exits slow down: 981 in 10 s once
            // (probe runs saw 62,000-800,000 preemptions land in a run).
            // Hundreds of exits, each against a busy preemptor, still
            // exercise the race.
            #expect(exits[0] >= 500, "only \(exits[0]) exits in 10 s: the race was barely exercised")
            #expect(preemptions[0] > 0, "no preemption landed: the race was not exercised")
            #expect(map.state(0) == .exited)
            map.deallocate()
        }
    }
}
