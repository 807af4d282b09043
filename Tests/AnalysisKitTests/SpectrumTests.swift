import RunFormat
import Foundation
import Testing
@testable import AnalysisKit

@Suite("Spectrum: periodogram and Welch against analytic signals")
struct SpectrumTests {
    @Test("a bin-centred sine has density A²/2·N/fs in its bin and nothing elsewhere",
          arguments: [4096, 4095])
    func binCentredSine(count: Int) {
        let fs = 10_000.0, amplitude = 3.0, bin = 410
        let f = Double(bin) * fs / Double(count)
        let spectrum = Spectrum.periodogram(sine(count: count, amplitude: amplitude, frequencyHz: f, sampleRateHz: fs),
                                            sampleRateHz: fs)
        #expect(spectrum.power.count == count / 2 + 1)
        #expect(abs(spectrum.frequency(ofBin: bin) - f) < 1e-9)
        let expected = amplitude * amplitude / 2 * Double(count) / fs
        #expect(abs(spectrum.power[bin] - expected) / expected < 1e-9)
        let maxBin = spectrum.power.indices.max { spectrum.power[$0] < spectrum.power[$1] }
        #expect(maxBin == bin)
        let leakage = spectrum.power.enumerated().filter { $0.offset != bin }.map(\.element).max() ?? 0
        #expect(leakage < expected * 1e-20)
    }

    @Test("an off-bin sine peaks in the nearest bin with the Dirichlet-kernel loss")
    func offBinSine() {
        let fs = 1000.0, count = 5000, amplitude = 2.0
        let f = 123.3 * fs / Double(count)  // 0.3 bins above bin 123
        let spectrum = Spectrum.periodogram(sine(count: count, amplitude: amplitude, frequencyHz: f, sampleRateHz: fs),
                                            sampleRateHz: fs)
        let maxBin = spectrum.power.indices.max { spectrum.power[$0] < spectrum.power[$1] }
        #expect(maxBin == 123)
        let centred = amplitude * amplitude / 2 * Double(count) / fs
        let sinc = sin(.pi * 0.3) / (.pi * 0.3)
        let ratio = spectrum.power[123] / (centred * sinc * sinc)
        #expect(ratio > 0.95 && ratio < 1.05)
        // The power is all still there (Parseval).
        let total = spectrum.power.reduce(0, +) * spectrum.binWidthHz
        #expect(abs(total - amplitude * amplitude / 2) / (amplitude * amplitude / 2) < 0.01)
    }

    @Test("Parseval: Σ P·fs/N equals the population variance", arguments: [1000, 1001, 1, 2, 3])
    func parseval(count: Int) {
        let x = whiteNoise(count: count, sigma: 2.5, seed: UInt64(count)).map { $0 + 700 }
        let spectrum = Spectrum.periodogram(x, sampleRateHz: 10_000)
        let integral = spectrum.power.reduce(0, +) * spectrum.binWidthHz
        let variance = populationVariance(x)
        #expect(abs(integral - variance) <= 1e-12 * max(variance, 1e-300) + 1e-20)
    }

    @Test("constant input gives all zeros", arguments: [703.0, 0.1])
    func constantInput(level: Double) {
        for count in [1024, 999] {
            let periodogram = Spectrum.periodogram(Array(repeating: level, count: count), sampleRateHz: 10_000)
            #expect(periodogram.power.allSatisfy { $0 < 1e-25 })
            let welch = Spectrum.welch(Array(repeating: level, count: count), sampleRateHz: 10_000, segmentLength: 256)
            #expect(welch.power.allSatisfy { $0 < 1e-25 })
        }
        let exact = Spectrum.periodogram(Array(repeating: 703, count: 1000), sampleRateHz: 10_000)
        #expect(exact.power.allSatisfy { $0 == 0 })
    }

    @Test("Welch of white noise is flat at variance/(fs/2)")
    func welchWhiteNoiseIsFlat() {
        let fs = 1000.0, sigma = 1.5
        let x = whiteNoise(count: 1 << 17, sigma: sigma, seed: 42)
        let spectrum = Spectrum.welch(x, sampleRateHz: fs, segmentLength: 512)
        #expect(spectrum.fftLength == 512)
        #expect(spectrum.segmentCount == ((1 << 17) - 512) / 256 + 1)
        let level = sigma * sigma / (fs / 2)
        let interior = spectrum.power[1..<(spectrum.power.count - 1)]
        let meanLevel = interior.reduce(0, +) / Double(interior.count)
        #expect(abs(meanLevel - level) / level < 0.03)
        // ~1000 segments (with overlap): each bin within ±30% of the level.
        #expect(interior.allSatisfy { abs($0 - level) / level < 0.3 })
    }

    @Test("Welch keeps Parseval for white noise on average and uses scipy's segment count")
    func welchSegments() {
        let x = whiteNoise(count: 1000, seed: 7)
        let spectrum = Spectrum.welch(x, sampleRateHz: 100, segmentLength: 255)
        #expect(spectrum.segmentCount == (1000 - 255) / 128 + 1)
        #expect(spectrum.power.count == 128)
        // Longer segment than the series: scipy shrinks it to the series.
        #expect(Spectrum.welch(x, sampleRateHz: 100, segmentLength: 4096).fftLength == 1000)
    }

    @Test("default Welch segment length: power of two ≤ n/8 within 256…65536")
    func defaultSegmentLength() {
        #expect(Spectrum.defaultSegmentLength(forCount: 100_000) == 8192)
        #expect(Spectrum.defaultSegmentLength(forCount: 1 << 24) == 65536)
        #expect(Spectrum.defaultSegmentLength(forCount: 1000) == 256)
        #expect(Spectrum.defaultSegmentLength(forCount: 100) == 100)
    }

    @Test("zoom keeps bins 0…Z Hz with the full spectrum's values")
    func zoom() {
        let spectrum = Spectrum.periodogram(whiteNoise(count: 10_000, seed: 3), sampleRateHz: 10_000)
        let zoom = spectrum.zoomed(toHz: 100)
        #expect(zoom.power.count == 101)
        #expect(zoom.power == Array(spectrum.power[0...100]))
        #expect(zoom.frequency(ofBin: 100) == 100)
        #expect(spectrum.zoomed(toHz: 1e9).power.count == spectrum.power.count)
        let table = zoom.table
        #expect(table.header == ["freq_hz", "power"])
        #expect(table.rowCount == 101)
        #expect(table.row(100)[0] == "100")
        let threaded = zoom.table(thread: 3)
        #expect(threaded.header == ["thread", "freq_hz", "power"])
        #expect(threaded.row(100) == ["3"] + table.row(100))
    }
}
