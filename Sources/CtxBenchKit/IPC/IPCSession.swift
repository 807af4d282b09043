// `ctxbench ipc`: every conversation of the run, the perf reference beside
// them, and the run directory. The executable parses its arguments and calls
// `run`.

import BenchKit
import Platform
import RunFormat

/// What `ctxbench ipc` measures.
public struct IPCConfiguration: Sendable {
    public var mechanisms: [IPCMechanism] = IPCMechanism.allCases
    public var spaces: [IPCSpaces] = IPCSpaces.allCases
    /// The initiator's CPU, and the responder's for the cross-CPU pairings
    /// (nil: same CPU only).
    public var cpu: Int
    public var peerCPU: Int?
    /// Measure with both sides on `cpu`, and across `cpu` and `peerCPU`.
    public var sameCPU = true, crossCPU = true
    public var sizes: [Int] = MessageSizes.all
    public var runner: TrialRunner
    /// Round trips per `perf bench sched pipe` run (one run per trial); 0: no reference.
    public var referenceLoops = 10_000
    /// A conversation with no reply for this long is aborted (exit 70).
    public var stallSeconds = 10.0

    public init(cpu: Int, peerCPU: Int?, runner: TrialRunner) {
        self.cpu = cpu
        self.peerCPU = peerCPU
        self.runner = runner
    }

    /// Every pairing, in the order they run: same CPU first.
    public var pairings: [IPCPairing] {
        var cpuPairs: [(Int, Int)] = sameCPU ? [(cpu, cpu)] : []
        if crossCPU, let peerCPU { cpuPairs.append((cpu, peerCPU)) }
        return cpuPairs.flatMap { pair in
            spaces.flatMap { spaces in
                mechanisms.map { IPCPairing(mechanism: $0, spaces: spaces, cpu: pair.0, peerCPU: pair.1) }
            }
        }
    }
}

/// Runs ctxbench ipc.
public enum IPCSession {
    /// Measures every pairing (ns and ticks per round trip), then, unless
    /// `referenceLoops` is 0, `perf bench sched pipe` pinned the same way as
    /// `variant=reference` rows. Warnings (a missing perf, a refused
    /// SCHED_FIFO) go to `benchRun`; a corrupted message, a stall or a dead
    /// responder throws `IPCInterruption` after the collected rows are written.
    public static func run(_ configuration: IPCConfiguration, benchRun: BenchRun) throws -> [Measurement] {
        var measurements: [Measurement] = []
        do {
            measurements += try floors(configuration, benchRun: benchRun)
            for pairing in configuration.pairings where !StopRequest.isRequested {
                let result = try IPCConversation.measure(pairing, sizes: configuration.sizes, runner: configuration.runner,
                                                         scheduling: benchRun.teamScheduling,
                                                         stallSeconds: configuration.stallSeconds)
                measurements += result.measurements
                for (thread, scheduling) in result.scheduling.sorted(by: { $0.key < $1.key }) {
                    benchRun.recordScheduling(scheduling, thread: "\(pairing.mechanism.rawValue)-\(pairing.spaces.rawValue)-\(thread)")
                }
                for warning in result.warnings { benchRun.warn(warning) }
            }
            if configuration.referenceLoops > 0 && !StopRequest.isRequested {
                measurements += reference(configuration, benchRun: benchRun)
            }
            measurements += targets(measurements)
        } catch {
            try benchRun.finish(measurements: measurements, complete: false)
            throw error
        }
        try benchRun.finish(measurements: measurements, complete: !StopRequest.isRequested)
        return measurements
    }

    /// This run's floors (timer read, CAS, system call, and the core-to-core
    /// CAS round trip of the cross-CPU pair), on the initiator's CPU, as
    /// `benchmark=floor` rows: the figures to read the round trips against.
    static func floors(_ configuration: IPCConfiguration, benchRun: BenchRun) throws -> [Measurement] {
        var runner = configuration.runner
        runner.iterations = 10_000
        runner.warmupBatches = 2
        let partner = configuration.crossCPU ? configuration.peerCPU : nil
        let result = try FloorsSession.measure(cpu: configuration.cpu, partnerCPU: partner, runner: runner,
                                               scheduling: benchRun.teamScheduling)
        return result.measurements.flatMap { [$0, $0.inTicks(benchRun.clock)] }
    }

