// Event-logging overhead's method: (b)'s guard records nothing and (c)-(f)
// record every message, from the receiver's domain in its control block;
// the scaling team runs every configuration in every round, rotated.

import BenchKit
import KernelCore
import Synchronization
import Testing
@testable import LockBenchKit

extension LockBenchSuite {
    @Suite("Event-logging overhead method")
    struct EventLogOverheadTests {
        @Test("(b) raises no record; (c)-(f) count every message; the receiver's domain is read from its buffers")
        func configurations() {
            let work = MessageBuffers(words: 4, receiverDomain: EventLogSetup.receiverDomain)
            defer { work.deallocate() }
            #expect(work.receiverDomainWord.pointee == UInt64(EventLogSetup.receiverDomain))
            for configuration in EventLogConfiguration.allCases {
                let setup = EventLogSetup(configuration, cpuSlots: 1)
                defer { setup.deallocate() }
                let before = work.delivered
                _ = setup.batch(cpu: 0, work: work, iterations: 10)
                #expect(work.delivered == before + 10, "\(configuration): every batch transfers")
                let counted = setup.log.count(EventLogSetup.receiverDomain, cpu: 0)
                #expect(counted == ([.a, .b].contains(configuration) ? 0 : 10), "\(configuration): \(counted) events counted")
            }
            // The test reads the receiver's word: a (c) sender (domain 2) to a
            // receiver moved into domain 2 is a same-domain event, nothing counted.
            let same = MessageBuffers(words: 4, receiverDomain: EventLogSetup.receiverDomain + 1)
            defer { same.deallocate() }
            let setup = EventLogSetup(.c, cpuSlots: 1)
            defer { setup.deallocate() }
            _ = setup.batch(cpu: 0, work: same, iterations: 7)
            #expect(setup.log.count(1, cpu: 0) == 0 && setup.log.count(2, cpu: 0) == 0)
            _ = setup.batch(cpu: 0, work: work, iterations: 7)
            #expect(setup.log.count(1, cpu: 0) == 7)
        }

        @Test("team trials run every variant each round, starting at round mod k, and keep each variant's trials apart")
        func interleavedTeam() throws {
            let order = Mutex<[Int]>([])
            let runner = TrialRunner(clock: testClock, overheadTicks: 0, trials: 4, iterations: 10, warmupBatches: 1)
            let perVariant = try TeamTrials.run(cpus: [Int(testCPUs[0])], variants: 3, runner: runner, messageWords: 4,
                                                scheduling: .inherit) { variant, _, _, _ in
                order.withLock { $0.append(variant) }
                return UInt64(1_000 * (variant + 1))
            }
            let calls = order.withLock { $0 }
            #expect(Array(calls.prefix(3)) == [0, 1, 2], "warm-up: one batch of each")
            #expect(Array(calls.dropFirst(3)) == [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2])
            #expect(perVariant.count == 3)
            for variant in 0..<3 {
                let expected = testClock.nanoseconds(UInt64(1_000 * (variant + 1))) / 10
                #expect(perVariant[variant].count == 4)
                #expect(perVariant[variant].allSatisfy { abs($0 - expected) < 1e-9 }, "variant \(variant): \(perVariant[variant])")
            }
        }
    }
}
