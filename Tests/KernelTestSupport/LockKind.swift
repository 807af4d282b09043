// Every lock by name, and how many waiters one has queued: the fixtures the
// KernelCore and VcoreEmulation tests share (public lock API only, so this
// target builds in release too, where nothing is compiled for testing).

import KernelCore
import VcoreEmulation

/// Every lock in KernelCore, by name (test arguments print the name).
public enum LockKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case spin, ttas, ticket, mcs, spinPDR = "spin-pdr", mcsPDRO = "mcs-pdro", mcsPDRN = "mcs-pdrn", pthread

    public var description: String { rawValue }

    public static let pdr: [LockKind] = [.spinPDR, .mcsPDRO, .mcsPDRN]

    /// A new lock of this kind for the vcores of `map`, as an existential the
    /// tests open into a generic (specialized) call.
    public func make(map: VcoreMap) -> any KernelLock {
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

/// How many waiters are queued behind the holder (ticket: tickets out;
/// MCS family: the index of the node, or vcore, at the queue's tail, when
/// waiter i uses `nodes[i]` / vcore i); -1 when the lock cannot say.
public func waitersQueued<L: KernelLock>(_ lock: L, tails nodes: [L.Node]) -> Int {
    switch lock {
    case let ticket as TicketLock:
        return Int(ticket.queueLength) - 1
    case let mcs as MCSLock:
        return nodes.firstIndex { ($0 as? QueueNode).map(mcs.isQueueTail) ?? false } ?? -1
    case let pdro as MCSPDROLock<VcoreMap>:
        return nodes.firstIndex { ($0 as? QueueNode).map(pdro.isQueueTail) ?? false } ?? -1
    case let pdrn as MCSPDRNLock<VcoreMap>:
        guard let tail = pdrn.queueTail else { return -1 }
        return Int(tail)
    default:
        return -1
    }
}
