import Platform
/// Everything about the machine that can change a measurement, captured at the
/// start of a run for meta.json. A value that cannot be known is nil (null in
/// JSON) and the reason is added to `unknowns`, which the run records as
/// warnings.
public struct EnvironmentStamp: Sendable {
    public var host: String
    public var kernelRelease: String
    public var cpuModel: String?
    /// The CPUs the run measures on, and the SMT siblings of each.
    public var cpus: CPUSet
    public var smtSiblings: [String: String?]
    public var clocksource: String?
    public var isolatedCPUs: CPUSet?
    public var nohzFull: CPUSet?
    public var rcuNocbs: String?
    public var configHZ: Int?
    public var configSource: String?
    /// Per measured CPU: the cpufreq governor, or nil with no cpufreq driver.
    public var governors: [String: String?]
    /// Per measured CPU: the idle states and whether each is enabled.
    public var idleStates: [String: [CPUPower.IdleState]?]
    public var irqRoutes: [IRQAffinity.Route]
    public var tscInvariance: TSCInvariance
    public var unknowns: [String] = []

    /// True when every measured CPU is in isolcpus.
    public var measuredCPUsIsolated: Bool {
        guard let isolatedCPUs, !cpus.isEmpty else { return false }
        return cpus.cpus.allSatisfy(isolatedCPUs.contains)
    }

    public static func capture(cpus: CPUSet) -> EnvironmentStamp {
        var unknowns: [String] = []
        let config: KernelConfig?
        switch KernelConfig.running() {
        case .success(let value): config = value
        case .failure(let reason):
            config = nil
            unknowns.append("CONFIG_HZ unknown: \(reason)")
        }
        if config != nil, config?.hz == nil { unknowns.append("CONFIG_HZ not set in \(config!.source)") }

        var governors: [String: String?] = [:]
        var idle: [String: [CPUPower.IdleState]?] = [:]
        var siblings: [String: String?] = [:]
        for cpu in cpus.cpus {
            governors[String(cpu)] = CPUPower.governor(cpu: cpu)
            idle[String(cpu)] = CPUPower.idleStates(cpu: cpu)
            siblings[String(cpu)] = SystemInfo.smtSiblings(of: cpu)?.description
        }
        if governors.values.contains(where: { $0 == nil }) {
            unknowns.append("cpufreq governor unknown: no cpufreq driver (libcpupower cpufreq_get_policy failed); the frequency is the hypervisor's or firmware's")
        }
        if idle.values.contains(where: { $0 == nil }) {
            unknowns.append("C-states unknown: cpuidle not available for the measured CPUs")
        }
        let model = CPUInfo.modelName()
        if model == nil { unknowns.append("CPU model unknown: no 'model name' in /proc/cpuinfo") }
        let clocksource = SystemInfo.clocksource()
        if clocksource == nil { unknowns.append("clocksource unknown: sysfs clocksource0 not readable") }
        let isolated = SystemInfo.isolatedCPUs()
        if isolated == nil { unknowns.append("isolcpus unknown: /sys/devices/system/cpu/isolated not readable") }

        return EnvironmentStamp(
            host: SystemInfo.hostName(),
            kernelRelease: SystemInfo.kernelRelease(),
            cpuModel: model,
            cpus: cpus,
            smtSiblings: siblings,
            clocksource: clocksource,
            isolatedCPUs: isolated,
            nohzFull: SystemInfo.nohzFullCPUs() ?? CPUSet([Int]()),
            rcuNocbs: SystemInfo.bootParameter("rcu_nocbs") ?? "",
            configHZ: config?.hz,
            configSource: config?.source,
            governors: governors,
            idleStates: idle,
            irqRoutes: IRQAffinity.routes(to: cpus),
            tscInvariance: TSCInvariance.detect(),
            unknowns: unknowns)
    }
}
