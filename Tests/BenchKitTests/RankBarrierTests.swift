import Foundation
import Synchronization
import Testing
@testable import BenchKit

/// The shared-memory barrier between processes of one node, exercised by two
/// "ranks" (threads, each with its own mapping of the segment, as two
/// processes would have): nobody passes early, every rank reads the same
/// stop decision at the same step, rank 0's word reaches rank 1, a rank that
/// never comes ends the wait, and the segment is removed by the last rank.
@Suite(.serialized, .timeLimit(.minutes(1))) struct RankBarrierTests {
    static func identity(rank: Int, job: String) -> RankIdentity {
        RankIdentity(launcher: .slurm, rank: rank, size: 2, localRank: rank, localSize: 2, nodeCount: 1, jobID: job)
    }

    /// Runs `body(rank, barrier)` on two threads, one barrier each; returns their results.
    static func twoRanks<T: Sendable>(job: String, timeoutNs: UInt64 = 20_000_000_000,
                                      _ body: @escaping @Sendable (Int, RankBarrier) throws -> T) throws -> [T] {
        let barriers = try (0..<2).map {
            try RankBarrier(choice: .shm, identity: identity(rank: $0, job: job), timeoutNs: timeoutNs)
        }
        #expect(barriers.allSatisfy { $0.kind == .shm })
        let results = Mutex<[Int: Result<T, any Error>]>([:])
        let done = DispatchSemaphore(value: 0)
        for rank in 0..<2 {
            let barrier = barriers[rank]
            Thread {
                let result = Result { try body(rank, barrier) }
                results.withLock { $0[rank] = result }
                done.signal()
            }.start()
        }
        done.wait()
        done.wait()
        for barrier in barriers { barrier.close() }
        return try results.withLock { r in try (0..<2).map { try r[$0]!.get() } }
    }

    static func segmentExists(_ job: String) -> Bool {
        FileManager.default.fileExists(atPath: "/dev/shm/kbench-barrier-\(job)")
    }

    @Test func nobodyPassesEarly() throws {
        let job = "test-\(UUID().uuidString.prefix(8))"
        let arrivals = Atomic<Int>(0)
        let early = try Self.twoRanks(job: job) { _, barrier in
            var early = 0
            for step in 0..<2000 {
                arrivals.add(1, ordering: .sequentiallyConsistent)
                _ = try barrier.wait()
                // Both ranks arrived at this step before either left it.
                if arrivals.load(ordering: .sequentiallyConsistent) < 2 * (step + 1) { early += 1 }
            }
            return early
        }
        #expect(early == [0, 0])
        #expect(!Self.segmentExists(job), "the last rank removes the segment")
    }

    @Test func everyRankStopsAtTheSameStep() throws {
        let job = "test-\(UUID().uuidString.prefix(8))"
        let stoppedAt = try Self.twoRanks(job: job) { rank, barrier in
            for step in 0..<100 {
                // Rank 1 asks at step 7; rank 0 never asks.
                if try barrier.wait(stop: rank == 1 && step >= 7) { return step }
            }
            return -1
        }
        #expect(stoppedAt == [7, 7])
    }

    @Test func rankZeroWordReachesEveryRank() throws {
        let job = "test-\(UUID().uuidString.prefix(8))"
        let words = try Self.twoRanks(job: job) { rank, barrier in
            try barrier.broadcastFromRankZero { rank == 0 ? 1_796_185_800_000_000_042 : -1 }
        }
        #expect(words == [1_796_185_800_000_000_042, 1_796_185_800_000_000_042])
    }

    @Test func aRankThatNeverComesEndsTheWait() throws {
        let job = "test-\(UUID().uuidString.prefix(8))"
        let lonely = try RankBarrier(choice: .shm, identity: Self.identity(rank: 0, job: job), timeoutNs: 100_000_000)
        let error = try #require(throws: BarrierError.self) { _ = try lonely.wait() }
        #expect(error.description.contains("did not arrive"))
        lonely.close()
        // One of two closed: the segment stays for the other until it closes.
        let other = try RankBarrier(choice: .shm, identity: Self.identity(rank: 1, job: job), timeoutNs: 1)
        other.close()
        #expect(!Self.segmentExists(job))
    }

    @Test func choicesThatCannotBeHad() throws {
        let spread = RankIdentity(launcher: .slurm, rank: 0, size: 4, nodeCount: 2, jobID: "x")
        #expect(throws: BarrierError.self) { try RankBarrier(choice: .shm, identity: spread) }
        #expect(try RankBarrier(choice: .auto, identity: spread).kind == .none)
        let noJob = RankIdentity(launcher: .pmi, rank: 0, size: 2, localSize: 2)
        #expect(throws: BarrierError.self) { try RankBarrier(choice: .shm, identity: noJob) }
        #expect(throws: BarrierError.self) {
            try RankBarrier(choice: .mpi, identity: spread, mpiLibrary: "libkbench-no-such-mpi.so")
        }
        #expect(try RankBarrier(choice: .mpi, identity: nil).kind == .none, "one rank needs no barrier")
    }
}
