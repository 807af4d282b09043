import Foundation
import Testing
@testable import Platform

/// /proc/stat, parsed once for both users: the run's per-CPU accounting and
/// the tests' "was the machine busy" check.
@Suite struct CPUTimesTests {
    static let sample = """
        cpu  100 5 30 1000 7 2 3 4 0 0
        cpu0 60 5 20 400 3 1 2 4 0 0
        cpu1 40 0 10 600 4 1 1 0 0 0
        intr 12345 0 0
        ctxt 999
        cpu2 1 2 3
        cpuX 1 2 3 4 5 6 7 8
        """

    @Test func parsesTheTotalAndEachCPU() {
        let times = CPUTimes(parsing: Self.sample)
        #expect(times.total == CPUTimes.Fields(user: 100, nice: 5, system: 30, idle: 1000, iowait: 7, irq: 2, softirq: 3, steal: 4))
        #expect(times.total?.busy == 100 + 5 + 30 + 2 + 3 + 4)
        #expect(Set(times.perCPU.keys) == [0, 1], "short and malformed lines are skipped")
        #expect(times.perCPU[0]?.steal == 4 && times.perCPU[1]?.idle == 600)
    }

    @Test func emptyOrGarbageTextHasNoTimes() {
        for text in ["", "cpu", "cpu a b c d e f g h", "\n\n"] {
            let times = CPUTimes(parsing: text)
            #expect(times.total == nil && times.perCPU.isEmpty, "\(text)")
        }
    }

    @Test func millisecondsUseTheKernelsTickLength() {
        let before = CPUTimes(parsing: Self.sample)
        let after = CPUTimes(parsing: "cpu0 70 5 20 400 3 1 2 9 0 0\n")
        let spent = before.millisecondsUntil(after, cpus: [0, 1])
        #expect(spent["0"]?["user"] == 10 * CPUTimes.millisecondsPerTick)
        #expect(spent["0"]?["steal"] == 5 * CPUTimes.millisecondsPerTick)
        #expect(spent["1"] == nil, "a CPU missing from one snapshot has no entry")
    }

    @Test func thisMachineHasATotal() {
        let times = CPUTimes.read()
        #expect(times.total != nil && !times.perCPU.isEmpty)
        #expect(CPUTimes.millisecondsPerTick > 0 && CPUTimes.millisecondsPerTick <= 1000)
    }

    @Test func foreignTimeIsNeverNegative() {
        let (value, foreign) = foreignCPUMilliseconds { (0..<1000).reduce(0, +) }
        #expect(value == 499_500)
        #expect(foreign >= 0)
    }
}

/// /proc/stat as recorded on the project's 2-vCPU VM (Samples/vm-2cpu-stat):
/// the total line, both CPUs, and the non-CPU lines (intr, ctxt, btime,
/// processes, procs_running, procs_blocked, softirq) ignored.
@Suite struct RecordedStatTests {
    static let text: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Samples/vm-2cpu-stat").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    @Test func parsesTheRecordedSample() {
        let times = CPUTimes(parsing: Self.text)
        #expect(times.total == CPUTimes.Fields(user: 824239, nice: 6, system: 94435, idle: 219148, iowait: 8820,
                                               irq: 0, softirq: 2447, steal: 6786))
        #expect(Set(times.perCPU.keys) == [0, 1])
        #expect(times.perCPU[0] == CPUTimes.Fields(user: 394614, nice: 3, system: 44610, idle: 132903, iowait: 1801,
                                                   irq: 0, softirq: 605, steal: 3319))
        #expect(times.perCPU[1]?.idle == 86245 && times.perCPU[1]?.steal == 3466)
        // The total is the sum of the CPUs, to within the ticks between the kernel's reads.
        let user = (times.perCPU[0]?.user ?? 0) + (times.perCPU[1]?.user ?? 0)
        #expect(abs(user - (times.total?.user ?? 0)) <= 2)
    }

    @Test func recordedSampleToItselfIsZeroEverywhere() {
        let times = CPUTimes(parsing: Self.text)
        let spent = times.millisecondsUntil(times, cpus: [0, 1])
        #expect(spent.keys.sorted() == ["0", "1"])
        #expect(spent.values.allSatisfy { $0.values.allSatisfy { $0 == 0 } })
    }
}
