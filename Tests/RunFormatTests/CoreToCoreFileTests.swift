import Testing
@testable import RunFormat

/// c2c.csv: what CoreToCoreFile writes it reads back, and a bad row is named.
@Suite struct CoreToCoreFileTests {
    let scratch = Scratch()

    @Test func roundTrip() throws {
        defer { scratch.remove() }
        let rows = [
            CoreToCoreFile.Row(fromCPU: 0, toCPU: 1, relation: "same_die", metric: "cas_round_trip", trials: 33,
                               minNs: 61.25, p50Ns: 70.5, maxNs: 349, p50Ticks: 172.1, roundP50MinNs: 67,
                               roundP50MaxNs: 90.125),
            CoreToCoreFile.Row(fromCPU: 17, toCPU: 3, relation: "other_socket", metric: "read_modified", trials: 1,
                               minNs: 0.5, p50Ns: 0.5, maxNs: 0.5, p50Ticks: 1.25, roundP50MinNs: 0.5, roundP50MaxNs: 0.5),
        ]
        try CoreToCoreFile.write(rows, to: scratch.file(CoreToCoreFile.name))
        #expect(try CoreToCoreFile.read(path: scratch.path + "/c2c.csv") == rows)
        #expect(try scratch.text("c2c.csv").hasPrefix(CoreToCoreFile.header.joined(separator: ",") + "\n"))
    }

    @Test func badRowsAreNamed() throws {
        let header = CoreToCoreFile.header.joined(separator: ",") + "\n"
        #expect { try CoreToCoreFile.parse(header + "0,0,same_cpu,cas_round_trip,3,1,1,1,1,1,1\n", path: "c2c.csv") } throws: {
            ($0 as? InputFileError)?.line == 2
        }
        #expect { try CoreToCoreFile.parse(header + "0,1,same_die,cas_round_trip,3,1,x,1,1,1,1\n", path: "c2c.csv") } throws: {
            ($0 as? InputFileError)?.problem == .notANumber(column: "p50_ns", cell: "x")
        }
        #expect { try CoreToCoreFile.parse(header + "-1,1,same_die,cas_round_trip,3,1,1,1,1,1,1\n", path: "c2c.csv") } throws: {
            ($0 as? InputFileError)?.line == 2
        }
        #expect(throws: InputFileError.self) { try CoreToCoreFile.parse("from_cpu,to_cpu\n0,1\n", path: "c2c.csv") }
    }
}
