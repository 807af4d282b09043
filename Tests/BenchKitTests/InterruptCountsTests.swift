import Foundation
import Testing
@testable import BenchKit
import RunFormat

@Suite struct InterruptCountsTests {
    @Test func interruptsParse() throws {
        let text = """
                       CPU0       CPU1
              0:         44          0   IO-APIC   2-edge      timer
             24:       1000       2000   PCI-MSI 1-edge      virtio0
            LOC:     250000     240000   Local timer interrupts
            ERR:          0
            """
        let counts = try InterruptCounts(parsing: text)
        #expect(counts.cpus == [0, 1])
        #expect(counts.lines.map(\.irq) == ["0", "24", "LOC"])
        #expect(counts.lines[2].counts == [250000, 240000])
        #expect(counts.lines[2].description == "Local timer interrupts")

        let later = try InterruptCounts(parsing: text.replacingOccurrences(of: "250000", with: "252500"))
        let table = InterruptCounts.deltaTable(before: counts, after: later, cpus: [0])
        #expect(table.header == ["irq", "description", "cpu", "before", "after"])
        #expect(table.rows.last == ["LOC", "Local timer interrupts", "0", "250000", "252500"])
    }
}
