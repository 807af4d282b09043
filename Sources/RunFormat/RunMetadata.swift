import Foundation

/// meta.json: the environment stamp of a run, written at the start (marked
/// incomplete) and again at the end, and read back by analysis and the gate.
///
/// Plain data: BenchKit fills it from what it measured (the TSC clock, the
/// environment stamp); this type only knows the JSON. Every key is always
/// written; a value that is not known is null (and the reason is among
/// `warnings`). Numbers that are not finite are written as null too, never as
/// 0, which would read back as a measured zero.
public struct RunMetadata: Codable, Equatable, Sendable {
    public var tool: String
    public var version: String
    @Nullable public var gitCommit: String?
    /// Whether the work tree had uncommitted changes (`Provenance.gitDirty`).
    @Nullable public var gitDirty: Bool?
    public var commandLine: [String]
    public var startTime: Date
    @Nullable public var endTime: Date?
    public var host: String
    public var kernelRelease: String
    @Nullable public var cpuModel: String?
    /// The CPUs the run measures on.
    public var cpus: [Int]
    /// Per measured CPU, its SMT siblings as a CPU list ("0,2").
    public var smtSiblings: [String: String?]
    public var tsc: TSC
    @Nullable public var clocksource: String?
    @Nullable public var isolcpus: String?
    /// True when every measured CPU is in isolcpus.
    public var cpusIsolated: Bool
    @Nullable public var nohzFull: String?
    @Nullable public var rcuNocbs: String?
    @Nullable public var configHZ: Int?
    /// Where CONFIG_HZ was read (/proc/config.gz, /boot/config-...).
    @Nullable public var configSource: String?
    /// Per measured CPU: the cpufreq governor, or null with no cpufreq driver.
    public var cpufreqGovernor: [String: String?]
    /// Per measured CPU: its idle states, or null without cpuidle.
    public var cstates: [String: [IdleState]?]
    public var irqsOnMeasuredCPUs: [IRQRoute]
    public var scheduling: Scheduling
    public var memoryLocked: Bool
    /// Per measured CPU, milliseconds of user, system, idle, irq, softirq and
    /// steal time from the start of measuring to the end (/proc/stat); null
    /// until the run finishes.
    @Nullable public var cpuTimeDuringRunMs: [String: [String: Double]]?
    /// The tool's own parameters (quantum, lock, thread counts, ...).
    public var parameters: [String: JSONValue]
    public var warnings: [String]
    public var complete: Bool
    /// What `--isolate` applied for this run; null when it was not shielded.
    @Nullable public var isolation: Isolation?
    /// The launcher and rank when the run is one rank of many; null otherwise.
    @Nullable public var launch: Launch?

    /// kbench's version, stamped into every run.
    public static let kbenchVersion = "0.1.0"

    /// The TSC: its calibrated rate, invariance, read overhead and cross-CPU
    /// consistency (the `tsc` object).
    public struct TSC: Codable, Equatable, Sendable {
        @Nullable public var frequencyHz: Double?
        @Nullable public var ticksPerNs: Double?
        /// How the rate was obtained.
        @Nullable public var calibration: String?
        @Nullable public var calibrationUncertainty: Double?
        public var invariant: Bool
        public var cpuidInvariantBit: Bool
        public var constantTSC: Bool
        public var nonstopTSC: Bool
        @Nullable public var readOverheadMinTicks: Int?
        @Nullable public var readOverheadMedianTicks: Int?
        @Nullable public var crossCPUSpreadNs: Double?
        @Nullable public var crossCPUUncertaintyNs: Double?

        public init(frequencyHz: Double? = nil, ticksPerNs: Double? = nil, calibration: String? = nil,
                    calibrationUncertainty: Double? = nil, invariant: Bool = false, cpuidInvariantBit: Bool = false,
                    constantTSC: Bool = false, nonstopTSC: Bool = false, readOverheadMinTicks: Int? = nil,
                    readOverheadMedianTicks: Int? = nil, crossCPUSpreadNs: Double? = nil,
                    crossCPUUncertaintyNs: Double? = nil) {
            self.frequencyHz = frequencyHz
            self.ticksPerNs = ticksPerNs
            self.calibration = calibration
            self.calibrationUncertainty = calibrationUncertainty
            self.invariant = invariant
            self.cpuidInvariantBit = cpuidInvariantBit
            self.constantTSC = constantTSC
            self.nonstopTSC = nonstopTSC
            self.readOverheadMinTicks = readOverheadMinTicks
            self.readOverheadMedianTicks = readOverheadMedianTicks
            self.crossCPUSpreadNs = crossCPUSpreadNs
            self.crossCPUUncertaintyNs = crossCPUUncertaintyNs
        }

        enum CodingKeys: String, CodingKey {
            case frequencyHz = "frequency_hz", ticksPerNs = "ticks_per_ns", calibration,
                 calibrationUncertainty = "calibration_uncertainty", invariant,
                 cpuidInvariantBit = "cpuid_invariant_bit", constantTSC = "constant_tsc",
                 nonstopTSC = "nonstop_tsc", readOverheadMinTicks = "read_overhead_min_ticks",
                 readOverheadMedianTicks = "read_overhead_median_ticks",
                 crossCPUSpreadNs = "cross_cpu_spread_ns", crossCPUUncertaintyNs = "cross_cpu_uncertainty_ns"
        }
    }

