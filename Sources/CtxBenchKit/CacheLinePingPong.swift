import Platform
import BenchKit
import CPlatform
import Synchronization

/// A cache-line round trip between two CPUs: this thread CASes a shared word
/// from even to odd, a partner pinned to another CPU CASes it back, so every
/// iteration moves the line across and back. The cost per iteration is one
/// core-to-core round trip — the floor under any cross-CPU lock handoff or
/// message.
///
/// The partner is a one-member `ThreadTeam` (pinned, checked, stopped with a
/// bound); it inherits the scheduling policy of the thread that creates it.
public final class CacheLinePingPong: TrialBenchmark {
    public let benchmark = "floor", metric = "round_trip"
    public let variant: String
    /// The CPU the partner runs on.
    public var partnerCPU: Int { partner.cpus[0] }
    /// The word that travels; read by the partner until it stops.
    private let line = CacheLineBox(Atomic<UInt64>(0))
    private let partner: ThreadTeam<Void>
    private var finished = false

    /// Starts the partner on `partnerCPU`; the caller measures from `cpu`
    /// (its own thread, pinned there).
    public init(cpu: Int, partnerCPU: Int) throws {
        variant = "cas_round_trip_cpu\(cpu)_cpu\(partnerCPU)"
        partner = ThreadTeam(cpus: [partnerCPU]) { _, _ in () }
        let line = self.line
        try partner.launch(body: { member, _ in
            // Partner: turn every odd value even, until told to stop.
            while !member.shouldStop {
                let value = line.pointee.load(ordering: .relaxed)
                if value & 1 == 1 {
                    _ = line.pointee.compareExchange(expected: value, desired: value &+ 1,
                                                            ordering: .acquiringAndReleasing)
                } else {
                    kb_pause()
                }
            }
        })
        partner.release()
    }

    public func runBatch(iterations: Int) -> UInt64 {
        let word = line.pointer
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

    /// Round trips completed so far (each one: our CAS and the partner's).
    var roundTrips: UInt64 { line.pointee.load(ordering: .acquiring) / 2 }

    /// Stops the partner and waits up to `timeout` for it: true when it
    /// returned, false when it was abandoned.
    @discardableResult
    public func finish(timeout: Duration = .seconds(2)) -> Bool {
        if finished { return true }
        finished = true
        partner.requestStop()
        return partner.join(timeout: timeout).joined
    }

    /// The line is freed only when the partner returned: an abandoned
    /// partner may still read it, so then it is leaked, as the team's memory is.
    deinit {
        if finish() { line.deallocate() }
    }
}
