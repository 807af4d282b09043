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
        let interrupts = (try? SystemFiles.read(proc + "/interrupts")).flatMap { try? InterruptCounts(parsing: $0) }
        let names = interrupts.map { counts in
            Dictionary(counts.lines.map { ($0.irq, $0.description) }, uniquingKeysWith: { first, _ in first })
        } ?? [:]
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: proc + "/irq") else { return [] }
        var routes: [Route] = []
        for irq in entries.compactMap(Int.init).sorted() {
            let base = proc + "/irq/\(irq)/"
            guard let list = SystemFiles.firstLine(base + "effective_affinity_list")
                    ?? SystemFiles.firstLine(base + "smp_affinity_list"),
                  let cpus = try? CPUSet(parsing: list),
                  cpus.cpus.contains(where: measured.contains)
            else { continue }
            routes.append(Route(irq: String(irq), cpus: cpus.description, description: names[String(irq)] ?? ""))
        }
        return routes
    }
}

