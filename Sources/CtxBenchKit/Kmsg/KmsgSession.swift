// `ctxbench kmsg`: kernel messages from send to handler start, to a core
// that spins, sleeps or works, beside the plain wake-up they cannot beat.

import BenchKit
import CPlatform
import KernelCore
import Platform
import RunFormat
import Synchronization
import Glibc

/// One thing `ctxbench kmsg` measures.
public enum KmsgCase: Sendable, Equatable {
    /// Immediate message to a core busy in its work, polling safe points.
    case immediateSpinning
    /// Immediate (or routine) message to a core asleep at its idle point: the wake-up.
    case sleeping(KernelMessageKind, CoreWakeMechanism)
    /// Routine message to a core doing `--work-us` chunks: runs at the chunk's end.
    case routineBusy
    /// The peer: a plain futex or eventfd ping to a sleeping pinned thread.
    case ping(CoreWakeMechanism)

    /// The summary.csv variant.
    public var variant: String {
        switch self {
        case .immediateSpinning: return "immediate-spinning"
        case let .sleeping(kind, wake): return "\(kind.rawValue)-sleeping-\(wake.rawValue)"
        case .routineBusy: return "routine-busy"
        case let .ping(wake): return "reference:\(wake.rawValue)-ping"
        }
    }

    /// Every case of a run, peers beside the cases they bound.
    static func all(_ c: KmsgConfiguration) -> [KmsgCase] {
        [.immediateSpinning, .routineBusy] + c.wakes.flatMap { [.ping($0), .sleeping(.immediate, $0), .sleeping(.routine, $0)] }
    }
}

public enum KmsgSession {
    /// Send-to-handler ticks of one case.
    public struct CaseResult: Sendable {
        public var kmsgCase: KmsgCase
        public var ticks: [UInt64]
        /// Times the core slept (a ping's sleeper: once per ping).
        public var sleeps: Int
    }

    /// Runs one case on a sender and a core pinned to the configured CPUs.
    public static func measure(_ kmsgCase: KmsgCase, _ c: KmsgConfiguration, clock: TSCClock,
                               scheduling: TeamScheduling = .inherit) throws -> CaseResult {
        final class Side: @unchecked Sendable {
            let samples: UnsafeMutablePointer<UInt64>, capacity: Int
            var sent = 0
            init(capacity: Int) {
                self.capacity = capacity
                samples = .allocate(capacity: capacity)
                samples.initialize(repeating: 0, count: capacity)
            }
            deinit { samples.deallocate() }
        }
        let sleeping: Bool
        switch kmsgCase { case .sleeping, .ping: sleeping = true; default: sleeping = false }
        let count = sleeping ? c.sleepingSamples : c.samples
        let settle = clock.ticks(nanoseconds: c.settleMicroseconds * 1000)
        let work = clock.ticks(nanoseconds: c.workMicroseconds * 1000)
        let team = ThreadTeam(cpus: [c.senderCPU, c.coreCPU], scheduling: scheduling) { index, _ in
            Side(capacity: index == 1 ? count : 1)
        }
        let ack = CacheLineBox(Atomic<UInt64>(0))
        var sleeps = 0
        switch kmsgCase {
        case let .ping(wake):
            let ping = try WakePing(wake)
            defer { ping.deallocate() }
            try team.launch(body: { member, side in
                if member.index == 0 { side.sent = ping.ping(count: count, settleTicks: settle, member: member) }
                else { ping.wait(samples: side.samples, capacity: side.capacity) }
            })
            try finish(team, stop: { ping.finish() })
            sleeps = team.workspaces[0].sent
        default:
            let wake: CoreWakeMechanism, kind: KernelMessageKind
            switch kmsgCase {
            case let .sleeping(k, w): (kind, wake) = (k, w)
            case .routineBusy: (kind, wake) = (.routine, .futex)
            default: (kind, wake) = (.immediate, .futex)
            }
            let core = try KernelMessageCore(wake: wake)
            // The spinning core's chunks are long: its immediate messages run at safe points.
            let busy = !sleeping, chunk = kmsgCase == .routineBusy ? work : clock.ticks(nanoseconds: 1_000_000)
            let pacing = KmsgPacing(waitsForSleep: sleeping, settleTicks: settle,
                                    spreadTicks: kmsgCase == .routineBusy ? work : clock.ticks(nanoseconds: 2_000))
            try team.launch(body: { member, side in
                if member.index == 0 {
                    side.sent = sendKernelMessages(core, kind: kind, count: count, pacing: pacing, ack: ack.pointer, member: member)
                    core.requestStop()
                } else {
                    var recorder = KmsgRecorder(samples: side.samples, capacity: side.capacity, ack: ack.pointer)
                    runKernelMessageCore(core, &recorder, busy: busy, chunkTicks: chunk)
                }
            })
            // Throws when members were abandoned: the core is then leaked with them.
            try finish(team, stop: { core.requestStop() })
            sleeps = core.sleeps
            core.destroy()
        }
        ack.deallocate()
        let handled = min(team.workspaces[0].sent, count)
        return CaseResult(kmsgCase: kmsgCase, ticks: Array(UnsafeBufferPointer(start: team.workspaces[1].samples, count: handled)),
                          sleeps: sleeps)
    }

