// `ctxbench switch`: uthreads and references on one pinned vcore thread,
// then kernel threads on the same CPU, written as one run.

import Platform
import BenchKit
import KernelCore
import RunFormat
import Glibc
import CUthread

/// Measures context switches on one CPU: the references (swapcontext,
/// Boost.Context, FS-base writes, a system call), the uthreads of every
/// 2LS variant with and without TLS at each thread count, and kernel threads
/// by sched_yield and futex hand-off.
public enum SwitchSession {
    public struct Result: Sendable {
        /// ns rows, each followed by its ticks twin.
        public var measurements: [Measurement]
        public var scheduling: MemberScheduling
        /// How TLS uthreads loaded FS, and what CPUID and HWCAP2 said.
        public var fsBase: FSBaseMechanism
        public var detection: FSBaseDetection
        /// The TLS template (modules fresh / copied from libc, bytes), if TLS ran.
        public var tlsTemplate: (fresh: Int, copied: Int, bytes: Int)?
        /// Configurations not measured, and why.
        public var skipped: [String]
    }

    /// Measures `plan` on `cpu`; stops early on Ctrl-C.
    public static func measure(cpu: Int, plan: SwitchPlan, runner: TrialRunner, clock: TSCClock,
                               scheduling: TeamScheduling = .inherit) throws -> Result {
        let detection = FSBaseMechanism.detected
        let fsBase = plan.fsBase ?? detection.best
        let team = ThreadTeam(cpus: [cpu], scheduling: scheduling) { _, _ in Outcome() }
        try team.launch(body: { _, outcome in
            do { try measureOnVcore(plan: plan, fsBase: fsBase, detection: detection, runner: runner, into: outcome) }
            catch { outcome.error = error }
        })
        team.release()
        while team.finishedCount == 0 && !StopRequest.isRequested { sleepNanoseconds(10_000_000) }
        guard team.join(timeout: .seconds(60)).joined else {
            throw SystemCallError("switch vcore thread on CPU \(cpu) (did not stop 60 s after Ctrl-C)", errno: ETIMEDOUT)
        }
        let outcome = team.workspaces[0]
        if let error = outcome.error { throw error }
        var measurements = outcome.measurements
        if !plan.kernelThreadCounts.isEmpty && !StopRequest.isRequested {
            measurements += try measureKernelThreads(cpu: cpu, plan: plan, clock: clock, scheduling: scheduling)
        }
        return Result(measurements: withTicks(measurements, clock: clock), scheduling: team.memberScheduling[0],
                      fsBase: fsBase, detection: detection, tlsTemplate: outcome.tls, skipped: outcome.skipped)
    }

    /// What the vcore thread collects.
    private final class Outcome: @unchecked Sendable {
        var measurements: [Measurement] = []
        var error: (any Error)?
        var tls: (fresh: Int, copied: Int, bytes: Int)?
        var skipped: [String] = []
    }

    /// On the vcore's thread: the references, then every uthread configuration.
    private static func measureOnVcore(plan: SwitchPlan, fsBase: FSBaseMechanism, detection: FSBaseDetection,
                                       runner: TrialRunner, into outcome: Outcome) throws {
        do {
            // References first: the yardsticks of everything after.
            var evenRunner = runner
            evenRunner.iterations = max(2, runner.iterations / 2 * 2)
            var peers = [SwitchReference.Peer.swapcontext, .boostJumpFcontext, .archPrctl]
            if detection.supports(.wrfsbase) { peers.insert(.wrfsbase, at: 2) }
            for peer in peers where !StopRequest.isRequested {
                var reference = SwitchReference(peer)
                if let m = evenRunner.measure(&reference, param: reference.param) { outcome.measurements.append(m) }
            }
            var syscall = SyscallFloor()
            if var m = runner.measure(&syscall) {
                m.benchmark = "switch"
                m.variant = "reference"
                m.param = "peer=syscall_getppid"
                outcome.measurements.append(m)
            }
            // Each path's counts share rounds, so N over 2 is a paired ratio.
            let counts = Array(Set(plan.uthreadCounts)).sorted()
            for tls in plan.tls {
                for variant in plan.variants where !StopRequest.isRequested {
                    try measureRound(.yield(variant), counts: counts, tls: tls, withRings: false, plan: plan,
                                     fsBase: fsBase, runner: runner, into: outcome)
                }
                guard plan.switchTo && !StopRequest.isRequested else { continue }
                if counts.contains(where: { $0 < 2 }) {
                    outcome.skipped.append("\(UthreadSwitch.variantName(.switchTo, tls: tls)) at 1 thread: switch-to needs another uthread")
                }
                try measureRound(.switchTo, counts: counts.filter { $0 >= 2 }, tls: tls, withRings: tls == plan.tls.first,
                                 plan: plan, fsBase: fsBase, runner: runner, into: outcome)
            }
        }
    }

    /// `path` at every one of `counts` in one set of interleaved rounds with
    /// Boost's ping-pong and (`withRings`) Boost's rings of the same sizes
    /// (`UthreadSwitchRound`); every uthread exits before it returns.
    private static func measureRound(_ path: UthreadSwitch.Path, counts: [Int], tls: Bool, withRings: Bool,
                                     plan: SwitchPlan, fsBase: FSBaseMechanism, runner: TrialRunner,
                                     into outcome: Outcome) throws {
        guard !counts.isEmpty else { return }
        let rings = withRings ? try counts.map { try BoostRing(contexts: $0, stackBytes: plan.stackBytes) } : []
        let benches = try counts.map {
            try UthreadSwitch(path: path, threads: $0, tls: tls, fsBase: fsBase, stackBytes: plan.stackBytes)
        }
        if tls, outcome.tls == nil { outcome.tls = benches[0].tlsModules }
        outcome.measurements += UthreadSwitchRound.measure(benches, rings: rings, runner: roundRunner(runner, counts),
                                                           fsBase: tls ? fsBase.rawValue : "none")
        for bench in benches { try finish(bench) }
    }

