import Platform
import BenchKit
import CPlatform
import Synchronization

/// What crosses between the two CPUs of a `CacheLinePingPong`.
public enum LineTransfer: String, CaseIterable, Sendable {
    /// One CAS each way on one word: a core-to-core round trip.
    case casRoundTrip = "cas_round_trip"
    /// Loads of lines the partner holds modified (Völp's M to S): one line
    /// transfer, one way, per operation.
    case readModified = "read_modified"
    /// Locked exchanges on lines the partner holds modified (Völp's M to M):
    /// ownership moves, one way, per operation.
    case writeModified = "write_modified"
}

/// Cache lines moved between two CPUs: this thread (pinned to `cpu`) works,
/// a partner pinned to `partnerCPU` answers.
///
/// - `casRoundTrip`: this thread CASes a shared word from even to odd, the
///   partner CASes it back, so every iteration moves the line across and back:
///   one core-to-core round trip, the floor under any cross-CPU lock handoff
///   or message.
/// - `readModified`/`writeModified`: the partner writes `lines` lines (each
///   then modified in its cache) and hands over through the same word; this
///   thread then follows a chain through them (each line holds the index of
///   the next, in a shuffled order the prefetchers cannot guess) with loads,
///   or with locked exchanges whose results carry the chain. Each step
///   depends on the last, so one step is one line transfer; only the walk is
///   timed, the hand-over is not.
///
/// The partner is a one-member `ThreadTeam` (pinned, checked, stopped with a
/// bound); it inherits the scheduling policy of the thread that creates it.
public final class CacheLinePingPong: TrialBenchmark {
    public let benchmark = "floor"
    public let metric: String
    public let variant: String
    public let transfer: LineTransfer
    /// The CPU the partner runs on.
    public var partnerCPU: Int { partner.cpus[0] }
    /// Lines the partner dirties per hand-over: 128 lines 128 bytes apart
    /// stay within a 32 KiB L1 on its side.
    public static let lines = 128
    /// The word that travels (and, for the modified-line transfers, the
    /// hand-over: odd asks the partner to dirty the lines, even says done).
    private let line = CacheLineBox(Atomic<UInt64>(0))
    /// The chain the modified-line transfers walk: element i holds the index of the next.
    private let chain: CacheLineArray<Atomic<UInt64>>
    /// Where the walk starts.
    private let chainStart: Int
    private let partner: ThreadTeam<Void>
    private var finished = false

    /// Starts the partner on `partnerCPU`; the caller measures from `cpu`
    /// (its own thread, pinned there).
    public init(cpu: Int, partnerCPU: Int, transfer: LineTransfer = .casRoundTrip) throws {
        self.transfer = transfer
        variant = "\(transfer.rawValue)_cpu\(cpu)_cpu\(partnerCPU)"
        metric = transfer == .casRoundTrip ? "round_trip" : transfer.rawValue
        let order = Self.shuffledCycle(Self.lines)
        var next = [Int](repeating: 0, count: Self.lines)
        for (position, index) in order.enumerated() { next[index] = order[(position + 1) % order.count] }
        chain = CacheLineArray(count: Self.lines) { Atomic(UInt64(next[$0])) }
        chainStart = order[0]
        partner = ThreadTeam(cpus: [partnerCPU]) { _, _ in () }
        let line = self.line, chain = self.chain, dirty = transfer != .casRoundTrip, links = next
        try partner.launch(body: { member, _ in
            // Partner: turn every odd value even (after dirtying the chain,
            // for the modified-line transfers), until told to stop.
            while !member.shouldStop {
                let value = line.pointee.load(ordering: .relaxed)
                if value & 1 == 1 {
                    if dirty { rewriteChain(chain, next: links) }
                    // Releasing: the rewritten chain is visible once the word is even.
                    _ = line.pointee.compareExchange(expected: value, desired: value &+ 1,
                                                     ordering: .acquiringAndReleasing)
                } else {
                    kb_pause()
                }
            }
        })
        partner.release()
    }

    /// A random cyclic order of 0..<count (seeded: every run walks the same).
    static func shuffledCycle(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in stride(from: count - 1, to: 0, by: -1) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
        }
        return order
    }

    public func runBatch(iterations: Int) -> UInt64 {
        switch transfer {
        case .casRoundTrip: return timeCASRoundTrips(line.pointer, iterations: iterations)
        case .readModified, .writeModified:
            return timeModifiedLineWalk(line.pointer, chain: chain, start: chainStart, steps: iterations,
                                        chunk: Self.lines, exchange: transfer == .writeModified)
        }
    }

    /// Round trips completed so far (each one: our CAS and the partner's).
    var roundTrips: UInt64 { line.pointee.load(ordering: .acquiring) / 2 }

    /// The chain as it stands (tests: the walk's exchanges leave it rewritten).
    func chainValue(_ index: Int) -> UInt64 { chain[index].load(ordering: .relaxed) }

    /// Stops the partner and waits up to `timeout` for it: true when it
    /// returned, false when it was abandoned.
    @discardableResult
    public func finish(timeout: Duration = .seconds(2)) -> Bool {
        if finished { return true }
        finished = true
        partner.requestStop()
        return partner.join(timeout: timeout).joined
    }

    /// The lines are freed only when the partner returned: an abandoned
    /// partner may still read them, so then they are leaked, as the team's memory is.
    deinit {
        if finish() {
            line.deallocate()
            chain.deallocate()
        }
    }
}

/// The partner's half of a hand-over: store every link of the chain again,
/// so each line is modified in its cache. Relaxed: the hand-over's releasing
/// CAS publishes them.
private func rewriteChain(_ chain: CacheLineArray<Atomic<UInt64>>, next: [Int]) {
    for index in 0..<chain.count { chain[index].store(UInt64(next[index]), ordering: .relaxed) }
}

/// `iterations` CAS round trips with the partner on `word`, in TSC ticks.
@inline(never)
func timeCASRoundTrips(_ word: UnsafeMutablePointer<Atomic<UInt64>>, iterations: Int) -> UInt64 {
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

/// `steps` dependent accesses to lines the partner holds modified, in TSC
/// ticks (the hand-overs between chunks of `chunk` steps are not timed; each
/// chunk's own timer pair is, about 0.1 tick per step for 128-step chunks).
@inline(never)
func timeModifiedLineWalk(_ word: UnsafeMutablePointer<Atomic<UInt64>>, chain: CacheLineArray<Atomic<UInt64>>,
                          start: Int, steps: Int, chunk: Int, exchange: Bool) -> UInt64 {
    var value = word.pointee.load(ordering: .relaxed)
    var remaining = steps, total: UInt64 = 0
    while remaining > 0 {
        // Ask the partner to dirty the chain, and wait until it has.
        _ = word.pointee.compareExchange(expected: value, desired: value &+ 1, ordering: .acquiringAndReleasing)
        value &+= 2
        while word.pointee.load(ordering: .acquiring) != value { kb_pause() }
        let count = min(remaining, chunk)
        var index = start
        let begin = kb_rdtsc_begin()
        if exchange {
            // A locked exchange must own the line; it returns the next link
            // (and leaves a marker, which the partner rewrites next hand-over).
            for _ in 0..<count { index = Int(truncatingIfNeeded: chain[index].exchange(UInt64(index), ordering: .relaxed)) }
        } else {
            for _ in 0..<count { index = Int(truncatingIfNeeded: chain[index].load(ordering: .relaxed)) }
        }
        total &+= kb_rdtsc_end() &- begin
        kb_keep(UInt64(truncatingIfNeeded: index))
        remaining -= count
    }
    return total
}
