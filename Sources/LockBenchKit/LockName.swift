// The locks lockbench measures, by the names `--lock` takes, and the one
// switch that turns a name into a concrete lock type (so every measurement
// loop is specialized: no existential on a lock path).

import KernelCore
import VcoreEmulation

/// A lock lockbench can measure, spelled as `KernelLock.name`.
public enum LockName: String, CaseIterable, Sendable, CustomStringConvertible {
    case spin, ttas, ticket, mcs, pthread
    case spinPDR = "spin-pdr", mcsPDRO = "mcs-pdro", mcsPDRN = "mcs-pdrn"

    public var description: String { rawValue }

    /// The PDR locks: they recover from a preempted holder in emulated-vcore mode.
    public var isPDR: Bool { self == .spinPDR || self == .mcsPDRO || self == .mcsPDRN }

    /// Every valid name, for error messages and help.
    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses a name; nil if unknown.
    public init?(parsing text: String) { self.init(rawValue: text.lowercased()) }
}

/// Something generic over the lock type, run with a concrete lock by `LockName.visit`.
public protocol LockVisitor {
    associatedtype Output
    /// Called with a new lock of the chosen type (the visitor owns and frees it).
    mutating func visit<L: KernelLock>(_ lock: L) throws -> Output
}

extension LockName {
    /// Makes the lock named `self` for the vcores of `map` and hands it to
    /// `visitor`. Each case calls `visit` with a concrete type, so in release
    /// builds `visit` is specialized per lock.
    public func visit<V: LockVisitor>(map: VcoreMap, _ visitor: inout V) throws -> V.Output {
        switch self {
        case .spin: try visitor.visit(SpinLock())
        case .ttas: try visitor.visit(TTASLock())
        case .ticket: try visitor.visit(TicketLock())
        case .mcs: try visitor.visit(MCSLock())
        case .pthread: try visitor.visit(PthreadMutexLock())
        case .spinPDR: try visitor.visit(SpinPDRLock(runtime: map))
        case .mcsPDRO: try visitor.visit(MCSPDROLock(runtime: map))
        case .mcsPDRN: try visitor.visit(MCSPDRNLock(runtime: map))
        }
    }
}

/// A lock that can say who holds it (for the watchdog's diagnostic).
public protocol LockHolderReporting {
    /// The holder's vcore id, when the lock records one.
    var reportedHolder: VcoreID? { get }
}

extension SpinPDRLock: LockHolderReporting {
    public var reportedHolder: VcoreID? { holder }
}

extension MCSPDRNLock: LockHolderReporting {
    public var reportedHolder: VcoreID? { lockHolder }
}
