// `ctxbench floors`: the floors measured on one pinned thread, then written
// as a run. The executable parses its arguments and calls `run`.

import Platform
import BenchKit
import RunFormat
import Glibc

/// Measures the physical floors.
public enum FloorsSession {
    /// What `measure` collected and how its thread was scheduled.
    public struct Result: Sendable {
        public var measurements: [Measurement]
        public var scheduling: MemberScheduling
    }

    /// Measures a timer read, an uncontended CAS and a system call on a thread
    /// pinned to `cpu`, then (with `partnerCPU`) the core-to-core CAS round
    /// trip with a partner there. Stops early on Ctrl-C.
    /// `delay` slows the system-call floor (the gate's test hook; `.none` otherwise).
    public static func measure(cpu: Int, partnerCPU: Int?, runner: TrialRunner,
                               scheduling: TeamScheduling = .inherit, delay: InjectedDelay = .none) throws -> Result {
        final class Outcome: @unchecked Sendable { var measurements: [Measurement] = []; var error: (any Error)? }
        let team = ThreadTeam(cpus: [cpu], scheduling: scheduling) { _, _ in Outcome() }
        try team.launch(body: { _, outcome in
            var timer = TimerReadFloor(), cas = UncontendedCASFloor()
            outcome.measurements += [runner.measure(&timer), runner.measure(&cas)].compactMap { $0 }
            outcome.measurements += syscallRows(delay: delay, runner: runner)
            guard let partnerCPU, !StopRequest.isRequested else { return }
            do {
                var pingPong = try CacheLinePingPong(cpu: cpu, partnerCPU: partnerCPU)
                if let m = runner.measure(&pingPong, threads: 2) { outcome.measurements.append(m) }
                if !pingPong.finish() {
                    throw SystemCallError("round-trip partner on CPU \(partnerCPU) did not stop", errno: ETIMEDOUT)
                }
            } catch { outcome.error = error }
        })
        team.release()
        // The floors end by themselves, or at the next trial after Ctrl-C:
        // wait for that, then for the thread with a bound.
        while team.finishedCount == 0 && !StopRequest.isRequested { sleepNanoseconds(10_000_000) }
        guard team.join(timeout: .seconds(30)).joined else {
            throw SystemCallError("floors thread on CPU \(cpu) (did not stop 30 s after Ctrl-C)", errno: ETIMEDOUT)
        }
        let outcome = team.workspaces[0]
        if let error = outcome.error { throw error }
        return Result(measurements: outcome.measurements, scheduling: team.memberScheduling[0])
    }

    /// The system-call floor and its C twin, trial by trial, and the ratio
    /// of the two trial by trial (variant `ratio`, param
    /// `syscall_getppid_over_c_twin;...`): the row a gate can hold to a few
    /// percent on a VM whose floors move more than that between runs.
    static func syscallRows(delay: InjectedDelay, runner: TrialRunner) -> [Measurement] {
        let iterations = "iterations=\(runner.iterations)"
        var loops = [SyscallFloor(delay: delay), .cTwin]
        var rows = InterleavedTrials.run(&loops, runner: runner, param: iterations)
        guard rows.count == loops.count else { return rows }
        rows[1].param = "peer=c_twin_getppid;\(iterations)"
        if let ratio = Measurement.ratio(rows[0], over: rows[1], benchmark: "floor",
                                         param: "syscall_getppid_over_c_twin;\(iterations)", metric: "syscall") {
            rows.append(ratio)
        }
        return rows
    }

    /// `ctxbench floors`: measures on `cpu` (default: the quietest allowed
    /// CPU) with the round-trip partner on `partnerCPU` (default: another
    /// allowed CPU; skipped, with a warning, if there is none), SCHED_FIFO when
    /// the run asks, then writes summary.csv, trials.csv and meta.json.
    public static func run(cpu: Int, partnerCPU: Int?, runner: TrialRunner,
                           benchRun: BenchRun, injectDelayNs: Double = 0) throws -> [Measurement] {
        if partnerCPU == nil { benchRun.warn("only one CPU allowed: the core-to-core round trip is skipped") }
        var delay = InjectedDelay.none
        if injectDelayNs > 0 {
            delay = InjectedDelay.calibrated(nanoseconds: injectDelayNs, clock: benchRun.clock)
            benchRun.warn("test hook: \(injectDelayNs) ns (\(delay.steps) calibrated steps) added to every getppid call of the syscall floor")
        }
        let result = try measure(cpu: cpu, partnerCPU: partnerCPU, runner: runner,
                                 scheduling: benchRun.teamScheduling, delay: delay)
        benchRun.recordScheduling(result.scheduling, thread: "floors@cpu\(cpu)")
        try benchRun.finish(measurements: result.measurements, complete: !StopRequest.isRequested)
        return result.measurements
    }
}
