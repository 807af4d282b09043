import Foundation
import Testing
@testable import AnalysisKit

@Suite("Peaks and harmonic families")
struct PeakTests {
    /// A ±1 square wave of period 128 samples (64 Hz at 8192 Hz, bin-centred harmonics)
    /// in Gaussian noise.
    func squareWave(count: Int = 16384, noise sigma: Double = 0.1, seed: UInt64 = 1) -> [Double] {
        let noise = whiteNoise(count: count, sigma: sigma, seed: seed)
        return (0..<count).map { ($0 % 128 < 64 ? 1.0 : -1.0) + noise[$0] }
    }

    @Test("a square wave: fundamental found, odd harmonics grouped under it, no even ones")
    func squareWaveFamily() {
        let spectrum = Spectrum.periodogram(squareWave(), sampleRateHz: 8192)
        let peaks = PeakFinder().peaks(in: spectrum)
        let grouped = HarmonicGrouping.group(peaks, binWidthHz: spectrum.binWidthHz)
        let fundamental = grouped.first
        #expect(fundamental?.peak.frequencyHz == 64)
        #expect(fundamental?.harmonic == 1)
        #expect(fundamental?.fundamentalHz == 64)
        // Harmonic n has 1/n² of the fundamental's power; with this noise at least 3, 5,
        // ..., 31 stand far out of the floor.
        for n in stride(from: 3, through: 31, by: 2) {
            let member = grouped.first { $0.peak.frequencyHz == Double(64 * n) }
            #expect(member?.fundamentalHz == 64, "harmonic \(n)")
            #expect(member?.harmonic == n)
        }
        #expect(grouped.allSatisfy { $0.fundamentalHz == 64 }, "every line belongs to the 64 Hz family")
        #expect(grouped.allSatisfy { $0.harmonic % 2 == 1 }, "a square wave has no even harmonics")
        #expect(grouped.count >= 16)
    }

    @Test("white noise gives (almost) no peaks, periodogram and Welch", arguments: [11, 12, 13] as [UInt64])
    func whiteNoiseFalsePeaks(seed: UInt64) {
        let x = whiteNoise(count: 1 << 16, sigma: 3, seed: seed)
        let periodogram = PeakFinder().peaks(in: .periodogram(x, sampleRateHz: 10_000))
        let welch = PeakFinder().peaks(in: .welch(x, sampleRateHz: 10_000, segmentLength: 2048))
        // Expected false peaks per spectrum: 0.1; allow one.
        #expect(periodogram.count <= 1, "\(periodogram)")
        #expect(welch.isEmpty, "\(welch)")
    }

    @Test("prominence is dB over the median of the neighbouring bins")
    func prominence() {
        var power = [Double](repeating: 1, count: 200)
        power[100] = 1000
        power[101] = 2
        let spectrum = Spectrum(method: .periodogram, sampleRateHz: 398, fftLength: 398, segmentCount: 1, power: power)
        let peaks = PeakFinder(expectedFalsePeaks: .infinity).peaks(in: spectrum)
        #expect(peaks.count == 1)
        #expect(peaks.first?.bin == 100)
        #expect(peaks.first?.frequencyHz == 100)
        #expect(peaks.first?.localFloor == 1)
        #expect(abs((peaks.first?.prominenceDb ?? 0) - 30) < 1e-12)
        // 30 dB is below a 31 dB threshold.
        #expect(PeakFinder(minProminenceDb: 31, expectedFalsePeaks: .infinity).peaks(in: spectrum).isEmpty)
    }

    @Test("the statistical threshold grows with the number of bins")
    func threshold() {
        let finder = PeakFinder()
        #expect(finder.thresholdDb(binCount: 100) == 10)
        #expect(abs(finder.thresholdDb(binCount: 50_000) - 10 * log10(log2(500_000))) < 1e-12)
        #expect(abs(finder.thresholdDb(binCount: 8_000_000) - 14.19) < 0.01)
    }

