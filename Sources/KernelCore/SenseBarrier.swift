// SenseBarrier: the central sense-reversing spinning barrier.

import Platform
import CPlatform
import Synchronization

/// The classic central barrier: each arrival decrements one counter; the last
/// one resets it and flips a shared sense flag that the others spin on. Each
/// participant keeps its own sense (flipped every episode, on its own line),
/// so the counter needs no second phase to be reused. The counter and the
/// flag sit on separate lines: arrivals do not disturb the spinners' line
/// until the flip.
///
/// Cost per episode: N RMWs on one line (serialized) plus one write seen by
/// N-1 spinners. Waits are bounded by `BarrierSpin` (yield, then sleep), so
/// more participants than CPUs cannot hang it.
@frozen
public struct SenseBarrier: KernelBarrier, @unchecked Sendable {
    @usableFromInline let shared: CacheLineBox<BarrierArrivals>
    @usableFromInline let sense: CacheLineBox<Atomic<Bool>>
    @usableFromInline let cancelled: CacheLineBox<Atomic<Bool>>
    /// Each participant's own sense; only that participant touches its slot.
    @usableFromInline let local: CacheLineArray<Bool>
    @usableFromInline let spin: BarrierSpin
    public let participants: Int

    public static var name: String { "spin" }

    public init(participants: Int, spin: BarrierSpin = .dedicated) {
        precondition(participants > 0, "SenseBarrier: participants must be positive")
        self.participants = participants
        self.spin = spin
        shared = CacheLineBox(BarrierArrivals(participants))
        sense = CacheLineBox(Atomic(false))
        cancelled = CacheLineBox(Atomic(false))
        local = CacheLineArray(count: participants) { _ in false }
    }

    @inlinable
    public func wait(participant: Int) -> Bool {
        let mine = local.pointer(at: participant)
        let episodeSense = !mine.pointee
        mine.pointee = episodeSense
        // Releasing: our writes before the barrier reach the last arrival;
        // acquiring: the last arrival sees everybody's.
        if shared.pointee.remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            // Nobody touches the counter until the flip below: reset it first
            // (relaxed: the releasing flip publishes it).
            shared.pointee.remaining.store(participants, ordering: .relaxed)
            sense.pointee.store(episodeSense, ordering: .releasing)
            return true
        }
        let flag = sense.pointer
        // Acquiring: pairs with the last arrival's releasing flip.
        return spin.wait(cancelled: cancelled.pointer) { flag.pointee.load(ordering: .acquiring) == episodeSense }
    }

    public func cancel() { cancelled.pointee.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.pointee.load(ordering: .relaxed) }

    public func deallocate() {
        shared.deallocate()
        sense.deallocate()
        cancelled.deallocate()
        local.deallocate()
    }
}
