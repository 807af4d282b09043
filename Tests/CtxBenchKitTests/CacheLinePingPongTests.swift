import Platform
import BenchKit
import Synchronization
import Testing
@testable import CtxBenchKit

/// The round trip really alternates between two CPUs, and its partner stops
/// within a bound.
@Suite(.serialized, .timeLimit(.minutes(1))) struct CacheLinePingPongTests {
    static let cpus = (try? Affinity.allowedCPUs().cpus) ?? []

    final class Box: @unchecked Sendable { var ticks: UInt64 = 0; var trips: UInt64 = 0; var error: (any Error)? }

    @Test(.enabled(if: cpus.count > 1, "needs two CPUs: the round trip crosses from one to the other"))
    func everyIterationIsOneTripToThePartnerAndBack() throws {
        let (cpu, partnerCPU) = (Self.cpus[0], Self.cpus[1])
        let box = Box()
        let start = monotonicNanos()
        try PinnedThread.start(cpu: cpu) {
            do {
                let pingPong = try CacheLinePingPong(cpu: cpu, partnerCPU: partnerCPU)
                #expect(pingPong.partnerCPU == partnerCPU)
                box.ticks = pingPong.runBatch(iterations: 5_000)
                // Only the partner turns odd values even: 5,000 completed
                // trips mean it answered every one of ours.
                box.trips = pingPong.roundTrips
                let stopStart = monotonicNanos()
                #expect(pingPong.finish(timeout: .seconds(2)), "the partner did not stop")
                #expect(monotonicNanos() - stopStart < 2_000_000_000)
            } catch { box.error = error }
        }.join()
        if let error = box.error { throw error }
        #expect(box.trips == 5_000)
        #expect(box.ticks > 0)
        #expect(monotonicNanos() - start < 30_000_000_000)
    }

    @Test func aPartnerOnACPUThatDoesNotExistIsAnError() {
        #expect(throws: (any Error).self) { try CacheLinePingPong(cpu: 0, partnerCPU: 4095) }
    }
}
