import Foundation
import SeededRandom
import RunFormat
import SystemPackage

/// Rank directories in the multi-rank format (`OUT/rank-<N>/` with ftq.csv and a
/// meta.json carrying `launch`), made from planted noise sources: what merge is tested
/// and timed on, and what shows the shape of the slowdown without a cluster.
///
/// Each source is a train of detours (the sampler loses the core for `detourNs`) at
/// `frequencyHz`. A source is on every rank (system-wide) or on listed ranks
/// (node-local); its phase is the same instant on every rank (`aligned`: a
/// cluster-wide cron job, co-scheduled daemons) or drawn per rank (each node's own
/// timer tick). Work per quantum is `baseWork` × (1 − lost/quantum), with a little
/// Gaussian jitter, rounded down.
public struct SyntheticRanks: Sendable {
    /// One planted source.
    public struct Source: Sendable, Equatable {
        public var frequencyHz: Double
        public var detourNs: Double
        /// nil: every rank; else the ranks that have it.
        public var ranks: [Int]?
        public var aligned: Bool

        public init(frequencyHz: Double, detourNs: Double, ranks: [Int]? = nil, aligned: Bool = false) {
            self.frequencyHz = frequencyHz
            self.detourNs = detourNs
            self.ranks = ranks
            self.aligned = aligned
        }
    }

    /// Named sets of sources.
    public enum Profile: String, Sendable, CaseIterable {
        /// Two system-wide lines (a 250 Hz tick of 10 µs, a 10 Hz daemon of 60 µs, each
        /// node on its own phase) and two node-local ones (37 Hz × 100 µs on rank 3,
        /// 1433 Hz × 8 µs on rank 7, modulo the rank count).
        case mixed
        /// Many short interruptions: 10 µs every millisecond on every rank (1%).
        case short
        /// Few long ones, the same 1%: 10 ms every second on every rank.
        case long

        public func sources(ranks: Int) -> [Source] {
            switch self {
            case .mixed:
                return [Source(frequencyHz: 250, detourNs: 10_000), Source(frequencyHz: 10, detourNs: 60_000),
                        Source(frequencyHz: 37, detourNs: 100_000, ranks: [3 % ranks]),
                        Source(frequencyHz: 1433, detourNs: 8_000, ranks: [7 % ranks])]
            case .short: return [Source(frequencyHz: 1000, detourNs: 10_000)]
            case .long: return [Source(frequencyHz: 1, detourNs: 10_000_000)]
            }
        }
    }

    public var ranks: Int
    public var quantumNs: Double
    public var durationSeconds: Double
    public var sources: [Source]
    public var seed: UInt64
    public var baseWork = 1000.0
    /// Standard deviation of the work jitter, fraction of `baseWork`.
    public var jitter = 0.001
    /// CLOCK_REALTIME of the job's agreed start.
    public var startRealtimeNs: Int64 = 1_796_000_000_000_000_000
    /// Ranks start up to this late (uniform), ns: a synchronised start is within a quantum.
    public var startSpreadNs: Double = 2_000

    public init(ranks: Int, quantumNs: Double = 100_000, durationSeconds: Double = 2, sources: [Source],
                seed: UInt64 = 1) {
        self.ranks = ranks
        self.quantumNs = quantumNs
        self.durationSeconds = durationSeconds
        self.sources = sources
        self.seed = seed
    }

    /// A rank's time zero (CLOCK_REALTIME ns).
    public func timeZero(rank: Int) -> Int64 {
        var g = Generator(seed: seed &+ UInt64(rank) &* 0x9E37_79B9)
        return startRealtimeNs + Int64(g.uniform() * startSpreadNs)
    }

    /// The detours of `rank` as (start, length) in ns after its time zero, in time order.
    public func detours(rank: Int) -> [(startNs: Double, lengthNs: Double)] {
        let duration = durationSeconds * 1e9
        let zero = Double(timeZero(rank: rank) - startRealtimeNs)
        var result: [(startNs: Double, lengthNs: Double)] = []
        for (index, source) in sources.enumerated() where source.ranks?.contains(rank) ?? true {
            let period = 1e9 / source.frequencyHz
            var g = Generator(seed: seed &+ UInt64(index) &* 0x1000_0001 &+ (source.aligned ? 0 : UInt64(rank) &* 0x51_7CC1))
            // Aligned: one phase on the job's clock; else each rank's own.
            let phase = g.uniform() * period
            var t = phase - (source.aligned ? zero : 0)
            while t > 0 { t -= period }
            while t < duration {
                if t + source.detourNs > 0 { result.append((t, source.detourNs)) }
                t += period
            }
        }
        return result.sorted { $0.startNs < $1.startNs }
    }

