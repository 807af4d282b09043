import Platform
import Testing
@testable import BenchKit

/// Changes the scheduling policy of a thread it creates, and restores it.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SchedulingTests {
    final class Box<T>: @unchecked Sendable { var value: T; init(_ value: T) { self.value = value } }

    @Test func fifoIsObtainedOrReported() throws {
        let result = Box<(String?, SchedulingState, SchedulingState)>((nil, .current(), .current()))
        try PinnedThread.start(cpu: nil) {
            let before = SchedulingState.current()
            let warning = RealtimeScheduling.requestFIFO(priority: 10)
            let during = SchedulingState.current()
            try? RealtimeScheduling.restore(before)
            result.value = (warning, during, SchedulingState.current())
        }.join()
        let (warning, during, after) = result.value
        if let warning {
            #expect(warning.contains("SCHED_FIFO not obtained"))
            #expect(during.policy == "SCHED_OTHER")
        } else {
            #expect(during == SchedulingState(policy: "SCHED_FIFO", priority: 10))
        }
        #expect(after.policy == "SCHED_OTHER", "policy was not restored")
    }
}
