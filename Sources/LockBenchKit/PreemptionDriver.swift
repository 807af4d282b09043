// What preempts a run's threads, if anything: the emulated-vcore controller
// (--preempt) or SCHED_FIFO hogs on real CPUs (--native-preempt).

import KernelCore
import VcoreEmulation

/// Starts and stops the run's preemption, and reports its rounds.
final class PreemptionDriver: @unchecked Sendable {
    private var controller: PreemptionController?
    private var native: NativePreemptor?

    /// Starts what `configuration` asks for. On failure, stops whatever it
    /// started and rethrows.
    init(configuration: LockRunConfiguration, map: VcoreMap) throws {
        do {
            let rotation = configuration.isScheduled ? configuration.rotationMs : nil
            if configuration.preempt != nil || rotation != nil {
                let schedule = configuration.preempt.map { spec in
                    PreemptionSchedule(victims: .rotating(count: spec.victims),
                                       period: .nanoseconds(Int64(spec.periodMs * 1e6)),
                                       duration: .nanoseconds(Int64(spec.durationMs * 1e6)),
                                       initialDelay: .nanoseconds(Int64(spec.periodMs * 1e6)))
                }
                // Room for every round of a duration run (and then some).
                var capacity = 1 << 16
                if let spec = configuration.preempt, case .duration(let seconds, _) = configuration.length {
                    capacity = Int(min(seconds * 1e3 / spec.periodMs, 1e7)) + 16
                }
                // Above SCHED_FIFO vcores (and at their kernel side's
                // priority), as a kernel preempts on time whatever user
                // threads do; 2 above SCHED_OTHER ones.
                let started = PreemptionController(map: map, schedule: schedule,
                                                   rotation: rotation.map { .nanoseconds(Int64($0 * 1e6)) },
                                                   priority: (configuration.fifoPriority ?? 1) + 1,
                                                   roundCapacity: capacity)
                try started.start()
                controller = started
            }
            if let spec = configuration.nativePreempt {
                let distinct = Array(Set(configuration.cpus)).sorted()
                let started = NativePreemptor(cpus: Array(distinct.suffix(spec.victims)), spec: spec)
                try started.start()
                native = started
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Stops preempting. Stopping the controller takes the emulated kernel's
    /// lock: after a stall its holder may never run again, so call this under
    /// a bounded wait.
    func stop() {
        controller?.stop()
        native?.stop()
    }

    /// The rounds, counts and warnings, in ms from `originMonotonic`.
    func record(into result: inout LockRunResult, originMonotonic: UInt64) {
        if let controller {
            if !controller.isRealtime {
                result.warnings.append("the preemption controller did not get SCHED_FIFO: its rounds and rotations may start late")
            }
            if controller.unrecordedRounds > 0 {
                result.warnings.append("\(controller.unrecordedRounds) preemption rounds beyond the first \(controller.rounds.count) were not recorded")
            }
            result.rounds = controller.rounds.map { round in
                PreemptionWindow(victims: round.victims.map(Int.init),
                                 startMs: Self.ms(round.preemptedNanos, since: originMonotonic),
                                 endMs: Self.ms(round.restoredNanos, since: originMonotonic))
            }
        }
        if let native {
            if let failure = native.failure { result.warnings.append("native preemption: \(failure)") }
            result.rounds = native.rounds.map { round in
                PreemptionWindow(victims: round.victims,
                                 startMs: Self.ms(round.start, since: originMonotonic),
                                 endMs: Self.ms(round.end, since: originMonotonic))
            }
            result.preemptionCount = UInt64(native.rounds.reduce(0) { $0 + $1.victims.count })
            result.preemptionMessages = result.preemptionCount
        }
    }

    private static func ms(_ nanos: UInt64, since origin: UInt64) -> Double {
        Double(Int64(bitPattern: nanos &- origin)) / 1e6
    }
}
