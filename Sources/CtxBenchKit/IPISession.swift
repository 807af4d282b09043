// `ctxbench ipi`: IPIs caused from user space, their cost to the initiator,
// the time they take from the victim (Völp's TSC-gap loop), and whether they
// happened at all (/proc/interrupts).

import Platform
import BenchKit
import RunFormat
import CPlatform
import Synchronization
import Glibc

public enum IPISession {
    /// What one trial of one operation gave.
    public struct Trial: Sendable {
        /// ns per operation, to the initiator.
        public var latencyNs: Double
        /// What /proc/interrupts says about the victim CPU.
        public var observation: IPIObservation
        /// Victim time lost per IPI (ns) and gaps per IPI: only with the gap
        /// loop, and only when an IPI was observed.
        public var victimNsPerIPI: Double?
        public var victimGapsPerIPI: Double?
        /// Futex wakes that found nobody asleep.
        public var missedWakes: Int
    }

    public struct Settings: Sendable {
        public var initiatorCPU: Int
        public var victimCPU: Int
        public var trials: Int
        public var operations: Int
        public var gapThresholdNs: Double
        /// How long the futex sleeper's CPU is left to go idle before each wake.
        public var settleNs: Int64 = 200_000
        public var clock: TSCClock
        public var overheadTicks: UInt64
        public var scheduling: TeamScheduling = .inherit

        public init(initiatorCPU: Int, victimCPU: Int, trials: Int, operations: Int, gapThresholdNs: Double,
                    clock: TSCClock, overheadTicks: UInt64, scheduling: TeamScheduling = .inherit) {
            self.initiatorCPU = initiatorCPU
            self.victimCPU = victimCPU
            self.trials = trials
            self.operations = operations
            self.gapThresholdNs = gapThresholdNs
            self.clock = clock
            self.overheadTicks = overheadTicks
            self.scheduling = scheduling
        }
    }

    /// Most pages the munmap operation maps for one run (64 MiB of 4 KiB pages).
    public static let maximumMunmapPages = 16_384

    /// Operations per trial `operation` runs under `settings` (munmap is
    /// capped so its pool of pages stays under `maximumMunmapPages`).
    public static func operationsPerTrial(_ operation: IPIOperation, _ settings: Settings) -> Int {
        operation == .munmap ? min(settings.operations, maximumMunmapPages / (settings.trials + 1)) : settings.operations
    }

    final class InitiatorOutcome: @unchecked Sendable {
        var trials: [Trial] = []
        var error: (any Error)?
    }

    /// Runs `operation`: one warm-up trial (not kept), then `settings.trials`
    /// trials, each a timed batch of operations on the initiator's CPU
    /// followed by an equally long quiet window, with /proc/interrupts read
    /// before, between and after, and (but for the futex wake) the victim
    /// CPU running the TSC-gap loop throughout.
    public static func measure(_ operation: IPIOperation, settings: Settings) throws -> (trials: [Trial], scheduling: [MemberScheduling]) {
        let operations = operationsPerTrial(operation, settings)
        guard operations > 0 else { throw SystemCallError("ipi \(operation.rawValue): no operations per trial", errno: EINVAL) }
        if operation == .membarrier {
            let rc = kb_membarrier(Int32(KB_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED), 0)
            if rc < 0 { throw SystemCallError("membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)", errno: -rc) }
        }
        let pages = try IPIPages(count: operation == .munmap ? operations * (settings.trials + 1) : 1)
        let windowCount = 2 * (settings.trials + 1) + 1
        let window = CacheLineBox(Atomic<Int>(0))
        // Written by the victim, read by the initiator after each window.
        nonisolated(unsafe) let totals = UnsafeMutablePointer<GapTotals>.allocate(capacity: windowCount)
        totals.initialize(repeating: GapTotals(), count: windowCount)
        let sleeper = CacheLineBox(SleeperWords())
        let threshold = UInt64(settings.gapThresholdNs * settings.clock.ticksPerNs)
        let team = ThreadTeam(cpus: [settings.initiatorCPU, settings.victimCPU], scheduling: settings.scheduling) { _, _ in
            InitiatorOutcome()
        }
        var joined = false
        defer {
            if joined { window.deallocate(); sleeper.deallocate(); totals.deallocate() }
        }
        try team.launch(prologue: { member in
            if member.index == 1 && operation != .futexWake { pages.touchAll() }
        }, body: { member, outcome in
            if member.index == 1 {
                if operation.hasGapLoop {
                    recordTSCGaps(window: window.pointer, totals: totals, thresholdTicks: threshold)
                } else {
                    runSleeper(sleeper.pointer)
                }
                return
            }
            defer {
                window.pointee.store(-1, ordering: .relaxed)
                sleeper.pointee.quit.store(true, ordering: .releasing)
                sleeper.pointee.wake.value.wrappingAdd(1, ordering: .releasing)
                sleeper.pointee.wake.wakeAll()
            }
            // Let the victim reach its loop (or its first sleep) first.
            sleepNanoseconds(20_000_000)
            do {
                for trial in 0...settings.trials where !StopRequest.isRequested {
                    let result = try runTrial(operation, trial: trial, operations: operations, settings: settings,
                                              pages: pages, window: window.pointer, totals: totals,
                                              sleeper: sleeper.pointer)
                    if trial > 0 { outcome.trials.append(result) }
                }
            } catch { outcome.error = error }
        })
        team.release()
        while team.finishedCount == 0 { sleepNanoseconds(10_000_000) }
        let join = team.join(timeout: .seconds(10))
        joined = join.joined
        guard join.joined else {
            throw SystemCallError("ipi \(operation.rawValue): threads \(join.abandoned) did not return", errno: ETIMEDOUT)
        }
        if let error = team.workspaces[0].error { throw error }
        return (team.workspaces[0].trials, team.memberScheduling)
    }

