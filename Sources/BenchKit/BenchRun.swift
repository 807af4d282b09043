import Platform
import Foundation
import Synchronization
import SystemPackage
import RunFormat

/// One run of a kbench tool: it owns the run directory and meta.json, prepares
/// the machine (stop handler, memory locking, TSC calibration, environment
/// stamp) and records every warning. A tool measures; BenchRun does the rest.
///
///     let run = try BenchRun(tool: "ftq", settings: RunSettings(outputDirectory: "runs/x"), cpus: [2])
///     ... measure on pinned threads, calling run.recordScheduling(...) ...
///     try run.finish(measurements: results, complete: !StopRequest.isRequested)
public final class BenchRun: Sendable {
    public let directory: RunDirectory
    public let clock: TSCClock
    public let timerOverhead: TimerOverhead
    public let settings: RunSettings
    private let meta: Mutex<RunMetadata>
    /// Undoes `--isolate`'s shield when the run finishes (`restoreIsolationAtFinish`).
    private let isolationEnd = Mutex<(@Sendable () -> RunMetadata.Isolation.Restore?)?>(nil)
    /// /proc/stat when measuring began, for the CPU time accounting of meta.json.
    private let cpuTimesAtStart: CPUTimes

    /// Prepares a run on `cpus` and writes an initial meta.json marked
    /// incomplete, so even a run killed with SIGKILL leaves its stamp.
    public init(tool: String, settings: RunSettings, cpus: CPUSet,
                parameters: [String: JSONValue] = [:],
                arguments: [String] = CommandLine.arguments) throws {
        self.settings = settings
        directory = try RunDirectory(creating: FilePath(settings.outputDirectory))
        try StopRequest.install()

        var warnings: [String] = []
        let locked: Bool
        if !settings.lockMemory {
            locked = false
        } else if let warning = MemoryLocking.lockAll() {
            warnings.append(warning)
            locked = false
        } else {
            locked = true
        }

        let environment = EnvironmentStamp.capture(cpus: cpus)
        warnings += environment.unknowns
        if !environment.tscInvariance.isInvariant {
            warnings.append("TSC is not invariant on this CPU: tick counts may not be time")
        }
        if !environment.measuredCPUsIsolated {
            warnings.append("measured CPUs \(cpus) are not isolated (isolcpus=\(environment.isolatedCPUs?.description ?? "unknown")): results include ordinary scheduler activity")
        }
        if settings.fifo, let throttling = RealtimeScheduling.throttlingWarning() {
            warnings.append(throttling)
        }
        clock = TSCClock.calibrate()
        timerOverhead = TimerOverhead.measure()
        let consistency = try? TSCConsistency.check(cpus: cpus, clock: clock)
        if let consistency, consistency.spreadNs > max(1000, 4 * consistency.uncertaintyNs) {
            warnings.append("TSC offsets differ by \(Int(consistency.spreadNs)) ns across CPUs \(cpus): cross-CPU intervals are off by up to that much")
        }

        var metadata = RunMetadata(
            tool: tool, provenance: SystemInfo.provenance(), commandLine: arguments, environment: environment,
            clock: clock, timerOverhead: timerOverhead, tscConsistency: consistency,
            schedulingRequested: settings.fifo ? "SCHED_FIFO \(settings.priority)" : "SCHED_OTHER",
            memoryLocked: locked, parameters: parameters)
        metadata.isolation = settings.isolation
        if let identity = settings.launch {
            metadata.launch = RunMetadata.Launch(
                launcher: identity.launcher, rank: identity.rank, size: identity.size, nodeID: identity.nodeID,
                localRank: identity.localRank, host: metadata.host, jobID: identity.jobID,
                timeZeroRealtimeNs: Int(RealtimeAnchor.nowNs()), clock: ClockProbe.read())
        }
        meta = Mutex(metadata)
        warnings += settings.isolation?.warnings ?? []
        cpuTimesAtStart = CPUTimes.read()
        for warning in warnings { warn(warning) }
        try directory.write(meta.withLock { $0 })
    }

    /// Prints a warning on stderr and records it in meta.json.
    public func warn(_ message: String) {
        let tool = meta.withLock { meta in
            meta.warnings.append(message)
            return meta.tool
        }
        writeStderr("\(tool): warning: \(message)\n")
    }

    /// Adds or replaces tool parameters in meta.json.
    public func setParameter(_ key: String, _ value: JSONValue) {
        meta.withLock { $0.parameters[key] = value }
    }

