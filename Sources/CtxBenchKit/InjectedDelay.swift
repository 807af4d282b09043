// A test hook, not a measurement: `ctxbench floors --inject-delay-ns N` slows
// one floor by a known amount so the gate's detection rate can be measured
// (scripts/gate-calibrate).

import BenchKit
import CPlatform

/// A calibrated busy delay added to every operation of a benchmark: a chain
/// of dependent xor-shift-multiply steps (each step waits for the previous one, so the
/// CPU cannot overlap them and the compiler cannot fold them), as many steps
/// as take the requested nanoseconds on this CPU.
public struct InjectedDelay: Sendable {
    /// Chain steps per operation; 0 for no delay.
    public let steps: Int

    public static let none = InjectedDelay(steps: 0)

    public init(steps: Int) { self.steps = max(0, steps) }

    /// The number of steps that take `nanoseconds` on this CPU, timed with
    /// `clock` (the fastest of several timings, so a preemption during one
    /// does not shorten the delay).
    public static func calibrated(nanoseconds: Double, clock: TSCClock) -> InjectedDelay {
        guard nanoseconds > 0 else { return .none }
        let probe = InjectedDelay(steps: 200_000)
        var fastest = UInt64.max
        for _ in 0..<7 {
            let start = kb_rdtsc_begin()
            probe.spin()
            fastest = min(fastest, kb_rdtsc_end() &- start)
        }
        let nsPerStep = clock.nanoseconds(fastest) / Double(probe.steps)
        guard nsPerStep > 0, nsPerStep.isFinite else { return .none }
        return InjectedDelay(steps: max(1, Int((nanoseconds / nsPerStep).rounded())))
    }

    /// Spends the delay.
    @inline(__always)
    public func spin() {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        // Shift, xor, multiply: unlike a multiply-add chain, the compiler cannot
        // fold several unrolled steps into one (it did: 8 LCG steps became one).
        for _ in 0..<steps { x = (x ^ (x >> 29)) &* 0xBF58_476D_1CE4_E5B9 }
        kb_keep(x)
    }
}
