// Uthread switches at every count measured round by round with Boost.Context,
// so their ratios to it, and to themselves at 2 uthreads, are trial by trial.

import BenchKit
import CSwitchReference
import RunFormat

/// One member of a round: uthreads of one path at one count, Boost's ping-pong (the
/// reference row measured first in the session) or a Boost ring. An enum, so
/// one specialized `InterleavedTrials` loop runs them all; each case's own
/// batch is the loop that is timed.
///
/// Each runs whole laps (whole round trips for the ping-pong), the nearest
/// to the round's iterations, and scales its ticks to those iterations, so
/// rings of any sizes share one round without a common multiple.
enum UthreadSwitchRoundMember: TrialBenchmark {
    case uthreads(UthreadSwitch)
    /// Boost's ping-pong (`SwitchReference.Peer.boostJumpFcontext`'s batch).
    case pingPong
    case ring(BoostRing)

    var benchmark: String { "switch" }
    var variant: String {
        switch self {
        case .uthreads(let u): u.variant
        case .pingPong: "reference"
        case .ring(let r): r.variant
        }
    }
    var metric: String { "switch" }

    /// The switches a batch of about `iterations` makes.
    func switches(near iterations: Int) -> Int {
        switch self {
        case .uthreads(let u): u.batchIterations(iterations)
        case .pingPong: max(2, iterations / 2 * 2)
        case .ring(let r): max(1, iterations / r.contexts) * r.contexts
        }
    }

    func runBatch(iterations: Int) -> UInt64 {
        let switches = switches(near: iterations)
        let ticks = switch self {
        case .uthreads(let u): u.runBatch(iterations: switches)
        case .pingPong: kb_reference_fcontext_batch(switches)
        case .ring(let r): r.runBatch(iterations: switches)
        }
        if switches == iterations { return ticks }
        return UInt64((Double(ticks) * Double(iterations) / Double(switches)).rounded())
    }
}

/// One uthread path (a 2LS variant's yield, or switch-to) at each uthread
/// count, Boost's ping-pong and, for switch-to, Boost's rings of the same
/// sizes, all interleaved trial by trial (`InterleavedTrials`).
///
/// Why paired: on this suite's shared VM the same switch binary runs at
/// one of two speeds for seconds at a time (7 or 10-11 ns at 2 uthreads),
/// while Boost's shorter switch keeps its speed, and a 1000-uthread batch is
/// as exposed to the machine's memory traffic as the others are not. One
/// after the other, a slow stretch that covers only one of them decides a
/// target; paired, trial i of each sees the same stretch, and every ratio
/// row divides trial i by trial i.
enum UthreadSwitchRound {
    /// Rows, per count: the uthreads' own (as `TrialRunner.measure` writes
    /// it, `param` naming its switches per batch and `fsBase`), its ratio to
    /// Boost's ping-pong (`ratio_to_boost_jump_fcontext`), to itself at 2
    /// uthreads (`ratio_to_2_uthreads`) and, with `rings` (one per count, same
    /// order), to Boost's ring of that size (`ratio_to_boost_ring`); then each
    /// ring's row (`peer=boost_ring`) and its ratio to the 2-context ring
    /// (`ratio_to_2_contexts`).
    static func measure(_ benches: [UthreadSwitch], rings: [BoostRing], runner: TrialRunner,
                        fsBase: String) -> [Measurement] {
        var members = benches.map { UthreadSwitchRoundMember.uthreads($0) }
        members.append(.pingPong)
        members += rings.map { .ring($0) }
        let trials = InterleavedTrials.trials(&members, runner: runner)
        let pingPongIndex = benches.count
        guard let pingPong = runner.measurement(of: members[pingPongIndex], trials: trials[pingPongIndex],
                                                threads: 1, param: "") else { return [] }
        let own = benches.indices.map { i in
            runner.measurement(of: members[i], trials: trials[i], threads: benches[i].threads,
                               param: "iterations=\(members[i].switches(near: runner.iterations)) fs_base=\(fsBase)")
        }
        let ringRows = rings.indices.map { i in
            runner.measurement(of: members[pingPongIndex + 1 + i], trials: trials[pingPongIndex + 1 + i],
                               threads: rings[i].contexts, param: BoostRing.param)
        }
        let two = benches.firstIndex { $0.threads == 2 }
        var rows: [Measurement] = []
        for i in benches.indices {
            guard let row = own[i] else { continue }
            rows.append(row)
            rows += [InterleavedTrials.ratio(row, to: pingPong, name: SwitchReference.Peer.boostJumpFcontext.rawValue)]
                .compactMap { $0 }
            if let two, two != i, let base = own[two] {
                rows += [InterleavedTrials.ratio(row, to: base, name: "2_uthreads")].compactMap { $0 }
            }
            if rings.indices.contains(i), let ring = ringRows[i] {
                rows += [InterleavedTrials.ratio(row, to: ring, name: "boost_ring")].compactMap { $0 }
            }
        }
        for i in ringRows.indices {
            guard let row = ringRows[i] else { continue }
            rows.append(row)
            if let two, two != i, let base = ringRows[two] {
                rows += [InterleavedTrials.ratio(row, to: base, name: "2_contexts")].compactMap { $0 }
            }
        }
        return rows
    }
}
