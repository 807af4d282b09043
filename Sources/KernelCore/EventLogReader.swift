// EventLogReader: the consumer's side of the per-CPU event logs.

/// What one read of a CPU's log returned.
public struct EventLogBatch: Sendable, Equatable {
    /// The records, `recordWords` words each, oldest first.
    public var words: [UInt32]
    /// The log sequence number of the first record.
    public var firstSequence: UInt64
    /// Records that were overwritten before they could be read (overruns).
    public var lost: UInt64
    /// Words per record.
    public var recordWords: Int
    /// The number of records.
    public var count: Int { words.count / max(1, recordWords) }
    /// Record `index`'s words.
    public func record(_ index: Int) -> ArraySlice<UInt32> {
        words[index * recordWords..<(index + 1) * recordWords]
    }
}

/// Reads every CPU's log of an `EventLog` through shared memory, never
/// stopping a producer: each read returns the records written since the
/// last one that are still intact, and counts the ones overwritten before
/// they were read (the log was smaller than the back-log between reads).
public struct EventLogReader: Sendable {
    public let log: EventLog
    private var next: [UInt64]
    /// Records lost per CPU slot so far.
    public private(set) var lost: [UInt64]

    public init(log: EventLog) {
        self.log = log
        next = Array(repeating: 0, count: log.cpuSlots)
        lost = Array(repeating: 0, count: log.cpuSlots)
    }

    /// The records CPU slot `cpu` logged since the last read.
    public mutating func read(cpu: Int) -> EventLogBatch {
        let buffer = log.buffer(cpu: cpu)
        var words: [UInt32] = []
        let (first, upTo) = buffer.copy(from: next[cpu], into: &words)
        let missed = first - next[cpu]
        lost[cpu] += missed
        next[cpu] = upTo
        return EventLogBatch(words: words, firstSequence: first, lost: missed, recordWords: buffer.recordWords)
    }
}
