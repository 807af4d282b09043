// One ftq invocation: sample, then write the run directory. The executable
// parses its arguments and calls this; the tests call it too.

import Platform
import BenchKit
import RunFormat

/// Runs an FTQ or FWQ measurement into a `BenchRun`.
public enum FTQRun {
    /// The parameters meta.json records for `configuration`.
    public static func parameters(_ configuration: FTQConfiguration) -> [String: JSONValue] {
        [
            "mode": .string(configuration.mode.rawValue),
            "engine": .string(configuration.engine.rawValue),
            "quantum_ns": .double(configuration.quantumNs),
            "samples_per_cpu": .int(Int64(configuration.samples)),
            "work_unit": .string(configuration.workUnitDescription),
        ]
    }

    /// Samples `configuration` (SCHED_FIFO when `benchRun`'s options ask for
    /// it), reads /proc/interrupts before and after, and writes ftq.csv (or
    /// fwq.csv), interrupts.csv, summary.csv and the final meta.json. Shows
    /// progress on a terminal's stderr. Returns whether the run is
    /// complete (false after Ctrl-C or a sampler that never returned).
    @discardableResult
    ///
    /// With `startAtRealtimeNs` the first quantum starts on that wall-clock
    /// instant (an agreed start across ranks); meta.json's `launch` gets the
    /// time zero either way.
    public static func measure(_ configuration: FTQConfiguration, in benchRun: BenchRun,
                               startAtRealtimeNs: Int64? = nil) throws -> Bool {
        let measured = CPUSet(configuration.cpus)
        benchRun.setParameter("quantum_ticks", .int(Int64(benchRun.clock.ticks(nanoseconds: configuration.quantumNs))))
        let before = try InterruptCounts.read()
        var progress = Progress(label: "ftq", expectedSeconds: Double(configuration.samples) * configuration.quantumNs / 1e9)
        let session = try FTQSession.run(configuration, clock: benchRun.clock, fifoPriority: benchRun.fifoPriority,
                                         startAtRealtimeNs: startAtRealtimeNs,
                                         whileRunning: { progress.update(fraction: $0) })
        RankTimeBase.record(in: benchRun, firstStart: session.firstStart, anchor: session.anchor,
                            agreedStartNs: startAtRealtimeNs)
        progress.finish()
        let after = try InterruptCounts.read()
        for (record, scheduling) in zip(session.records, session.scheduling) {
            benchRun.recordScheduling(scheduling, thread: "sampler\(record.thread)@cpu\(record.cpu)")
        }
        if !session.abandoned.isEmpty {
            benchRun.warn("sampler(s) \(session.abandoned) never returned; abandoned (their samples are left out)")
        }

        let complete = session.abandoned.isEmpty && session.records.allSatisfy { $0.count == configuration.samples }
        // Small files first (summary.csv, trials.csv, meta.json, interrupts.csv), the
        // trace last: a full disk then loses only the trace, and meta.json says so.
        try benchRun.writeSmallFiles(measurements: FTQOutput.measurements(session.records, configuration: configuration,
                                                                         clock: benchRun.clock))
        try benchRun.directory.write(InterruptCounts.deltaTable(before: before, after: after, cpus: measured),
                                     as: "interrupts.csv")
        let traceName = SamplerTraceFile(configuration.mode == .fwq ? .fwq : .ftq).name
        let lost = benchRun.writeLargeFile(traceName) {
            try FTQOutput.write(session.records, mode: configuration.mode, firstStart: session.firstStart,
                                clock: benchRun.clock, to: benchRun.directory)
        }
        try benchRun.finish(measurements: [], complete: complete && lost == nil)
        if let lost { throw lost }
        return complete
    }
}
