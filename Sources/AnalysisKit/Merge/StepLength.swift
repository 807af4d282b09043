#if canImport(Glibc)
import Glibc
#endif

/// The compute phase Q of a bulk-synchronous step, on the trace's quantum grid.
///
/// Why snapped to whole quanta: FTQ only says how much time each quantum lost, not
/// where inside it, so the noise in a window is known exactly only for windows made of
/// whole quanta. A Q shorter than the quantum is reported as unresolved rather than
/// guessed; run ftq with a smaller `--quantum-us` to see it.
public struct StepLength: Sendable, Equatable {
    /// The Q asked for, ns (10 µs ... 100 ms, four per decade).
    public var nominalNs: Double
    /// Quanta per window; 0 when Q is below the quantum (unresolved).
    public var quanta: Int
    /// The trace's quantum, ns.
    public var quantumNs: Double

    /// The Q actually used, ns: `quanta` × quantum (NaN when unresolved).
    public var ns: Double { quanta > 0 ? Double(quanta) * quantumNs : .nan }
    public var isResolved: Bool { quanta > 0 }

    /// 10 µs to 100 ms, log-spaced four per decade (17 values), each snapped to the
    /// nearest whole number of quanta; a Q that snaps onto the same window as a smaller
    /// one is dropped so every row is a different window.
    public static func grid(quantumNs: Double, fromNs: Double = 10_000, toNs: Double = 100_000_000,
                            perDecade: Int = 4) -> [StepLength] {
        let decades = log10(toNs / fromNs)
        let count = Int((decades * Double(perDecade)).rounded()) + 1
        var result: [StepLength] = []
        for i in 0..<count {
            let nominal = (fromNs * pow(10, Double(i) / Double(perDecade))).rounded()
            let ratio = nominal / quantumNs
            // Below 0.95 of a quantum the window is not made of whole quanta: unresolved.
            let quanta = ratio < 0.95 ? 0 : max(1, Int(ratio.rounded()))
            if quanta > 0, result.contains(where: { $0.quanta == quanta }) { continue }
            result.append(StepLength(nominalNs: nominal, quanta: quanta, quantumNs: quantumNs))
        }
        return result
    }
}
