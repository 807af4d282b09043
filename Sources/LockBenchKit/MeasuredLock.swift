// The lock under test as the runner's non-generic parts see it.

import KernelCore
import VcoreEmulation

/// A lock under test, its type erased everywhere but in the measurement loop.
///
/// The runner's setup, coordination and collection are the same for every
/// lock, so they are written once, without generics. The one piece that must
/// know the lock's type is the loop: `measure` wraps `measureAttempts`
/// specialized for it, made by the inlinable `LockRunner.run` in the
/// caller's module, where the type is concrete. Calling `measure` is one
/// indirect call per thread per run; inside it every lock verb is direct.
@usableFromInline
struct MeasuredLock: Sendable {
    /// The lock's name, as `KernelLock.name` spells it.
    let name: String
    /// Runs one thread's attempts (its vcore id is its thread index).
    let measure: @Sendable (_ vcore: Vcore, _ critical: UnsafeMutablePointer<CriticalWords>,
                            _ memory: ThreadMemory, _ plan: LoopPlan) -> Void
    /// The holder as the lock records it, for locks that record one.
    let reportedHolder: (@Sendable () -> VcoreID?)?
    /// Frees the threads' queue nodes, once no thread can touch them.
    let freeNodes: @Sendable () -> Void

    @usableFromInline
    init(name: String,
         measure: @escaping @Sendable (Vcore, UnsafeMutablePointer<CriticalWords>, ThreadMemory, LoopPlan) -> Void,
         reportedHolder: (@Sendable () -> VcoreID?)?, freeNodes: @escaping @Sendable () -> Void) {
        self.name = name
        self.measure = measure
        self.reportedHolder = reportedHolder
        self.freeNodes = freeNodes
    }
}
