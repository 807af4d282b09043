import Foundation
import Testing
@testable import AnalysisKit

/// Bin-by-bin agreement with scipy.signal (1e-9 relative), the reference the design
/// names. Skipped, with the reason recorded, where scipy is not installed.
@Suite("Cross-check against scipy.signal", .enabled(if: scipyAvailable, "python3 with scipy not available"))
struct ScipyCrossCheckTests {
    static let script = """
    import sys, numpy as np, scipy.signal as s
    x = np.loadtxt(sys.argv[1]); fs = float(sys.argv[2]); m = int(sys.argv[3])
    if m == 0:
        f, p = s.periodogram(x, fs, window='boxcar', detrend='constant', scaling='density')
    else:
        f, p = s.welch(x, fs, window='hann', nperseg=m, noverlap=m // 2, detrend='constant', scaling='density')
    np.savetxt(sys.stdout, np.column_stack([f, p]), fmt='%.17g', delimiter=',')
    """

    /// scipy's (frequency, power) for `x`; segmentLength 0 means periodogram.
    func scipy(_ x: [Double], fs: Double, segmentLength: Int) throws -> [(Double, Double)] {
        try withTemporaryDirectory { directory in
            let path = try directory.write("x.txt", x.map(\.description).joined(separator: "\n"))
            let output = try #require(runPython(Self.script, arguments: [path, "\(fs)", "\(segmentLength)"]))
            return output.split(separator: "\n").map { line in
                let cells = line.split(separator: ",").compactMap { Double($0) }
                return (cells[0], cells[1])
            }
        }
    }

    func signal(count: Int) -> [Double] {
        let noise = whiteNoise(count: count, sigma: 20, seed: UInt64(count))
        let tone = sine(count: count, amplitude: 50, frequencyHz: 250.7, sampleRateHz: 10_000)
        return (0..<count).map { 10_550 + noise[$0] + tone[$0] }
    }

    func expectClose(_ ours: Spectrum, _ reference: [(Double, Double)]) {
        #expect(ours.power.count == reference.count)
        let scale = ours.power.max() ?? 0
        var worst = 0.0
        for (k, (f, p)) in zip(ours.power.indices, reference) {
            #expect(abs(ours.frequency(ofBin: k) - f) <= 1e-9 * max(f, 1))
            // Relative, with a floor far below any real bin for DC (≈0 in both).
            let error = abs(ours.power[k] - p) / max(abs(p), scale * 1e-12)
            worst = max(worst, error)
        }
        #expect(worst < 1e-9, "worst relative difference \(worst)")
    }

    @Test("periodogram matches scipy.signal.periodogram", arguments: [4000, 4001])
    func periodogram(count: Int) throws {
        let x = signal(count: count)
        expectClose(Spectrum.periodogram(x, sampleRateHz: 10_000), try scipy(x, fs: 10_000, segmentLength: 0))
    }

    @Test("welch matches scipy.signal.welch", arguments: [256, 255])
    func welch(segmentLength: Int) throws {
        let x = signal(count: 5000)
        expectClose(Spectrum.welch(x, sampleRateHz: 10_000, segmentLength: segmentLength),
                    try scipy(x, fs: 10_000, segmentLength: segmentLength))
    }
}