    /// Time lost in each quantum of `rank`, ns (the detours' overlap with it, at most a quantum).
    public func lost(rank: Int) -> [Double] {
        let count = Int(durationSeconds * 1e9 / quantumNs)
        var lost = [Double](repeating: 0, count: count)
        for d in detours(rank: rank) {
            var start = max(0, d.startNs)
            let end = d.startNs + d.lengthNs
            while start < end {
                let i = Int(start / quantumNs)
                guard i < count else { break }
                let slotEnd = Double(i + 1) * quantumNs
                lost[i] = min(quantumNs, lost[i] + min(end, slotEnd) - start)
                start = slotEnd
            }
        }
        return lost
    }

    /// Work per quantum of `rank`.
    public func work(rank: Int) -> [UInt64] {
        var g = Generator(seed: seed ^ 0xA5A5_0000 &+ UInt64(rank))
        return lost(rank: rank).map { l in
            let w = baseWork * (1 - l / quantumNs) * (1 + jitter * g.gaussian())
            return UInt64(max(0, w.rounded(.down)))
        }
    }

    /// Writes `root/rank-0 ... rank-(ranks-1)`.
    /// - Throws: `MergeInputError` when `root` already holds rank directories (never
    ///   overwritten), or the writers' errors.
    public func write(to root: String, provenance: Provenance) throws {
        if FileManager.default.fileExists(atPath: root),
           let existing = try? FileManager.default.contentsOfDirectory(atPath: root),
           existing.contains(where: { $0.hasPrefix("rank-") }) {
            throw MergeInputError("\(root) already holds rank directories: synthesize into an empty directory")
        }
        let hz = 1e9 / quantumNs
        let iso = ISO8601DateFormatter()
        iso.formatOptions.insert(.withFractionalSeconds)
        let startAt = iso.string(from: Date(timeIntervalSince1970: Double(startRealtimeNs) / 1e9))
        for rank in 0..<ranks {
            let directory = try RunDirectory(creating: FilePath(root + "/rank-\(rank)"))
            let writer = try SamplerTraceFile.Writer(.ftq, path: directory.file("ftq.csv"))
            for (i, w) in work(rank: rank).enumerated() {
                try writer.append(thread: 0, cpu: 0, index: i, startNs: Int64((Double(i) * quantumNs).rounded()), value: w)
            }
            try writer.commit()
            let zero = timeZero(rank: rank)
            let meta = RunMetadata(
                tool: "ftq", gitCommit: provenance.gitCommit, gitDirty: provenance.gitDirty,
                commandLine: ["analysis", "merge", "--synthesize", String(ranks)],
                startTime: Date(timeIntervalSince1970: Double(zero) / 1e9),
                endTime: Date(timeIntervalSince1970: Double(zero) / 1e9 + durationSeconds),
                host: "synth\(rank)", kernelRelease: "synthetic", cpuModel: nil, cpus: [0],
                scheduling: .init(requested: "SCHED_OTHER"), memoryLocked: false,
                parameters: ["mode": "ftq", "quantum_ns": .double(quantumNs), "samples_per_cpu": .int(Int64(durationSeconds * hz)),
                             "synthetic_sources": .array(sources.map { s in
                                 ["frequency_hz": .double(s.frequencyHz), "detour_ns": .double(s.detourNs),
                                  "aligned": .bool(s.aligned),
                                  "ranks": s.ranks.map { .array($0.map { .int(Int64($0)) }) } ?? .string("all")]
                             })],
                warnings: ["synthetic: written by analysis merge --synthesize, not measured"], complete: true,
                launch: RunMetadata.Launch(
                    launcher: .none, rank: rank, size: ranks, nodeID: rank, localRank: 0, host: "synth\(rank)",
                    jobID: "synthetic-\(seed)", startAtUTC: startAt, timeZeroRealtimeNs: Int(zero),
                    clock: .init(sync: .none, synchronized: nil, offsetNs: nil, maxErrorNs: nil,
                                 detail: "synthetic: all ranks share one clock")))
            try AtomicFileWriter.write(try meta.json(), to: directory.file("meta.json"))
        }
    }

    /// SeededRandom's SplitMix64, so the same seed gives the same ranks everywhere.
    struct Generator {
        var source: SeededGenerator
        init(seed: UInt64) { source = SeededGenerator(seed: seed) }
        mutating func uniform() -> Double { Double(source.next() >> 11) * 0x1p-53 }
        mutating func gaussian() -> Double {
            let u1 = max(uniform(), 1e-300), u2 = uniform()
            return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
        }
    }
}
