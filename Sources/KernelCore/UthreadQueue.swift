// A FIFO of uthreads, linked through their control blocks: the run queue,
// and the waiters of a mutex or a condition variable.

/// Head and tail of an intrusive FIFO linked through `UthreadRecord.runNext`
/// (a uthread is on at most one such queue: runnable, or waiting). No
/// allocation; the owner guards it (the 2LS lock, a mutex's spinlock).
struct UthreadQueue {
    var head: UnsafeMutablePointer<UthreadRecord>?
    var tail: UnsafeMutablePointer<UthreadRecord>?

    /// Whether `uthread` is already the tail or linked to a successor (queued).
    func holds(_ uthread: UnsafeMutablePointer<UthreadRecord>) -> Bool {
        uthread.pointee.runNext != nil || uthread == tail
    }

    mutating func append(_ uthread: UnsafeMutablePointer<UthreadRecord>) {
        uthread.pointee.runNext = nil
        if let tail { tail.pointee.runNext = uthread } else { head = uthread }
        tail = uthread
    }

    mutating func popFirst() -> UnsafeMutablePointer<UthreadRecord>? {
        guard let first = head else { return nil }
        head = first.pointee.runNext
        if head == nil { tail = nil }
        first.pointee.runNext = nil
        return first
    }

    /// Empties the queue, returning its old head (the rest still linked).
    mutating func takeAll() -> UnsafeMutablePointer<UthreadRecord>? {
        defer { head = nil; tail = nil }
        return head
    }
}
