// A lockbench invocation: one or more runs (a sweep is every lock at every
// thread count) into one run directory, with Table 6.1/6.2 as table.csv.

import BenchKit
import RunFormat
import Platform

/// How an invocation ended, for the tool's exit status.
public enum SessionOutcome: Sendable, Equatable {
    case complete
    /// Ctrl-C: exit 130.
    case interrupted
    /// The watchdog ended a run: exit 70.
    case stalled(String)
    /// A lock let two threads in: exit 1.
    case exclusionBroken(String)

    public var exitStatus: Int32 {
        switch self {
        case .complete: 0
        case .interrupted: 130
        case .stalled: 70
        case .exclusionBroken: 1
        }
    }
}

public enum LockSession {
    /// Runs `configurations` in order, writing each run's CSVs into the run
    /// directory itself (one run) or a subdirectory `<lock>-t<threads>` (several),
    /// then summary.csv, table.csv (several) and meta.json. Stops at the first
    /// stall or Ctrl-C; a broken lock is reported and the others still run.
    public static func run(_ configurations: [LockRunConfiguration], benchRun: BenchRun,
                           report: (String) -> Void = { print($0) }) throws -> SessionOutcome {
        var measurements: [Measurement] = []
        var table = CSVTable(header: LockOutput.tableHeader)
        var outcome = SessionOutcome.complete
        var results: [String: JSONValue] = [:]
        let overhead = benchRun.timerOverhead.minTicks
        benchRun.setParameter("timer_overhead_ticks", .int(Int64(overhead)))
        report("lock      thr         n  p50_tck  p90_tck  p99_tck p999_tck    max_tck       acq/ms   preempt_msgs")
        for configuration in configurations {
            let name = "\(configuration.lock)-t\(configuration.threads)"
            var hooks = LockRunner.Hooks()
            // Emulated vcores keep the policy the runner gave them (below the
            // preemption controller's); other runs follow --fifo.
            let emulated = configuration.isEmulated
            hooks.onThreadReady = { thread, cpu in
                if !emulated { benchRun.prepareMeasurementThread(name: "\(name)/thread\(thread)@cpu\(cpu)") }
            }
            var effective = configuration
            let result: LockRunResult
            do {
                result = try LockRunner.run(effective, clock: benchRun.clock, hooks: hooks)
            } catch let error as SystemCallError where effective.fifoPriority != nil {
                benchRun.warn("vcores could not run SCHED_FIFO (\(error)): running them SCHED_OTHER, "
                              + (effective.isScheduled
                                 ? "so other tasks may take a CPU from a vcore the map shows running"
                                 : "so Linux time-slices vcores that share a CPU"))
                effective.fifoPriority = nil
                result = try LockRunner.run(effective, clock: benchRun.clock, hooks: hooks)
            }
            if emulated {
                benchRun.setParameter("vcore_policy", .string(effective.fifoPriority.map { "SCHED_FIFO \($0)" } ?? "SCHED_OTHER"))
                benchRun.setParameter("emulated_kernel_priority",
                                      .string("SCHED_FIFO \((effective.fifoPriority ?? 1) + 1)"))
                benchRun.setParameter("vcore_scheduler", LockSession.schedulerStamp(effective, result: result))
            }
            for warning in result.warnings { benchRun.warn(warning) }
            let directory = configurations.count == 1
                ? benchRun.directory
                : try RunDirectory(creating: benchRun.directory.file(name))
            try LockOutput.write(result, to: directory)
            let rows = LockOutput.measurements(result, clock: benchRun.clock, overheadTicks: overhead)
            measurements += rows
            let latency = rows.first { $0.metric == "acquire_latency" && $0.unit == "ticks" }
            if let latency {
                table.append(LockOutput.tableRow(lock: configuration.lock.rawValue, threads: configuration.threads,
                                                 latency.statistics))
            }
            let mean = result.throughputPerMs.isEmpty ? 0
                : result.throughputPerMs.reduce(0, +) / Double(result.throughputPerMs.count)
            var entry: [String: JSONValue] = [
                "acquisitions": .int(Int64(result.totalAcquisitions)),
                "counter": .int(Int64(result.counter)),
                "mutual_exclusion": .bool(result.mutualExclusionHeld),
                "elapsed_ns": .double(result.elapsedNs),
                "windows_without_acquisition": .int(Int64(result.stalledWindows.count)),
            ]
            if configuration.isEmulated || configuration.nativePreempt != nil {
                entry["preemption_messages"] = .int(Int64(result.preemptionMessages))
                entry["rotation_preemptions"] = .int(Int64(result.rotationPreemptionCount))
                entry["scheduler_ticks"] = .int(Int64(result.schedulerTicks))
                entry["preemptions"] = .int(Int64(result.preemptionCount))
                entry["vcore_changes"] = .int(Int64(result.changeCount))
                entry["rounds"] = .int(Int64(result.rounds.count))
            }
            if emulated { entry["vcore_scheduler"] = LockSession.schedulerStamp(effective, result: result) }
            if let stall = result.stall { entry["stall"] = .string(stall) }
            results[name] = .object(entry)
            let s = latency?.statistics
            let messages = configuration.isEmulated || configuration.nativePreempt != nil
                ? "\(result.preemptionMessages)" : "-"
            let lockColumn = configuration.lock.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            report(lockColumn + String(format: " %3d %9d %8.0f %8.0f %8.0f %8.0f %10.0f %12.1f   ",
                                       configuration.threads, s?.count ?? 0, s?.p50 ?? 0, s?.p90 ?? 0,
                                       s?.p99 ?? 0, s?.p999 ?? 0, s?.max ?? 0, mean) + messages)
            if let failure = result.exclusionFailure {
                benchRun.warn(failure)
                if case .complete = outcome { outcome = .exclusionBroken(failure) }
            }
            if let stall = result.stall {
                benchRun.warn(stall)
                outcome = .stalled(stall)
                break
            }
            if result.interrupted || !result.joined {
                if case .complete = outcome { outcome = .interrupted }
                break
            }
        }
        benchRun.setParameter("results", .object(results))
        if configurations.count > 1 { try benchRun.directory.write(table, as: "table.csv") }
        let complete: Bool
        switch outcome {
        case .complete, .exclusionBroken: complete = true
        case .interrupted, .stalled: complete = false
        }
        try benchRun.finish(measurements: measurements, complete: complete)
        return outcome
    }

