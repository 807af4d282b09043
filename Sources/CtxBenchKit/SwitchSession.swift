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
            var paths: [UthreadSwitch.Path] = plan.variants.map { .yield($0) }
            if plan.switchTo { paths.append(.switchTo) }
            for tls in plan.tls {
                for path in paths {
                    for threads in plan.uthreadCounts where !StopRequest.isRequested {
                        if path == .switchTo && threads < 2 {
                            outcome.skipped.append("\(UthreadSwitch.variantName(path, tls: tls)) at 1 thread: switch-to needs another uthread")
                            continue
                        }
                        let bench = try UthreadSwitch(path: path, threads: threads, tls: tls, fsBase: fsBase,
                                                      stackBytes: plan.stackBytes)
                        if tls, outcome.tls == nil { outcome.tls = bench.tlsModules }
                        var batch = runner
                        // At least 100 switches per uthread per batch, so the
                        // parks and first pops stay within 1% of it.
                        batch.iterations = bench.batchIterations(max(runner.iterations, 100 * threads))
                        var measured = bench
                        if let m = batch.measure(&measured, threads: threads,
                                                 param: "iterations=\(batch.iterations) fs_base=\(tls ? fsBase.rawValue : "none")") {
                            outcome.measurements.append(m)
                        }
                        guard bench.finish() else {
                            throw SystemCallError("\(bench.variant) with \(threads) uthreads did not finish", errno: EDEADLK)
                        }
                    }
                }
            }
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

    /// Each ns row followed by the same trials in TSC ticks.
    static func withTicks(_ measurements: [Measurement], clock: TSCClock) -> [Measurement] {
        measurements.flatMap { m -> [Measurement] in
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
