// What guards the critical section of lockbench dynamic's overhead loops:
// nothing, a plain KernelCore lock, or a dynamic lock over one.

import KernelCore

/// The guard of one critical section. Every overhead variant runs the same
/// generic loop specialized per guard, so the only code that differs between
/// "no lock" and a lock is the guard's own: the baseline hides no work the
/// locked loops do not also do, and vice versa.
///
/// `enter` returns what it took and `exit` takes that answer (a dynamic
/// lock decides at entry, see `DynamicLock`).
protocol SectionGuard: BitwiseCopyable {
    associatedtype Held
    func enter() -> Held
    func exit(_ held: Held)
}

/// No lock: the baseline (Uhlig's lock-free IPC, event-logging (a)).
struct NoGuard: SectionGuard {
    @inline(__always) func enter() {}
    @inline(__always) func exit(_ held: Void) {}
}

/// A plain KernelCore lock (spin, MCS), always taken.
struct PlainGuard<L: KernelLock>: SectionGuard {
    let lock: L
    let node: L.Node
    @inline(__always) func enter() { lock.lock(node, vcore: 0) }
    @inline(__always) func exit(_ held: Void) { lock.unlock(node, vcore: 0) }
}

/// A dynamic lock on its home vcore (0): disabled, one load and one test.
struct DynamicGuard<L: KernelLock>: SectionGuard {
    let lock: DynamicLock<L>
    let node: L.Node
    @inline(__always) func enter() -> Bool { lock.lock(node, vcore: 0) }
    @inline(__always) func exit(_ held: Bool) { lock.unlock(node, vcore: 0, held: held) }
}

/// Two guards taken together, first then second, released in reverse: an
/// IPC takes the sender's and the receiver's thread locks (Uhlig §6.2.1,
/// "the two required locks").
struct GuardPair<G: SectionGuard>: SectionGuard {
    let first: G, second: G
    @inline(__always) func enter() -> (G.Held, G.Held) {
        let a = first.enter()
        return (a, second.enter())
    }
    @inline(__always) func exit(_ held: (G.Held, G.Held)) {
        second.exit(held.1)
        first.exit(held.0)
    }
}
