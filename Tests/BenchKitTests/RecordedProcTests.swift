// IRQAffinity, QuietestCPU and InterruptCounts on /proc files recorded on the
// project's 2-vCPU VM (Samples/README.md): exact answers from known input,
// whatever the machine running the tests looks like.

import Foundation
import Testing
import Platform
@testable import BenchKit

@Suite struct RecordedProcTests {
    static let proc = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Samples/vm-2cpu/proc").path

    static func interrupts() throws -> InterruptCounts {
        try InterruptCounts(parsing: SystemFiles.read(proc + "/interrupts"))
    }

    @Test("interrupts: two CPU columns, device lines with their description, per-CPU lines, ERR/MIS skipped")
    func interruptCounts() throws {
        let counts = try Self.interrupts()
        #expect(counts.cpus == [0, 1])
        let ttyS0 = try #require(counts.lines.first { $0.irq == "26" })
        #expect(ttyS0.counts == [0, 10] && ttyS0.description == "IO-APIC 4-edge ttyS0")
        let timer = try #require(counts.lines.first { $0.irq == "LOC" })
        #expect(timer.description == "Local timer interrupts" && timer.counts.allSatisfy { $0 > 0 })
        #expect(!counts.lines.contains { $0.irq == "ERR" || $0.irq == "MIS" }, "one total, not a count per CPU")
        #expect(counts.lines.filter { Int($0.irq) != nil }.count == 19)
    }

    @Test("IRQ routes to CPU 1: effective affinity, smp_affinity_list when there is none, names from interrupts")
    func routesToCPU1() {
        let routes = IRQAffinity.routes(to: [1], proc: Self.proc)
        #expect(routes.map(\.irq) == ["25", "26", "29", "31", "33", "35", "36", "38", "40", "42", "43"])
        #expect(routes.first == IRQAffinity.Route(irq: "25", cpus: "1", description: "IO-APIC 6-edge ACPI:Ged"))
        // IRQ 43 has no effective_affinity_list in the sample: its smp_affinity_list (0-1) counts.
        #expect(routes.last == IRQAffinity.Route(irq: "43", cpus: "0-1",
                                                 description: "PCI-MSIX-0000:00:04.0 3-edge virtio3-event"))
    }

    @Test("IRQ routes to CPU 0, to a CPU nothing is routed to, and from a missing /proc")
    func otherRoutes() {
        #expect(IRQAffinity.routes(to: [0], proc: Self.proc).map(\.irq)
                == ["24", "28", "30", "32", "34", "37", "39", "41", "43"])
        #expect(IRQAffinity.routes(to: [5], proc: Self.proc).isEmpty)
        #expect(IRQAffinity.routes(to: [0], proc: Self.proc + "/no-such-dir").isEmpty)
    }

    /// Device IRQs in the sample: 5,886 on CPU 0 against 970,401 on CPU 1
    /// (virtio1-req.0, the disk, lands on CPU 1); per-CPU lines (LOC, RES,
    /// CAL, TLB...) do not count.
    @Test("the quietest CPU: fewest device interrupts, isolated CPUs first, highest when unknown")
    func quietestCPU() throws {
        let counts = try Self.interrupts()
        #expect(QuietestCPU.pick(from: [0, 1], isolated: nil, interrupts: counts) == 0)
        #expect(QuietestCPU.pick(from: [0, 1], isolated: [], interrupts: counts) == 0)
        #expect(QuietestCPU.pick(from: [0, 1], isolated: [1], interrupts: counts) == 1)
        #expect(QuietestCPU.pick(from: [1], isolated: nil, interrupts: counts) == 1)
        #expect(QuietestCPU.pick(from: [0, 1], isolated: nil, interrupts: nil) == 1)
        #expect(QuietestCPU.pick(from: [], isolated: nil, interrupts: counts) == nil)
        // A CPU without a column in the snapshot is never the quietest.
        #expect(QuietestCPU.pick(from: [0, 1, 7], isolated: nil, interrupts: counts) == 0)
        let deviceLines = counts.lines.filter { Int($0.irq) != nil }
        #expect(QuietestCPU.load(of: 0, in: counts, lines: deviceLines) == 5_886)
        #expect(QuietestCPU.load(of: 1, in: counts, lines: deviceLines) == 970_401)
    }
}
