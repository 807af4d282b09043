/// The check that a thread's quanta all have one length (the "mixed quantum lengths"
/// error), robust to the way an FTQ loop with absolute deadlines records time.
///
/// Why not simply require `start[i+1] - start[i] == quantum ± tol`: deadlines are
/// absolute (`end += quantum`), so a quantum that overran its deadline by 70% makes the
/// next one start 70% late and last 30%; consecutive spacings of 1.7 and 0.3 quanta are
/// normal on a noisy core. What the loop does guarantee is that each row's start lies in
/// its own slot, `[slot, slot + quantum)`, where slots follow one another by one quantum
/// (missed quanta have rows with work 0, so there are no gaps).
///
/// The rule applied to each row after the first:
/// - expected slot = previous slot + quantum;
/// - accepted when `expected - tolerance <= start < expected + quantum`;
/// - a row that starts within `tolerance` of its slot is on time and becomes the slot
///   for the next row (re-anchoring absorbs the TSC-to-ns rounding of the quantum,
///   which otherwise accumulates: 0.5 ns per quantum is 8 ms, 80 quanta, over 2^24 rows);
///   a late row (after an overrun) leaves the grid where it was.
///
/// `tolerance` is 5% of the quantum: far above timestamp rounding and calibration error
/// (well under 0.01%), far below the difference between real quantum lengths (a run at
/// 50 µs within a run at 100 µs is off by 50%, a missing row by 100%).
struct QuantumGrid {
    /// Fraction of a quantum accepted early, and the on-time window.
    static let toleranceFraction = 0.05

    let quantumNs: Double
    private let toleranceNs: Double
    private var slotNs: Double

    init(quantumNs: Double, firstStartNs: Int64) {
        self.quantumNs = quantumNs
        self.toleranceNs = quantumNs * Self.toleranceFraction
        self.slotNs = Double(firstStartNs)
    }

    /// Checks the next row's start; returns the expected slot start when it is off the grid.
    @inline(__always)
    mutating func check(_ startNs: Int64) -> Int64? {
        let expected = slotNs + quantumNs
        let offset = Double(startNs) - expected
        guard offset >= -toleranceNs, offset < quantumNs else { return Self.nanoseconds(expected) }
        slotNs = offset <= toleranceNs ? Double(startNs) : expected
        return nil
    }

    /// `value` as whole nanoseconds, clamped to Int64 (it only names a slot in a message;
    /// `Int64(_:)` would trap on a slot past 2^63 ns).
    static func nanoseconds(_ value: Double) -> Int64 {
        guard value.isFinite else { return value < 0 ? .min : .max }
        let rounded = value.rounded()
        if rounded >= 0x1p63 { return .max }
        if rounded < -0x1p63 { return .min }
        return Int64(rounded)
    }

    /// The quantum as the median spacing of increasing start times.
    static func medianSpacing(_ starts: [Int64]) -> Double? {
        guard starts.count >= 2 else { return nil }
        // Differences in Double: two Int64 starts can be further apart than Int64 holds.
        var spacings = (1..<starts.count).map { Double(starts[$0]) - Double(starts[$0 - 1]) }
        spacings.sort()
        let mid = spacings.count / 2
        return spacings.count % 2 == 1
            ? spacings[mid]
            : (spacings[mid - 1] + spacings[mid]) / 2
    }
}
