import Foundation

/// meta.json: the environment stamp of a run, written at the start (marked
/// incomplete) and again at the end. Every field is always present; a value
/// that is not known is null and the reason is among `warnings`.
public struct RunMetadata: Sendable {
    public var tool: String
    public var version: String
    public var gitCommit: String?
    public var commandLine: [String]
    public var startTime: Date
    public var endTime: Date?
    public var environment: EnvironmentStamp
    public var clock: TSCClock?
    public var timerOverhead: TimerOverhead?
    public var tscConsistency: TSCConsistency?
    /// The policy asked for ("SCHED_FIFO 50" or "SCHED_OTHER") and what each
    /// measurement thread actually got, by thread name.
    public var schedulingRequested: String
    public var schedulingObtained: [String: SchedulingState]
    public var memoryLocked: Bool
    /// Per measured CPU, milliseconds of user, system, idle, irq, softirq and
    /// steal time from the start of measuring to the end (/proc/stat); null
    /// until the run finishes.
    public var cpuTimeDuringRunMs: [String: [String: Double]]? = nil
    /// The tool's own parameters (quantum, lock, thread counts, ...).
    public var parameters: [String: JSONValue]
    public var warnings: [String]
    public var complete: Bool

    /// kbench's version, stamped into every run.
    public static let kbenchVersion = "0.1.0"

    func json() throws -> Data { try JSONCoding.encode(Encoded(self)) }

    /// The JSON shape, with explicit nulls (synthesized Codable would omit them).
    private struct Encoded: Encodable {
        let meta: RunMetadata
        init(_ meta: RunMetadata) { self.meta = meta }

        enum Key: String, CodingKey {
            case tool, version, git_commit, command_line, start_time_utc, end_time_utc, host,
                 kernel_release, cpu_model, cpus, smt_siblings, tsc, clocksource, isolcpus,
                 cpus_isolated, nohz_full, rcu_nocbs, config_hz, config_source, cpufreq_governor,
                 cstates, irqs_on_measured_cpus, scheduling, memory_locked, cpu_time_during_run_ms,
                 parameters, warnings, complete
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            let env = meta.environment
            try c.encode(meta.tool, forKey: .tool)
            try c.encode(meta.version, forKey: .version)
            try c.encode(meta.gitCommit, forKey: .git_commit)
            try c.encode(meta.commandLine, forKey: .command_line)
            try c.encode(meta.startTime, forKey: .start_time_utc)
            try c.encode(meta.endTime, forKey: .end_time_utc)
            try c.encode(env.host, forKey: .host)
            try c.encode(env.kernelRelease, forKey: .kernel_release)
            try c.encode(env.cpuModel, forKey: .cpu_model)
            try c.encode(env.cpus.cpus, forKey: .cpus)
            try c.encode(env.smtSiblings, forKey: .smt_siblings)
            let tsc: JSONValue = [
                "frequency_hz": JSONValue.from(meta.clock?.frequencyHz, JSONValue.double),
                "ticks_per_ns": JSONValue.from(meta.clock?.ticksPerNs, JSONValue.double),
                "calibration": JSONValue.from(meta.clock?.method, JSONValue.string),
                "calibration_uncertainty": JSONValue.from(meta.clock?.calibrationUncertainty, JSONValue.double),
                "invariant": .bool(env.tscInvariance.isInvariant),
                "cpuid_invariant_bit": .bool(env.tscInvariance.cpuidInvariantBit),
                "constant_tsc": .bool(env.tscInvariance.constantTSC),
                "nonstop_tsc": .bool(env.tscInvariance.nonstopTSC),
                "read_overhead_min_ticks": JSONValue.from(meta.timerOverhead?.minTicks) { .int(Int64($0)) },
                "read_overhead_median_ticks": JSONValue.from(meta.timerOverhead?.medianTicks) { .int(Int64($0)) },
                "cross_cpu_spread_ns": JSONValue.from(meta.tscConsistency?.spreadNs, JSONValue.double),
                "cross_cpu_uncertainty_ns": JSONValue.from(meta.tscConsistency?.uncertaintyNs, JSONValue.double),
            ]
            try c.encode(tsc, forKey: .tsc)
            try c.encode(env.clocksource, forKey: .clocksource)
            try c.encode(env.isolatedCPUs?.description, forKey: .isolcpus)
            try c.encode(env.measuredCPUsIsolated, forKey: .cpus_isolated)
            try c.encode(env.nohzFull?.description, forKey: .nohz_full)
            try c.encode(env.rcuNocbs, forKey: .rcu_nocbs)
            try c.encode(env.configHZ, forKey: .config_hz)
            try c.encode(env.configSource, forKey: .config_source)
            try c.encode(env.governors, forKey: .cpufreq_governor)
            try c.encode(env.idleStates, forKey: .cstates)
            try c.encode(env.irqRoutes, forKey: .irqs_on_measured_cpus)
            try c.encode(["requested": JSONValue.string(meta.schedulingRequested),
                          "obtained": .object(meta.schedulingObtained.mapValues {
                              ["policy": .string($0.policy), "priority": .int(Int64($0.priority))]
                          })], forKey: .scheduling)
            try c.encode(meta.memoryLocked, forKey: .memory_locked)
            try c.encode(meta.cpuTimeDuringRunMs, forKey: .cpu_time_during_run_ms)
            try c.encode(meta.parameters, forKey: .parameters)
            try c.encode(meta.warnings, forKey: .warnings)
            try c.encode(meta.complete, forKey: .complete)
        }
    }

    /// Every key meta.json carries (tests check none is missing).
    public static let keys: [String] = [
        "tool", "version", "git_commit", "command_line", "start_time_utc", "end_time_utc", "host",
        "kernel_release", "cpu_model", "cpus", "smt_siblings", "tsc", "clocksource", "isolcpus",
        "cpus_isolated", "nohz_full", "rcu_nocbs", "config_hz", "config_source", "cpufreq_governor",
        "cstates", "irqs_on_measured_cpus", "scheduling", "memory_locked", "cpu_time_during_run_ms",
        "parameters", "warnings", "complete",
    ]
}

