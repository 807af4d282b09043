import Foundation
import Testing
import AnalysisKit

/// Not a timed test: a way to time the parse + periodogram path on a real file, e.g.
///
///     ANALYSISKIT_BENCH_TRACE=/tmp/ftq.csv swift test -c release -Xswiftc -enable-testing \
///         --scratch-path .build-analysis --filter AnalysisKitTests.BenchmarkTests
///
/// (or run the built `.xctest` under `/usr/bin/time -v` for peak memory).
@Suite("Benchmark entry point",
       .enabled(if: ProcessInfo.processInfo.environment["ANALYSISKIT_BENCH_TRACE"] != nil,
                "set ANALYSISKIT_BENCH_TRACE=<ftq.csv> to time the periodogram path"))
struct BenchmarkTests {
    @Test("parse and periodogram of $ANALYSISKIT_BENCH_TRACE")
    func periodogramOfTrace() throws {
        let path = ProcessInfo.processInfo.environment["ANALYSISKIT_BENCH_TRACE"] ?? ""
        let clock = ContinuousClock()
        var samples = 0
        var readTime = Duration.zero
        if ProcessInfo.processInfo.environment["ANALYSISKIT_BENCH_READ_ONLY"] != nil {
            readTime = try clock.measure {
                samples = try TraceReader(options: .init(keepStartTimes: false)).read(path: path).sampleCount
            }
            print("analysiskit-bench: \(samples) samples; read \(readTime)")
            return
        }
        if let method = ProcessInfo.processInfo.environment["ANALYSISKIT_BENCH_ANALYZE"].flatMap(SpectrumMethod.init(rawValue:)) {
            // The whole `analysis spectrum` computation: read, spectrum, zooms, peaks, labels, summary.
            var peaks: [Int] = []
            let time = try clock.measure {
                let trace = try TraceReader(options: .init(keepStartTimes: false)).read(path: path)
                samples = trace.sampleCount
                peaks = trace.threads.map { SpectrumAnalysis(method: method).analyze($0, configHZ: 250, interrupts: nil).peaks.count }
            }
            print("analysiskit-bench: \(samples) samples; read+analyze(\(method)) \(time); peaks \(peaks)")
            return
        }
        var spectra: [(thread: Int, spectrum: Spectrum)] = []
        let totalTime = try clock.measure { spectra = try SpectrumAnalysis.periodograms(ofTraceAt: path) }
        samples = spectra.reduce(0) { $0 + 2 * ($1.spectrum.power.count - 1) }
        print("analysiskit-bench: ~\(samples) samples; read+periodogram \(totalTime); bins \(spectra.map(\.spectrum.power.count))")
        #expect(!spectra.isEmpty)
    }
}