    /// One idle state of a CPU as cpuidle reports it.
    public struct IdleState: Codable, Equatable, Sendable {
        public var name: String
        /// Exit latency in microseconds.
        public var latencyUs: UInt64
        public var enabled: Bool

        public init(name: String, latencyUs: UInt64, enabled: Bool) {
            self.name = name
            self.latencyUs = latencyUs
            self.enabled = enabled
        }

        enum CodingKeys: String, CodingKey {
            case name, latencyUs = "latency_us", enabled
        }
    }

    /// An IRQ whose affinity includes a measured CPU.
    public struct IRQRoute: Codable, Equatable, Sendable {
        public var irq: String
        /// The CPU list it may be delivered to.
        public var cpus: String
        public var description: String

        public init(irq: String, cpus: String, description: String) {
            self.irq = irq
            self.cpus = cpus
            self.description = description
        }
    }

    /// A scheduling policy and priority, as asked for or as a thread got it.
    public struct SchedulingState: Codable, Equatable, Sendable {
        public var policy: String
        public var priority: Int

        public init(policy: String, priority: Int) {
            self.policy = policy
            self.priority = priority
        }
    }

    /// The policy asked for ("SCHED_FIFO 50" or "SCHED_OTHER") and what each
    /// measurement thread actually got, by thread name.
    public struct Scheduling: Codable, Equatable, Sendable {
        public var requested: String
        public var obtained: [String: SchedulingState]

        public init(requested: String, obtained: [String: SchedulingState] = [:]) {
            self.requested = requested
            self.obtained = obtained
        }
    }

    public init(tool: String, version: String = RunMetadata.kbenchVersion, gitCommit: String?, gitDirty: Bool?,
                commandLine: [String], startTime: Date, endTime: Date? = nil, host: String,
                kernelRelease: String, cpuModel: String?, cpus: [Int], smtSiblings: [String: String?] = [:],
                tsc: TSC = TSC(), clocksource: String? = nil, isolcpus: String? = nil, cpusIsolated: Bool = false,
                nohzFull: String? = nil, rcuNocbs: String? = nil, configHZ: Int? = nil, configSource: String? = nil,
                cpufreqGovernor: [String: String?] = [:], cstates: [String: [IdleState]?] = [:],
                irqsOnMeasuredCPUs: [IRQRoute] = [], scheduling: Scheduling, memoryLocked: Bool,
                cpuTimeDuringRunMs: [String: [String: Double]]? = nil, parameters: [String: JSONValue] = [:],
                warnings: [String] = [], complete: Bool = false, isolation: Isolation? = nil,
                launch: Launch? = nil) {
        self.tool = tool
        self.version = version
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.commandLine = commandLine
        self.startTime = startTime
        self.endTime = endTime
        self.host = host
        self.kernelRelease = kernelRelease
        self.cpuModel = cpuModel
        self.cpus = cpus
        self.smtSiblings = smtSiblings
        self.tsc = tsc
        self.clocksource = clocksource
        self.isolcpus = isolcpus
        self.cpusIsolated = cpusIsolated
        self.nohzFull = nohzFull
        self.rcuNocbs = rcuNocbs
        self.configHZ = configHZ
        self.configSource = configSource
        self.cpufreqGovernor = cpufreqGovernor
        self.cstates = cstates
        self.irqsOnMeasuredCPUs = irqsOnMeasuredCPUs
        self.scheduling = scheduling
        self.memoryLocked = memoryLocked
        self.cpuTimeDuringRunMs = cpuTimeDuringRunMs
        self.parameters = parameters
        self.warnings = warnings
        self.complete = complete
        self.isolation = isolation
        self.launch = launch
    }

    enum CodingKeys: String, CodingKey {
        case tool, version, gitCommit = "git_commit", gitDirty = "git_dirty", commandLine = "command_line",
             startTime = "start_time_utc", endTime = "end_time_utc", host, kernelRelease = "kernel_release",
             cpuModel = "cpu_model", cpus, smtSiblings = "smt_siblings", tsc, clocksource, isolcpus,
             cpusIsolated = "cpus_isolated", nohzFull = "nohz_full", rcuNocbs = "rcu_nocbs",
             configHZ = "config_hz", configSource = "config_source", cpufreqGovernor = "cpufreq_governor",
             cstates, irqsOnMeasuredCPUs = "irqs_on_measured_cpus", scheduling, memoryLocked = "memory_locked",
             cpuTimeDuringRunMs = "cpu_time_during_run_ms", parameters, warnings, complete, isolation, launch
    }

    /// Every key meta.json carries (tests check none is missing).
    public static let keys: [String] = [
        "tool", "version", "git_commit", "git_dirty", "command_line", "start_time_utc", "end_time_utc", "host",
        "kernel_release", "cpu_model", "cpus", "smt_siblings", "tsc", "clocksource", "isolcpus",
        "cpus_isolated", "nohz_full", "rcu_nocbs", "config_hz", "config_source", "cpufreq_governor",
        "cstates", "irqs_on_measured_cpus", "scheduling", "memory_locked", "cpu_time_during_run_ms",
        "parameters", "warnings", "complete", "isolation", "launch",
    ]

    /// meta.json's bytes.
    public func json() throws -> Data { try JSONCoding.encode(self) }

    /// Reads the meta.json at `path`.
    /// - Throws: `InputFileError` naming the file (and what does not decode).
    public static func read(path: String) throws -> RunMetadata {
        try JSONCoding.read(RunMetadata.self, path: path)
    }
}
