import SeededRandom
// Helpers for the queue tests: messages that check themselves, and threads.

import Platform
import Synchronization
import Glibc
@testable import KernelCore

/// A message of `words` words: producer and sequence in word 0, the rest a
/// pattern of word 0, so a torn or half-written message is detected.
enum TestMessage {
    static func fill(_ words: UnsafeMutablePointer<UInt64>, count: Int, producer: Int, sequence: Int) {
        let id = UInt64(producer) << 48 | UInt64(sequence)
        words[0] = id
        for i in 1..<count { words[i] = id &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i) }
    }
    /// (producer, sequence) when intact, nil when torn.
    static func check(_ words: UnsafePointer<UInt64>, count: Int) -> (Int, Int)? {
        let id = words[0]
        for i in 1..<count where words[i] != id &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i) { return nil }
        return (Int(id >> 48), Int(id & 0xFFFF_FFFF_FFFF))
    }
}

/// Marks (producer, sequence) received; counts duplicates, torn and unknown messages.
final class ReceiptBook: @unchecked Sendable {
    let producers: Int, perProducer: Int
    private let seen: UnsafeMutablePointer<Atomic<UInt8>>
    let duplicates = Atomic<Int>(0), torn = Atomic<Int>(0), unknown = Atomic<Int>(0), received = Atomic<Int>(0)

    init(producers: Int, perProducer: Int) {
        self.producers = producers
        self.perProducer = perProducer
        seen = .allocate(capacity: producers * perProducer)
        for i in 0..<(producers * perProducer) { (seen + i).initialize(to: Atomic(0)) }
    }
    deinit { seen.deallocate() }

    func record(_ message: UnsafePointer<UInt64>, words: Int) {
        received.add(1, ordering: .relaxed)
        guard let (producer, sequence) = TestMessage.check(message, count: words) else {
            torn.add(1, ordering: .relaxed); return
        }
        guard producer < producers, sequence < perProducer else { unknown.add(1, ordering: .relaxed); return }
        if seen[producer * perProducer + sequence].exchange(1, ordering: .relaxed) != 0 {
            duplicates.add(1, ordering: .relaxed)
        }
    }

    /// Messages never received.
    var missing: Int {
        (0..<(producers * perProducer)).reduce(0) { $0 + (seen[$1].load(ordering: .relaxed) == 0 ? 1 : 0) }
    }
}

/// Runs `body(i)` on `count` threads spread over the allowed CPUs, and joins them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) throws {
    let cpus = try Affinity.allowedCPUs().cpus
    var threads: [PinnedThread] = []
    for index in 0..<count {
        threads.append(try PinnedThread.start(cpu: cpus[index % cpus.count]) { body(index) })
    }
    for thread in threads { thread.join() }
}

/// A tiny seeded generator for random pauses (per thread, no locking).
struct PauseNoise {
    var random: SeededGenerator
    init(state: UInt64) { random = SeededGenerator(seed: state) }
    mutating func next() -> UInt64 { random.next() }
    /// Now and then a short spin, rarely a yield or a 50 µs sleep.
    mutating func maybePause() {
        let r = next() % 1000
        if r < 5 { usleep(50) } else if r < 20 { sched_yield() } else if r < 100 { for _ in 0..<(r * 4) { kb_spin() } }
    }
}

@inline(never) func kb_spin() { withExtendedLifetime(0) {} }
