// EventLogControl: what a domain's events record (Uhlig §4.5.4, §5.5.1).

/// A thread's accounting domain (Uhlig's thread domains, after resource
/// containers). Events are raised only between threads of different domains.
public typealias DomainID = UInt32

/// A domain's log control word: what an event of that domain records. Zero
/// records nothing (the domain is not watched). Read on every cross-domain
/// event, written only by the consumer that configures logging.
///
/// Bits: 0 counts the event in the per-CPU domain counter; 1-3 the 4-byte
/// words each log record has (0-5); 4 makes the last word the TSC's low 32
/// bits. A record's words, in order: the domain's event count, the domain
/// pair (from << 16 | to), the event parameter, the CPU log's sequence
/// number, the TSC (only the first `words` are written).
@frozen
public struct EventLogControl: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Nothing recorded.
    public static let off = EventLogControl(rawValue: 0)
    /// Counted only (Uhlig's (c), accounting without a log entry).
    public static let countOnly = EventLogControl(rawValue: 1)

    /// Counted, with `words` words per record (1-5); `timestamp` puts the TSC in the last.
    public static func records(words: Int, timestamp: Bool = false) -> EventLogControl {
        precondition((1...EventLogControl.maxWords).contains(words), "EventLogControl: 1-5 words")
        return EventLogControl(rawValue: 1 | UInt32(words) << 1 | (timestamp ? 1 << 4 : 0))
    }

    /// The most words a record has.
    public static let maxWords = 5

    /// Whether the event is counted.
    @inlinable public var counts: Bool { rawValue & 1 != 0 }
    /// Words per log record (0: no record).
    @inlinable public var words: Int { Int(rawValue >> 1 & 7) }
    /// Whether the last word is the TSC.
    @inlinable public var timestamp: Bool { rawValue & 1 << 4 != 0 }

    public var description: String {
        if rawValue == 0 { return "off" }
        if words == 0 { return "count" }
        return "count+\(words)w" + (timestamp ? "+tsc" : "")
    }
}
