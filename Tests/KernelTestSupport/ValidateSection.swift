// Concurrency Kit's spinlock validate loop (regressions/ck_spinlock/validate):
// inside the lock, ten atomic increments must read back exactly ten, and the
// count must be zero again at entry, after the undo, and in a second section.
// Any other value means another thread was inside at the same time.

import KernelCore
import Synchronization
import CPlatform

/// What the validate loop shares: the count inside the critical section, a
/// plain counter that loses updates if two threads overlap or a hand-off
/// publishes late, and how many overlaps the checks saw.
public struct ValidateState: ~Copyable {
    /// Incremented ten times and decremented ten times inside each section.
    /// Relaxed atomics: the increments themselves never get lost, so any value
    /// other than the one expected was put there by a second thread inside.
    public let inside = Atomic<UInt32>(0)
    /// Overlaps seen (relaxed; read after the threads are joined).
    public let violations = Atomic<Int>(0)
    /// Plain read-modify-write inside the section: exact only if every
    /// acquisition saw the previous holder's write (the acquire/release pair).
    public var sections = 0

    public init() {}
}

/// How a validate iteration takes the lock.
public enum ValidateEntry: Sendable {
    /// Alternate `lock` and spinning on `tryLock`, as CK's validate does.
    case alternating
    /// Only ever spin on `tryLock`.
    case tryLockOnly
}

/// One thread's share of the validate loop: `iterations` rounds, each a
/// checked section (taken by `lock` or by spinning on `tryLock`, per `entry`)
/// and then a second section that checks the count is back at zero.
@inline(never)
public func validateLoop<L: KernelLock>(_ lock: L, node: L.Node, vcore: VcoreID,
                                        state: UnsafeMutablePointer<ValidateState>,
                                        iterations: Int, entry: ValidateEntry) {
    for round in 0..<iterations {
        let useTry = entry == .tryLockOnly || round & 1 == 1
        if useTry {
            while !lock.tryLock(node, vcore: vcore) { kb_pause() }
        } else {
            lock.lock(node, vcore: vcore)
        }
        var seen = state.pointee.inside.load(ordering: .relaxed)
        if seen != 0 { state.pointee.violations.wrappingAdd(1, ordering: .relaxed) }
        for _ in 0..<10 { state.pointee.inside.wrappingAdd(1, ordering: .relaxed) }
        seen = state.pointee.inside.load(ordering: .relaxed)
        if seen != 10 { state.pointee.violations.wrappingAdd(1, ordering: .relaxed) }
        for _ in 0..<10 { state.pointee.inside.wrappingSubtract(1, ordering: .relaxed) }
        seen = state.pointee.inside.load(ordering: .relaxed)
        if seen != 0 { state.pointee.violations.wrappingAdd(1, ordering: .relaxed) }
        state.pointee.sections += 1
        lock.unlock(node, vcore: vcore)

        lock.lock(node, vcore: vcore)
        if state.pointee.inside.load(ordering: .relaxed) != 0 {
            state.pointee.violations.wrappingAdd(1, ordering: .relaxed)
        }
        state.pointee.sections += 1
        lock.unlock(node, vcore: vcore)
    }
}
