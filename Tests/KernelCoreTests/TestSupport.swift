// Shared fixtures: every lock by name, a critical section that detects a
// broken lock, and bounded waits (no test may hang).

import Platform
import CPlatform
import Synchronization
import Testing
@testable import KernelCore
import VcoreEmulation
#if canImport(Glibc)
import Glibc
#endif

/// Every KernelCore suite nests in this one: its tests pin threads, run
/// SCHED_FIFO threads and time preemption windows on the machine's two
/// CPUs, so no two may run at once (`.serialized` applies to nested suites;
/// sibling top-level suites would run in parallel).
@Suite(.serialized)
enum KernelCoreSuite {}

/// Every lock in KernelCore, by name.
enum LockKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case spin, ttas, ticket, mcs, spinPDR = "spin-pdr", mcsPDRO = "mcs-pdro", mcsPDRN = "mcs-pdrn", pthread

    var testDescription: String { rawValue }

    static let pdr: [LockKind] = [.spinPDR, .mcsPDRO, .mcsPDRN]

    /// A new lock of this kind for the vcores of `map`, as an existential the
    /// tests open into a generic (specialized) call.
    func make(map: VcoreMap) -> any KernelLock {
        switch self {
        case .spin: SpinLock()
        case .ttas: TTASLock()
        case .ticket: TicketLock()
        case .mcs: MCSLock()
        case .spinPDR: SpinPDRLock(runtime: map)
        case .mcsPDRO: MCSPDROLock(runtime: map)
        case .mcsPDRN: MCSPDRNLock(runtime: map)
        case .pthread: PthreadMutexLock()
        }
    }
}

/// The two CPUs this machine has (or fewer, if the process may use fewer).
let testCPUs: [Int32] = {
    var cpus = [Int32](repeating: 0, count: 64)
    let found = kb_get_affinity(0, &cpus, 64)
    return found > 0 ? Array(cpus.prefix(min(Int(found), 2))) : [0]
}()

/// State a critical section updates with plain (non-atomic) accesses: a lost
/// update or a foreign canary means two threads were inside at once.
struct CriticalState {
    var counter = 0
    var canary: UInt32 = .max
    var violations = 0
}

/// Memory shared by test threads, on its own lines; freed by the test.
final class Shared<T>: @unchecked Sendable {
    let box: CacheLineBox<T>
    var pointer: UnsafeMutablePointer<T> { box.pointer }
    init(_ value: T) { box = CacheLineBox(value) }
    deinit { box.deallocate() }
    var value: T {
        get { pointer.pointee }
        set { pointer.pointee = newValue }
    }
}

/// An array of atomic counters, one cache line each.
final class Counters: @unchecked Sendable {
    let counters: CacheLineArray<Atomic<UInt64>>
    var count: Int { counters.count }
    init(_ count: Int) { counters = CacheLineArray(count: count) { _ in Atomic(0) } }
    deinit { counters.deallocate() }
    func slot(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> { counters.pointer(at: index) }
    func increment(_ index: Int) { slot(index).pointee.wrappingAdd(1, ordering: .relaxed) }
    subscript(index: Int) -> UInt64 { slot(index).pointee.load(ordering: .relaxed) }
    var total: UInt64 { (0..<count).reduce(0) { $0 + self[$1] } }
}

/// The critical section every mutual-exclusion test runs: read, mark, spin a
/// little, check the mark, write back.
@inline(never)
func criticalSection(_ state: UnsafeMutablePointer<CriticalState>, vcore: VcoreID) {
    let before = state.pointee.counter
    state.pointee.canary = vcore
    for _ in 0..<8 { kb_pause() }
    if state.pointee.canary != vcore { state.pointee.violations += 1 }
    state.pointee.counter = before + 1
}

/// Polls `condition` until it holds or `timeout` passes; true if it held.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanos() + timeout.nanoseconds
    while !condition() {
        if monotonicNanos() > deadline { return false }
        sched_yield()
    }
    return true
}

/// Sleeps the test thread for `duration`.
func pause(_ duration: Duration) {
    sleep(untilNanos: monotonicNanos() + duration.nanoseconds)
}

/// How many waiters are queued behind the holder (ticket: tickets out;
/// MCS family: the queue's tail is the last waiter's node).
func waitersQueued<L: KernelLock>(_ lock: L, tails nodes: [L.Node]) -> Int {
    switch lock {
    case let ticket as TicketLock:
        return Int(ticket.queueLength) - 1
    case let mcs as MCSLock:
        let tail = mcs.tail.pointee.load(ordering: .acquiring)
        return nodes.firstIndex { ($0 as? QueueNode)?.raw == tail } ?? -1
    case let pdro as MCSPDROLock<VcoreMap>:
        let tail = pdro.tail.pointee.load(ordering: .acquiring)
        return nodes.firstIndex { ($0 as? QueueNode)?.raw == tail } ?? -1
    case let pdrn as MCSPDRNLock<VcoreMap>:
        guard let tail = pdrn.header.pointee.tail.load(ordering: .acquiring) else { return -1 }
        return Int(pdrn.vcore(of: tail))
    default:
        return -1
    }
}
