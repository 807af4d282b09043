// The vcore map's core scheduler: the emulated kernel owns the run's CPUs
// as pcores, gives each to one vcore at a time, rotates them among more
// vcores than pcores, and takes some away for an injected preemption round.

import Platform
import KernelCore
import Synchronization

/// With more vcores than CPUs, Linux would time-slice the vcores that share
/// a CPU while the map shows them all running. Scheduled cores make the
/// emulated kernel the one that shares the CPUs instead, in the map: a vcore
/// without a core is preempted there (marked, with a preemption message and
/// event, before its thread stops, exactly as an injected preemption), so
/// the PDR locks see it and recover, and at most one vcore per pcore is
/// marked running. The preemption controller calls `rotate` every rotation
/// period and `revokeCores`/`returnCores` for the thesis' rounds on top.
///
/// The invariant every operation keeps, under the kernel lock: a running
/// vcore holds exactly one pcore and no two hold the same; a revoked pcore
/// is held by nobody. A change of vcore passes the caller's pcore to the
/// target; an exit passes it to a vcore waiting for one.
extension VcoreMap {
    /// Makes the emulated kernel hand out `cpus` (duplicates dropped) as
    /// pcores: the first `min(count, cpus)` of them, pcore p on CPU p of
    /// that list. Vcore v below the pcore count starts on pcore v; the others
    /// start preempted (without a message: they hold no lock) and wait for a
    /// core from `rotate`, `returnCores` or an exit. Call before any vcore
    /// registers (`VcoreGroup` does, for `.scheduled` groups), and pin vcore
    /// v's thread to `pcoreCPUs[v % pcoreCount]`.
    public func scheduleCores(onto cpus: [Int32]) {
        var distinct: [Int32] = []
        for cpu in cpus where cpu >= 0 && !distinct.contains(cpu) { distinct.append(cpu) }
        precondition(!distinct.isEmpty, "VcoreMap.scheduleCores: no CPUs")
        let pcores = min(count, distinct.count)
        kernel.pointee.lock.lock()
        for p in 0..<pcores { cores[p] = Pcore(cpu: distinct[p], revoked: false) }
        kernel.pointee.cursor.store(UInt32(pcores % count), ordering: .relaxed)
        kernel.pointee.pcores.store(Int32(pcores), ordering: .relaxed)
        kernel.pointee.lock.unlock()
    }

    /// Pcores the emulated kernel hands out (0: cores are not scheduled).
    public var pcoreCount: Int { Int(kernel.pointee.pcores.load(ordering: .relaxed)) }

    /// Whether the emulated kernel schedules vcores onto pcores.
    public var isScheduled: Bool { pcoreCount > 0 }

    /// The CPU of each pcore (empty when not scheduled). Set once, before
    /// the vcores start.
    public var pcoreCPUs: [Int32] { (0..<pcoreCount).map { cores[$0].cpu } }

    /// The pcore `vcore` holds now, or nil (a relaxed snapshot).
    public func pcore(of vcore: VcoreID) -> Int? {
        let p = checkedSlot(vcore).pointee.pcore.load(ordering: .relaxed)
        return p < 0 ? nil : Int(p)
    }

    /// Scheduler ticks so far (`rotate` calls on a scheduled map).
    public var schedulerTicks: UInt64 { kernel.pointee.ticks.load(ordering: .relaxed) }

    /// Vcores the scheduler preempted to give their core to a waiting one
    /// (also counted in `preemptionCount` and `preemptionMessages`).
    public var rotationPreemptionCount: UInt64 { kernel.pointee.rotationPreemptions.load(ordering: .relaxed) }

    /// Times the scheduler gave `vcore` a core (changes to it not counted).
    public func grants(_ vcore: VcoreID) -> UInt64 { checkedSlot(vcore).pointee.grants.load(ordering: .relaxed) }

    /// The running vcores and their pcores, read consistently (under the
    /// sequence counter: no change of vcore half seen). For tests and
    /// diagnostics; allocates.
    public func runningSnapshot() -> [(vcore: VcoreID, pcore: Int?)] {
        sequenceCounter.pointee.read {
            (0..<UInt32(count)).compactMap { vcore -> (vcore: VcoreID, pcore: Int?)? in
                let s = slot(vcore)
                guard s.pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue else { return nil }
                let p = s.pointee.pcore.load(ordering: .relaxed)
                return (vcore, p < 0 ? nil : Int(p))
            }
        }
    }

