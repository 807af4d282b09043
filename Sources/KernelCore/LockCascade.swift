// LockCascade: a coarse lock over a set of parts with a fine lock each, the
// granularity switched at run time (Uhlig §4.3.3, Figure 4.8).

import Platform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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

/// A lock a cascade can make on its own when it first switches to fine:
/// the plain locks with a public `init()`.
public protocol CascadeFineLock: KernelLock {
    init()
}
extension SpinLock: CascadeFineLock {}
extension MCSLock: CascadeFineLock {}
extension TicketLock: CascadeFineLock {}
extension TTASLock: CascadeFineLock {}

/// The words of a cascade beside its state word: the fine locks (nil until
/// the first switch to fine) and their retirement after a switch back.
@usableFromInline
struct CascadeFineStorage<Fine: KernelLock>: ~Copyable {
    /// The fine locks, `parts` of them; published (releasing) before the
    /// switch to fine begins, freed one full epoch after the cascade was
    /// seen coarse again.
    @usableFromInline let locks = Atomic<UnsafeMutablePointer<Fine>?>(nil)
    /// 0, or the epoch after which the fine locks may be freed (stamped by
    /// `reclaim` when it first sees the cascade coarse).
    let retireAt = Atomic<UInt64>(0)
    /// Serializes the control operations that allocate, retire and free.
    let control = Atomic<Bool>(false)
    /// Fine-lock arrays allocated and freed so far (for tests and reports).
    let allocations = Atomic<Int>(0), frees = Atomic<Int>(0)

    @usableFromInline init() {}
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
///
/// The fine locks cost memory only while they can be used, as Uhlig
/// allocates them: on the first switch to fine (or at creation when the
/// cascade starts fine), and freed by `reclaim` one full epoch after it saw
/// the cascade back at coarse, when no operation that read a fine state can
/// still hold one.
@frozen
public struct LockCascade<Coarse: KernelLock, Fine: CascadeFineLock>: BitwiseCopyable, @unchecked Sendable {
    @usableFromInline let stateBox: CacheLineBox<Atomic<UInt64>>
    @usableFromInline let fineBox: CacheLineBox<CascadeFineStorage<Fine>>
    /// The lock over all parts.
    public let coarseLock: Coarse
    /// The number of parts.
    public let parts: Int
    /// The ring whose epochs time the switches.
    public let ring: EpochRing

    /// A cascade of `coarse` over `parts` fine locks of type `fine`, starting
    /// at `granularity` (stable); the fine locks exist only from the first
    /// switch to fine.
    public init(coarse: Coarse, parts: Int, fine: Fine.Type, ring: EpochRing,
                granularity: CascadeGranularity = .coarse) {
        precondition(parts > 0, "LockCascade: parts must be positive")
        precondition(granularity == .coarse || granularity == .fine, "LockCascade: start coarse or fine")
        coarseLock = coarse
        self.parts = parts
        self.ring = ring
        stateBox = CacheLineBox(Atomic<UInt64>(granularity.rawValue))
        fineBox = CacheLineBox(CascadeFineStorage<Fine>())
        if granularity == .fine { fineBox.pointee.locks.store(Self.makeFineLocks(parts, box: fineBox), ordering: .releasing) }
    }

    /// The fine locks of an operation that holds `fine`: present from
    /// before the switch to fine began until an epoch after the switch back
    /// ended. Acquiring: pairs with the releasing publication, which
    /// precedes the state word's change the caller read.
    @inlinable
    var fineLocks: UnsafeMutablePointer<Fine> { fineBox.pointee.locks.load(ordering: .acquiring).unsafelyUnwrapped }

    /// Whether the fine locks exist now (memory held).
    public var fineLocksAllocated: Bool { fineBox.pointee.locks.load(ordering: .acquiring) != nil }

    /// Fine-lock arrays allocated and freed since creation.
    public var fineLockAllocations: (allocated: Int, freed: Int) {
        (fineBox.pointee.allocations.load(ordering: .relaxed), fineBox.pointee.frees.load(ordering: .relaxed))
    }

    private static func makeFineLocks(_ parts: Int, box: CacheLineBox<CascadeFineStorage<Fine>>) -> UnsafeMutablePointer<Fine> {
        let locks = UnsafeMutablePointer<Fine>.allocate(capacity: parts)
        for index in 0..<parts { (locks + index).initialize(to: Fine()) }
        box.pointee.allocations.wrappingAdd(1, ordering: .relaxed)
        return locks
    }

