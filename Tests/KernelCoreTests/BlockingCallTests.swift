// Kernel-blocking calls hand the vcore to other uthreads: a uthread blocked
// in read() on a pipe runs on a kernel thread of the vcore's while the
// vcore runs the others, and its result and errno come back with it.

import Glibc
import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Blocking calls", .serialized, .timeLimit(.minutes(1)))
    struct BlockingCallTests {
        final class Seen: @unchecked Sendable {
            var otherRounds = 0
            var roundsWhenReadReturned = -1
            var results: [BlockingCallResult] = []
            var bytes: [UInt8] = []
            var flag = false
            var failures: [String] = []
        }

        static func makePipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            try #require(pipe(&fds) == 0, "pipe: errno \(errno)")
            return (fds[0], fds[1])
        }

        @Test("a uthread blocked in read() on a pipe does not stop another uthread on its vcore; the bytes arrive",
              arguments: TwoLevelScheduler.Variant.allCases)
        func readDoesNotBlockTheVcore(variant: TwoLevelScheduler.Variant) throws {
            let fds = try Self.makePipe()
            defer { close(fds.read); close(fds.write) }
            let scheduler = try TwoLevelScheduler(variant: variant)
            let seen = Seen()
            let rounds = 50
            let outcomes = try UthreadVcores.run(scheduler) { _ in
                try scheduler.spawn { me in
                    var buffer = [UInt8](repeating: 0, count: 16)
                    let result = buffer.withUnsafeMutableBytes { me.read(fds.read, into: $0) }
                    seen.roundsWhenReadReturned = seen.otherRounds
                    seen.results.append(result)
                    seen.bytes = Array(buffer.prefix(max(0, result.value)))
                }
                try scheduler.spawn { me in
                    for _ in 0..<rounds { seen.otherRounds += 1; me.yield() }
                    let message: [UInt8] = Array("hello".utf8)
                    if write(fds.write, message, message.count) != message.count { seen.failures.append("write: errno \(errno)") }
                }
            }
            #expect(outcomes == [.finished])
            #expect(seen.failures.isEmpty, "\(seen.failures)")
            #expect(seen.results == [BlockingCallResult(value: 5, errno: 0)])
            #expect(seen.bytes == Array("hello".utf8))
            #expect(seen.roundsWhenReadReturned == rounds, "the other uthread ran every round while the reader was blocked")
        }

        @Test("a failing call delivers its errno; end of file delivers 0")
        func errnoAndEndOfFile() throws {
            let fds = try Self.makePipe()
            defer { close(fds.read) }
            close(fds.write)
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts)
            let seen = Seen()
            let outcomes = try UthreadVcores.run(scheduler) { _ in
                try scheduler.spawn { me in
                    var byte: UInt8 = 0
                    seen.results.append(withUnsafeMutableBytes(of: &byte) { me.read(-1, into: $0) })
                    seen.results.append(withUnsafeMutableBytes(of: &byte) { me.read(fds.read, into: $0) })
                    seen.results.append(me.blockingCall { Int(usleep(1000)) })
                }
            }
            #expect(outcomes == [.finished])
            #expect(seen.results == [BlockingCallResult(value: -1, errno: EBADF), BlockingCallResult(value: 0, errno: 0),
                                     BlockingCallResult(value: 0, errno: 0)])
        }

        @Test("two blocked reads do not wait behind each other: the later pipe's read returns first")
        func callsDoNotQueueBehindEachOther() throws {
            let first = try Self.makePipe(), second = try Self.makePipe()
            defer { close(first.read); close(first.write); close(second.read); close(second.write) }
            let scheduler = try TwoLevelScheduler(variant: .locked)
            let seen = Seen()
            let outcomes = try UthreadVcores.run(scheduler) { _ in
                try scheduler.spawn { me in
                    var byte: UInt8 = 0
                    let result = withUnsafeMutableBytes(of: &byte) { me.read(first.read, into: $0) }
                    if result.value != 1 || !seen.flag { seen.failures.append("first read \(result), after the second: \(seen.flag)") }
                }
                try scheduler.spawn { me in
                    var byte: UInt8 = 0
                    let result = withUnsafeMutableBytes(of: &byte) { me.read(second.read, into: $0) }
                    if result.value != 1 { seen.failures.append("second read \(result)") }
                    seen.flag = true
                }
                try scheduler.spawn { me in
                    var byte: UInt8 = 2
                    _ = write(second.write, &byte, 1)
                    // The second read must come back while the first still waits.
                    var clock = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &clock)
                    let deadline = clock.tv_sec + 20
                    while !seen.flag {
                        me.yield()
                        clock_gettime(CLOCK_MONOTONIC, &clock)
                        if clock.tv_sec > deadline { seen.failures.append("the second read never returned"); break }
                    }
                    byte = 1
                    _ = write(first.write, &byte, 1)
                }
            }
            #expect(outcomes == [.finished])
            #expect(seen.failures.isEmpty, "\(seen.failures)")
        }

        @Test("beyond the worker limit a call fails at once with EAGAIN; the others complete")
        func workerLimit() throws {
            let fds = try Self.makePipe()
            defer { close(fds.read); close(fds.write) }
            let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts)
            let seen = Seen()
            let limit = BlockingCallWorkers.limit
            let outcomes = try UthreadVcores.run(scheduler) { _ in
                for _ in 0...limit {
                    try scheduler.spawn { me in
                        var byte: UInt8 = 0
                        seen.results.append(withUnsafeMutableBytes(of: &byte) { me.read(fds.read, into: $0) })
                    }
                }
                try scheduler.spawn { me in
                    // Every reader has blocked (or failed) before this runs: FIFO run queue.
                    let bytes = [UInt8](repeating: 7, count: limit)
                    if write(fds.write, bytes, limit) != limit { seen.failures.append("write: errno \(errno)") }
                }
            }
            #expect(outcomes == [.finished])
            #expect(seen.failures.isEmpty, "\(seen.failures)")
            #expect(seen.results.count == limit + 1)
            #expect(seen.results.filter { $0 == BlockingCallResult(value: -1, errno: EAGAIN) }.count == 1)
            #expect(seen.results.filter { $0 == BlockingCallResult(value: 1, errno: 0) }.count == limit)
        }
    }
}
