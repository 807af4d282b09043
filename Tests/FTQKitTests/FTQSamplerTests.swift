import Platform
import AnalysisKit
import BenchKit
import CPlatform
import Glibc
import Synchronization
import Testing
@testable import FTQKit

/// The sampler on real CPUs, and the whole chain (sampler, trace, spectrum,
/// peaks) against a disturbance whose frequency we choose.
@Suite(.serialized, .timeLimit(.minutes(1))) struct FTQSamplerTests {
    let clock = TSCClock.calibrate(intervalNs: 50_000_000)

    @Test func quantaAreContiguousAndMissedOnesAreZero() throws {
        let cpu = try Affinity.allowedCPUs().cpus.last!
        let configuration = FTQConfiguration(mode: .ftq, cpus: [cpu], quantumNs: 100_000, samples: 3000)
        let session = try FTQSession.run(configuration, clock: clock)
        let (records, firstStart) = (session.records, session.firstStart)
        let record = try #require(records.first)
        #expect(record.count == 3000)
        let quantum = clock.ticks(nanoseconds: 100_000)
        let starts = record.starts.prefix(record.count)
        #expect(starts[0] == firstStart)
        // Absolute deadlines: every quantum starts exactly one quantum after the last.
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 &- $0 == quantum })
        let work = record.values.prefix(record.count)
        #expect(work.max()! > 100, "a 100 µs quantum holds thousands of TSC reads")
    }

    @Test func samplersOnSeveralCPUsShareTheStartLine() throws {
        let cpus = try Affinity.allowedCPUs().cpus
        guard cpus.count > 1 else { try Test.cancel("needs two allowed CPUs; the process may use one") }
        let configuration = FTQConfiguration(mode: .ftq, cpus: Array(cpus.prefix(2)), quantumNs: 100_000, samples: 500)
        let session = try FTQSession.run(configuration, clock: clock)
        let (records, firstStart) = (session.records, session.firstStart)
        #expect(records.map(\.cpu) == Array(cpus.prefix(2)))
        #expect(records.allSatisfy { $0.count == 500 && $0.starts.base[0] == firstStart })
    }

    @Test func fixedWorkQuantaTakeAboutTheNominalTime() throws {
        let cpu = try Affinity.allowedCPUs().cpus.last!
        let configuration = FTQConfiguration(mode: .fwq, cpus: [cpu], quantumNs: 100_000, samples: 500)
        let records = try FTQSession.run(configuration, clock: clock).records
        let durations = records[0].values.prefix(records[0].count).map { clock.nanoseconds($0) }.sorted()
        let median = durations[durations.count / 2]
        // Sized from a calibration run: within a factor of two of the nominal 100 µs.
        #expect(median > 50_000 && median < 200_000, "median sample \(median) ns")
    }

    /// A thread on the measured CPU wakes 170 times a second and burns ~100 µs:
    /// the spectrum must show a line at 170 Hz (or its family), never miss it.
    @Test func periodicDisturbanceAppearsInTheSpectrumAtItsFrequency() throws {
        let cpu = try Affinity.allowedCPUs().cpus.last!
        let frequency = 170.0
        let stop = Atomic<Bool>(false)
        let wakes = Atomic<Int>(0)
        let disturber = try PinnedThread.start(cpu: cpu) { [clock] in
            // Real-time priority makes the preemption certain; without it CFS
            // wake-up preemption still lets the sleeper in almost every time.
            _ = RealtimeScheduling.requestFIFO(priority: 10)
            let periodNs = Int64(1e9 / frequency)
            var next = timespec()
            clock_gettime(CLOCK_MONOTONIC, &next)
            while !stop.load(ordering: .relaxed) {
                next.tv_nsec += Int(periodNs)
                if next.tv_nsec >= 1_000_000_000 { next.tv_sec += 1; next.tv_nsec -= 1_000_000_000 }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nil)
                let end = kb_rdtsc() &+ clock.ticks(nanoseconds: 100_000)
                while kb_rdtsc() < end {}
                wakes.add(1, ordering: .relaxed)
            }
        }
        defer { stop.store(true, ordering: .relaxed); disturber.join() }

        let configuration = FTQConfiguration(mode: .ftq, cpus: [cpu], quantumNs: 100_000, samples: 30_000)
        // The sampler runs real-time too (below the disturber), as ftq --fifo
        // does, so other processes on a busy machine cannot bury the line.
        let records = try FTQSession.run(configuration, clock: clock, fifoPriority: 5).records
        stop.store(true, ordering: .relaxed)
        #expect(wakes.load(ordering: .relaxed) > 300, "the disturber did not run")

        let record = records[0]
        let series = FTQThreadSeries(thread: 0, cpu: cpu, work: record.values.prefix(record.count).map { Double($0) },
                                     quantumNs: 100_000)
        let result = SpectrumAnalysis().analyze(series, configHZ: 250, interrupts: nil)
        let binWidth = result.spectrum.binWidthHz
        // The line itself, whatever family the grouping puts it in (RT throttling
        // can add a 1 Hz comb whose harmonics include 170 Hz).
        let line = result.peaks.filter { abs($0.peak.frequencyHz - frequency) <= 2 * binWidth }
        #expect(!line.isEmpty, "no peak at \(frequency) Hz; peaks: \(result.peaks.prefix(40).map { ($0.peak.frequencyHz, $0.label) })")
        #expect(line.allSatisfy { !$0.label.contains("timer tick") }, "170 Hz taken for the tick: \(line.map(\.label))")
    }
}
