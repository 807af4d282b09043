// Fixtures: test locks (one that never excludes, one never released), the
// machine's CPUs, a TSC clock, and a check that the machine was quiet.

import Platform
import CPlatform
import BenchKit
import KernelCore
import Synchronization
import Testing
@testable import LockBenchKit
#if canImport(Glibc)
import Glibc
#endif

/// Every suite here pins threads and times windows on the machine's CPUs:
/// nested in one serialized suite so none run at once.
/// The time limit applies to every test (case) in it: a deadlocked lock fails
/// the test instead of hanging CI.
@Suite(.serialized, .timeLimit(.minutes(2)))
enum LockBenchSuite {}

/// The two CPUs this machine has (or fewer).
let testCPUs: [Int32] = {
    var cpus = [Int32](repeating: 0, count: 64)
    let found = kb_get_affinity(0, &cpus, 64)
    return found > 0 ? Array(cpus.prefix(min(Int(found), 2))) : [0]
}()

/// Calibrated once (200 ms).
let testClock = TSCClock.calibrate(intervalNs: 50_000_000)

/// A "lock" that never excludes anyone: every verb succeeds at once.
struct BrokenLock: KernelLock {
    typealias Node = NoNode
    static var name: String { "broken" }
    func lock(_ node: NoNode, vcore: VcoreID) {}
    func unlock(_ node: NoNode, vcore: VcoreID) {}
    func tryLock(_ node: NoNode, vcore: VcoreID) -> Bool { true }
    func deallocate() {}
}

/// A test-and-set lock whose unlock does nothing: the first thread to take
/// it holds it for ever. It records its holder (as the PDR locks do), and
/// `abandon()` makes every waiter give up so the test can clean up.
struct NeverReleasedLock: KernelLock, LockHolderReporting, @unchecked Sendable {
    typealias Node = NoNode
    static var name: String { "never-released" }
    let word = CacheLineBox(Atomic<UInt32>(UInt32.max))
    let abandoned = CacheLineBox(Atomic<Bool>(false))

    func lock(_ node: NoNode, vcore: VcoreID) {
        while !tryLock(node, vcore: vcore) {
            if abandoned.pointee.load(ordering: .relaxed) { return }
            kb_pause()
        }
    }
    func unlock(_ node: NoNode, vcore: VcoreID) {}
    func tryLock(_ node: NoNode, vcore: VcoreID) -> Bool {
        word.pointee.compareExchange(expected: .max, desired: vcore, ordering: .acquiring).exchanged
    }
    /// Lets every waiter return (the test's clean-up; the lock is then broken).
    func abandon() { abandoned.pointee.store(true, ordering: .relaxed) }
    var reportedHolder: VcoreID? {
        let value = word.pointee.load(ordering: .relaxed)
        return value == .max ? nil : value
    }
    func deallocate() {
        word.deallocate()
        abandoned.deallocate()
    }
}

