// The cost of a dynamic lock on ctxbench's IPC path: the same round trip with
// no lock, disabled and enabled dynamic locks, and the plain locks, around
// the IPC's critical section (Uhlig §6.2.1, Figures 6.1 and 6.2).

import BenchKit
import CPlatform
import CReference
import CtxBenchKit
import KernelCore
import RunFormat

/// Where one IPC batch left off: the last request sent and the channel's
/// status, shared by every variant's batch of one conversation (they send on
/// one channel, so the sequence numbers continue from batch to batch).
struct IPCProgress {
    var sequence: UInt32 = 0
    var status: Int32 = 0
}

/// `iterations` IPC round trips; each request's send (the message copy
/// into the receiver's mailbox and its wake-up) inside `guard`, which takes
/// the sender's and the receiver's locks as Uhlig's IPC does. The reply
/// comes from ctxbench's C responder, which takes no lock: one of the two
/// IPCs of a round trip is locked. A failure stops the batch; later batches
/// return 0 at once, and the caller reports the channel's failure record.
@inline(never)
func dynamicIPCBatch<G: SectionGuard>(_ guard: G, channel: UnsafeMutablePointer<kb_ipc_channel>, size: UInt32,
                                      progress: UnsafeMutablePointer<IPCProgress>, iterations: Int) -> UInt64 {
    guard progress.pointee.status == 0 else { return 0 }
    var sequence = progress.pointee.sequence, status: Int32 = 0
    let start = kb_rdtsc_begin()
    for _ in 0..<iterations {
        sequence &+= 1
        let held = `guard`.enter()
        status = kb_ipc_send(channel, 0, sequence, size)
        `guard`.exit(held)
        if status != 0 { break }
        status = kb_ipc_await_reply(channel, sequence, size)
        if status != 0 { break }
    }
    let elapsed = kb_rdtsc_end() &- start
    progress.pointee = IPCProgress(sequence: sequence, status: status)
    return elapsed
}

/// `dynamic_ipc` rows: for each pairing and message size, variants none,
/// dynamic-disabled, dynamic-spin, spin, dynamic-mcs, mcs (metric
/// `round_trip`, ns), interleaved trial by trial, then the same-run ratios
/// (as `dynamic_overhead`'s). X over none minus one is the lock's share of
/// the round trip, to set beside Uhlig's 16-20% (inter-address-space) and
/// 35-64% (intra) of one IPC.
public enum DynamicIPCOverhead {
    /// Payload sizes: the smallest and Uhlig's largest message.
    public static let sizes = [0, 252]

    /// The pairings measured on `cpus`: both sides on the first CPU with the
    /// futex mailbox (processor-local IPC, a kernel switch per message, as
    /// Uhlig's Figures 6.1-6.2), threads (intra-address-space) and processes
    /// (inter); and, given a second CPU, the polled mailbox across the two
    /// (no kernel on the path, so the lock's share is largest).
    public static func pairings(cpus: [Int]) -> [IPCPairing] {
        var result = IPCSpaces.allCases.map { IPCPairing(mechanism: .futex, spaces: $0, cpu: cpus[0], peerCPU: cpus[0]) }
        if cpus.count > 1 {
            result += IPCSpaces.allCases.map { IPCPairing(mechanism: .spin, spaces: $0, cpu: cpus[0], peerCPU: cpus[1]) }
        }
        return result
    }

    /// Measures every pairing with `roundTrips` round trips per trial; a
    /// corrupted message, a stall or a dead responder throws (ctxbench's
    /// `IPCInterruption`), as in `ctxbench ipc`.
    public static func measure(cpus: [Int], runner: TrialRunner, roundTrips: Int, scheduling: TeamScheduling,
                               record: (IPCPairing, IPCConversation.Result) -> Void) throws -> [Measurement] {
        let ipcRunner = { var copy = runner; copy.iterations = roundTrips; return copy }()
        var rows: [Measurement] = []
        for pairing in pairings(cpus: cpus) where !StopRequest.isRequested {
            let result = try IPCConversation.converse(pairing, scheduling: scheduling) { channel, sequence in
                conversation(channel: channel, sequence: &sequence, pairing: pairing, runner: ipcRunner)
            }
            record(pairing, result)
            rows += result.measurements
        }
        return rows
    }

