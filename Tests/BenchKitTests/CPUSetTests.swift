import Testing
@testable import BenchKit

@Suite struct CPUSetTests {
    @Test func parsesKernelLists() throws {
        #expect(try CPUSet(parsing: "0-3,8,10-11").cpus == [0, 1, 2, 3, 8, 10, 11])
        #expect(try CPUSet(parsing: " 5 ").cpus == [5])
        #expect(try CPUSet(parsing: "").isEmpty)
        #expect(try CPUSet(parsing: "3,1,1").description == "1,3")
        #expect(CPUSet([0, 1, 2, 5]).description == "0-2,5")
    }

    @Test(arguments: ["a", "1-", "-1", "3-1", "1,,2", "1-2-3"])
    func rejectsMalformedLists(_ text: String) {
        #expect(throws: CPUListError.self) { try CPUSet(parsing: text) }
    }

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

import Foundation
