// tryLock under contention, Concurrency Kit's validate loop: every thread
// alternates lock and spinning on tryLock (or only spins on tryLock), checks
// it is alone with ten atomic increments, and counts its sections in a plain
// variable. A tryLock that lets a second thread in, or that acquires without
// seeing the previous holder's writes, loses a section or trips a check.

import Platform
import CPlatform
import Synchronization
import Testing
import KernelTestSupport
@testable import KernelCore
import VcoreEmulation

extension KernelCoreSuite {
    @Suite("tryLock under contention", .serialized, .timeLimit(.minutes(1)))
    struct TryLockContentionTests {
        /// Rounds per thread (two sections each): as in MutualExclusionTests,
        /// fewer when threads outnumber CPUs and FIFO hand-offs wait for a
        /// time slice.
        static func rounds(threads: Int) -> Int {
            threads <= testCPUs.count ? 20_000 : 100
        }

        @Test("every lock's tryLock excludes (CK validate)",
              arguments: LockKind.allCases, [ValidateEntry.alternating, .tryLockOnly])
        func validates(kind: LockKind, entry: ValidateEntry) throws {
            for threads in [testCPUs.count, 4] {
                let map = VcoreMap(count: threads)
                defer { map.deallocate() }
                let lock = kind.make(map: map)
                defer { lock.deallocate() }
                let outcome = try validate(lock, map: map, rounds: Self.rounds(threads: threads), entry: entry)
                #expect(outcome.finished, "\(kind) \(entry) \(threads) threads: vcores did not finish in 20 s")
                guard outcome.finished else { continue }
                #expect(outcome.violations == 0,
                        "\(kind) \(entry) \(threads) threads: \(outcome.violations) overlapping sections")
                #expect(outcome.sections == threads * Self.rounds(threads: threads) * 2,
                        "\(kind) \(entry) \(threads) threads: \(outcome.sections) of \(threads * Self.rounds(threads: threads) * 2) sections counted")
            }
        }

        /// Deterministic, so a busy machine cannot make it pass or fail: a
        /// "lock" that lets an intruder in for exactly as long as the caller
        /// holds it (one increment of the shared count on entry, undone on
        /// exit), as a second thread inside would. Every check of every round
        /// must see it: three in the checked section, one in the second.
        @Test("the validate loop catches a second thread inside")
        func catchesAnIntruder() {
            let box = CacheLineBox(ValidateState())
            defer { box.deallocate() }
            let lock = IntrudedLock(state: box.pointer)
            for entry in [ValidateEntry.alternating, .tryLockOnly] {
                box.pointer.pointee.violations.store(0, ordering: .relaxed)
                validateLoop(lock, node: NoNode(), vcore: 0, state: box.pointer, iterations: 100, entry: entry)
                #expect(box.pointer.pointee.violations.load(ordering: .relaxed) == 100 * 4, "\(entry)")
            }
        }

        struct Outcome {
            var finished: Bool
            var violations: Int
            var sections: Int
        }

        func validate<L: KernelLock>(_ lock: L, map: VcoreMap, rounds: Int,
                                     entry: ValidateEntry) throws -> Outcome {
            let box = CacheLineBox(ValidateState())
            nonisolated(unsafe) let state = box.pointer
            let group = VcoreGroup(map: map, cpus: testCPUs)
            try group.start { vcore in
                let node = L.Node.allocate()
                defer { node.deallocate() }
                validateLoop(lock, node: node, vcore: vcore.id, state: state, iterations: rounds, entry: entry)
            }
            // Bounded: a lock that deadlocks fails the test instead of hanging it.
            let finished = waitUntil(timeout: .seconds(20)) { group.finishedCount == map.count }
            if finished { group.join(timeout: .seconds(5)) } else { group.requestStop() }
            let outcome = Outcome(finished: finished,
                                  violations: state.pointee.violations.load(ordering: .relaxed),
                                  sections: state.pointee.sections)
            // Vcores that never finished may still be inside: leave them the memory.
            if finished { box.deallocate() }
            return outcome
        }
    }
}

extension ValidateEntry: CustomTestStringConvertible {
    public var testDescription: String {
        switch self {
        case .alternating: "lock/tryLock"
        case .tryLockOnly: "tryLock only"
        }
    }
}

/// A lock that excludes nothing and, while "held", has an intruder inside:
/// it bumps the validate count on entry and takes it back on exit.
struct IntrudedLock: KernelLock, @unchecked Sendable {
    let state: UnsafeMutablePointer<ValidateState>
    static var name: String { "intruded" }
    func lock(_ node: NoNode, vcore: VcoreID) { state.pointee.inside.wrappingAdd(1, ordering: .relaxed) }
    func unlock(_ node: NoNode, vcore: VcoreID) { state.pointee.inside.wrappingSubtract(1, ordering: .relaxed) }
    func tryLock(_ node: NoNode, vcore: VcoreID) -> Bool { lock(node, vcore: vcore); return true }
    func deallocate() {}
}
