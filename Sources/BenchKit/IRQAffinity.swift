import Foundation
import Platform
import RunFormat
/// Which IRQs may be delivered to which CPUs (/proc/irq/N/effective_affinity_list,
/// falling back to smp_affinity_list): an IRQ routed to a measured CPU is noise
/// the user can move away with /proc/irq/N/smp_affinity.
public enum IRQAffinity {
    /// An IRQ and the CPUs it may go to (meta.json's `irqs_on_measured_cpus`).
    public typealias Route = RunMetadata.IRQRoute

    /// IRQs whose affinity includes any CPU of `measured`.
    public static func routes(to measured: CPUSet) -> [Route] {
        routes(to: measured, proc: "/proc")
    }

    /// As `routes(to:)`, reading `interrupts` and `irq/` under `proc` (a
    /// directory laid out like /proc: the tests give it recorded samples).
    public static func routes(to measured: CPUSet, proc: String) -> [Route] {
        entries(proc: proc).compactMap { entry in
            guard let cpus = entry.effective ?? entry.configured, cpus.cpus.contains(where: measured.contains)
            else { return nil }
            return Route(irq: entry.irq, cpus: cpus.description, description: entry.description)
        }
    }

    /// One IRQ as /proc/irq/N/ shows it. The two affinities differ on purpose:
    /// `configured` (smp_affinity_list) is the routing a write sets and the
    /// kernel chooses from, while `effective` (effective_affinity_list) is where
    /// it delivers now. On x86 without interrupt remapping a new smp_affinity
    /// takes effect only when the IRQ next fires (the kernel moves it from the
    /// interrupt path), so right after a move `effective` may still name the
    /// old CPUs of an IRQ that has not fired since.
    public struct Entry: Sendable, Equatable {
        public var irq: String
        public var configured: CPUSet?
        public var effective: CPUSet?
        /// Its line of /proc/interrupts without the counts ("IO-APIC 4-edge ttyS0"), or "".
        public var description: String

        public init(irq: String, configured: CPUSet?, effective: CPUSet?, description: String) {
            self.irq = irq
            self.configured = configured
            self.effective = effective
            self.description = description
        }
    }

    /// Every numbered IRQ under `proc`/irq, in IRQ order.
    public static func entries(proc: String) -> [Entry] {
        let interrupts = (try? SystemFiles.read(proc + "/interrupts")).flatMap { try? InterruptCounts(parsing: $0) }
        let names = interrupts.map { counts in
            Dictionary(counts.lines.map { ($0.irq, $0.description) }, uniquingKeysWith: { first, _ in first })
        } ?? [:]
        guard let directories = try? FileManager.default.contentsOfDirectory(atPath: proc + "/irq") else { return [] }
        return directories.compactMap(Int.init).sorted().map { irq in
            let base = proc + "/irq/\(irq)/"
            let read = { (name: String) in SystemFiles.firstLine(base + name).flatMap { try? CPUSet(parsing: $0) } }
            return Entry(irq: String(irq), configured: read("smp_affinity_list"), effective: read("effective_affinity_list"),
                         description: names[String(irq)] ?? "")
        }
    }
}