    /// meta.json's `vcore_scheduler`: who shares the CPUs among the vcores
    /// (the emulated kernel, at what period, with what policy obtained), or
    /// that each vcore has a CPU of its own.
    static func schedulerStamp(_ configuration: LockRunConfiguration, result: LockRunResult) -> JSONValue {
        let pcores = min(configuration.threads, Set(configuration.cpus).count)
        var stamp: [String: JSONValue] = [
            "vcores": .int(Int64(configuration.threads)),
            "pcores": .int(Int64(pcores)),
            "vcore_policy": .string(configuration.fifoPriority.map { "SCHED_FIFO \($0)" } ?? "SCHED_OTHER"),
        ]
        if configuration.isScheduled, let rotationMs = configuration.rotationMs {
            stamp["kind"] = .string("emulated round-robin rotation (at most one vcore per CPU in the map)")
            stamp["rotate_ms"] = .double(rotationMs)
            stamp["ticks"] = .int(Int64(result.schedulerTicks))
            stamp["rotation_preemptions"] = .int(Int64(result.rotationPreemptionCount))
        } else if configuration.isOversubscribed {
            stamp["kind"] = .string("none: vcores share CPUs, time-sliced by Linux behind the map's back")
        } else {
            stamp["kind"] = .string("none: one CPU per vcore")
        }
        return .object(stamp)
    }
}
