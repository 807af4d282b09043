// One `ftq --mode bsp` rank: size the work, meet the other ranks, step, and
// write the run directory. The executable parses arguments and calls this.

import Platform
import BenchKit
import RunFormat

/// Runs the bulk-synchronous check on one rank into a `BenchRun`: bsp.csv
/// (`BSPStepsFile`), summary.csv (step and compute durations) and meta.json.
public enum BSPRun {
    public static func parameters(quantumNs: Double, steps: Int) -> [String: JSONValue] {
        [
            "mode": .string("bsp"),
            "quantum_ns": .double(quantumNs),
            "steps": .int(Int64(steps)),
            "work_unit": .string("one 64-bit LCG step (dependent multiply and add, no memory access), as fwq"),
        ]
    }

    /// Measures `steps` steps of work sized to `quantumNs` on `cpu`, each
    /// ended by `barrier`. Returns whether every step was taken.
    @discardableResult
    public static func measure(cpu: Int, quantumNs: Double, steps: Int, in benchRun: BenchRun, barrier: RankBarrier,
                               startAtRealtimeNs: Int64?) throws -> Bool {
        let clock = benchRun.clock
        // Rank 0's size of the work for every rank: a step is the same work everywhere.
        let units = try barrier.broadcastFromRankZero {
            Int64(BSPSession.unitsPerStep(quantumNs: quantumNs, clock: clock))
        }
        benchRun.setParameter("units_per_step", .int(units))
        benchRun.setParameter("barrier", .string(barrier.kind.rawValue))
        var progress = Progress(label: "ftq bsp", expectedSeconds: Double(steps) * quantumNs / 1e9)
        let session = try BSPSession.run(cpu: cpu, steps: steps, unitsPerStep: UInt64(max(1, units)), barrier: barrier,
                                         clock: clock, fifoPriority: benchRun.fifoPriority,
                                         startAtRealtimeNs: startAtRealtimeNs,
                                         expectedSeconds: Double(steps) * quantumNs / 1e9,
                                         whileRunning: { progress.update(fraction: $0) })
        progress.finish()
        RankTimeBase.record(in: benchRun, firstStart: session.firstStart, anchor: session.anchor,
                            agreedStartNs: startAtRealtimeNs)
        benchRun.recordScheduling(session.scheduling, thread: "bsp@cpu\(cpu)")
        let record = session.record
        if record.barrierError != 0 {
            benchRun.warn("the \(barrier.kind.rawValue) barrier failed after \(record.count) steps (errno \(-record.barrierError)): a rank stopped arriving")
        }
        if session.abandoned { benchRun.warn("the bsp thread never returned; abandoned") }
        let rows = session.abandoned ? [] : record.rows(firstStart: session.firstStart, clock: clock)
        let complete = !session.abandoned && record.barrierError == 0 && rows.count == steps
        try benchRun.writeSmallFiles(measurements: measurements(rows, quantumNs: quantumNs, cpu: cpu))
        let lost = benchRun.writeLargeFile(BSPStepsFile.name) {
            try BSPStepsFile.write(rows, to: benchRun.directory.file(BSPStepsFile.name))
        }
        try benchRun.finish(measurements: [], complete: complete && lost == nil)
        if let lost { throw lost }
        return complete
    }

    /// The step duration (what the job feels) and the compute duration (this
    /// rank's own noise), in ns.
    static func measurements(_ rows: [BSPStepsFile.Row], quantumNs: Double, cpu: Int) -> [Measurement] {
        let param = "quantum_us=\(CSVFormat.number(quantumNs / 1000))"
        return [("step_duration", rows.map { Double($0.stepNs) }), ("compute_duration", rows.map { Double($0.computeNs) })]
            .compactMap { metric, values in
                SampleStatistics(values).map {
                    Measurement(benchmark: "bsp", variant: "cpu\(cpu)", threads: 1, param: param, metric: metric,
                                unit: "ns", lowerIsBetter: true, statistics: $0)
                }
            }
    }
}
