import Platform
import ArgumentParser
import BenchCLI
import BenchKit
import LockBenchKit

/// `lockbench run`: threads contending for one lock.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Contend for a lock and time every attempt (lock_test).",
        discussion: """
            Writes attempts.csv (thread,attempt,pre_ticks,acq_ticks,rel_ticks; ticks since the common start), \
            throughput.csv (acquisitions per ms, per thread and total), preemptions.csv (with --preempt), \
            summary.csv, trials.csv and meta.json; with several runs (--sweep, --lock all) each run's files \
            go to <lock>-t<threads>/ and table.csv holds Table 6.1/6.2 (latency quantiles in ticks). \
            Every run checks mutual exclusion (exit 1 if broken); a run without progress for --watchdog-s \
            ends with a diagnostic naming the lock, holder and waiters (exit 70); Ctrl-C exits 130. \
            With --duration each thread records its first --max-attempts attempts; throughput.csv counts \
            every acquisition.
            """)

    @Option(help: ArgumentHelp("Lock: \(LockName.validNames), or all.", valueName: "name"))
    var lock = "mcs"

    @Option(help: ArgumentHelp("Threads (emulated vcores), pinned round robin on --cpus (default: one per CPU).", valueName: "n"))
    var threads: Int?

    @Flag(help: "Run every lock (or the --lock given) at every count of --threads-list; writes table.csv.")
    var sweep = false

    @Option(name: .customLong("threads-list"), help: ArgumentHelp("Thread counts for --sweep (default: 1 and the CPU count).", valueName: "list"),
            transform: CountList.parse)
    var threadsList: CountList?

    @Option(help: ArgumentHelp("Acquisitions per thread (default 100000 unless --duration).", valueName: "n"))
    var iterations: Int?

    @Option(help: ArgumentHelp("Run length in seconds instead of --iterations.", valueName: "s"))
    var duration: Double?

    @Option(name: .customLong("max-attempts"), help: ArgumentHelp("With --duration: attempts recorded per thread.", valueName: "n"))
    var maxAttempts = 1_000_000

    @Option(name: .customLong("hold-ns"), help: "Busy work inside the critical section, ns (TSC-timed).")
    var holdNs: Double = 0

    @Option(name: .customLong("delay-ns"), help: "Busy work after releasing, before the next attempt, ns.")
    var delayNs: Double = 0

    @Option(help: ArgumentHelp("CPUs to run on (e.g. 0-3,6; default: every allowed CPU).", valueName: "list"),
            transform: CPUSet.parse)
    var cpus: CPUSet?

    @Option(help: ArgumentHelp("Emulated vcores: preempt N vcores every PERIOD_MS for DURATION_MS (thesis: 2 vcores, 10 ms).",
                               valueName: "N:PERIOD_MS:DURATION_MS"), transform: PreemptionSpec.parse)
    var preempt: PreemptionSpec?

    @Option(name: .customLong("native-preempt"), help: ArgumentHelp("Really preempt the last N CPUs with SCHED_FIFO hogs every PERIOD_MS for DURATION_MS (needs root).",
                                                                    valueName: "N:PERIOD_MS:DURATION_MS"),
            transform: PreemptionSpec.parse)
    var nativePreempt: PreemptionSpec?

    @Option(name: .customLong("rotate-ms"),
            help: ArgumentHelp("With more --threads than CPUs: the emulated kernel gives each CPU to one vcore at a time and rotates them every MS (0.05-10000, default 10); a vcore without a CPU is preempted in the vcore map. Implies emulated vcores (--preempt layers its rounds on top).",
                               valueName: "ms"))
    var rotateMs: Double?

    @Option(name: .customLong("watchdog-s"), help: "Seconds without an acquisition before the run is ended as stalled.")
    var watchdogSeconds: Double = 5

    @Option(name: .customLong("window-ms"), help: "Throughput window, ms.")
    var windowMs: Double = 1

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if lock != "all", LockName(parsing: lock) == nil {
            throw ValidationError("unknown lock '\(lock)': valid locks are \(LockName.validNames), all")
        }
        if let threads { try Validate.count(threads, option: "--threads") }
        if iterations != nil, duration != nil { throw ValidationError("give --iterations or --duration, not both") }
        if let iterations { try Validate.positive(iterations, option: "--iterations") }
        if let duration { try Validate.positive(duration, option: "--duration", atMost: Validate.maximumSeconds) }
        try Validate.positive(maxAttempts, option: "--max-attempts")
        guard holdNs >= 0, holdNs <= 1e9 else { throw ValidationError("--hold-ns must be from 0 to 1e9 (one second), got \(holdNs)") }
        guard delayNs >= 0, delayNs <= 1e9 else { throw ValidationError("--delay-ns must be from 0 to 1e9 (one second), got \(delayNs)") }
        try Validate.positive(watchdogSeconds, option: "--watchdog-s", atMost: Validate.maximumSeconds)
        guard windowMs >= 0.001, windowMs <= 60_000 else {
            throw ValidationError("--window-ms must be from 0.001 to 60000, got \(windowMs)")
        }
        if let duration, duration * 1e3 / windowMs > 10_000_000 {
            throw ValidationError("--duration \(duration) in windows of --window-ms \(windowMs) makes more than 10 million windows; use longer windows")
        }
        if let cpus { try Validate.cpus(cpus, option: "--cpus") }
        if threadsList != nil, !sweep { throw ValidationError("--threads-list needs --sweep") }
        if sweep, threads != nil { throw ValidationError("give --threads-list with --sweep, not --threads") }
        let counts = try threadCounts()
        // Three UInt64 ticks an attempt, per thread of the largest run.
        let attempts = Double(duration == nil ? iterations ?? 100_000 : maxAttempts)
        try Validate.fitsInMemory(bytes: attempts * 24 * Double(counts.max() ?? 1),
                                  option: duration == nil ? "--iterations" : "--max-attempts")
        if preempt != nil, nativePreempt != nil { throw ValidationError("give --preempt or --native-preempt, not both") }
        if let rotateMs {
            let range = LockRunConfiguration.rotationRangeMs
            guard rotateMs.isFinite, range.contains(rotateMs) else {
                throw ValidationError("--rotate-ms must be from \(range.lowerBound) to \(Int(range.upperBound)), got \(rotateMs)")
            }
        }
        if let preempt {
            let cpuCount = Set(try runCPUs()).count
            for count in counts where preempt.victims >= min(count, cpuCount) {
                throw ValidationError(count > cpuCount
                    ? "--preempt \(preempt): taking \(preempt.victims) of \(cpuCount) CPUs from \(count) vcores leaves none running; use more --cpus"
                    : "--preempt \(preempt): preempting \(preempt.victims) of \(count) vcores leaves none running; use more --threads")
            }
        }
        if rotateMs != nil, nativePreempt != nil { throw ValidationError("--rotate-ms schedules emulated vcores: give it with --preempt, not --native-preempt") }
        if preempt != nil || rotateMs != nil, runOptions.fifo, runOptions.priority > 98 {
            throw ValidationError("--priority \(runOptions.priority) with --preempt: emulated vcores need 1-98, the emulated kernel runs one above them")
        }
        if let nativePreempt {
            let available = Set(try runCPUs()).count
            guard nativePreempt.victims < available else {
                throw ValidationError("--native-preempt \(nativePreempt): hogging \(nativePreempt.victims) of \(available) CPUs leaves none for the run")
            }
        }
    }

    func runCPUs() throws -> [Int32] {
        let set = try cpus ?? Affinity.allowedCPUs()
        return set.cpus.map { Int32($0) }
    }

    func threadCounts() throws -> [Int] {
        if let threadsList { return threadsList.counts }
        let cpuCount = (try? runCPUs().count) ?? 1
        if sweep { return Array(Set([1, cpuCount])).sorted() }
        return [threads ?? cpuCount]
    }

    func run() throws {
        let runCPUs = try runCPUs()
        let locks = lock == "all" ? LockName.allCases : [LockName(parsing: lock)!]
        let length: LockRunConfiguration.Length = duration.map { .duration(seconds: $0, maxAttempts: maxAttempts) }
            ?? .iterations(iterations ?? 100_000)
        var configurations: [LockRunConfiguration] = []
        for count in try threadCounts() {
            for name in locks {
                var configuration = LockRunConfiguration(lock: name, threads: count, length: length, cpus: runCPUs)
                configuration.holdNs = holdNs
                configuration.delayNs = delayNs
                configuration.preempt = preempt
                // More vcores than CPUs with emulated vcores: the emulated
                // kernel schedules them (at --rotate-ms, default 10 ms).
                if preempt != nil || rotateMs != nil {
                    configuration.rotationMs = rotateMs ?? LockRunConfiguration.defaultRotationMs
                }
                if configuration.isEmulated {
                    // Emulated vcores run SCHED_FIFO (at --priority with
                    // --fifo, else the default): only the emulated kernel
                    // stops a running vcore, so the map tells the truth.
                    // Without the privilege LockSession warns and falls back.
                    configuration.fifoPriority = Int32(runOptions.fifo ? runOptions.priority
                                                                        : RealtimeScheduling.defaultPriority)
                }
                configuration.nativePreempt = nativePreempt
                configuration.watchdogSeconds = watchdogSeconds
                configuration.windowNs = windowMs * 1e6
                configurations.append(configuration)
            }
        }
        let benchRun = try BenchRun(tool: "lockbench", options: runOptions, cpus: CPUSet(runCPUs.map(Int.init)), parameters: [
            "locks": .array(locks.map { .string($0.rawValue) }),
            "thread_counts": .array(try threadCounts().map { .int(Int64($0)) }),
            "iterations": iterations.map { .int(Int64($0)) } ?? (duration == nil ? .int(100_000) : .null),
            "duration_s": duration.map { .double($0) } ?? .null,
            "hold_ns": .double(holdNs),
            "delay_ns": .double(delayNs),
            "preempt": preempt.map { .string($0.description) } ?? .null,
            "native_preempt": nativePreempt.map { .string($0.description) } ?? .null,
            "mode": .string(preempt != nil || rotateMs != nil ? "emulated-vcores" : nativePreempt != nil ? "native-preempt" : "pinned"),
            "rotate_ms": configurations.contains(where: \.isScheduled)
                ? .double(rotateMs ?? LockRunConfiguration.defaultRotationMs) : .null,
            "watchdog_s": .double(watchdogSeconds),
            "window_ms": .double(windowMs),
        ])
        if preempt == nil, rotateMs == nil, let over = configurations.first(where: \.isOversubscribed) {
            benchRun.warn("\(over.threads) threads on \(Set(runCPUs).count) CPUs without --preempt or --rotate-ms: spinning waiters share CPUs with the threads they wait for (lock hand-offs then wait for the scheduler)")
        }
        let outcome = try LockSession.run(configurations, benchRun: benchRun)
        print(benchRun.directory.path)
        switch outcome {
        case .complete: break
        case .interrupted: throw ExitCode(130)
        case .stalled(let diagnostic):
            writeStderr("lockbench: error: \(diagnostic)\n")
            throw ExitCode(70)
        case .exclusionBroken(let failure):
            writeStderr("lockbench: error: \(failure)\n")
            throw ExitCode(1)
        }
    }
}
