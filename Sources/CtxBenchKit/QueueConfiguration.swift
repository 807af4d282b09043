// QueueConfiguration: what one `ctxbench queue` run measures, checked once.

import KernelCore

/// The plain values of a `ctxbench queue` run. `validate` bounds every one,
/// so a hostile value fails before anything is allocated or started.
public struct QueueConfiguration: Sendable, Equatable {
    public var queues: [QueueKind]
    public var producers: Int
    public var consumers: Int
    /// Messages in all, split evenly over the producers (rounded down to a multiple of them).
    public var messages: Int
    public var messageBytes: Int
    /// Messages per spike (0: a steady stream); consumers wait for each spike
    /// to be produced, then drain it.
    public var burst: Int
    /// Slots of the bounded queues (BCQ, ck_ring) and the mutex deque's first buffer.
    public var ringSlots: Int
    /// UCQ page size in bytes.
    public var ucqPageBytes: Int
    public var rounds: Int
    public var producerCPUs: [Int]
    public var consumerCPUs: [Int]
    /// Seconds one round may take. A round past it is stopped and recorded
    /// as collapsed with what it delivered (a peer that collapses, such as
    /// ck_ring MPMC with two producers on one CPU, becomes a row, not an abort).
    public var roundBudgetSeconds: Double
    /// Timed trials of the uncontended enqueue-plus-dequeue on one CPU (0: not measured).
    public var pairTrials: Int

    public init(queues: [QueueKind] = QueueKind.allCases, producers: Int = 1, consumers: Int = 1,
                messages: Int = 1_000_000, messageBytes: Int = 24, burst: Int = 0, ringSlots: Int = 4096,
                ucqPageBytes: Int = SharedMemory.pageBytes, rounds: Int = 3,
                producerCPUs: [Int] = [0], consumerCPUs: [Int] = [1], roundBudgetSeconds: Double = 10,
                pairTrials: Int = 11) {
        self.queues = queues
        self.producers = producers
        self.consumers = consumers
        self.messages = messages
        self.messageBytes = messageBytes
        self.burst = burst
        self.ringSlots = ringSlots
        self.ucqPageBytes = ucqPageBytes
        self.rounds = rounds
        self.producerCPUs = producerCPUs
        self.consumerCPUs = consumerCPUs
        self.roundBudgetSeconds = roundBudgetSeconds
        self.pairTrials = pairTrials
    }

    /// Limits: threads per side, messages, message bytes, rounds.
    public static let maximumThreads = 64, maximumMessages = 100_000_000, minimumMessageBytes = 16,
                      maximumMessageBytes = 1024, maximumRounds = 100
    /// Limits of the round budget (seconds) and of the uncontended pair's trials.
    public static let roundBudgetRange = 0.05...3600.0, maximumPairTrials = 1000
    /// Enqueue-plus-dequeue pairs per trial of the uncontended measurement.
    public static let pairIterations = 10_000

    /// Messages each producer sends.
    public var perProducer: Int { messages / max(1, producers) }
    /// Messages sent in all.
    public var total: Int { perProducer * producers }
    /// Messages per producer per spike (0: no spikes).
    public var burstPerProducer: Int { burst == 0 ? 0 : max(1, burst / producers) }

    /// The first problem with these values, as (option, what is wrong), or nil.
    public func problem() -> (option: String, reason: String)? {
        if queues.isEmpty { return ("--queue", "names no queue") }
        for (option, value) in [("--producers", producers), ("--consumers", consumers)]
        where !(1...Self.maximumThreads).contains(value) {
            return (option, "must be from 1 to \(Self.maximumThreads), got \(value)")
        }
        if !(1...Self.maximumMessages).contains(messages) {
            return ("--messages", "must be from 1 to \(Self.maximumMessages), got \(messages)")
        }
        if messages < producers { return ("--messages", "must be at least --producers (\(producers)), got \(messages)") }
        if !(Self.minimumMessageBytes...Self.maximumMessageBytes).contains(messageBytes) || messageBytes % 8 != 0 {
            return ("--message-bytes", "must be a multiple of 8 from \(Self.minimumMessageBytes) to \(Self.maximumMessageBytes) (producer id, sequence and TSC stamp take 16), got \(messageBytes)")
        }
        if burst < 0 || burst > messages { return ("--burst", "must be from 0 (no spikes) to --messages (\(messages)), got \(burst)") }
        if ringSlots < 2 || ringSlots > BoundedConcurrentQueue.maximumCapacity || ringSlots & (ringSlots - 1) != 0 {
            return ("--ring-slots", "must be a power of two from 2 to \(BoundedConcurrentQueue.maximumCapacity), got \(ringSlots)")
        }
        if queues.contains(.ucq) {
            do { _ = try UCQLayout(messageBytes: messageBytes, pageBytes: ucqPageBytes) } catch {
                return ("--ucq-page-bytes", "\(error) (with --message-bytes \(messageBytes))")
            }
        }
        if !(1...Self.maximumRounds).contains(rounds) { return ("--rounds", "must be from 1 to \(Self.maximumRounds), got \(rounds)") }
        if !roundBudgetSeconds.isFinite || !Self.roundBudgetRange.contains(roundBudgetSeconds) {
            return ("--round-budget-s", "must be from \(Self.roundBudgetRange.lowerBound) to \(Int(Self.roundBudgetRange.upperBound)) seconds, got \(roundBudgetSeconds)")
        }
        if !(0...Self.maximumPairTrials).contains(pairTrials) {
            return ("--pair-trials", "must be from 0 (not measured) to \(Self.maximumPairTrials), got \(pairTrials)")
        }
        if producerCPUs.isEmpty { return ("--producer-cpus", "names no CPU") }
        if consumerCPUs.isEmpty { return ("--consumer-cpus", "names no CPU") }
        return nil
    }

    /// Bytes the run allocates beyond the queues' own: each consumer's
    /// exactly-once bitmap and latency samples (and ck_fifo's preallocated entries).
    public var bookkeepingBytes: Double {
        let bitmap = Double(total) / 8 + Double(producers) * 8
        let samples = Double(min(total, QueueLedger.maximumSamples)) * 8
        let pairs = Double((pairTrials + 3) * Self.pairIterations)
        let fifo = queues.contains(.ckFifo) ? (Double(total) + (pairTrials > 0 ? pairs : 0)) * Double(messageBytes + 32) : 0
        return Double(consumers) * (bitmap + samples) + fifo
    }
}