    // MARK: The scheduler (the controller's thread)

    /// One scheduler tick: every idle pcore goes to a waiting vcore, then,
    /// while vcores wait, the vcore that has held its pcore longest is
    /// preempted and its pcore goes to the next waiting vcore in round-robin
    /// order, at most once per pcore. A vcore preempted in this tick does not
    /// get a core back in it, and one given a core is not preempted in it.
    /// Returns how many vcores were preempted. Allocates nothing: vcores are
    /// parked in signal handlers meanwhile. Revoked pcores take no part.
    @discardableResult
    public func rotate() -> Int {
        kernel.pointee.lock.lock()
        let pcores = Int(kernel.pointee.pcores.load(ordering: .relaxed))
        guard pcores > 0 else {
            kernel.pointee.lock.unlock()
            return 0
        }
        let tick = kernel.pointee.ticks.wrappingAdd(1, ordering: .relaxed).newValue
        var woken = 0, marked = 0
        for p in 0..<pcores where !cores[p].revoked && occupantLocked(p) == nil {
            guard let waiting = nextWaitingLocked(skippingTick: tick) else { break }
            grantLocked(p, to: waiting, tick: tick)
            scratch[count + woken] = waiting
            woken += 1
        }
        for _ in 0..<pcores {
            guard let (victim, p) = longestRunningLocked(before: tick),
                  let waiting = nextWaitingLocked(skippingTick: tick) else { break }
            guard markPreemptedLocked(victim, listedAt: marked) else { break }
            marked += 1
            grantLocked(p, to: waiting, tick: tick)
            scratch[count + woken] = waiting
            woken += 1
        }
        kernel.pointee.rotationPreemptions.wrappingAdd(UInt64(marked), ordering: .relaxed)
        // The victims are told (events to a running vcore: the new ones are),
        // then those given a core wake (on the victims' CPUs: a SCHED_FIFO
        // one runs once the victim parked).
        notifyPreemptedLocked(marked)
        for index in 0..<woken { wake(scratch[count + index]) }
        kernel.pointee.lock.unlock()
        return marked
    }

    /// An injected preemption round on a scheduled map: takes `taken`
    /// pcores from the process (pcores `(round * taken + i) % pcoreCount`,
    /// moving round robin over them), preempting the vcores on them, and
    /// writes those vcores into `victims` (at least `taken` long). Returns
    /// how many vcores were preempted. Allocates nothing.
    public func revokeCores(_ taken: Int, round: Int, victims: UnsafeMutablePointer<VcoreID>) -> Int {
        kernel.pointee.lock.lock()
        let pcores = Int(kernel.pointee.pcores.load(ordering: .relaxed))
        var marked = 0
        if pcores > 0 {
            for index in 0..<min(taken, pcores) {
                let p = (round &* taken &+ index) % pcores
                guard !cores[p].revoked else { continue }
                cores[p].revoked = true
                if let vcore = occupantLocked(p), markPreemptedLocked(vcore, listedAt: marked) {
                    victims[marked] = vcore
                    marked += 1
                }
            }
            notifyPreemptedLocked(marked)
        }
        kernel.pointee.lock.unlock()
        return marked
    }

    /// Ends a round: every revoked pcore comes back and goes to the next
    /// waiting vcore (round robin: not necessarily the round's victim, as
    /// Akaros gives a returning core to whichever vcore it restores first).
    /// Returns how many vcores got a core. Allocates nothing.
    @discardableResult
    public func returnCores() -> Int {
        kernel.pointee.lock.lock()
        let pcores = Int(kernel.pointee.pcores.load(ordering: .relaxed))
        let tick = kernel.pointee.ticks.load(ordering: .relaxed)
        var woken = 0
        for p in 0..<pcores where cores[p].revoked {
            cores[p].revoked = false
            guard occupantLocked(p) == nil, let waiting = nextWaitingLocked(skippingTick: nil) else { continue }
            grantLocked(p, to: waiting, tick: tick)
            scratch[count + woken] = waiting
            woken += 1
        }
        for index in 0..<woken { wake(scratch[count + index]) }
        kernel.pointee.lock.unlock()
        return woken
    }

    // MARK: Under the kernel lock

