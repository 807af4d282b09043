// Barriers: nobody passes an episode before everyone arrived, under
// contention and oversubscription; the tree has the shape it claims; a
// cancel frees a waiter that would otherwise wait for ever.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Barriers", .serialized)
    struct BarrierTests {
        enum Kind: String, CaseIterable, CustomTestStringConvertible {
            case futex, spin, tree
            var testDescription: String { rawValue }
        }

        static func make(_ kind: Kind, participants: Int) -> any KernelBarrier {
            let spin = BarrierSpin.forParticipants(participants, cpus: testCPUs.count)
            switch kind {
            case .futex: return FutexBarrier(participants: participants)
            case .spin: return SenseBarrier(participants: participants, spin: spin)
            case .tree: return CombiningTreeBarrier(participants: participants, fanIn: 2, spin: spin)
            }
        }

        /// Each thread counts its arrival in a shared counter before every
        /// wait. After episode e's wait returns, all N arrivals of episode e
        /// are counted (>= N(e+1)), and nobody has arrived twice beyond it: no
        /// one can pass e+1 before this thread arrives (<= N(e+2) - 1). A
        /// barrier that lets anyone through early, or holds anyone back a
        /// round, breaks one bound. 8 threads on 2 CPUs: oversubscribed.
        @Test("nobody passes before everyone arrived", .timeLimit(.minutes(1)),
              arguments: Kind.allCases, [2, 3, 5, 8])
        func separatesEpisodes(kind: Kind, threads: Int) throws {
            let barrier = Self.make(kind, participants: threads)
            let arrivals = Counters(1), violations = Counters(1), finished = Counters(1)
            let episodes = threads > testCPUs.count ? 300 : 3_000
            var started: [PinnedThread] = []
            for index in 0..<threads {
                started.append(try PinnedThread.start(cpu: Int(testCPUs[index % testCPUs.count])) {
                    let n = UInt64(threads)
                    for episode in 0..<UInt64(episodes) {
                        arrivals.increment(0)
                        guard barrier.wait(participant: index) else { break }
                        let seen = arrivals[0]
                        if seen < n * (episode + 1) || seen > n * (episode + 2) - 1 { violations.increment(0) }
                    }
                    finished.increment(0)
                })
            }
            let done = waitUntil(timeout: .seconds(45)) { finished[0] == UInt64(threads) }
            if !done { barrier.cancel() }
            #expect(done, "\(kind) with \(threads) threads did not finish in 45 s")
            started.forEach { $0.join() }
            #expect(violations[0] == 0)
            #expect(arrivals[0] == UInt64(threads * episodes))
            barrier.deallocate()
        }

        @Test("the combining tree has the shape it claims")
        func treeShape() {
            for participants in 1...70 {
                for fanIn in 2...5 {
                    let shape = CombiningTreeBarrier.shape(participants: participants, fanIn: fanIn)
                    let roots = shape.parents.indices.filter { shape.parents[$0] < 0 }
                    #expect(roots == [shape.children.count - 1], "one root, last: \(participants)/\(fanIn)")
                    #expect(shape.children.allSatisfy { (1...fanIn).contains($0) })
                    // Leaves take every participant; each inner node as many
                    // children as point at it.
                    let leaves = (participants + fanIn - 1) / fanIn
                    #expect(shape.children.prefix(leaves).reduce(0, +) == participants)
                    for node in leaves..<shape.children.count {
                        #expect(shape.parents.filter { $0 == node }.count == shape.children[node])
                    }
                    // Parents lie above their children.
                    for (node, parent) in shape.parents.enumerated() where parent >= 0 { #expect(parent > node) }
                    var expectedLevels = 1, width = participants
                    while width > fanIn { width = (width + fanIn - 1) / fanIn; expectedLevels += 1 }
                    #expect(shape.levels == expectedLevels, "\(participants)/\(fanIn)")
                }
            }
            #expect(CombiningTreeBarrier.shape(participants: 2, fanIn: 2).levels == 1)
            #expect(CombiningTreeBarrier.shape(participants: 3, fanIn: 2).levels == 2)
        }

        /// One of two participants never comes: the other waits until a
        /// cancel, then returns false, within the sleep bound.
        @Test("a cancel frees a waiter", .timeLimit(.minutes(1)), arguments: Kind.allCases)
        func cancelFreesAWaiter(kind: Kind) throws {
            let barrier = Self.make(kind, participants: 2)
            let result = Counters(2)
            let thread = try PinnedThread.start(cpu: Int(testCPUs[0])) {
                let passed = barrier.wait(participant: 0)
                result.increment(passed ? 0 : 1)
            }
            pause(.milliseconds(50))
            #expect(result[0] + result[1] == 0, "passed a barrier alone")
            barrier.cancel()
            let returned = waitUntil(timeout: .seconds(5)) { result[1] == 1 }
            #expect(returned, "\(kind): the waiter did not return after cancel")
            thread.join()
            #expect(result[0] == 0 && barrier.isCancelled)
            barrier.deallocate()
        }
    }
}