    /// The targets as ratio rows: the same-CPU pipe round trip (0
    /// bytes: 4 on the wire, as perf's) over `perf bench sched pipe` on that
    /// CPU (target <= 1), and the cross-CPU spin mailbox (0 bytes) over the
    /// core-to-core CAS round trip of the same pair (target <= 1.5).
    static func targets(_ measurements: [Measurement]) -> [Measurement] {
        let ns = measurements.filter { $0.unit == "ns" }
        var rows: [Measurement] = []
        for ours in ns where ours.benchmark == "ipc" && ours.variant == "kbench" && ours.param.hasSuffix(";bytes=0") {
            let fields = ours.param.split(separator: ";")
            guard fields.count == 5, let cpu = fields[2].split(separator: "=").last, let peer = fields[3].split(separator: "=").last else { continue }
            let spaces = fields[1]
            if fields[0] == "mechanism=pipe", cpu == peer,
               let perf = ns.first(where: { $0.variant == "reference" && $0.param == ours.param }),
               let row = Measurement.ratio(ours, over: perf, benchmark: "ipc", param: "pipe_over_perf;\(spaces);cpu=\(cpu);peer=\(peer);bytes=0",
                                           metric: "round_trip_over_reference") {
                rows.append(row)
            }
            if fields[0] == "mechanism=spin", cpu != peer,
               let c2c = ns.first(where: { $0.benchmark == "floor" && $0.variant == "cas_round_trip_cpu\(cpu)_cpu\(peer)" }),
               let row = Measurement.ratio(ours, over: c2c, benchmark: "ipc", param: "spin_over_c2c;\(spaces);cpu=\(cpu);peer=\(peer);bytes=0",
                                           metric: "round_trip_over_c2c") {
                rows.append(row)
            }
        }
        return rows
    }

    /// `perf bench sched pipe` for each address-space mode and placement
    /// measured, one perf run per trial; missing or failing perf is a warning.
    static func reference(_ configuration: IPCConfiguration, benchRun: BenchRun) -> [Measurement] {
        let perf: PerfBenchPipe
        switch PerfBenchPipe.locate() {
        case .success(let found): perf = found
        case .failure(let error):
            benchRun.warn("no perf reference: \(error)")
            benchRun.setParameter("reference", .string("none: \(error)"))
            return []
        }
        benchRun.setParameter("reference", .string("\(perf.executable) (\(perf.version)) bench sched pipe -l \(configuration.referenceLoops), pinned with \(perf.taskset) -c"))
        var rows: [Measurement] = []
        let placements = Set(configuration.pairings.map { [$0.cpu, $0.peerCPU] })
        for cpus in placements.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            for spaces in configuration.spaces where !StopRequest.isRequested {
                var trials: [Double] = []
                do {
                    for _ in 0..<configuration.runner.trials where !StopRequest.isRequested {
                        let us = try perf.microsecondsPerRoundTrip(cpus: Array(Set(cpus)).sorted(), loops: configuration.referenceLoops,
                                                                   threads: spaces == .threads)
                        trials.append(us * 1000)
                    }
                } catch {
                    benchRun.warn("perf reference (\(spaces.rawValue), CPUs \(cpus[0]),\(cpus[1])) skipped: \(error)")
                    continue
                }
                guard let statistics = SampleStatistics(trials) else { continue }
                let pairing = IPCPairing(mechanism: .pipe, spaces: spaces, cpu: cpus[0], peerCPU: cpus[1])
                let row = Measurement(benchmark: "ipc", variant: "reference", threads: 2, param: pairing.param(bytes: 0),
                                      metric: "round_trip", unit: "ns", lowerIsBetter: true, statistics: statistics, trials: trials)
                rows += [row, row.inTicks(benchRun.clock)]
            }
        }
        return rows
    }
}
