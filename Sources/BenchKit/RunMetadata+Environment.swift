import Foundation
import Platform
import RunFormat

extension RunMetadata {
    /// meta.json of a run starting now: the environment stamp, the calibrated
    /// clock and its checks, turned into the plain data RunFormat writes.
    public init(tool: String, provenance: Provenance, commandLine: [String], startTime: Date = Date(),
                environment env: EnvironmentStamp, clock: TSCClock?, timerOverhead: TimerOverhead?,
                tscConsistency: TSCConsistency?, schedulingRequested: String, memoryLocked: Bool,
                parameters: [String: JSONValue]) {
        let tsc = TSC(
            frequencyHz: clock?.frequencyHz, ticksPerNs: clock?.ticksPerNs, calibration: clock?.method,
            calibrationUncertainty: clock?.calibrationUncertainty,
            invariant: env.tscInvariance.isInvariant, cpuidInvariantBit: env.tscInvariance.cpuidInvariantBit,
            constantTSC: env.tscInvariance.constantTSC, nonstopTSC: env.tscInvariance.nonstopTSC,
            readOverheadMinTicks: timerOverhead.map { Int(clamping: $0.minTicks) },
            readOverheadMedianTicks: timerOverhead.map { Int(clamping: $0.medianTicks) },
            crossCPUSpreadNs: tscConsistency?.spreadNs, crossCPUUncertaintyNs: tscConsistency?.uncertaintyNs)
        self.init(
            tool: tool, gitCommit: provenance.gitCommit, gitDirty: provenance.gitDirty, commandLine: commandLine,
            startTime: startTime, host: env.host, kernelRelease: env.kernelRelease, cpuModel: env.cpuModel,
            cpus: env.cpus.cpus, smtSiblings: env.smtSiblings, tsc: tsc, clocksource: env.clocksource,
            isolcpus: env.isolatedCPUs?.description, cpusIsolated: env.measuredCPUsIsolated,
            nohzFull: env.nohzFull?.description, rcuNocbs: env.rcuNocbs, configHZ: env.configHZ,
            configSource: env.configSource, cpufreqGovernor: env.governors, cstates: env.idleStates,
            irqsOnMeasuredCPUs: env.irqRoutes, scheduling: Scheduling(requested: schedulingRequested),
            memoryLocked: memoryLocked, parameters: parameters)
    }
}
