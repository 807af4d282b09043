// Uthreads passing one vcore around: the uthread columns of the thesis'
// Tables 4.1 and 4.2, as a TrialBenchmark run on the vcore's own thread.

import BenchKit
import CPlatform
import KernelCore

/// N uthreads on one vcore, yielding through the 2LS or switching straight to
/// one another, with or without TLS.
///
/// The uthreads live across batches: each batch sets how many switches each
/// makes, wakes them and runs the vcore loop, which returns once every
/// uthread has parked (blocked) at the end of its share. So a batch times
/// only switches, never a spawn or a stack mapping.
///
/// - `.yield`: each uthread yields `k` times; each yield is one "context
///   switch" as the thesis counts them: into vcore context, through the
///   2LS, and out to the next uthread (two hardware switches). The batch
///   adds one park and one first pop per uthread: `iterations = N * k`
///   switches, with N parks on top (1% of a batch at k = 100).
/// - `.switchTo`: a ring, uthread i switching straight to i+1, bypassing
///   the 2LS: one hardware switch per step; every uthread switches `k`
///   times and uthread 0 then parks (N·k switches).
///
/// Runs on the thread that made `vcore`; `finish` lets every uthread exit.
public final class UthreadSwitch: TrialBenchmark {
    public enum Path: Sendable, Equatable {
        case yield(TwoLevelScheduler.Variant)
        case switchTo
    }

    public let benchmark = "switch", metric = "switch"
    public let variant: String
    public let threads: Int
    public let tls: Bool
    private let path: Path
    private let vcore: VcoreContext
    private let scheduler: TwoLevelScheduler
    private let control: UnsafeMutablePointer<SwitchControl>
    /// The uthreads, in spawn order (raw memory: runBatch reads it, and an
    /// array would be retained there).
    private let handles: UnsafeMutablePointer<Uthread>
    private var finished = false

    /// Shared by the bodies: this batch's switches per uthread, and the stop.
    struct SwitchControl {
        var perUthread = 0
        var stop = false
    }

    /// The variant column for a path and TLS choice.
    public static func variantName(_ path: Path, tls: Bool) -> String {
        let base = switch path {
        case .yield(let variant): "uthread_\(variant.rawValue)"
        case .switchTo: "uthread_switch-to"
        }
        return tls ? base + "_tls" : base
    }

    /// Makes the scheduler, the vcore (on the calling thread: the vcore's)
    /// and the uthreads. `switchTo` needs at least 2 uthreads.
    public init(path: Path, threads: Int, tls: Bool, fsBase: FSBaseMechanism?, stackBytes: Int = 64 * 1024) throws {
        guard threads > 0 else { throw UthreadConfigurationError.noUthreads(threads) }
        self.path = path
        self.threads = threads
        self.tls = tls
        variant = Self.variantName(path, tls: tls)
        let variant2LS: TwoLevelScheduler.Variant = switch path {
        case .yield(let v): v
        case .switchTo: .noLockingNoAsserts
        }
        scheduler = try TwoLevelScheduler(variant: variant2LS,
                                          configuration: UthreadConfiguration(stackBytes: stackBytes, fsBase: fsBase))
        vcore = try scheduler.makeVcore(id: 0, tls: tls)
        if path == .switchTo && threads < 2 {
            throw UthreadConfigurationError.switchToNeedsTwo(threads)
        }
        control = .allocate(capacity: 1)
        control.initialize(to: SwitchControl())
        handles = .allocate(capacity: threads)
        let control = self.control, ring = handles
        for index in 0..<threads {
            let uthread: Uthread
            switch path {
            case .yield:
                uthread = try scheduler.spawn(tls: tls, on: vcore, start: .suspended) { me in
                    while !control.pointee.stop {
                        for _ in 0..<control.pointee.perUthread { me.yield() }
                        me.park()
                    }
                }
            case .switchTo:
                // Every member makes the same perUthread switches a batch,
                // in lockstep around the ring: when uthread 0's last one
                // returns, each other member is blocked in its last, and
                // resumes there next batch (or at finish, to see stop). So
                // stop and perUthread are read once a batch, and the timed
                // loop is a counter and the call, as the reference's is.
                uthread = try scheduler.spawn(tls: tls, on: vcore, start: .suspended) { me in
                    let next = ring[(me.id + 1) % threads]
                    let leader = me.id == 0
                    while !control.pointee.stop {
                        me.switchTo(next, times: control.pointee.perUthread)
                        if leader { me.park() }
                    }
                }
            }
            (ring + index).initialize(to: uthread)
            spawned = index + 1
        }
    }

    private var spawned = 0

    /// The iterations a batch of about `requested` switches rounds to: a
    /// whole number of switches per uthread (ring laps for switch-to).
    public func batchIterations(_ requested: Int) -> Int {
        max(1, requested / threads) * threads
    }

    public func runBatch(iterations: Int) -> UInt64 {
        control.pointee.perUthread = max(1, iterations / threads)
        switch path {
        case .yield: for index in 0..<threads { scheduler.wake(handles[index]) }
        case .switchTo: scheduler.wake(handles[0])
        }
        let start = kb_rdtsc_begin()
        _ = vcore.run()
        return kb_rdtsc_end() &- start
    }

    /// Lets every uthread leave its loop and exit (on the vcore's thread);
    /// true when all exited.
    @discardableResult
    public func finish() -> Bool {
        if finished { return true }
        finished = true
        control.pointee.stop = true
        for index in 0..<spawned where handles[index].isBlocked { scheduler.wake(handles[index]) }
        let outcome = vcore.run()
        scheduler.reap()
        return outcome == .finished
    }

    /// What the vcore records for meta.json: the TLS template's shape.
    public var tlsModules: (fresh: Int, copied: Int, bytes: Int)? { vcore.tlsModules }

    deinit {
        finish()
        handles.deallocate()
        control.deallocate()
    }
}
