import Foundation
import Platform
import BenchKit
import RunFormat
import Testing
@testable import CtxBenchKit

/// The c2c matrix has the shape and labels of the topology it read (from
/// recorded sysfs trees), its spread is the per-round medians', and the
/// modified-line transfers really hand the lines over.
@Suite(.serialized, .timeLimit(.minutes(1))) struct CoreToCoreTests {
    static let cpus = (try? Affinity.allowedCPUs().cpus) ?? []
    static func tree(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PlatformTests/Samples/\(name)").path
    }

    @Test func pairsOfTheTwoSocketTree() throws {
        let cpus = Array(0..<16)
        let topology = try CPUTopology.read(cpus: cpus, root: Self.tree("2socket-16cpu-sysfs"))
        let pairs = CoreToCoreSession.pairs(cpus: cpus, topology: topology)
        #expect(pairs.count == 16 * 15)
        #expect(Set(pairs.map { "\($0.from)-\($0.to)" }).count == 240, "every ordered pair once")
        #expect(!pairs.contains { $0.from == $0.to })
        #expect(pairs.prefix(15).allSatisfy { $0.from == 0 } && pairs[0].to == 1)
        var counts: [CPURelation: Int] = [:]
        for pair in pairs { counts[pair.relation, default: 0] += 1 }
        #expect(counts == [.smtSibling: 16, .sameDie: 32, .sameSocket: 64, .otherSocket: 128])
        #expect(pairs.first { $0.from == 3 && $0.to == 11 }?.relation == .smtSibling)
        #expect(pairs.first { $0.from == 6 && $0.to == 1 }?.relation == .otherSocket)
    }

    @Test func pairsOfTheTestVM() throws {
        let topology = try CPUTopology.read(cpus: [0, 1], root: Self.tree("vm-2cpu-sysfs"))
        let pairs = CoreToCoreSession.pairs(cpus: [0, 1], topology: topology)
        #expect(pairs == [.init(from: 0, to: 1, relation: .sameDie), .init(from: 1, to: 0, relation: .sameDie)])
        #expect(CoreToCoreSession.pairs(cpus: [4, 2, 9], topology: nil).map(\.relation) == Array(repeating: .unknown, count: 6))
    }

    /// Matrix rows: one per pair and transfer, statistics over all rounds,
    /// and the spread of the rounds' medians.
    @Test func matrixRowsAndSpread() throws {
        let clock = TSCClock(ticksPerNs: 2.5, method: "test")
        let pair = CoreToCoreSession.Pair(from: 0, to: 1, relation: .sameDie)
        var cell = CoreToCoreSession.Cell(pair: pair, transfer: .casRoundTrip)
        cell.rounds = [[70, 67, 68], [349, 340, 345], [90, 91, 89]]
        let empty = CoreToCoreSession.Cell(pair: .init(from: 1, to: 0, relation: .sameDie), transfer: .readModified)
        let rows = CoreToCoreSession.matrix([cell, empty], clock: clock)
        #expect(rows.count == 1, "a cell without rounds has no row")
        let row = try #require(rows.first)
        #expect(row.fromCPU == 0 && row.toCPU == 1 && row.relation == "same_die" && row.metric == "cas_round_trip")
        #expect(row.trials == 9 && row.minNs == 67 && row.maxNs == 349 && row.p50Ns == 90)
        #expect(row.roundP50MinNs == 68 && row.roundP50MaxNs == 345 && row.p50Ticks == 225)
        let summary = CoreToCoreSession.measurements([cell], clock: clock, iterations: 10)
        #expect(summary.map(\.unit) == ["ns", "ticks"] && summary[0].variant == "cpu0_cpu1")
        #expect(summary[0].trials.count == 9 && summary[0].param.contains("relation=same_die"))
    }

    final class Box: @unchecked Sendable { var trips: UInt64 = 0; var ticks: UInt64 = 0; var marker: UInt64 = 0 }

    /// Each chunk of up to 128 steps costs one hand-over (one round trip of
    /// the control word), and the exchanges leave their marks, which the
    /// partner's next rewrite removes.
    @Test(.enabled(if: cpus.count > 1, "needs two CPUs"), arguments: [LineTransfer.readModified, .writeModified])
    func modifiedLinesAreHandedOver(transfer: LineTransfer) throws {
        let (cpu, partner) = (Self.cpus[0], Self.cpus[1])
        let box = Box()
        let steps = 3 * CacheLinePingPong.lines + 5
        let result = try onPinnedThread(cpu: cpu) {
            let pingPong = try CacheLinePingPong(cpu: cpu, partnerCPU: partner, transfer: transfer)
            #expect(pingPong.variant == "\(transfer.rawValue)_cpu\(cpu)_cpu\(partner)" && pingPong.metric == transfer.rawValue)
            box.ticks = pingPong.runBatch(iterations: steps)
            box.trips = pingPong.roundTrips
            // After the last (5-step) chunk, 5 lines carry the exchange's mark (their own index).
            box.marker = UInt64((0..<CacheLinePingPong.lines).filter { pingPong.chainValue($0) == UInt64($0) }.count)
            #expect(pingPong.finish())
            return true
        }
        #expect(result.value)
        #expect(box.trips == 4)
        #expect(box.ticks > 0)
        #expect(box.marker == (transfer == .writeModified ? 5 : 0))
    }

    @Test func theChainIsOneCycle() {
        let order = CacheLinePingPong.shuffledCycle(128)
        #expect(order.sorted() == Array(0..<128))
        #expect(order != Array(0..<128))
    }
}