    /// The state a vcore registering now starts in: running on its own pcore
    /// when cores are not scheduled or it is below the pcore count (and
    /// that pcore is free), else preempted, waiting for a core.
    func initialStateLocked(_ vcore: VcoreID) -> VcoreState {
        let pcores = Int(kernel.pointee.pcores.load(ordering: .relaxed))
        guard pcores > 0 else { return .running }
        let p = Int(vcore)
        if p < pcores, !cores[p].revoked, occupantLocked(p) == nil {
            slot(vcore).pointee.pcore.store(Int32(p), ordering: .relaxed)
            slot(vcore).pointee.since.store(kernel.pointee.ticks.load(ordering: .relaxed), ordering: .relaxed)
            return .running
        }
        slot(vcore).pointee.pcore.store(-1, ordering: .relaxed)
        return .preempted
    }

    /// An exiting vcore's pcore goes to the next waiting vcore, if cores are
    /// scheduled and one waits; returns it (to wake once the lock is dropped).
    func passOnCoreLocked(of me: UnsafeMutablePointer<VcoreSlot>) -> VcoreID? {
        let p = Int(me.pointee.pcore.exchange(-1, ordering: .relaxed))
        guard p >= 0, p < Int(kernel.pointee.pcores.load(ordering: .relaxed)), !cores[p].revoked,
              let waiting = nextWaitingLocked(skippingTick: nil) else { return nil }
        grantLocked(p, to: waiting, tick: kernel.pointee.ticks.load(ordering: .relaxed))
        return waiting
    }

    /// The running vcore on pcore `p`, if any.
    func occupantLocked(_ p: Int) -> VcoreID? {
        for vcore in 0..<UInt32(count) where slot(vcore).pointee.pcore.load(ordering: .relaxed) == Int32(p)
            && slot(vcore).pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue {
            return vcore
        }
        return nil
    }

    /// The next vcore from the round-robin cursor that waits for a core
    /// (preempted, registered, and not preempted in tick `skip`); advances
    /// the cursor past it.
    func nextWaitingLocked(skippingTick skip: UInt64?) -> VcoreID? {
        let start = Int(kernel.pointee.cursor.load(ordering: .relaxed)) % count
        for step in 0..<count {
            let vcore = VcoreID((start + step) % count)
            let s = slot(vcore)
            guard s.pointee.state.value.load(ordering: .relaxed) == VcoreState.preempted.rawValue,
                  s.pointee.tid.load(ordering: .relaxed) != 0,
                  skip == nil || s.pointee.since.load(ordering: .relaxed) != skip! else { continue }
            kernel.pointee.cursor.store(UInt32((Int(vcore) + 1) % count), ordering: .relaxed)
            return vcore
        }
        return nil
    }

    /// The running vcore that has held its pcore longest, among those that
    /// got it before tick `tick`, and that pcore.
    func longestRunningLocked(before tick: UInt64) -> (VcoreID, Int)? {
        var best: (VcoreID, Int)? = nil
        var oldest = UInt64.max
        for vcore in 0..<UInt32(count) {
            let s = slot(vcore)
            let p = s.pointee.pcore.load(ordering: .relaxed)
            let since = s.pointee.since.load(ordering: .relaxed)
            guard p >= 0, since < tick, since < oldest,
                  s.pointee.state.value.load(ordering: .relaxed) == VcoreState.running.rawValue else { continue }
            oldest = since
            best = (vcore, Int(p))
        }
        return best
    }

    /// Gives pcore `p` to the waiting `vcore`: marks it running on it (under
    /// the sequence counter) and moves its thread to the pcore's CPU. The
    /// caller wakes it once the victim, if any, has been signalled.
    func grantLocked(_ p: Int, to vcore: VcoreID, tick: UInt64) {
        let target = slot(vcore)
        sequenceCounter.pointee.beginWrite()
        target.pointee.pcore.store(Int32(p), ordering: .relaxed)
        target.pointee.state.value.store(VcoreState.running.rawValue, ordering: .relaxed)
        sequenceCounter.pointee.endWrite()
        target.pointee.since.store(tick, ordering: .relaxed)
        target.pointee.grants.wrappingAdd(1, ordering: .relaxed)
        kernel.pointee.grants.wrappingAdd(1, ordering: .relaxed)
        move(vcore, to: cores[p].cpu)
    }
}
