// EventLog: per-domain event logging with per-CPU logs (Uhlig §4.5, §5.5.1).

import Platform
import CPlatform
import Synchronization

/// What one CPU writes: its count of events per domain and its log.
@usableFromInline
struct EventLogCPU {
    /// Events per domain on this CPU, written by this CPU only.
    @usableFromInline let counters: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let buffer: EventLogBuffer
}

/// Event logging for a user-level scheduler: every thread carries a domain
/// id; an event between two threads of the same domain costs one compare
/// and one not-taken branch (`event`), and everything else is out of line.
/// A cross-domain event is recorded as the receiving domain's control word
/// says (`EventLogControl`): counted in this CPU's counter for the domain,
/// and logged into this CPU's circular buffer. Domain 0 is never recorded.
///
/// Per-CPU counters and buffers keep CPUs independent (each is written by
/// its CPU's producer alone, with plain stores); control words are read-
/// mostly. A consumer reads counters and logs through the same memory while
/// producers run (`EventLogReader`), and learns what it lost.
@frozen
public struct EventLog: BitwiseCopyable, @unchecked Sendable {
    /// Control words, one per domain (read on the out-of-line path).
    @usableFromInline let controls: UnsafeMutablePointer<Atomic<UInt32>>
    @usableFromInline let cpus: CacheLineArray<EventLogCPU>
    /// The number of domains: ids `0..<domains`.
    public let domains: Int

    /// Logging for `domains` domains on `cpuSlots` CPUs (slot = the caller's
    /// index, not necessarily its CPU number), each log keeping `backlog`
    /// records of `recordWords` words. Every domain starts `off`.
    public init(domains: Int, cpuSlots: Int, backlog: Int, recordWords: Int) {
        precondition(domains > 0 && domains <= 1 << 16, "EventLog: 1-65536 domains")
        precondition(cpuSlots > 0, "EventLog: no CPUs")
        self.domains = domains
        controls = .allocate(capacity: domains)
        for index in 0..<domains { (controls + index).initialize(to: Atomic(0)) }
        cpus = CacheLineArray(count: cpuSlots) { _ in
            let counters = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: domains)
            for index in 0..<domains { (counters + index).initialize(to: Atomic(0)) }
            return EventLogCPU(counters: counters, buffer: EventLogBuffer(capacity: backlog, recordWords: recordWords))
        }
    }

    /// The number of CPU slots.
    public var cpuSlots: Int { cpus.count }

    /// Sets what `domain`'s events record (the consumer's call). Releasing:
    /// a producer that sees it sees the logs configured before.
    public func configure(_ domain: DomainID, _ control: EventLogControl) {
        precondition(Int(domain) < domains, "EventLog: domain \(domain) out of range")
        let words = min(control.words, cpus[0].buffer.recordWords)
        let clipped = words == control.words ? control
            : EventLogControl(rawValue: control.rawValue & ~(7 << 1) | UInt32(words) << 1)
        controls[Int(domain)].store(domain == 0 ? 0 : clipped.rawValue, ordering: .releasing)
    }

    /// The hot path: a thread of domain `from` hands over to one of domain
    /// `to` on CPU slot `cpu`. Same domain: one compare, one branch, not
    /// taken: `_slowPath` tells the compiler the record is the rare case, so
    /// it places the call out of the straight line instead of jumping over it.
    @inlinable
    @inline(__always)
    public func event(from: DomainID, to: DomainID, cpu: Int, parameter: UInt32) {
        if _slowPath(from != to) { record(from: from, to: to, cpu: cpu, parameter: parameter) }
    }

    /// A cross-domain event: counted and logged as the receiving domain asks.
    @inline(never)
    @usableFromInline
    func record(from: DomainID, to: DomainID, cpu: Int, parameter: UInt32) {
        // Relaxed: a control word changed during an event applies from the next one.
        let control = EventLogControl(rawValue: controls[Int(to)].load(ordering: .relaxed))
        guard control.counts else { return }
        let slot = cpus.pointer(at: cpu)
        let counter = slot.pointee.counters + Int(to)
        // One writer per counter: a load and a store, no locked add. Relaxed:
        // readers take a snapshot; the log's release publishes it with records.
        let count = counter.pointee.load(ordering: .relaxed) &+ 1
        counter.pointee.store(count, ordering: .relaxed)
        let words = control.words
        guard words > 0 else { return }
        let timestamp = control.timestamp
        slot.pointee.buffer.append(count: words) { index, sequence in
            if timestamp && index == words - 1 { return UInt32(truncatingIfNeeded: kb_rdtsc()) }
            switch index {
            case 0: return UInt32(truncatingIfNeeded: count)
            case 1: return from << 16 | (to & 0xffff)
            case 2: return parameter
            default: return UInt32(truncatingIfNeeded: sequence)
            }
        }
    }

    /// `domain`'s events counted on CPU slot `cpu` (a snapshot; exact once the producer stopped).
    public func count(_ domain: DomainID, cpu: Int) -> UInt64 {
        cpus[cpu].counters[Int(domain)].load(ordering: .acquiring)
    }

    /// CPU slot `cpu`'s log.
    public func buffer(cpu: Int) -> EventLogBuffer { cpus[cpu].buffer }

    public func deallocate() {
        for index in 0..<cpus.count {
            let slot = cpus[index]
            slot.counters.deinitialize(count: domains)
            slot.counters.deallocate()
            slot.buffer.deallocate()
        }
        cpus.deallocate()
        controls.deinitialize(count: domains)
        controls.deallocate()
    }
}