    /// The initiator's side of one conversation: every size, every variant.
    static func conversation(channel: IPCChannel, sequence: inout UInt32, pairing: IPCPairing,
                             runner: TrialRunner) -> (status: Int32, measurements: [Measurement]) {
        let ring = EpochRing(vcores: 1)
        func dynamic<L: KernelLock>(_ base: () -> L, _ state: DynamicLockState) -> DynamicLock<L> {
            DynamicLock(base: base(), ring: ring, home: 0, state: state)
        }
        let disabled = (dynamic(SpinLock.init, .disabled), dynamic(SpinLock.init, .disabled))
        let dynamicSpin = (dynamic(SpinLock.init, .enabled), dynamic(SpinLock.init, .enabled))
        let dynamicMCS = (dynamic(MCSLock.init, .enabled), dynamic(MCSLock.init, .enabled))
        let spin = (SpinLock(), SpinLock()), mcs = (MCSLock(), MCSLock())
        let nodes = (QueueNode.allocate(), QueueNode.allocate())
        let progress = UnsafeMutablePointer<IPCProgress>.allocate(capacity: 1)
        progress.initialize(to: IPCProgress(sequence: sequence))
        defer {
            for lock in [disabled.0, disabled.1, dynamicSpin.0, dynamicSpin.1] { lock.deallocate() }
            for lock in [dynamicMCS.0, dynamicMCS.1] { lock.deallocate() }
            spin.0.deallocate(); spin.1.deallocate(); mcs.0.deallocate(); mcs.1.deallocate()
            nodes.0.deallocate(); nodes.1.deallocate()
            sequence = progress.pointee.sequence
            progress.deallocate()
            ring.deallocate()
        }
        let box = channel.pointer
        var rows: [Measurement] = []
        for size in sizes where !StopRequest.isRequested && progress.pointee.status == 0 {
            let bytes = UInt32(size)
            func batch(_ variant: String, _ body: @escaping (Int) -> UInt64) -> TimedBatch {
                TimedBatch(benchmark: "dynamic_ipc", variant: variant, metric: "round_trip", body: body)
            }
            func dynamicPair<L: KernelLock>(_ locks: (DynamicLock<L>, DynamicLock<L>), _ node: L.Node) -> GuardPair<DynamicGuard<L>> {
                GuardPair(first: DynamicGuard(lock: locks.0, node: node), second: DynamicGuard(lock: locks.1, node: node))
            }
            func plainPair<L: KernelLock>(_ locks: (L, L), _ node: L.Node) -> GuardPair<PlainGuard<L>> {
                GuardPair(first: PlainGuard(lock: locks.0, node: node), second: PlainGuard(lock: locks.1, node: node))
            }
            // One MCS node per lock held at once: the pair's second lock needs its own.
            let disabledPair = dynamicPair(disabled, NoNode()), dynamicSpinPair = dynamicPair(dynamicSpin, NoNode())
            let spinPair = plainPair(spin, NoNode())
            let dynamicMCSPair = GuardPair(first: DynamicGuard(lock: dynamicMCS.0, node: nodes.0),
                                           second: DynamicGuard(lock: dynamicMCS.1, node: nodes.1))
            let mcsPair = GuardPair(first: PlainGuard(lock: mcs.0, node: nodes.0), second: PlainGuard(lock: mcs.1, node: nodes.1))
            var batches = [
                batch("none") { dynamicIPCBatch(NoGuard(), channel: box, size: bytes, progress: progress, iterations: $0) },
                batch("dynamic-disabled") { dynamicIPCBatch(disabledPair, channel: box, size: bytes, progress: progress, iterations: $0) },
                batch("dynamic-spin") { dynamicIPCBatch(dynamicSpinPair, channel: box, size: bytes, progress: progress, iterations: $0) },
                batch("spin") { dynamicIPCBatch(spinPair, channel: box, size: bytes, progress: progress, iterations: $0) },
                batch("dynamic-mcs") { dynamicIPCBatch(dynamicMCSPair, channel: box, size: bytes, progress: progress, iterations: $0) },
                batch("mcs") { dynamicIPCBatch(mcsPair, channel: box, size: bytes, progress: progress, iterations: $0) },
            ]
            let param = "\(pairing.param(bytes: size));locks_per_round_trip=2"
            let measured = InterleavedTrials.run(&batches, runner: runner, param: param)
            guard progress.pointee.status == 0 else { break }
            rows += measured.map { var row = $0; row.threads = 2; return row }
            rows += DynamicOverhead.ratios(rows.filter { $0.param == param })
        }
        return (progress.pointee.status, rows)
    }
}

/// What ended the ipc part early (ctxbench's type), named here so the
/// executable needs no CtxBenchKit import.
public typealias DynamicIPCInterruption = IPCInterruption
