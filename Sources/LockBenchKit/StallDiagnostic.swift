// What the watchdog says when a run stops making progress.

import KernelCore
import VcoreEmulation
import Synchronization

/// The watchdog's one-line diagnostic: the lock, its holder, its waiters.
enum StallDiagnostic {
    static func describe(lock: MeasuredLock, memories: [ThreadMemory], cpus: [Int32],
                         map: VcoreMap, stalledSeconds: Double) -> String {
        var holders: [String] = []
        var waiters: [String] = []
        for (index, memory) in memories.enumerated() {
            let status = memory.status
            let who = "thread \(index) (vcore \(index), cpu \(cpus[index])"
                + (map.isPreempted(VcoreID(index)) ? ", preempted" : "") + ")"
            switch status.pointee.phase {
            case .holding: holders.append("\(who) at acquisition \(status.pointee.acquisitions + 1)")
            case .waiting: waiters.append("\(who) attempt \(status.pointee.acquisitions + 1)")
            default: break
            }
        }
        var holder = holders.isEmpty ? "unknown holder" : holders.joined(separator: ", ")
        if holders.isEmpty, let reportedHolder = lock.reportedHolder {
            if let vcore = reportedHolder() {
                holder = "vcore \(vcore) (thread \(vcore), as the lock records it)"
            } else {
                holder = "unknown holder (the lock records none)"
            }
        }
        let waiting = waiters.isEmpty ? "none" : waiters.joined(separator: ", ")
        return "lock \(lock.name): no acquisition for \((stalledSeconds * 10).rounded() / 10) s; "
            + "holder: \(holder); waiters: \(waiting)"
    }
}

/// The watchdog's diagnostic, handed from its thread to the runner.
final class StallBox: Sendable {
    private let text = Mutex<String?>(nil)
    func set(_ value: String) { text.withLock { $0 = value } }
    var value: String? { text.withLock { $0 } }
}
