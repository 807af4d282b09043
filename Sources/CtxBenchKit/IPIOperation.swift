// The operations `ctxbench ipi` causes IPIs with, from user space, and the
// initiator's timed batch of each.

import Platform
import CPlatform
import Synchronization
import Glibc

/// An operation that makes the kernel interrupt another CPU.
public enum IPIOperation: String, CaseIterable, Sendable {
    /// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): a function-call IPI to
    /// every CPU running a thread of this process (registered first).
    case membarrier
    /// mprotect of a page the victim touched, taking write permission away
    /// and giving it back in turn: a TLB shootdown to the CPUs of this mm,
    /// unless the CPU invalidates by broadcast (AMD INVLPGB).
    case mprotect
    /// munmap of a page the victim touched: a shootdown as well.
    case munmap
    /// FUTEX_WAKE of a thread asleep on an otherwise idle CPU: a reschedule
    /// IPI, unless the idle CPU polls.
    case futexWake = "futex_wake"

    /// Whether the victim CPU runs the TSC-gap loop (all but the futex wake,
    /// whose victim must be idle).
    public var hasGapLoop: Bool { self != .futexWake }
}

/// Memory the mprotect and munmap operations work on, touched by the victim
/// before the operations begin so its CPU may hold translations for it.
final class IPIPages: @unchecked Sendable {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let base: UnsafeMutableRawPointer
    let count: Int
    /// Pages not yet unmapped (munmap goes from the last page down).
    var mapped: Int

    init(count: Int) throws {
        let bytes = count * Self.pageSize
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else {
            throw SystemCallError("mmap(\(bytes) bytes) for the IPI pages", errno: errno)
        }
        base = memory
        self.count = count
        mapped = count
    }

    /// Writes one byte of every page (on the victim's CPU).
    func touchAll() {
        for page in 0..<count { base.storeBytes(of: 1, toByteOffset: page * Self.pageSize, as: UInt8.self) }
    }

    deinit { if mapped > 0 { munmap(base, mapped * Self.pageSize) } }
}

/// `count` membarrier calls, in TSC ticks.
@inline(never)
func timeMembarriers(_ count: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for _ in 0..<count { _ = kb_membarrier(Int32(KB_MEMBARRIER_PRIVATE_EXPEDITED), 0) }
    return kb_rdtsc_end() &- start
}

/// `count` mprotect calls on `page`, write permission off and on in turn, in TSC ticks.
@inline(never)
func timeMprotects(_ page: UnsafeMutableRawPointer, size: Int, count: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    for index in 0..<count {
        _ = mprotect(page, size, index & 1 == 0 ? PROT_READ : PROT_READ | PROT_WRITE)
    }
    return kb_rdtsc_end() &- start
}

/// munmap of the `count` pages below `top` (a page address), highest first, in TSC ticks.
@inline(never)
func timeMunmaps(_ top: UnsafeMutableRawPointer, size: Int, count: Int) -> UInt64 {
    let start = kb_rdtsc_begin()
    var index = 1
    while index <= count {
        _ = munmap(top - index * size, size)
        index &+= 1
    }
    return kb_rdtsc_end() &- start
}

/// The futex the sleeper on the victim CPU waits on, and its answer.
@usableFromInline
struct SleeperWords: ~Copyable {
    /// The initiator's wake number; the sleeper sleeps while it is unchanged.
    @usableFromInline let wake = FutexWord()
    /// The last wake number the sleeper saw (it goes back to sleep after setting it).
    @usableFromInline let seen = Atomic<UInt32>(0)
    /// Set when the sleeper must leave.
    @usableFromInline let quit = Atomic<Bool>(false)
    @usableFromInline init() {}
}

/// The sleeper on the victim CPU: sleep on `wake`, say which wake it saw, sleep again.
func runSleeper(_ words: UnsafeMutablePointer<SleeperWords>) {
    var seen: UInt32 = 0
    while !words.pointee.quit.load(ordering: .acquiring) {
        let now = words.pointee.wake.value.load(ordering: .acquiring)
        if now != seen {
            seen = now
            words.pointee.seen.store(seen, ordering: .releasing)
        }
        // Bounded, so a lost quit cannot keep it for ever.
        words.pointee.wake.wait(whileEqualTo: seen, timeoutNs: 100_000_000)
    }
}

/// `count` wakes of the sleeper, each once it is back asleep and its CPU has
/// had `settleNs` to go idle: the summed ticks of the FUTEX_WAKE calls alone,
/// less `overheadTicks` per call after the first, and how many wakes found
/// nobody asleep (the sleeper was still on its way back).
@inline(never)
func timeFutexWakes(_ words: UnsafeMutablePointer<SleeperWords>, count: Int, settleNs: Int64,
                    overheadTicks: UInt64) -> (ticks: UInt64, missed: Int) {
    var total: UInt64 = 0, missed = 0
    for _ in 0..<count {
        let number = words.pointee.wake.value.load(ordering: .relaxed)
        // The sleeper has seen the last wake (bounded: 1 s).
        let deadline = monotonicNanos() &+ 1_000_000_000
        while words.pointee.seen.load(ordering: .acquiring) != number && monotonicNanos() < deadline { kb_pause() }
        sleepNanoseconds(settleNs)
        words.pointee.wake.value.store(number &+ 1, ordering: .releasing)
        let start = kb_rdtsc_begin()
        let woken = words.pointee.wake.wake(1)
        total &+= kb_rdtsc_end() &- start
        if woken != 1 { missed += 1 }
    }
    let overhead = overheadTicks &* UInt64(max(count - 1, 0))
    return (total > overhead ? total - overhead : 0, missed)
}
