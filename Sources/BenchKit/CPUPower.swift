import CCpupower
import Glibc
import RunFormat

/// Frequency scaling and idle states through libcpupower: a governor that
/// changes the clock or a deep C-state on an idle sibling changes what a
/// benchmark measures, so both go into meta.json.
public enum CPUPower {
    /// The cpufreq governor of `cpu`, or nil when the kernel has no cpufreq
    /// driver (common in VMs: the hypervisor owns the frequency).
    public static func governor(cpu: Int) -> String? {
        guard let policy = cpufreq_get_policy(UInt32(cpu)) else { return nil }
        defer { cpufreq_put_policy(policy) }
        guard let name = policy.pointee.governor else { return nil }
        return String(cString: name)
    }

    /// One idle state of a CPU as cpuidle reports it (meta.json's `cstates`).
    public typealias IdleState = RunMetadata.IdleState

    /// The idle states of `cpu`, or nil when cpuidle is not available.
    public static func idleStates(cpu: Int) -> [IdleState]? {
        let count = cpuidle_state_count(UInt32(cpu))
        guard count > 0 else { return nil }
        return (0..<count).map { index in
            let name = cpuidle_state_name(UInt32(cpu), index).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? "state\(index)"
            return IdleState(name: name,
                             latencyUs: UInt64(cpuidle_state_latency(UInt32(cpu), index)),
                             enabled: cpuidle_is_state_disabled(UInt32(cpu), index) == 0)
        }
    }
}
