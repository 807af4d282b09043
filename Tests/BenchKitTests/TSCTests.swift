import Platform
import CPlatform
import Glibc
import Testing
@testable import BenchKit

@Suite(.serialized) struct TSCTests {
    /// Calibrate over 200 ms, then time a fresh 200 ms interval with both clocks:
    /// the TSC's idea of it must agree with CLOCK_MONOTONIC_RAW within 0.5%.
    @Test func calibrationAgreesWithClockGettime() {
        let clock = TSCClock.calibrate(intervalNs: 200_000_000)
        #expect(clock.ticksPerNs > 0.1 && clock.ticksPerNs < 10)
        let start = PairedReading.take()
        sleepNanoseconds(200_000_000)
        let end = PairedReading.take()
        let byTSC = clock.nanoseconds(end.ticks - start.ticks)
        let byClock = Double(end.nanoseconds - start.nanoseconds)
        let error = abs(byTSC - byClock) / byClock
        #expect(error < 0.005, "TSC says \(byTSC) ns, clock says \(byClock) ns (error \(error * 100)%)")
        #expect(clock.calibrationUncertainty < 0.001)
    }

    @Test func timerOverheadIsSmallAndPositive() {
        let overhead = TimerOverhead.measure(samples: 10_000)
        #expect(overhead.minTicks > 0)
        #expect(overhead.minTicks <= overhead.medianTicks)
        // A fenced pair costs tens of cycles, not microseconds.
        #expect(overhead.medianTicks < 10_000)
    }

    @Test func tscIsConsistentAcrossAllowedCPUs() throws {
        let clock = TSCClock.calibrate(intervalNs: 50_000_000)
        let cpus = try Affinity.allowedCPUs()
        let consistency = try TSCConsistency.check(cpus: cpus, clock: clock)
        #expect(consistency.offsetsNs.count == cpus.count)
        #expect(consistency.spreadNs < 100_000, "TSC offsets differ by \(consistency.spreadNs) ns")
    }
}
