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
        } catch {
            try benchRun.finish(measurements: measurements, complete: false)
            throw error
        }
        try benchRun.finish(measurements: measurements, complete: !StopRequest.isRequested)
        return measurements
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
