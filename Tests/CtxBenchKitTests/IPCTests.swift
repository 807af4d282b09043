import BenchKit
import CReference
import Glibc
import Platform
import Testing
@testable import CtxBenchKit

/// ctxbench ipc: every mechanism delivers every byte of every size, between
/// threads and between processes; a corrupted message is caught at the
/// receiver, in either direction; the responder process always ends.
@Suite(.serialized, .timeLimit(.minutes(1))) struct IPCTests {
    static let cpus = (try? Affinity.allowedCPUs().cpus) ?? [0]

    static func runner() -> TrialRunner {
        TrialRunner(clock: TSCClock.calibrate(intervalNs: 10_000_000), overheadTicks: 0, trials: 1, iterations: 8,
                    warmupBatches: 0)
    }

    static let pairings: [IPCPairing] = IPCSpaces.allCases.flatMap { spaces in
        IPCMechanism.allCases.map { IPCPairing(mechanism: $0, spaces: spaces, cpu: cpus[0], peerCPU: cpus.last!) }
    }

    @Test(arguments: pairings)
    func everySizeArrivesUnchanged(_ pairing: IPCPairing) throws {
        // 8 round trips of each of the 64 sizes, every byte checked by both
        // receivers (any difference throws); then the same on one CPU.
        for placement in [pairing, IPCPairing(mechanism: pairing.mechanism, spaces: pairing.spaces, cpu: pairing.cpu, peerCPU: pairing.cpu)] {
            let result = try IPCConversation.measure(placement, sizes: MessageSizes.all, runner: Self.runner(), stallSeconds: 20)
            #expect(result.measurements.count == 2 * MessageSizes.all.count)
            #expect(Set(result.measurements.map(\.param)).count == MessageSizes.all.count)
            #expect(result.measurements.allSatisfy { $0.statistics.p50 > 0 })
        }
    }

    /// The pattern: any flipped byte, a stale sequence number, another size
    /// or the other direction is seen, at the right offset.
    @Test func theCheckSeesEveryWrongByte() {
        var buffer = [UInt8](repeating: 0, count: 252)
        buffer.withUnsafeMutableBufferPointer { bytes in
            let p = bytes.baseAddress!
            for size in stride(from: 4, through: 252, by: 4) {
                kb_ipc_fill(p, 77, UInt32(size), 0)
                #expect(kb_ipc_check(p, 77, UInt32(size), 0) == -1)
                #expect(kb_ipc_check(p, 76, UInt32(size), 0) >= 0, "a stale message passed")
                #expect(kb_ipc_check(p, 77, UInt32(size), 1) >= 0, "the other direction's message passed")
                if size >= 8 { #expect(kb_ipc_check(p, 77, UInt32(size - 4), 0) >= 0, "another size passed") }
                for offset in 0..<size {
                    p[offset] ^= 0x10
                    #expect(kb_ipc_check(p, 77, UInt32(size), 0) == Int32(offset))
                    p[offset] ^= 0x10
                }
            }
        }
    }

    /// A message corrupted on the way (forged into the channel with one byte
    /// flipped) is refused by kb_ipc_receive, recorded with its offset, and
    /// the channel is aborted, in both directions and every mechanism.
    @Test(arguments: IPCMechanism.allCases)
    func aCorruptedMessageIsCaught(_ mechanism: IPCMechanism) throws {
        for direction in [UInt32(0), 1] {
            let channel = try IPCChannel(mechanism, betweenProcesses: false, sameCPU: false)
            defer { channel.close() }
            forge(channel, direction: direction, sequence: 1, size: 64, flip: 17)
            var size: UInt32 = 0
            #expect(kb_ipc_receive(channel.pointer, direction, 1, &size) == Int32(KB_IPC_CORRUPT))
            let failure = try #require(channel.failure)
            #expect(failure.isCorruption && failure.offset == 17 && failure.size == 64 && failure.direction == Int(direction))
            #expect(failure.got == UInt32(failure.expected ^ 0x10))
            #expect(kb_ipc_send(channel.pointer, 0, 2, 0) == Int32(KB_IPC_ABORTED), "the channel was not aborted")
        }
    }

    @Test(arguments: IPCMechanism.allCases)
    func aWrongSequenceNumberOrSizeIsCaught(_ mechanism: IPCMechanism) throws {
        // 256 only in a mailbox: a stream's tag holds the size in one byte.
        let oversized: [(UInt32, UInt32)] = mechanism == .pipe || mechanism == .socketpair ? [] : [(1, 256)]
        for (sequence, size) in [(UInt32(5), UInt32(8)), (1, 9)] + oversized {
            let channel = try IPCChannel(mechanism, betweenProcesses: false, sameCPU: false)
            defer { channel.close() }
            forge(channel, direction: 0, sequence: sequence, size: size, flip: nil)
            var got: UInt32 = 0
            if mechanism == .futex || mechanism == .spin, sequence != 1 {
                // A mailbox waiter waits for its own number: abort from outside (bounded).
                channel.abort()
                #expect(kb_ipc_receive(channel.pointer, 0, 1, &got) == Int32(KB_IPC_ABORTED))
                continue
            }
            #expect(kb_ipc_receive(channel.pointer, 0, 1, &got) == Int32(KB_IPC_CORRUPT))
            #expect(channel.failure?.offset == -1)
        }
    }

    @Test func theResponderProcessStopsOnTheStopMessageAndOnAbort() throws {
        for abort in [false, true] {
            let channel = try IPCChannel(.pipe, betweenProcesses: true, sameCPU: true)
            defer { channel.close() }
            let pid = kb_ipc_spawn_responder(channel.pointer, Int32(Self.cpus[0]), 0)
            try #require(pid > 0)
            var round = IPCRoundTrip(channel: channel, size: 12, after: 0)
            _ = round.runBatch(iterations: 3)
            #expect(round.status == 0)
            if abort { channel.abort() } else { #expect(channel.sendStop(after: round.sequence) == 0) }
            let status = kb_ipc_wait_child(pid, 5_000_000_000)
            if status == -ETIMEDOUT { kill(pid, SIGKILL); _ = kb_ipc_wait_child(pid, 5_000_000_000) }
            #expect(status == Int32(abort ? KB_IPC_ABORTED : KB_IPC_STOPPED))
        }
    }

    @Test func aResponderThatNeverAnswersIsAbortedAsAStall() throws {
        // A responder process that is stopped (SIGSTOP) cannot reply: the
        // coordinator aborts after the stall limit and the child is killed.
        let channel = try IPCChannel(.futex, betweenProcesses: true, sameCPU: true)
        defer { channel.close() }
        let pid = kb_ipc_spawn_responder(channel.pointer, Int32(Self.cpus[0]), 0)
        try #require(pid > 0)
        while kb_ipc_responder_ready(channel.pointer) == 0 { sleepNanoseconds(1_000_000) }
        kill(pid, SIGSTOP)
        var round = IPCRoundTrip(channel: channel, size: 0, after: 0)
        let aborter = try PinnedThread.start(cpu: nil) { sleepNanoseconds(200_000_000); channel.abort() }
        _ = round.runBatch(iterations: 1)
        aborter.join()
        #expect(round.status == Int32(KB_IPC_ABORTED))
        kill(pid, SIGKILL)
        #expect(kb_ipc_wait_child(pid, 5_000_000_000) == 256 + SIGKILL)
    }

    /// Writes message `sequence` of `size` into `channel` as its sender would,
    /// with byte `flip` of the payload flipped (or a wrong size kept as given).
    func forge(_ channel: IPCChannel, direction: UInt32, sequence: UInt32, size: UInt32, flip: Int?) {
        let ch = channel.pointer
        var payload = [UInt8](repeating: 0, count: 252)
        let fill = min(size, 252) & ~3
        kb_ipc_fill(&payload, sequence, fill, direction)
        if let flip { payload[flip] ^= 0x10 }
        switch channel.mechanism {
        case .pipe, .socketpair:
            var wire = withUnsafeBytes(of: (sequence << 8) | (size & 0xFF)) { Array($0) } + payload.prefix(Int(fill))
            let fd = channel.mechanism == .pipe ? ch.pointee.fds.1 : ch.pointee.fds.0
            let target = channel.mechanism == .pipe && direction == 1 ? ch.pointee.fds.3
                : channel.mechanism == .socketpair && direction == 1 ? ch.pointee.fds.1 : fd
            #expect(write(target, &wire, wire.count) == wire.count)
        default:
            withUnsafeMutablePointer(to: &ch.pointee.box) { boxes in
                let box = UnsafeMutableRawPointer(boxes).assumingMemoryBound(to: kb_ipc_mailbox.self) + Int(direction)
                withUnsafeMutableBytes(of: &box.pointee.payload) { $0.copyBytes(from: payload) }
                box.pointee.size = size
                box.pointee.seq = sequence
            }
            if channel.mechanism == .eventfd {
                var one: UInt64 = 1
                let fd = direction == 0 ? ch.pointee.fds.0 : ch.pointee.fds.1
                #expect(write(fd, &one, 8) == 8)
            }
        }
    }

    @Test func sizesParseAndRefuseHostileLists() throws {
        #expect(try MessageSizes.parse("0,64,128-136") == [0, 64, 128, 132, 136])
        #expect(try MessageSizes.parse("252,0,0") == [0, 252])
        #expect(try MessageSizes.parse("0-252") == MessageSizes.all)
        for bad in ["", ",", "3", "256", "-4", "8-4", "1e3", "99999999999999999999", "nan", "4-", "0-252-4", " "] {
            #expect(throws: MessageSizeError.self, "'\(bad)'") { try MessageSizes.parse(bad) }
        }
    }

    @Test func perfOutputIsReadOrRefusedInOneLine() throws {
        let good = """
            # Running 'sched/pipe' benchmark:
            # Executed 20000 pipe operations between two processes

                 Total time: 0.178 [sec]

                   8.910150 usecs/op
                     112231 ops/sec
            """
        #expect(try PerfBenchPipe.parseMicrosecondsPerOp(good) == 8.910150)
        for hostile in ["", "garbage", "nan usecs/op", "-3 usecs/op", "inf usecs/op", "1e300 usecs/op", "usecs/op",
                        "0 usecs/op", String(repeating: "x", count: 100_000)] {
            #expect(throws: PerfBenchError.self) { try PerfBenchPipe.parseMicrosecondsPerOp(hostile) }
            do { _ = try PerfBenchPipe.parseMicrosecondsPerOp(hostile) } catch {
                #expect(!error.description.contains("\n") && error.description.count < 300)
            }
        }
    }
}
