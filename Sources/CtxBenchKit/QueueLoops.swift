// The measured loops of `ctxbench queue`: one producer's, one consumer's.
// Alone in their functions, generic over the queue (specialized per queue),
// raw pointers only: no allocation, no reference counting, no printing.

import BenchKit
import CPlatform
import KernelCore
import Synchronization

/// The plain numbers both loops need.
@frozen
public struct QueuePlan: Sendable {
    public var producers: Int
    public var perProducer: Int
    /// Message size in 8-byte words.
    public var words: Int
    /// Messages per producer per spike; 0: a steady stream.
    public var burstPerProducer: Int
    /// Per-producer order is checked (one consumer: every queue here is FIFO).
    public var checksOrder: Bool
}

/// Sends producer `producer`'s messages: fill, stamp, enqueue (retrying,
/// and counting, while the queue is full). With spikes, after each one waits
/// until every producer's spike is consumed. Stops early when the team is
/// asked to stop (a round past its budget, Ctrl-C), never inside an enqueue.
/// Returns the failed enqueues and the messages sent (sequences 0..<sent).
@inline(never)
func produceMessages<Q: BenchQueue>(_ queue: Q, producer: Int, plan: QueuePlan, control: QueueControl,
                                    message: UnsafeMutablePointer<UInt64>, member: TeamMember) -> (failed: Int, sent: Int) {
    var failed = 0
    var sequence = 0
    while sequence < plan.perProducer && !member.shouldStop {
        QueueMessage.fill(message, words: plan.words,
                          identity: QueueMessage.identity(producer: producer, sequence: sequence))
        message[1] = kb_rdtsc()
        if !queue.enqueue(message, producer: producer) {
            failed &+= 1
            // Relaxed: a hint to consumers waiting for a spike, nothing more.
            control.fullSeen.pointee.store(1, ordering: .relaxed)
            if member.shouldStop { break }
            kb_pause()
            continue
        }
        sequence += 1
        // Relaxed: a pulse for the watchdog only.
        if sequence & 1023 == 0 { control.progress.pointee.wrappingAdd(1, ordering: .relaxed) }
        if plan.burstPerProducer > 0 && (sequence % plan.burstPerProducer == 0 || sequence == plan.perProducer) {
            // Releasing: this spike's messages are enqueued before it counts.
            control.produced.pointee.wrappingAdd(sequence % plan.burstPerProducer == 0 ? plan.burstPerProducer
                                                 : sequence % plan.burstPerProducer, ordering: .releasing)
            let drained = plan.producers * sequence
            var wait = SpinWait()
            // Acquiring: pairs with the consumers' count.
            while control.consumed.pointee.load(ordering: .acquiring) < drained && !member.shouldStop { wait.once() }
        }
    }
    // Releasing: every message is enqueued before consumers may see us done.
    control.producersDone.pointee.wrappingAdd(1, ordering: .releasing)
    return (failed, sequence)
}

/// Receives messages until every producer is done and the queue is empty
/// (also after a stop: producers stop between enqueues, so draining what they
/// sent keeps exactly-once checkable for a round cut short):
/// checks each one (known producer and sequence, intact pattern, not seen
/// before, in its producer's order when promised), samples its latency from
/// the producer's TSC stamp, and notes the last receive tick.
@inline(never)
func consumeMessages<Q: BenchQueue>(_ queue: Q, plan: QueuePlan, control: QueueControl, ledger: QueueLedger,
                                    message: UnsafeMutablePointer<UInt64>, member: TeamMember) {
    let bits = ledger.bits, next = ledger.nextSequence, samples = ledger.samples
    let wordsPerProducer = ledger.wordsPerProducer, stride = ledger.sampleStride, capacity = ledger.sampleCapacity
    let spike = plan.producers * plan.burstPerProducer, total = plan.producers * plan.perProducer
    var state = ConsumerState()
    var sinceSample = 0
    while true {
        // Acquiring: a producer counted done has every message enqueued.
        let done = control.producersDone.pointee.load(ordering: .acquiring) == plan.producers
        if spike > 0 && !done && control.fullSeen.pointee.load(ordering: .relaxed) == 0 {
            // Wait until the current spike is wholly produced, then drain it.
            let consumed = control.consumed.pointee.load(ordering: .acquiring)
            let end = min(total, (consumed / spike + 1) * spike)
            if control.produced.pointee.load(ordering: .acquiring) < end && !member.shouldStop {
                kb_pause()
                continue
            }
        }
        guard queue.dequeue(into: message) else {
            if done { break }
            kb_pause()
            continue
        }
        let now = kb_rdtsc()
        state.received &+= 1
        state.lastTick = now
        // Relaxed: a pulse for the watchdog only.
        if state.received & 1023 == 0 { control.progress.pointee.wrappingAdd(1, ordering: .relaxed) }
        if spike > 0 { control.consumed.pointee.wrappingAdd(1, ordering: .releasing) }
        let identity = message[0]
        let producer = Int(truncatingIfNeeded: identity >> 48)
        let sequence = Int(truncatingIfNeeded: identity & 0xFFFF_FFFF_FFFF)
        guard producer < plan.producers, sequence < plan.perProducer else {
            if state.violation == nil { state.violation = QueueViolation(kind: .unknown, producer: producer, sequence: sequence) }
            continue
        }
        if !QueueMessage.isIntact(message, words: plan.words), state.violation == nil {
            state.violation = QueueViolation(kind: .torn, producer: producer, sequence: sequence)
        }
        let word = bits + producer * wordsPerProducer + sequence >> 6
        let bit: UInt64 = 1 << UInt64(sequence & 63)
        if word.pointee & bit != 0, state.violation == nil {
            state.violation = QueueViolation(kind: .duplicate, producer: producer, sequence: sequence)
        }
        word.pointee |= bit
        if plan.checksOrder {
            if next[producer] != sequence, state.violation == nil {
                state.violation = QueueViolation(kind: .outOfOrder, producer: producer, sequence: sequence)
            }
            next[producer] = sequence + 1
        }
        sinceSample += 1
        if sinceSample == stride && state.sampleCount < capacity {
            sinceSample = 0
            let stamp = message[1]
            samples[state.sampleCount] = now > stamp ? now - stamp : 0
            state.sampleCount += 1
        }
    }
    ledger.state = state
}