    /// `runner` with at least 100 switches per uthread of the largest count
    /// per batch, so the parks and first pops stay within 1% of it.
    private static func roundRunner(_ runner: TrialRunner, _ counts: [Int]) -> TrialRunner {
        var batch = runner
        batch.iterations = max(runner.iterations, 100 * (counts.max() ?? 1))
        return batch
    }

    /// Lets `bench`'s uthreads exit; an error if any did not.
    private static func finish(_ bench: UthreadSwitch) throws {
        guard bench.finish() else {
            throw SystemCallError("\(bench.variant) with \(bench.threads) uthreads did not finish", errno: EDEADLK)
        }
    }

    /// Kernel threads on `cpu`, the coordinator moved elsewhere when it can
    /// be. Thread stacks are 256 KiB while this runs and memory is unlocked,
    /// so 1000 threads cost what they touch, not 1000 locked 8 MiB stacks.
    static func measureKernelThreads(cpu: Int, plan: SwitchPlan, clock: TSCClock,
                                     scheduling: TeamScheduling) throws -> [Measurement] {
        let coordinator = try CoordinatorAffinity(avoiding: [cpu])
        let restoreStack = ThreadStackDefault(bytes: 256 * 1024)
        munlockall()
        defer { restoreStack.restore() }
        var measurements: [Measurement] = []
        for mechanism in KernelThreadSwitch.Mechanism.allCases {
            for threads in plan.kernelThreadCounts where !StopRequest.isRequested {
                var values: [Double] = []
                for _ in 0..<plan.kernelTrials where !StopRequest.isRequested {
                    if let ns = try KernelThreadSwitch.trial(mechanism, threads: threads, cpu: cpu,
                                                              switchesPerTrial: plan.kernelSwitchesPerTrial,
                                                              scheduling: scheduling, clock: clock) {
                        values.append(ns)
                    }
                }
                guard let statistics = SampleStatistics(values) else { continue }
                measurements.append(Measurement(benchmark: "switch", variant: mechanism.rawValue, threads: threads,
                                                param: "switches=\(max(1, plan.kernelSwitchesPerTrial / threads) * threads)",
                                                metric: "switch", unit: "ns", lowerIsBetter: true,
                                                statistics: statistics, trials: values))
            }
        }
        _ = consume coordinator
        return measurements
    }

    /// Each ns row followed by the same trials in TSC ticks (ratio rows as they are).
    static func withTicks(_ measurements: [Measurement], clock: TSCClock) -> [Measurement] {
        measurements.flatMap { m -> [Measurement] in
            guard m.unit == "ns" else { return [m] }
            let ticks = m.trials.map { $0 * clock.ticksPerNs }
            guard let statistics = SampleStatistics(ticks) else { return [m] }
            var twin = m
            twin.unit = "ticks"
            twin.statistics = statistics
            twin.trials = ticks
            return [m, twin]
        }
    }

    /// `ctxbench switch`: measures and writes summary.csv, trials.csv and
    /// meta.json (FS-base mechanism, CPUID/HWCAP2, TLS template, scheduling).
    public static func run(cpu: Int, plan: SwitchPlan, runner: TrialRunner, benchRun: BenchRun) throws -> Result {
        let result = try measure(cpu: cpu, plan: plan, runner: runner, clock: benchRun.clock,
                                 scheduling: benchRun.teamScheduling)
        benchRun.recordScheduling(result.scheduling, thread: "switch-vcore@cpu\(cpu)")
        benchRun.setParameter("fs_base_mechanism", .string(result.fsBase.rawValue))
        benchRun.setParameter("fsgsbase_cpuid", .bool(result.detection.cpuid))
        benchRun.setParameter("fsgsbase_hwcap2", .bool(result.detection.hwcap2))
        if let tls = result.tlsTemplate {
            benchRun.setParameter("tls_template_bytes", .int(Int64(tls.bytes)))
            benchRun.setParameter("tls_modules_fresh", .int(Int64(tls.fresh)))
            benchRun.setParameter("tls_modules_copied_from_vcore", .int(Int64(tls.copied)))
        }
        benchRun.setParameter("kernel_thread_stack_bytes", .int(256 * 1024))
        if !plan.kernelThreadCounts.isEmpty {
            benchRun.setParameter("kernel_thread_phase_memory_locked", .bool(false))
            if benchRun.fifoPriority == nil {
                benchRun.warn("kernel threads ran SCHED_OTHER: sched_yield also yields to other tasks on CPU \(cpu) (use --fifo)")
            }
        }
        for note in result.skipped { benchRun.warn(note) }
        try benchRun.finish(measurements: result.measurements, complete: !StopRequest.isRequested)
        return result
    }
}

/// glibc's default stack size for new threads, changed for a while and put back.
struct ThreadStackDefault {
    private let original: Int

    init(bytes: Int) { original = kb_thread_stack_default_set(bytes) }

    func restore() {
        if original > 0 { _ = kb_thread_stack_default_set(original) }
    }
}
