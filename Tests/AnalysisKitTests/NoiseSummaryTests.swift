import RunFormat
import Testing
@testable import AnalysisKit

@Suite("Noise summary")
struct NoiseSummaryTests {
    @Test("a hand-made series gives the hand-computed numbers")
    func handMade() {
        let work: [Double] = [100, 100, 100, 99, 50, 0, 100, 100, 101, 100]
        let spectrum = Spectrum(method: .periodogram, sampleRateHz: 10, fftLength: 8, segmentCount: 1,
                                power: [9, 1, 3, 2, 5])
        let summary = NoiseSummary(work: work, sampleRateHz: 10, spectrum: spectrum, deviationPct: 1)
        #expect(summary.count == 10)
        #expect(summary.meanWork == 85)
        #expect(summary.medianWork == 100)
        #expect(summary.minWork == 0 && summary.maxWork == 101)
        #expect(abs(summary.stdWork - (1025.2).squareRoot()) < 1e-12)
        #expect(abs(summary.coefficientOfVariation - (1025.2).squareRoot() / 85) < 1e-12)
        #expect(summary.noiseFloor == 2.5)            // median of [1, 3, 2, 5]: DC excluded
        #expect(summary.deviations == 2)              // 50 and 0; 99 and 101 are exactly 1% off
        #expect(summary.zeroWorkQuanta == 1)
        #expect(abs(summary.fractionLost - 160.0 / 1010.0) < 1e-15)
        let table = summary.table
        #expect(table.header == ["metric", "unit", "value"])
        #expect(table.rows.contains(["deviations", "count", "2"]))
        #expect(table.rows.contains(["noise_floor", "work2_per_hz", "2.5"]))
    }

    @Test("the deviation threshold is a parameter")
    func deviationThreshold() {
        let work: [Double] = [100, 100, 100, 99, 50, 0, 100, 100, 101, 100]
        #expect(NoiseSummary(work: work, sampleRateHz: 1, spectrum: nil, deviationPct: 0.5).deviations == 4)
        #expect(NoiseSummary(work: work, sampleRateHz: 1, spectrum: nil, deviationPct: 60).deviations == 1)
        #expect(NoiseSummary(work: work, sampleRateHz: 1, spectrum: nil).noiseFloor.isNaN)
    }

    @Test("a quiet series loses nothing and deviates nowhere")
    func quiet() {
        let summary = NoiseSummary(work: Array(repeating: 703, count: 1001), sampleRateHz: 10_000,
                                   spectrum: .periodogram(Array(repeating: 703, count: 1001), sampleRateHz: 10_000))
        #expect(summary.fractionLost == 0 && summary.deviations == 0 && summary.stdWork == 0)
        #expect(summary.noiseFloor == 0)
    }

    @Test("median with even and odd counts matches numpy's definition")
    func median() {
        #expect(Median.of([3, 1, 2]) == 2)
        #expect(Median.of([4, 1, 3, 2]) == 2.5)
        #expect(Median.of([Double]()).isNaN)
        let values = whiteNoise(count: 1001, seed: 9)
        #expect(Median.of(values) == values.sorted()[500])
        let even = Array(values.dropLast())
        let sorted = even.sorted()
        #expect(Median.of(even) == (sorted[499] + sorted[500]) / 2)
    }
}
