import RunFormat
import Foundation
import Testing
@testable import AnalysisKit

@Suite("Analysis pipeline")
struct PipelineTests {
    /// Two threads of 100 µs quanta; thread 1 (CPU 3) has a 250 Hz tick stealing 300 units.
    func trace() -> String {
        let quiet = whiteNoise(count: 20_000, sigma: 3, seed: 21).map { (10_000 + $0).rounded() }
        let ticked = whiteNoise(count: 20_000, sigma: 3, seed: 22).enumerated()
            .map { (10_000 + $0.element - ($0.offset % 40 == 3 ? 300 : 0)).rounded() }
        return ftqCSV(threads: [(0, 2, quiet), (1, 3, ticked)])
    }

    @Test("analyze: spectrum, zooms, labelled tick family and summary for each thread")
    func analyze() throws {
        try withTemporaryDirectory { directory in
            let path = try directory.write("ftq.csv", trace())
            let interrupts = try InterruptDeltas.parse(
                "irq,description,cpu,before,after\nLOC,Local timer interrupts,3,0,500\n", path: "interrupts.csv")
            let parsed = try TraceReader().read(path: path)
            let analysis = SpectrumAnalysis()
            let quiet = analysis.analyze(parsed.threads[0], configHZ: nil, interrupts: interrupts)
            let ticked = analysis.analyze(parsed.threads[1], configHZ: nil, interrupts: interrupts)

            #expect(quiet.cpu == 2 && ticked.cpu == 3)
            #expect(ticked.spectrum.sampleRateHz == 10_000)
            #expect(ticked.spectrum.power.count == 10_001)
            #expect(ticked.zooms.map(\.hz) == [3000, 500, 100])
            #expect(ticked.zooms.map(\.spectrum.power.count) == [6001, 1001, 201])
            #expect(quiet.peaks.isEmpty, "\(quiet.peaks)")
            // 2 s of run, 500 LOC interrupts on CPU 3: 250/s, so CONFIG_HZ=250 is inferred.
            let fundamental = try #require(ticked.peaks.first)
            #expect(fundamental.peak.frequencyHz == 250)
            #expect(fundamental.label == "timer tick (CONFIG_HZ=250 inferred from LOC rate); irq LOC Local timer interrupts (250.0/s)")
            #expect(ticked.peaks.allSatisfy { $0.fundamentalHz == 250 })
            #expect(ticked.peaks.count >= 10)
            #expect(ticked.peaksTable.rowCount == ticked.peaks.count)
            #expect(ticked.summary.deviations == 500)
            #expect(ticked.summary.count == 20_000)
            #expect(ticked.summary.noiseFloor > 0)
            #expect(quiet.summary.fractionLost < ticked.summary.fractionLost)
        }
    }

    @Test("periodograms(ofTraceAt:) equals reading then transforming")
    func benchmarkEntryPoint() throws {
        try withTemporaryDirectory { directory in
            let path = try directory.write("ftq.csv", trace())
            let spectra = try SpectrumAnalysis.periodograms(ofTraceAt: path)
            let parsed = try TraceReader().read(path: path)
            #expect(spectra.map(\.thread) == [0, 1])
            for (spectrum, series) in zip(spectra.map(\.spectrum), parsed.threads) {
                #expect(spectrum == Spectrum.periodogram(series.work, sampleRateHz: series.sampleRateHz))
            }
        }
    }

    @Test("periodogram(releasing:) empties the caller's array and matches periodogram(_:)")
    func releasing() {
        var x = whiteNoise(count: 1001, seed: 4)
        let expected = Spectrum.periodogram(x, sampleRateHz: 50)
        #expect(Spectrum.periodogram(releasing: &x, sampleRateHz: 50) == expected)
        #expect(x.isEmpty)
    }
}
