// Native preemption: SCHED_FIFO hogs that really take CPUs from the lock
// threads on a schedule (stock Linux gives the victims no notice and their
// peers no way to help, so no lock can recover; this shows what MCS does).

import Platform
import BenchKit
import Synchronization

/// Every `period`, hogs each of `cpus` with a SCHED_FIFO spinner for `duration`.
final class NativePreemptor: @unchecked Sendable {
    struct Round { var victims: [Int]; var start: UInt64; var end: UInt64 }

    let cpus: [Int32]
    let spec: PreemptionSpec
    private let stopFlag = Atomic<Bool>(false)
    private var thread: PinnedThread?
    private let state = Mutex<(rounds: [Round], failure: String?)>(([], nil))

    init(cpus: [Int32], spec: PreemptionSpec) {
        self.cpus = cpus
        self.spec = spec
    }

    func start() throws {
        thread = try PinnedThread.start(cpu: nil) { [self] in run() }
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
    }

    var rounds: [Round] { state.withLock { $0.rounds } }
    var failure: String? { state.withLock { $0.failure } }

    private func run() {
        let period = UInt64(spec.periodMs * 1e6)
        let duration = Duration.nanoseconds(Int64(spec.durationMs * 1e6))
        var next = monotonicNanos() + period
        while !stopFlag.load(ordering: .relaxed) {
            sleep(untilNanos: next)
            if stopFlag.load(ordering: .relaxed) { break }
            do {
                let start = monotonicNanos()
                let hogs = try cpus.map { try FIFOHog(cpu: $0, duration: duration) }
                hogs.forEach { $0.join() }
                let end = monotonicNanos()
                state.withLock { $0.rounds.append(Round(victims: cpus.map(Int.init), start: start, end: end)) }
            } catch {
                state.withLock { $0.failure = "\(error) (needs root or CAP_SYS_NICE)" }
                return
            }
            next += period
        }
    }
}