    /// One trial, on the initiator's thread: snapshot, batch (window
    /// 2t+1), snapshot, quiet window as long as the batch (2t+2), snapshot.
    static func runTrial(_ operation: IPIOperation, trial: Int, operations: Int, settings: Settings, pages: IPIPages,
                         window: UnsafeMutablePointer<Atomic<Int>>, totals: UnsafeMutablePointer<GapTotals>,
                         sleeper: UnsafeMutablePointer<SleeperWords>) throws -> Trial {
        let operationsWindow = 2 * trial + 1, quietWindow = 2 * trial + 2
        let before = try InterruptCounts.read()
        window.pointee.store(operationsWindow, ordering: .relaxed)
        var latencyTicks: UInt64, missed = 0
        let start = kb_rdtsc_begin()
        switch operation {
        case .membarrier: latencyTicks = timeMembarriers(operations)
        case .mprotect: latencyTicks = timeMprotects(pages.base, size: IPIPages.pageSize, count: operations)
        case .munmap:
            latencyTicks = timeMunmaps(pages.base + pages.mapped * IPIPages.pageSize, size: IPIPages.pageSize,
                                       count: operations)
            pages.mapped -= operations
        case .futexWake:
            (latencyTicks, missed) = timeFutexWakes(sleeper, count: operations, settleNs: settings.settleNs,
                                                    overheadTicks: settings.overheadTicks)
        }
        let end = kb_rdtsc_end()
        window.pointee.store(quietWindow, ordering: .relaxed)
        let afterOperations = try InterruptCounts.read()
        let operationsTicks = end &- start
        sleepNanoseconds(Int64(settings.clock.nanoseconds(operationsTicks)))
        let quietEnd = kb_rdtsc_end()
        window.pointee.store(0, ordering: .relaxed)
        let afterQuiet = try InterruptCounts.read()
        let quietTicks = quietEnd &- end

        let net = latencyTicks > settings.overheadTicks ? latencyTicks - settings.overheadTicks : 0
        let observation = try IPIObservation(
            before: before, afterOperations: afterOperations, afterQuiet: afterQuiet, victimCPU: settings.victimCPU,
            operations: operations, operationsNs: settings.clock.nanoseconds(operationsTicks),
            quietNs: settings.clock.nanoseconds(quietTicks))
        var result = Trial(latencyNs: settings.clock.nanoseconds(net) / Double(operations), observation: observation,
                           missedWakes: missed)
        if operation.hasGapLoop && observation.observed {
            let scale = Double(operationsTicks) / Double(max(quietTicks, 1))
            let ipis = observation.ipisPerOperation * Double(operations)
            let lostTicks = Double(totals[operationsWindow].ticks) - Double(totals[quietWindow].ticks) * scale
            let extraGaps = Double(totals[operationsWindow].gaps) - Double(totals[quietWindow].gaps) * scale
            result.victimNsPerIPI = max(0, settings.clock.nanoseconds(UInt64(max(0, lostTicks))) / ipis)
            result.victimGapsPerIPI = extraGaps / ipis
        }
        return result
    }

