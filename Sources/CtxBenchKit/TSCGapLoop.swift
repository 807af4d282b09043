// The victim's side of `ctxbench ipi`: Völp's method. A loop that does
// nothing but read the TSC sees every interruption of its CPU as a gap
// between two reads; summed per window, the gaps of a window full of IPIs
// minus those of an equally long quiet window are the time the IPIs took
// from the victim.

import Platform
import CPlatform
import Synchronization

/// The gaps seen in one window: how many, and their total length.
@usableFromInline
struct GapTotals {
    @usableFromInline var gaps: UInt64 = 0
    @usableFromInline var ticks: UInt64 = 0
    @usableFromInline init() {}
}

/// Reads the TSC in a closed loop until `window` turns negative; every step
/// between two reads longer than `thresholdTicks` is a gap, added to
/// `totals[window]` (the window the initiator has open at the time; window 0
/// collects what falls outside every measured one). Only this thread writes
/// `totals`; the initiator writes `window` a few times per trial, so the
/// loop's load of it hits its own cache almost always.
@inline(never)
func recordTSCGaps(window: UnsafeMutablePointer<Atomic<Int>>, totals: UnsafeMutablePointer<GapTotals>,
                   thresholdTicks: UInt64) {
    var previous = kb_rdtsc()
    while true {
        let now = kb_rdtsc()
        let gap = now &- previous
        previous = now
        // Relaxed: which window a gap lands in needs no ordering, only the
        // value the initiator last stored.
        let current = window.pointee.load(ordering: .relaxed)
        if current < 0 { return }
        if gap > thresholdTicks {
            totals[current].gaps &+= 1
            totals[current].ticks &+= gap
        }
    }
}