    @Test("grouping: a stray low line does not swallow others; separate families stay separate")
    func grouping() {
        func peak(_ f: Double) -> Peak { Peak(bin: Int(f * 10), frequencyHz: f, power: 1, localFloor: 0.01, prominenceDb: 20) }
        // A 0.5 Hz stray line (its multiples are too dense to be evidence), a 40 Hz family
        // (40, 80, 120.1, 200), a 250 Hz family (250, 500, 750.1) and a lone 333.3 Hz line.
        let frequencies: [Double] = [0.5, 40, 80, 120.1, 200, 250, 500, 750.1, 333.3]
        let grouped = HarmonicGrouping.group(frequencies.map(peak), binWidthHz: 0.1)
        func family(_ f: Double) -> Double? { grouped.first { $0.peak.frequencyHz == f }?.fundamentalHz }
        #expect(family(0.5) == 0.5)
        #expect(family(40) == 40 && family(80) == 40 && family(120.1) == 40 && family(200) == 40)
        #expect(family(250) == 250 && family(500) == 250 && family(750.1) == 250)
        #expect(family(333.3) == 333.3)
        #expect(grouped.map(\.peak.frequencyHz) == frequencies.sorted())
        #expect(grouped.first { $0.peak.frequencyHz == 750.1 }?.harmonic == 3)
    }

    @Test("grouping: a known source claims the multiples it shares with an unexplained line")
    func knownSourcesFirst() {
        func peak(_ f: Double) -> Peak { Peak(bin: Int(f * 10), frequencyHz: f, power: 1, localFloor: 0.01, prominenceDb: 20) }
        // A 100 Hz comb and the 250 Hz tick: 500, 1000 and 1500 are multiples of both.
        let frequencies: [Double] = [100, 200, 250, 300, 400, 500, 600, 750, 1000, 1500]
        func family(_ grouped: [GroupedPeak], _ f: Double) -> Double? {
            grouped.first { $0.peak.frequencyHz == f }?.fundamentalHz
        }
        let plain = HarmonicGrouping.group(frequencies.map(peak), binWidthHz: 0.1)
        #expect(family(plain, 500) == 100, "without knowledge the lowest fundamental wins")
        let known = HarmonicGrouping.group(frequencies.map(peak), binWidthHz: 0.1, knownSourcesHz: [250])
        for f in [250.0, 500, 750, 1000, 1500] { #expect(family(known, f) == 250, "\(f) Hz") }
        for f in [100.0, 200, 300, 400, 600] { #expect(family(known, f) == 100, "\(f) Hz") }
        #expect(known.first { $0.peak.frequencyHz == 1500 }?.harmonic == 6)
        // The tick's own line missing: its multiples still form its family.
        let weak = HarmonicGrouping.group([500.0, 750, 1000].map(peak), binWidthHz: 0.1, knownSourcesHz: [250])
        #expect(weak.allSatisfy { $0.fundamentalHz == 250 })
        #expect(weak.map(\.harmonic) == [2, 3, 4])
    }

    @Test("a strong line's skirt is not reported as a line of its own; equal neighbours are")
    func skirts() {
        func peak(_ bin: Int, _ power: Double) -> Peak {
            Peak(bin: bin, frequencyHz: Double(bin) / 10, power: power, localFloor: 1, prominenceDb: 10 * log10(power))
        }
        let finder = PeakFinder()
        // 1500 Hz at 1e5, a ripple 3 bins below at 600 (22 dB down), a lone line far away.
        let kept = finder.withoutSkirts([peak(14997, 600), peak(15000, 100_000), peak(26000, 800)])
        #expect(kept.map(\.bin) == [15000, 26000])
        // Two lines of similar power 3 bins apart are both lines.
        #expect(finder.withoutSkirts([peak(100, 900), peak(103, 1000)]).count == 2)
        // Switched off, nothing is removed.
        var off = PeakFinder()
        off.skirtHalfWidthBins = 0
        #expect(off.withoutSkirts([peak(14997, 600), peak(15000, 100_000)]).count == 2)
    }
}