    /// Releases the team, waits for it (Ctrl-C stops it), joins with a bound.
    static func finish<W>(_ team: ThreadTeam<W>, stop: () -> Void) throws {
        team.release()
        var stopped = false
        while team.finishedCount < team.cpus.count {
            if StopRequest.isRequested && !stopped { team.requestStop(); stop(); stopped = true }
            sleepNanoseconds(5_000_000)
        }
        guard team.join(timeout: .seconds(10)).joined else {
            throw SystemCallError("ctxbench kmsg: threads on CPUs \(team.cpus) did not stop", errno: ETIMEDOUT)
        }
    }

    /// Every case, then summary.csv (ns from send to handler start per case,
    /// trials = medians of blocks of 100 messages), each sleeping case's
    /// ratio to its plain ping, and meta.json.
    public static func run(_ c: KmsgConfiguration, benchRun: BenchRun,
                           progress: (String) -> Void = { _ in }) throws -> [Measurement] {
        var rows: [Measurement] = []
        var byVariant: [String: Measurement] = [:]
        for kmsgCase in KmsgCase.all(c) where !StopRequest.isRequested {
            let result = try measure(kmsgCase, c, clock: benchRun.clock, scheduling: benchRun.teamScheduling)
            let ns = result.ticks.map { benchRun.clock.nanoseconds($0) }
            let blocks = stride(from: 0, to: ns.count, by: 100).compactMap { start in
                SampleStatistics(Array(ns[start..<min(ns.count, start + 100)]))?.p50
            }
            let param = "work_us=\(CSVFormat.number(c.workMicroseconds));settle_us=\(CSVFormat.number(c.settleMicroseconds))"
            guard let statistics = SampleStatistics(ns) else { continue }
            let row = Measurement(benchmark: "kmsg", variant: kmsgCase.variant, threads: 2, param: param,
                                  metric: "send_to_handler", unit: "ns", lowerIsBetter: true,
                                  statistics: statistics, trials: blocks)
            rows.append(row)
            byVariant[kmsgCase.variant] = row
            progress("\(kmsgCase.variant): p50 \(CSVFormat.number(statistics.p50.rounded())) ns, p99 \(CSVFormat.number(statistics.p99.rounded())) ns (\(ns.count) messages)")
            if case let .sleeping(_, wake) = kmsgCase, let peer = byVariant[KmsgCase.ping(wake).variant],
               var ratio = Measurement.ratio(row, over: peer, benchmark: "kmsg", param: param, metric: "send_to_handler_over_ping") {
                ratio.variant = kmsgCase.variant
                rows.append(ratio)
            }
        }
        try benchRun.finish(measurements: rows, complete: !StopRequest.isRequested)
        return rows
    }
}
