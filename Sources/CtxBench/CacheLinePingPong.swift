import Platform
import BenchKit
import CPlatform
import Synchronization

/// A cache-line round trip between two CPUs: this thread CASes a shared word
/// from even to odd, a partner pinned to another CPU CASes it back, so every
/// iteration moves the line across and back. The cost per iteration is one
/// core-to-core round trip — the floor under any cross-CPU lock handoff or
/// message.
final class CacheLinePingPong: TrialBenchmark {
    let benchmark = "floor", metric = "round_trip"
    let variant: String
    private let line = CacheLineWord()
    private let stop = CacheLineWord()
    private var partner: PinnedThread?

    init(cpu: Int, partnerCPU: Int) throws {
        variant = "cas_round_trip_cpu\(cpu)_cpu\(partnerCPU)"
        let line = self.line, stop = self.stop
        partner = try PinnedThread.start(cpu: partnerCPU) {
            // Partner: turn every odd value even, until told to stop.
            while stop.atomic.pointee.load(ordering: .relaxed) == 0 {
                let value = line.atomic.pointee.load(ordering: .relaxed)
                if value & 1 == 1 {
                    _ = line.atomic.pointee.compareExchange(expected: value, desired: value &+ 1,
                                                            ordering: .acquiringAndReleasing)
                } else {
                    kb_pause()
                }
            }
        }
    }

    func runBatch(iterations: Int) -> UInt64 {
        let word = line.atomic
        var value = word.pointee.load(ordering: .relaxed)
        let start = kb_rdtsc_begin()
        for _ in 0..<iterations {
            // Our half: even -> odd, then wait for the partner's odd -> even.
            _ = word.pointee.compareExchange(expected: value, desired: value &+ 1, ordering: .acquiringAndReleasing)
            value &+= 2
            while word.pointee.load(ordering: .acquiring) != value { kb_pause() }
        }
        return kb_rdtsc_end() &- start
    }

    /// Stops and joins the partner thread.
    func finish() {
        stop.atomic.pointee.store(1, ordering: .relaxed)
        partner?.join()
        partner = nil
    }

    deinit { finish() }
}