    private static func freeFineLocks(_ locks: UnsafeMutablePointer<Fine>, parts: Int, box: CacheLineBox<CascadeFineStorage<Fine>>) {
        for index in 0..<parts { locks[index].deallocate() }
        locks.deinitialize(count: parts)
        locks.deallocate()
        box.pointee.frees.wrappingAdd(1, ordering: .relaxed)
    }

    /// Runs `body` holding the control flag (switches and reclaims; never on
    /// a lock path); false, without running it, when another holds it and
    /// `wait` is false.
    private func underControl(wait: Bool, _ body: () -> Void) -> Bool {
        // Acquiring and releasing: one controller at a time sees the last one's writes.
        while !fineBox.pointee.control.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            if !wait { return false }
            sched_yield()
        }
        body()
        fineBox.pointee.control.store(false, ordering: .releasing)
        return true
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
            if raw > 1 { word.settleHolding(ring: ring) }
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


    /// Begins the switch to one lock per part; false unless coarse. The
    /// fine locks are allocated here the first time (or reused, if a switch
    /// back retired them but they were not freed yet) and published before
    /// the switch begins.
    @discardableResult
    public func switchToFine() -> Bool {
        var begun = false
        _ = underControl(wait: true) {
            guard TransitionWord.state(word.raw) == CascadeGranularity.coarse.rawValue else { return }
            fineBox.pointee.retireAt.store(0, ordering: .relaxed)
            if fineBox.pointee.locks.load(ordering: .relaxed) == nil {
                // Releasing: the initialized locks are visible before the pointer.
                fineBox.pointee.locks.store(Self.makeFineLocks(parts, box: fineBox), ordering: .releasing)
            }
            begun = word.begin(from: CascadeGranularity.coarse.rawValue, ring: ring)
        }
        return begun
    }

    /// Frees the fine locks once it is safe: the first call that finds the
    /// cascade coarse stamps the epoch one full round away; a call at or
    /// after that epoch, still coarse, frees them. Returns whether they are
    /// freed now. `settle` and `waitUntilSettled` call it; a busy control
    /// flag (a switch under way) makes it return at once.
    @discardableResult
    public func reclaim() -> Bool {
        var freed = false
        _ = underControl(wait: false) {
            guard let locks = fineBox.pointee.locks.load(ordering: .relaxed) else { freed = true; return }
            guard word.raw == CascadeGranularity.coarse.rawValue else {
                fineBox.pointee.retireAt.store(0, ordering: .relaxed)
                return
            }
            let due = fineBox.pointee.retireAt.load(ordering: .relaxed)
            if due == 0 {
                // Any operation that read a fine state began before now; the
                // round after the one under way proves it ended.
                fineBox.pointee.retireAt.store(ring.fullEpochTarget, ordering: .relaxed)
            } else if ring.epoch >= due {
                fineBox.pointee.locks.store(nil, ordering: .releasing)
                fineBox.pointee.retireAt.store(0, ordering: .relaxed)
                Self.freeFineLocks(locks, parts: parts, box: fineBox)
                freed = true
            }
        }
        return freed
    }

    /// Begins the switch to the one coarse lock; false unless fine.
    @discardableResult
    public func switchToCoarse() -> Bool { word.begin(from: CascadeGranularity.fine.rawValue, ring: ring) }

    /// Finishes a switch whose epoch has passed, and reclaims retired fine
    /// locks when due; returns the granularity after.
    @discardableResult
    public func settle() -> CascadeGranularity {
        let state = CascadeGranularity(rawValue: TransitionWord.state(word.settle(ring: ring)))!
        if state == .coarse { reclaim() }
        return state
    }

    /// Waits for a switch under way to take effect (see `TransitionWord.waitUntilStable`).
    public func waitUntilSettled(as vcore: VcoreID?, timeoutNs: UInt64) -> Result<CascadeGranularity, EpochStallError> {
        let result = word.waitUntilStable(ring: ring, as: vcore, timeoutNs: timeoutNs)
            .map { CascadeGranularity(rawValue: $0)! }
        if case .success(.coarse) = result { reclaim() }
        return result
    }

    /// Frees the state, the coarse lock and the fine locks if any (not the ring).
    public func deallocate() {
        if let locks = fineBox.pointee.locks.load(ordering: .acquiring) { Self.freeFineLocks(locks, parts: parts, box: fineBox) }
        fineBox.deallocate()
        coarseLock.deallocate()
        stateBox.deallocate()
    }
}
