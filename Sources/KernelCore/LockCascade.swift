// LockCascade: a coarse lock over a set of parts with a fine lock each, the
// granularity switched at run time (Uhlig §4.3.3, Figure 4.8).

import Platform
import Synchronization

/// The granularity of a cascade, in the same two bits as a dynamic lock.
public enum CascadeGranularity: UInt64, Sendable, CaseIterable {
    /// Only the coarse lock is taken (zero: one test on the fast path).
    case coarse = 0
    /// Only the part's fine lock is taken.
    case fine = 1
    /// Both are taken, until an epoch proves nobody still locks coarse only.
    case toFine = 2
    /// Both are taken, until an epoch proves nobody still locks fine only.
    case toCoarse = 3
}

/// What `enter` took, to be handed to the part verbs and to `exit`: the
/// granularity read once on entry, so one operation never mixes two.
@frozen
public struct CascadeHold: BitwiseCopyable, Sendable {
    @usableFromInline let raw: UInt64
    @inlinable init(raw: UInt64) { self.raw = raw }
    /// Whether the coarse lock is held.
    @inlinable public var coarse: Bool { raw != CascadeGranularity.fine.rawValue }
    /// Whether each part's fine lock is to be taken.
    @inlinable public var fine: Bool { raw != CascadeGranularity.coarse.rawValue }
}

/// Two cascaded levels of dynamic locks: one coarse lock over `parts` fine
/// locks, only one level active in a stable state. Every operation acquires
/// every *enabled* level, coarse before fine (lock order: no deadlock), and
/// releases in reverse; a switch passes through a state where both levels
/// are enabled for one full epoch, so at no moment do two vcores synchronize
/// on different levels. One state word serves all the fine locks, so the
/// cascade costs what one dynamic lock costs: two bits and an epoch stamp.
///
/// With the coarse level on, an operation over many parts takes one lock
/// (Uhlig's critical-section fusing); with the fine level on, parallel
/// operations on different parts never wait for each other.
@frozen
public struct LockCascade<Coarse: KernelLock, Fine: KernelLock>: BitwiseCopyable, @unchecked Sendable {
    @usableFromInline let stateBox: CacheLineBox<Atomic<UInt64>>
    /// The lock over all parts.
    public let coarseLock: Coarse
    /// One lock per part.
    @usableFromInline let fineLocks: UnsafeMutablePointer<Fine>
    /// The number of parts.
    public let parts: Int
    /// The ring whose epochs time the switches.
    public let ring: EpochRing

    /// A cascade of `coarse` over `parts` fine locks made by `fine`, starting at `granularity` (stable).
    public init(coarse: Coarse, parts: Int, fine: () -> Fine, ring: EpochRing,
                granularity: CascadeGranularity = .coarse) {
        precondition(parts > 0, "LockCascade: parts must be positive")
        precondition(granularity == .coarse || granularity == .fine, "LockCascade: start coarse or fine")
        coarseLock = coarse
        self.parts = parts
        fineLocks = .allocate(capacity: parts)
        for index in 0..<parts { (fineLocks + index).initialize(to: fine()) }
        self.ring = ring
        stateBox = CacheLineBox(Atomic<UInt64>(granularity.rawValue))
    }

    @inlinable
    var word: TransitionWord { TransitionWord(stateBox.pointer) }

    /// The granularity now (a snapshot).
    public var granularity: CascadeGranularity { CascadeGranularity(rawValue: TransitionWord.state(word.raw))! }

    /// Begins an operation: takes the coarse lock unless the cascade is fine.
    @inlinable
    @inline(__always)
    public func enter(_ node: Coarse.Node, vcore: VcoreID) -> CascadeHold {
        let raw = word.raw
        if raw != CascadeGranularity.fine.rawValue {
            coarseLock.lock(node, vcore: vcore)
            if raw > 1 { settleHolding() }
        }
        return CascadeHold(raw: raw)
    }

    /// Takes part `index`'s fine lock if the operation's granularity asks for it.
    @inlinable
    @inline(__always)
    public func lockPart(_ index: Int, _ node: Fine.Node, vcore: VcoreID, hold: CascadeHold) {
        if hold.fine { fineLocks[index].lock(node, vcore: vcore) }
    }

    /// Releases part `index`'s fine lock if `lockPart` took it.
    @inlinable
    @inline(__always)
    public func unlockPart(_ index: Int, _ node: Fine.Node, vcore: VcoreID, hold: CascadeHold) {
        if hold.fine { fineLocks[index].unlock(node, vcore: vcore) }
    }

    /// Ends the operation begun by `enter`.
    @inlinable
    @inline(__always)
    public func exit(_ node: Coarse.Node, vcore: VcoreID, hold: CascadeHold) {
        if hold.coarse { coarseLock.unlock(node, vcore: vcore) }
    }

    @inline(never)
    @usableFromInline
    func settleHolding() { word.settle(ring: ring) }

    /// Begins the switch to one lock per part; false unless coarse.
    @discardableResult
    public func switchToFine() -> Bool { word.begin(from: CascadeGranularity.coarse.rawValue, ring: ring) }

    /// Begins the switch to the one coarse lock; false unless fine.
    @discardableResult
    public func switchToCoarse() -> Bool { word.begin(from: CascadeGranularity.fine.rawValue, ring: ring) }

    /// Finishes a switch whose epoch has passed; returns the granularity after.
    @discardableResult
    public func settle() -> CascadeGranularity {
        CascadeGranularity(rawValue: TransitionWord.state(word.settle(ring: ring)))!
    }

    /// Waits for a switch under way to take effect (see `TransitionWord.waitUntilStable`).
    public func waitUntilSettled(as vcore: VcoreID?, timeoutNs: UInt64) -> Result<CascadeGranularity, EpochStallError> {
        word.waitUntilStable(ring: ring, as: vcore, timeoutNs: timeoutNs)
            .map { CascadeGranularity(rawValue: $0)! }
    }

    /// Frees the state, the coarse lock and every fine lock (not the ring).
    public func deallocate() {
        for index in 0..<parts { fineLocks[index].deallocate() }
        fineLocks.deinitialize(count: parts)
        fineLocks.deallocate()
        coarseLock.deallocate()
        stateBox.deallocate()
    }
}
