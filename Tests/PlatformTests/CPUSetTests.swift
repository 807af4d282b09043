import Testing
@testable import Platform

@Suite struct CPUSetTests {
    @Test func parsesKernelLists() throws {
        #expect(try CPUSet(parsing: "0-3,8,10-11").cpus == [0, 1, 2, 3, 8, 10, 11])
        #expect(try CPUSet(parsing: " 5 ").cpus == [5])
        #expect(try CPUSet(parsing: "").isEmpty)
        #expect(try CPUSet(parsing: "3,1,1").description == "1,3")
        #expect(CPUSet([0, 1, 2, 5]).description == "0-2,5")
    }

    @Test(arguments: ["a", "1-", "-1", "3-1", "1,,2", "1-2-3", "0-99999999999", "99999999999999999999", "8192"])
    func rejectsMalformedLists(_ text: String) {
        #expect(throws: CPUListError.self) { try CPUSet(parsing: text) }
    }

    @Test func largestLinuxCPUIsAccepted() throws {
        #expect(try CPUSet(parsing: "8190-8191").cpus == [8190, 8191])
        let error = #expect(throws: CPUListError.self) { try CPUSet(parsing: "0-8192") }
        #expect(error?.description == "invalid CPU list '0-8192': '0-8192' goes beyond CPU 8191, the largest Linux supports")
    }
}
