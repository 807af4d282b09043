// `ctxbench c2c`: the core-to-core cache-line matrix (Völp §3.1-3.2): a CAS
// round trip, and reads and writes of lines held modified, between every
// ordered pair of CPUs, repeated within the run, labelled from sysfs.

import Platform
import BenchKit
import RunFormat
import Glibc

public enum CoreToCoreSession {
    /// One ordered pair: `from` measures, `to` holds the line.
    public struct Pair: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var relation: CPURelation
    }

    /// Every ordered pair of distinct CPUs of `cpus`, row by row (from, then
    /// to, in the order given), labelled from `topology` (`unknown` without).
    public static func pairs(cpus: [Int], topology: CPUTopology?) -> [Pair] {
        cpus.flatMap { from in
            cpus.filter { $0 != from }.map { to in
                Pair(from: from, to: to, relation: topology?.relation(from, to) ?? .unknown)
            }
        }
    }

    /// One transfer between one pair, each round's trials kept apart.
    public struct Cell: Sendable {
        public var pair: Pair
        public var transfer: LineTransfer
        /// Per round: ns per operation of each trial.
        public var rounds: [[Double]] = []
    }

    /// Measures every transfer on every pair, `rounds` times over (round by
    /// round, so slow drifts of the host spread over all pairs rather than
    /// landing on one), each with `runner`'s trials. Stops after the current
    /// measurement on Ctrl-C.
    public static func measure(_ pairs: [Pair], transfers: [LineTransfer], rounds: Int, runner: TrialRunner,
                               scheduling: TeamScheduling = .inherit,
                               onScheduling: (String, MemberScheduling) -> Void = { _, _ in }) throws -> [Cell] {
        var cells = pairs.flatMap { pair in transfers.map { Cell(pair: pair, transfer: $0) } }
        for _ in 0..<rounds where !StopRequest.isRequested {
            for index in cells.indices where !StopRequest.isRequested {
                let cell = cells[index]
                let (trials, scheduling) = try onPinnedThread(cpu: cell.pair.from, scheduling: scheduling) {
                    let pingPong = try CacheLinePingPong(cpu: cell.pair.from, partnerCPU: cell.pair.to,
                                                         transfer: cell.transfer)
                    var benchmark = pingPong
                    let trials = runner.measure(&benchmark, threads: 2)?.trials ?? []
                    guard pingPong.finish() else {
                        throw SystemCallError("c2c partner on CPU \(cell.pair.to) did not stop", errno: ETIMEDOUT)
                    }
                    return trials
                }
                onScheduling("c2c@cpu\(cell.pair.from)", scheduling)
                if !trials.isEmpty { cells[index].rounds.append(trials) }
            }
        }
        return cells
    }

    /// summary.csv rows (ns and ticks, every round's trials together):
    /// benchmark `c2c`, variant `cpuA_cpuB`, metric the transfer.
    public static func measurements(_ cells: [Cell], clock: TSCClock, iterations: Int) -> [Measurement] {
        cells.flatMap { cell -> [Measurement] in
            let trials = cell.rounds.flatMap { $0 }
            guard let statistics = SampleStatistics(trials) else { return [] }
            return Measurement(benchmark: "c2c", variant: "cpu\(cell.pair.from)_cpu\(cell.pair.to)", threads: 2,
                               param: "relation=\(cell.pair.relation.rawValue);rounds=\(cell.rounds.count);iterations=\(iterations)",
                               metric: cell.transfer.rawValue, unit: "ns", lowerIsBetter: true,
                               statistics: statistics, trials: trials).withTicks(clock)
        }
    }

    /// c2c.csv rows: each cell's figures over all rounds, and the lowest and
    /// highest round median (the within-run spread).
    public static func matrix(_ cells: [Cell], clock: TSCClock) -> [CoreToCoreFile.Row] {
        cells.compactMap { cell in
            guard let all = SampleStatistics(cell.rounds.flatMap { $0 }) else { return nil }
            let medians = cell.rounds.compactMap { SampleStatistics($0)?.p50 }
            return CoreToCoreFile.Row(fromCPU: cell.pair.from, toCPU: cell.pair.to, relation: cell.pair.relation.rawValue,
                                      metric: cell.transfer.rawValue, trials: all.count, minNs: all.min,
                                      p50Ns: all.p50, maxNs: all.max, p50Ticks: all.p50 * clock.ticksPerNs,
                                      roundP50MinNs: medians.min() ?? all.p50, roundP50MaxNs: medians.max() ?? all.p50)
        }
    }

    /// `ctxbench c2c`: the matrix over `cpus` (two or more), labelled from
    /// the topology under `sysfsRoot`; writes c2c.csv, summary.csv,
    /// trials.csv and meta.json. Returns the matrix.
    public static func run(cpus: [Int], transfers: [LineTransfer], rounds: Int, runner: TrialRunner,
                           benchRun: BenchRun, sysfsRoot: String = "") throws -> [CoreToCoreFile.Row] {
        var topology: CPUTopology?
        do { topology = try CPUTopology.read(cpus: cpus, root: sysfsRoot) } catch {
            benchRun.warn("CPU topology unreadable (\(error)): pairs are labelled 'unknown'")
        }
        if let topology {
            benchRun.setParameter("topology", .array(topology.cpus.map {
                .object(["cpu": .int(Int64($0.cpu)), "package": .int(Int64($0.package)), "die": .int(Int64($0.die)),
                         "core": .int(Int64($0.core)), "smt_siblings": .array($0.threadSiblings.map { .int(Int64($0)) })])
            }))
        }
        let cells = try measure(pairs(cpus: cpus, topology: topology), transfers: transfers, rounds: rounds,
                                runner: runner, scheduling: benchRun.teamScheduling,
                                onScheduling: { benchRun.recordScheduling($1, thread: $0) })
        let rows = matrix(cells, clock: runner.clock)
        let measurements = measurements(cells, clock: runner.clock, iterations: runner.iterations)
        try benchRun.writeSmallFiles(measurements: measurements)
        try CoreToCoreFile.write(rows, to: benchRun.directory.file(CoreToCoreFile.name))
        try benchRun.finish(measurements: measurements, complete: !StopRequest.isRequested)
        return rows
    }
}