    /// Changes meta.json's `launch` (no effect on a run without one): the
    /// agreed start and the time zero are known only once measuring began.
    public func updateLaunch(_ change: (inout RunMetadata.Launch) -> Void) {
        meta.withLock { meta in
            if var launch = meta.launch {
                change(&launch)
                meta.launch = launch
            }
        }
    }

    /// Called on each measurement thread once it is pinned: asks for SCHED_FIFO
    /// when the settings say so, and records what the thread actually got.
    public func prepareMeasurementThread(name: String) {
        let refusal = fifoPriority.flatMap { RealtimeScheduling.requestFIFO(priority: $0) }
        recordScheduling(MemberScheduling(obtained: .current(), refusal: refusal), thread: name)
    }

    /// The SCHED_FIFO priority the settings ask for, or nil for SCHED_OTHER.
    public var fifoPriority: Int? { settings.fifo ? settings.priority : nil }

    /// The scheduling a team asks for its members under these settings.
    public var teamScheduling: TeamScheduling {
        fifoPriority.map { .fifo(priority: $0, required: false) } ?? .inherit
    }

    /// Records what a measurement thread got (warning when SCHED_FIFO was
    /// refused), as `prepareMeasurementThread` does from the thread itself.
    public func recordScheduling(_ scheduling: MemberScheduling, thread name: String) {
        if let refusal = scheduling.refusal { warn(refusal) }
        meta.withLock { $0.scheduling.obtained[name] = scheduling.obtained }
    }

    /// Writes the small result files first, summary.csv, trials.csv and meta.json
    /// (still marked incomplete), so a disk that fills up while the large files are
    /// written keeps the results and the stamp. `finish` rewrites meta.json.
    public func writeSmallFiles(measurements: [RunFormat.Measurement]) throws {
        if !measurements.isEmpty {
            try SummaryFile.write(measurements, to: directory.file(SummaryFile.name))
            try TrialsFile.write(measurements, to: directory.file(TrialsFile.name))
        }
        try directory.write(meta.withLock { $0 })
    }

    /// Writes one large file (a trace, attempts.csv) with `write`. When it fails
    /// (a full disk) the error is kept for the caller to throw after `finish`, and
    /// meta.json's warnings say which file is missing and why.
    /// - Returns: the error, or nil when the file was written.
    public func writeLargeFile(_ name: String, _ write: () throws -> Void) -> (any Error)? {
        do {
            try write()
            return nil
        } catch {
            warn("\(name) could not be written, the run has no \(name): \(error)")
            return error
        }
    }

    /// Writes summary.csv and trials.csv for `measurements` and the final
    /// meta.json. `complete` is false when the run was interrupted.
    /// Has `finish` call `end` once, before it writes meta.json: the
    /// measurement is over, so the shield (`--isolate`) is undone there and
    /// what the restore did goes into meta.json's `isolation.restore`, instead
    /// of happening at exit where no file records it.
    public func restoreIsolationAtFinish(_ end: @escaping @Sendable () -> RunMetadata.Isolation.Restore?) {
        isolationEnd.withLock { $0 = end }
    }

    public func finish(measurements: [RunFormat.Measurement], complete: Bool) throws {
        if !measurements.isEmpty {
            try SummaryFile.write(measurements, to: directory.file(SummaryFile.name))
            try TrialsFile.write(measurements, to: directory.file(TrialsFile.name))
        }
        if !complete { warn("run interrupted: results cover only what was collected before the stop") }
        if let end = isolationEnd.withLock({ end in defer { end = nil }; return end }), let restore = end() {
            meta.withLock { $0.isolation?.restore = restore }
            for warning in restore.warnings { warn("--isolate restore: \(warning)") }
        }
        let cpus = CPUSet(meta.withLock { $0.cpus })
        let spent = cpuTimesAtStart.millisecondsUntil(CPUTimes.read(), cpus: cpus)
        for (cpu, times) in spent.sorted(by: { $0.key < $1.key }) where (times["steal"] ?? 0) > 0 {
            warn("the hypervisor took \(CSVFormat.number(times["steal"] ?? 0)) ms of CPU \(cpu) during the run (steal): noise /proc/interrupts does not show")
        }
        let final = meta.withLock { meta in
            meta.cpuTimeDuringRunMs = spent
            meta.endTime = Date()
            meta.complete = complete
            return meta
        }
        try directory.write(final)
    }

    /// The current metadata (tests, reports).
    public var metadata: RunMetadata { meta.withLock { $0 } }
}
