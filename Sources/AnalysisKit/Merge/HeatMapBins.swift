#if canImport(Glibc)
import Glibc
#endif

/// The frequency axis of the node × frequency heat map: `count` log-spaced bins from
/// `lowHz` to Nyquist. Log-spaced because noise lines span decades (a 1 Hz daemon, a
/// 250 Hz tick and its harmonics up to kHz), and few so that a row per rank stays small:
/// 10^5 ranks × 160 bins is 16 million cells, written as they come.
public struct HeatMapBins: Sendable, Equatable {
    public var lowHz: Double
    public var highHz: Double
    public var count: Int

    public init(lowHz: Double, highHz: Double, count: Int = 160) {
        self.lowHz = max(lowHz, 1e-9)
        self.highHz = max(highHz, self.lowHz * 1.0001)
        self.count = count
    }

    /// Centre of bin `b`, Hz (geometric).
    public func centreHz(_ b: Int) -> Double {
        lowHz * pow(highHz / lowHz, (Double(b) + 0.5) / Double(count))
    }

    /// Each bin's largest power in `spectrum` (so a narrow line is not averaged away);
    /// a bin holding no spectrum bin takes the spectrum bin nearest its centre.
    public func reduce(_ spectrum: Spectrum) -> [Double] {
        var result = [Double](repeating: -.infinity, count: count)
        let ratio = log(highHz / lowHz)
        guard spectrum.power.count > 1 else { return result.map { _ in .nan } }
        for k in 1..<spectrum.power.count {
            let f = spectrum.frequency(ofBin: k)
            guard f >= lowHz, f <= highHz else { continue }
            let b = min(count - 1, Int(log(f / lowHz) / ratio * Double(count)))
            result[b] = max(result[b], spectrum.power[k])
        }
        let width = spectrum.binWidthHz
        for b in result.indices where result[b] == -.infinity {
            let k = min(spectrum.power.count - 1, max(1, Int((centreHz(b) / width).rounded())))
            result[b] = spectrum.power[k]
        }
        return result
    }
}
