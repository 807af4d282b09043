import BenchKit
import CCpupower
import Glibc
import RunFormat

/// Frequency scaling and idle states of one CPU, read through libcpupower on
/// the machine itself and from the same sysfs files libcpupower reads under a
/// test root (libcpupower's paths are fixed, so it cannot be pointed at one).
public struct PowerStates: Sendable, Equatable {
    public struct Frequency: Sendable, Equatable {
        public var governor: String
        /// The policy's limits and the hardware's, in kHz.
        public var minKHz: UInt64, maxKHz: UInt64
        public var hardwareMinKHz: UInt64?, hardwareMaxKHz: UInt64?
    }

    /// Nil when the kernel has no cpufreq driver for the CPU (VMs).
    public var frequency: Frequency?
    /// Nil when cpuidle has no states for the CPU.
    public var idleStates: [CPUPower.IdleState]?

    /// An idle state deeper than this exit latency is "deep": the threshold
    /// tuned's realtime profile uses (force_latency=1, cpu_dma_latency 1 µs).
    public static let deepLatencyUs: UInt64 = 1

    /// The indices of enabled deep states.
    public var enabledDeepStates: [Int] {
        (idleStates ?? []).enumerated().filter { $0.element.enabled && $0.element.latencyUs > Self.deepLatencyUs }
            .map(\.offset)
    }

    public static func read(cpu: Int, in tree: SystemTree) -> PowerStates {
        tree.isLive ? readLibcpupower(cpu: cpu) : readSysfs(cpu: cpu, in: tree)
    }

    /// The sysfs file of idle state `index` of `cpu` that disables it.
    public static func disablePath(cpu: Int, state index: Int) -> String {
        "/sys/devices/system/cpu/cpu\(cpu)/cpuidle/state\(index)/disable"
    }

    /// Disables (or enables) one idle state: libcpupower's cpuidle_state_disable
    /// on the machine, the sysfs file under a test root.
    public static func setDisabled(_ disabled: Bool, cpu: Int, state index: Int, in tree: SystemTree) throws(TreeError) {
        guard tree.isLive else { return try tree.write(disablePath(cpu: cpu, state: index), disabled ? "1" : "0") }
        let rc = cpuidle_state_disable(UInt32(cpu), UInt32(index), disabled ? 1 : 0)
        // libcpupower: 0 done, -1 not supported, -2 no such state, -3 write failed (errno set), -4 not root.
        guard rc == 0 else {
            let errno: Int32 = rc == -4 ? EPERM : rc == -2 ? ENOENT : rc == -1 ? EOPNOTSUPP : Glibc.errno
            throw TreeError(operation: "cpuidle_state_disable(\(cpu), \(index), \(disabled ? 1 : 0)) on",
                            path: disablePath(cpu: cpu, state: index), errno: errno == 0 ? EIO : errno)
        }
    }

    static func readLibcpupower(cpu: Int) -> PowerStates {
        var frequency: Frequency?
        if let policy = cpufreq_get_policy(UInt32(cpu)) {
            defer { cpufreq_put_policy(policy) }
            var low: UInt = 0, high: UInt = 0
            let limits = cpufreq_get_hardware_limits(UInt32(cpu), &low, &high) == 0
            frequency = Frequency(governor: policy.pointee.governor.map { String(cString: $0) } ?? "unknown",
                                  minKHz: UInt64(policy.pointee.min), maxKHz: UInt64(policy.pointee.max),
                                  hardwareMinKHz: limits ? UInt64(low) : nil, hardwareMaxKHz: limits ? UInt64(high) : nil)
        }
        return PowerStates(frequency: frequency, idleStates: CPUPower.idleStates(cpu: cpu))
    }

    static func readSysfs(cpu: Int, in tree: SystemTree) -> PowerStates {
        let base = "/sys/devices/system/cpu/cpu\(cpu)/"
        func number(_ name: String) -> UInt64? { tree.firstLine(base + name).flatMap { UInt64($0) } }
        var frequency: Frequency?
        if let governor = tree.firstLine(base + "cpufreq/scaling_governor"),
           let low = number("cpufreq/scaling_min_freq"), let high = number("cpufreq/scaling_max_freq") {
            frequency = Frequency(governor: governor, minKHz: low, maxKHz: high,
                                  hardwareMinKHz: number("cpufreq/cpuinfo_min_freq"),
                                  hardwareMaxKHz: number("cpufreq/cpuinfo_max_freq"))
        }
        var states: [CPUPower.IdleState] = []
        while states.count < 64, let name = tree.firstLine(base + "cpuidle/state\(states.count)/name") {
            let index = states.count
            states.append(CPUPower.IdleState(
                name: name, latencyUs: number("cpuidle/state\(index)/latency") ?? 0,
                enabled: tree.firstLine(base + "cpuidle/state\(index)/disable") != "1"))
        }
        return PowerStates(frequency: frequency, idleStates: states.isEmpty ? nil : states)
    }
}