    /// The summary rows of one operation's trials: initiator latency (ns,
    /// ticks) and IPIs per operation always; the victim's time per IPI (ns,
    /// ticks) and gaps per IPI only from trials in which IPIs were observed.
    public static func measurements(_ operation: IPIOperation, trials: [Trial], settings: Settings) -> [Measurement] {
        let param = "initiator=cpu\(settings.initiatorCPU);victim=cpu\(settings.victimCPU);ops=\(operationsPerTrial(operation, settings))"
        func row(_ metric: String, _ unit: String, _ values: [Double]) -> Measurement? {
            SampleStatistics(values).map {
                Measurement(benchmark: "ipi", variant: operation.rawValue, threads: 2, param: param, metric: metric,
                            unit: unit, lowerIsBetter: true, statistics: $0, trials: values)
            }
        }
        var rows: [Measurement] = []
        rows += row("initiator_latency", "ns", trials.map(\.latencyNs))?.withTicks(settings.clock) ?? []
        rows += [row("ipis_per_op", "count", trials.map(\.observation.ipisPerOperation))].compactMap { $0 }
        rows += row("victim_time_per_ipi", "ns", trials.compactMap(\.victimNsPerIPI))?.withTicks(settings.clock) ?? []
        rows += [row("victim_gaps_per_ipi", "count", trials.compactMap(\.victimGapsPerIPI))].compactMap { $0 }
        return rows
    }

    /// `ctxbench ipi`: every operation of `operations`; writes summary.csv,
    /// trials.csv and meta.json (with each operation's IPI lines per
    /// operation), warning for each operation that caused no IPI.
    public static func run(_ operations: [IPIOperation], settings: Settings, benchRun: BenchRun) throws -> [Measurement] {
        var rows: [Measurement] = []
        var verdicts: [String: JSONValue] = [:]
        for operation in operations where !StopRequest.isRequested {
            if operationsPerTrial(operation, settings) < settings.operations {
                benchRun.warn("ipi munmap: \(operationsPerTrial(operation, settings)) operations per trial, not \(settings.operations): its pages are capped at \(maximumMunmapPages)")
            }
            let (trials, scheduling) = try measure(operation, settings: settings)
            for (index, member) in scheduling.enumerated() {
                benchRun.recordScheduling(member, thread: "ipi-\(operation.rawValue)-\(index == 0 ? "initiator" : "victim")@cpu\(index == 0 ? settings.initiatorCPU : settings.victimCPU)")
            }
            guard !trials.isEmpty else { continue }
            let observed = trials.filter(\.observation.observed).count
            let perLine = IPILine.allCases.map { line in
                (line.rawValue, JSONValue.double(trials.map { $0.observation.perOperation[line]! }.reduce(0, +) / Double(trials.count)))
            }
            verdicts[operation.rawValue] = .object(Dictionary(uniqueKeysWithValues: perLine)
                .merging(["trials_with_ipis": .int(Int64(observed)), "trials": .int(Int64(trials.count))]) { $1 })
            if observed == 0 {
                let hint = operation.hasGapLoop && benchRun.fifoPriority == nil
                    ? " (the victim may not have been running when the operations came: try --fifo)" : ""
                benchRun.warn("ipi \(operation.rawValue): \(trials[0].observation.summary) in every trial: its latency is not an IPI cost\(hint)")
            } else if observed < trials.count {
                benchRun.warn("ipi \(operation.rawValue): IPIs observed in \(observed) of \(trials.count) trials; victim figures are from those only")
            }
            let missed = trials.map(\.missedWakes).reduce(0, +)
            if missed > 0 {
                benchRun.warn("ipi futex_wake: \(missed) wakes found the sleeper not yet asleep")
            }
            rows += measurements(operation, trials: trials, settings: settings)
        }
        benchRun.setParameter("ipis_per_op_by_line", .object(verdicts))
        try benchRun.finish(measurements: rows, complete: !StopRequest.isRequested)
        return rows
    }
}
