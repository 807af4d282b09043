// The critical section every mutual-exclusion test runs, and the state it
// checks: a lost update or a foreign canary means two threads were inside.

import KernelCore
import CPlatform

/// State a critical section updates with plain (non-atomic) accesses: a lost
/// update or a foreign canary means two threads were inside at once.
public struct CriticalState {
    public var counter = 0
    public var canary: UInt32 = .max
    public var violations = 0

    public init() {}
}

/// Read, mark, spin a little, check the mark, write back.
@inline(never)
public func criticalSection(_ state: UnsafeMutablePointer<CriticalState>, vcore: VcoreID) {
    let before = state.pointee.counter
    state.pointee.canary = vcore
    for _ in 0..<8 { kb_pause() }
    if state.pointee.canary != vcore { state.pointee.violations += 1 }
    state.pointee.counter = before + 1
}
