import Foundation
import Glibc
import Platform
import Synchronization
import Testing

/// `ftq --fifo` with a sampler on every CPU of the machine: SCHED_FIFO
/// samplers busy everywhere, the coordinator (SCHED_OTHER) left no CPU. It
/// used to hang at the start: the samplers spun on a start flag that only the
/// starved coordinator could set; with RT throttling off nothing else ever
/// ran. So the test turns RT throttling off for its duration when it may
/// (root), and restores it. A FIFO 99 guard thread kills the tool if it hangs
/// anyway, so a regression fails the test instead of freezing the machine.
/// (Kernels since 6.12 run starved SCHED_OTHER tasks from a deadline "fair
/// server", about 5% of each CPU: there the old start was late, ~0.5 s on the
/// development VM, rather than hung; without that server it never started.)
@Suite(.serialized, .timeLimit(.minutes(1))) struct FTQFIFOEveryCPUTests {
    static let throttlingFile = "/proc/sys/kernel/sched_rt_runtime_us"

    final class Finished: Sendable { let value = Atomic<Bool>(false) }

    @Test func fifoSamplersOnEveryCPUStartAndFinish() throws {
        let cpus = try Affinity.allowedCPUs()
        let saved = try? String(contentsOfFile: Self.throttlingFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let throttlingOff = saved != nil && FileManager.default.isWritableFile(atPath: Self.throttlingFile)
            && (try? "-1".write(toFile: Self.throttlingFile, atomically: false, encoding: .utf8)) != nil
        defer {
            if throttlingOff, let saved {
                try? saved.write(toFile: Self.throttlingFile, atomically: false, encoding: .utf8)
            }
        }

        let dir = ToolRunner.temporaryDirectory()
        let finished = Finished()
        let started = Date()
        let result = try ToolRunner.run("ftq", ["--fifo", "--cpus", cpus.description, "--samples", "5000",
                                                "--out", dir]) { process in
            let pid = process.processIdentifier
            _ = try? PinnedThread.start(cpu: nil) {
                // Above the samplers' FIFO 50, so it runs even if they hog every CPU.
                var param = sched_param(sched_priority: 99)
                _ = sched_setscheduler(0, SCHED_FIFO, &param)
                let deadline = monotonicNanos() + 30_000_000_000
                while !finished.value.load(ordering: .acquiring) && monotonicNanos() < deadline {
                    sleepNanoseconds(20_000_000)
                }
                if !finished.value.load(ordering: .acquiring) { kill(pid, SIGKILL) }
            }
        }
        finished.value.store(true, ordering: .releasing)
        let seconds = Date().timeIntervalSince(started)

        #expect(!result.signalled, "ftq --fifo on every CPU hung and was killed after \(Int(seconds)) s (RT throttling off: \(throttlingOff))")
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try String(contentsOfFile: dir + "/ftq.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let perCPU = Dictionary(grouping: rows) { $0.split(separator: ",")[1] }.mapValues(\.count)
        #expect(perCPU.count == cpus.count && perCPU.values.allSatisfy { $0 == 5000 }, "\(perCPU)")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json")))
            as? [String: Any] ?? [:]
        #expect(meta["complete"] as? Bool == true)
        let obtained = ((meta["scheduling"] as? [String: Any])?["obtained"] as? [String: [String: Any]]) ?? [:]
        #expect(obtained.count == cpus.count)
        if geteuid() == 0 {
            #expect(obtained.values.allSatisfy { $0["policy"] as? String == "SCHED_FIFO" }, "\(obtained)")
        }
    }
}
