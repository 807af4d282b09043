import Platform
import CPlatform
import Glibc
import RunFormat

// SCHED_BATCH and SCHED_IDLE are _GNU_SOURCE-only in <sched.h>.
private let SCHED_BATCH: Int32 = 3
private let SCHED_IDLE: Int32 = 5

/// The scheduling policy a thread actually runs under, as recorded in meta.json.
public typealias SchedulingState = RunMetadata.SchedulingState

extension SchedulingState {
    /// The calling thread's (or `tid`'s) current policy and priority.
    public static func current(thread tid: Int32 = 0) -> SchedulingState {
        let policy = kb_get_scheduler(tid)
        let priority = kb_get_priority(tid)
        return SchedulingState(policy: policyName(policy), priority: Int(max(priority, 0)))
    }

    static func policyName(_ policy: Int32) -> String {
        switch policy {
        case SCHED_OTHER: "SCHED_OTHER"
        case SCHED_FIFO: "SCHED_FIFO"
        case SCHED_RR: "SCHED_RR"
        case SCHED_BATCH: "SCHED_BATCH"
        case SCHED_IDLE: "SCHED_IDLE"
        default: policy < 0 ? "unknown" : "policy \(policy)"
        }
    }
}

/// SCHED_FIFO for measurement threads.
///
/// Real-time priority keeps ordinary tasks off the measured CPU, which is what
/// the thesis' measurements assume. Without CAP_SYS_NICE (or with RT throttling
/// forbidding it) the request fails: the caller gets the reason back to print
/// and record, and the run continues under the ordinary policy.
public enum RealtimeScheduling {
    /// Default SCHED_FIFO priority: above ordinary RT housekeeping threads
    /// (which run at 1-49 on most distributions) but below the kernel's
    /// per-CPU threads (migration, watchdog at 99).
    public static let defaultPriority = 50

    /// Asks for SCHED_FIFO at `priority` for thread `tid` (0: the caller).
    /// Returns nil on success, or a warning that says why it was refused.
    public static func requestFIFO(priority: Int, thread tid: Int32 = 0) -> String? {
        let rc = kb_set_scheduler(tid, SCHED_FIFO, Int32(priority))
        if rc == 0 { return nil }
        let error = SystemCallError("sched_setscheduler(SCHED_FIFO, \(priority))",
                                    errno: .init(rawValue: -rc))
        return "SCHED_FIFO not obtained (\(error)); measuring under \(SchedulingState.current(thread: tid).policy): run as root or grant CAP_SYS_NICE"
    }

    /// RT throttling lets SCHED_FIFO threads run only `sched_rt_runtime_us` of
    /// every `sched_rt_period_us`: a FIFO thread that never sleeps (an FTQ
    /// sampler, a spinning waiter) is stopped for the remainder each period,
    /// which shows up as a line at 1/period and its harmonics. Nil when
    /// throttling is off (runtime -1) or unknown.
    public static func throttlingWarning() -> String? {
        guard let runtime = SystemFiles.firstLine("/proc/sys/kernel/sched_rt_runtime_us").flatMap({ Int($0) }),
              let period = SystemFiles.firstLine("/proc/sys/kernel/sched_rt_period_us").flatMap({ Int($0) }),
              runtime >= 0, runtime < period
        else { return nil }
        return "RT throttling is on: SCHED_FIFO threads that never sleep are stopped \((period - runtime) / 1000) ms every \(period / 1000) ms (a \(1_000_000 / max(period, 1)) Hz comb in spectra); echo -1 > /proc/sys/kernel/sched_rt_runtime_us to measure without it"
    }

    /// Puts thread `tid` back under `state` (used by tests and after a run).
    public static func restore(_ state: SchedulingState, thread tid: Int32 = 0) throws {
        let policy: Int32 = switch state.policy {
        case "SCHED_FIFO": SCHED_FIFO
        case "SCHED_RR": SCHED_RR
        case "SCHED_BATCH": SCHED_BATCH
        case "SCHED_IDLE": SCHED_IDLE
        default: SCHED_OTHER
        }
        try checkShim(kb_set_scheduler(tid, policy, Int32(state.priority)),
                      "sched_setscheduler(\(state.policy), \(state.priority))")
    }
}
