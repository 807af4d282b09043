// What `ctxbench switch` measures: thread counts, 2LS variants, TLS, the
// kernel-thread budget. Checked once, with one line per problem.

import KernelCore

/// The configurations of one `ctxbench switch` run.
public struct SwitchPlan: Sendable, Equatable {
    /// Uthread counts (Table 4.1's rows: 1, 2, 100, 1000).
    public var uthreadCounts: [Int]
    /// Kernel-thread counts (the same rows); empty skips kernel threads.
    public var kernelThreadCounts: [Int]
    /// The 2LS variants whose yield path is measured.
    public var variants: [TwoLevelScheduler.Variant]
    /// Whether the switch-to path is measured (needs 2 uthreads or more).
    public var switchTo: Bool
    /// Without TLS, with TLS, or both.
    public var tls: [Bool]
    /// How TLS uthreads load FS (nil: the best the machine offers).
    public var fsBase: FSBaseMechanism?
    /// Switches per kernel-thread trial, all threads together.
    public var kernelSwitchesPerTrial: Int
    /// Kernel-thread trials per configuration (each starts its threads anew).
    public var kernelTrials: Int
    /// Usable stack per uthread.
    public var stackBytes: Int

    public static let standardCounts = [1, 2, 100, 1000]
    /// The most uthreads or kernel threads one configuration may have.
    public static let maximumThreads = 4096
    /// The most uthreads alive at once: a path measures all its counts in
    /// shared rounds, so their stacks are mapped (and locked) together.
    public static let maximumUthreadsInAll = 8192
    /// A kernel-thread trial's switch budget at most (about 10 s at 5 µs each).
    public static let maximumKernelSwitches = 2_000_000
    public static let maximumKernelTrials = 1000

    public init(uthreadCounts: [Int] = standardCounts, kernelThreadCounts: [Int] = standardCounts,
                variants: [TwoLevelScheduler.Variant] = TwoLevelScheduler.Variant.allCases, switchTo: Bool = true,
                tls: [Bool] = [false, true], fsBase: FSBaseMechanism? = nil, kernelSwitchesPerTrial: Int = 20_000,
                kernelTrials: Int = 9, stackBytes: Int = 32 * 1024) {
        self.uthreadCounts = uthreadCounts
        self.kernelThreadCounts = kernelThreadCounts
        self.variants = variants
        self.switchTo = switchTo
        self.tls = tls
        self.fsBase = fsBase
        self.kernelSwitchesPerTrial = kernelSwitchesPerTrial
        self.kernelTrials = kernelTrials
        self.stackBytes = stackBytes
    }

    /// Problems, each one line naming the option; empty when the plan is good.
    public func problems() -> [String] {
        var problems: [String] = []
        func counts(_ list: [Int], _ option: String) {
            if let bad = list.first(where: { $0 < 1 }) { problems.append("\(option): \(bad) threads; at least 1 is needed") }
            if let big = list.first(where: { $0 > Self.maximumThreads }) {
                problems.append("\(option): \(big) threads; at most \(Self.maximumThreads)")
            }
        }
        if uthreadCounts.isEmpty { problems.append("--threads: no thread counts") }
        counts(uthreadCounts, "--threads")
        counts(kernelThreadCounts, "--kernel-threads")
        let inAll = Set(uthreadCounts).reduce(0) { $0 + min($1, Self.maximumThreads + 1) }
        if inAll > Self.maximumUthreadsInAll {
            problems.append("--threads: \(inAll) uthreads in all; at most \(Self.maximumUthreadsInAll), "
                            + "since each path runs its counts side by side")
        }
        if variants.isEmpty && !switchTo { problems.append("--variants: nothing to measure") }
        if tls.isEmpty { problems.append("--tls: choose with, without or both") }
        if !(1...Self.maximumKernelSwitches).contains(kernelSwitchesPerTrial) {
            problems.append("--kernel-switches: \(kernelSwitchesPerTrial); between 1 and \(Self.maximumKernelSwitches)")
        }
        if !(1...Self.maximumKernelTrials).contains(kernelTrials) {
            problems.append("--kernel-trials: \(kernelTrials); between 1 and \(Self.maximumKernelTrials)")
        }
        let configuration = UthreadConfiguration(stackBytes: stackBytes, fsBase: fsBase)
        do { try configuration.validate(for: .locked) } catch { problems.append("\(error)") }
        return problems
    }
}
