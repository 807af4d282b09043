// QueueLedger: one consumer's record of what it received, for exactly-once.

import Platform

/// What one consumer saw: a bit per (producer, sequence) it received, the
/// next sequence it expects from each producer (when order is promised), the
/// first violation, latency samples and its last receive tick. Allocated (and
/// zeroed, so touched) before any thread starts; the consumer loop writes it
/// through raw pointers, nothing else does until the round is joined.
public final class QueueLedger: @unchecked Sendable {
    /// Latency samples kept per consumer, at most (every `sampleStride`-th message).
    public static let maximumSamples = 1 << 20

    public let producers: Int, perProducer: Int
    let wordsPerProducer: Int
    let bits: UnsafeMutablePointer<UInt64>
    let nextSequence: UnsafeMutablePointer<Int>
    let samples: UnsafeMutablePointer<UInt64>
    let sampleCapacity: Int
    let sampleStride: Int
    /// Written by the consumer loop; read after the join.
    var state = ConsumerState()

    public init(producers: Int, perProducer: Int, total: Int) {
        self.producers = producers
        self.perProducer = perProducer
        wordsPerProducer = (perProducer + 63) / 64
        bits = .allocate(capacity: producers * wordsPerProducer)
        bits.initialize(repeating: 0, count: producers * wordsPerProducer)
        nextSequence = .allocate(capacity: producers)
        nextSequence.initialize(repeating: 0, count: producers)
        sampleCapacity = min(total, Self.maximumSamples)
        sampleStride = max(1, total / sampleCapacity)
        samples = .allocate(capacity: sampleCapacity)
        samples.initialize(repeating: 0, count: sampleCapacity)
    }

    deinit {
        bits.deallocate()
        nextSequence.deallocate()
        samples.deallocate()
    }

    /// The latency samples taken (TSC ticks).
    var latencyTicks: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: samples, count: state.sampleCount) }

    /// Merges the ledgers of every consumer of a round: the first message seen
    /// twice (by one consumer or by two), the first never seen, or the first
    /// violation a consumer recorded itself. Nil when exactly-once held.
    /// `sent[p]`: how many messages producer p sent when the round was cut
    /// short (nil: all of them); a message at or past it was never sent.
    static func firstViolation(_ ledgers: [QueueLedger], sent: [Int]? = nil) -> QueueViolation? {
        for ledger in ledgers { if let violation = ledger.state.violation { return violation } }
        guard let first = ledgers.first else { return nil }
        for producer in 0..<first.producers {
            for word in 0..<first.wordsPerProducer {
                var seen: UInt64 = 0
                for ledger in ledgers {
                    let mine = ledger.bits[producer * first.wordsPerProducer + word]
                    if seen & mine != 0 {
                        return QueueViolation(kind: .duplicate, producer: producer,
                                              sequence: word * 64 + (seen & mine).trailingZeroBitCount)
                    }
                    seen |= mine
                }
                let valid = max(0, min(64, (sent?[producer] ?? first.perProducer) - word * 64))
                let expected: UInt64 = valid == 64 ? ~0 : (1 << UInt64(valid)) - 1
                if seen & ~expected != 0 {
                    return QueueViolation(kind: .unknown, producer: producer,
                                          sequence: word * 64 + (seen & ~expected).trailingZeroBitCount)
                }
                if seen != expected {
                    return QueueViolation(kind: .lost, producer: producer,
                                          sequence: word * 64 + (~seen & expected).trailingZeroBitCount)
                }
            }
        }
        return nil
    }
}

/// A consumer's counters, plain values written by its own thread.
struct ConsumerState {
    var received = 0
    var lastTick: UInt64 = 0
    var sampleCount = 0
    var violation: QueueViolation?
}

/// A broken promise: which message, and how.
public struct QueueViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case duplicate = "was received twice"
        case lost = "was never received"
        case torn = "was read before it was completely written"
        case unknown = "names a producer or sequence that was never sent"
        case outOfOrder = "arrived out of its producer's order"
    }
    public var kind: Kind
    public var producer: Int
    public var sequence: Int

    public var description: String { "producer \(producer) sequence \(sequence) \(kind.rawValue)" }
}
