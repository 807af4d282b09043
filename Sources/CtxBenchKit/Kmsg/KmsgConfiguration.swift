// KmsgConfiguration: what one `ctxbench kmsg` run measures, checked once.

import KernelCore

/// The plain values of a `ctxbench kmsg` run; `problem()` bounds every one,
/// so a hostile value fails before any thread starts.
public struct KmsgConfiguration: Sendable, Equatable {
    /// Wake-ups measured for the sleeping core (and their plain pings).
    public var wakes: [CoreWakeMechanism]
    /// Messages to the spinning and to the busy core.
    public var samples: Int
    /// Messages to the sleeping core (and pings), each after `settleMicroseconds`.
    public var sleepingSamples: Int
    /// The busy core's work between idle points (where routine messages run), µs.
    public var workMicroseconds: Double
    /// How long the sleeper's CPU is left to go idle before each wake, µs.
    public var settleMicroseconds: Double
    public var senderCPU: Int
    public var coreCPU: Int

    public init(wakes: [CoreWakeMechanism] = CoreWakeMechanism.allCases, samples: Int = 20_000,
                sleepingSamples: Int = 1_000, workMicroseconds: Double = 20, settleMicroseconds: Double = 200,
                senderCPU: Int = 0, coreCPU: Int = 1) {
        self.wakes = wakes
        self.samples = samples
        self.sleepingSamples = sleepingSamples
        self.workMicroseconds = workMicroseconds
        self.settleMicroseconds = settleMicroseconds
        self.senderCPU = senderCPU
        self.coreCPU = coreCPU
    }

    public static let maximumSamples = 1_000_000, maximumSleepingSamples = 100_000
    public static let workRange = 0.1...10_000.0, settleRange = 0.0...100_000.0

    /// The first problem with these values, as (option, what is wrong), or nil.
    public func problem() -> (option: String, reason: String)? {
        if wakes.isEmpty { return ("--wake", "names no wake-up") }
        if !(1...Self.maximumSamples).contains(samples) {
            return ("--samples", "must be from 1 to \(Self.maximumSamples), got \(samples)")
        }
        if !(1...Self.maximumSleepingSamples).contains(sleepingSamples) {
            return ("--sleeping-samples", "must be from 1 to \(Self.maximumSleepingSamples), got \(sleepingSamples)")
        }
        if !workMicroseconds.isFinite || !Self.workRange.contains(workMicroseconds) {
            return ("--work-us", "must be from \(Self.workRange.lowerBound) to \(Int(Self.workRange.upperBound)) µs, got \(workMicroseconds)")
        }
        if !settleMicroseconds.isFinite || !Self.settleRange.contains(settleMicroseconds) {
            return ("--settle-us", "must be from 0 to \(Int(Self.settleRange.upperBound)) µs, got \(settleMicroseconds)")
        }
        if senderCPU == coreCPU { return ("--core-cpu", "must differ from --sender-cpu (\(senderCPU)): the wake-up crosses CPUs") }
        return nil
    }
}
