import Foundation
import Testing
@testable import Platform

/// The topology reader on recorded sysfs trees (Samples/README.md): exact
/// labels from known input, and one line naming the file when input is bad.
@Suite struct CPUTopologyTests {
    static func sample(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Samples/\(name)").path
    }

    @Test func theTestVMIsTwoCoresOfOneDie() throws {
        let topology = try CPUTopology.read(cpus: [0, 1], root: Self.sample("vm-2cpu-sysfs"))
        #expect(topology.cpus == [
            CPUTopology.CPU(cpu: 0, package: 0, die: 0, core: 0, threadSiblings: [0]),
            CPUTopology.CPU(cpu: 1, package: 0, die: 0, core: 1, threadSiblings: [1]),
        ])
        #expect(topology.relation(0, 1) == .sameDie && topology.relation(1, 0) == .sameDie)
        #expect(topology.relation(1, 1) == .same)
        #expect(topology.relation(0, 7) == .unknown)
    }

    @Test func everyRelationOnTheTwoSocketTree() throws {
        let topology = try CPUTopology.read(cpus: Array(0..<16), root: Self.sample("2socket-16cpu-sysfs"))
        #expect(topology.cpus.count == 16)
        #expect(topology.relation(0, 8) == .smtSibling && topology.relation(13, 5) == .smtSibling)
        #expect(topology.relation(0, 1) == .sameDie && topology.relation(9, 0) == .sameDie)
        #expect(topology.relation(0, 2) == .sameSocket && topology.relation(11, 1) == .sameSocket)
        #expect(topology.relation(0, 4) == .otherSocket && topology.relation(15, 0) == .otherSocket)
        // Symmetric, and each CPU has exactly one sibling, one die mate
        // (counting both threads: 2), four socket mates and eight abroad.
        for a in 0..<16 {
            var counts: [CPURelation: Int] = [:]
            for b in 0..<16 where b != a {
                #expect(topology.relation(a, b) == topology.relation(b, a))
                counts[topology.relation(a, b), default: 0] += 1
            }
            #expect(counts == [.smtSibling: 1, .sameDie: 2, .sameSocket: 4, .otherSocket: 8])
        }
    }

    @Test func aMissingOrMalformedFileIsNamed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-topology-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = "\(root)/sys/devices/system/cpu/cpu0/topology"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect { try CPUTopology.read(cpus: [0], root: root) } throws: { error in
            (error as? TopologyError)?.path == "\(directory)/thread_siblings_list"
        }
        try "0\n".write(toFile: "\(directory)/thread_siblings_list", atomically: true, encoding: .utf8)
        try "zero\n".write(toFile: "\(directory)/physical_package_id", atomically: true, encoding: .utf8)
        #expect { try CPUTopology.read(cpus: [0], root: root) } throws: { error in
            let error = error as? TopologyError
            return error?.path == "\(directory)/physical_package_id" && error?.reason.contains("not a number") == true
        }
        try "0\n".write(toFile: "\(directory)/physical_package_id", atomically: true, encoding: .utf8)
        try "3\n".write(toFile: "\(directory)/core_id", atomically: true, encoding: .utf8)
        try "0-x\n".write(toFile: "\(directory)/thread_siblings_list", atomically: true, encoding: .utf8)
        #expect(throws: TopologyError.self) { try CPUTopology.read(cpus: [0], root: root) }
        // die_id may be absent (older kernels): die 0.
        try "0\n".write(toFile: "\(directory)/thread_siblings_list", atomically: true, encoding: .utf8)
        #expect(try CPUTopology.read(cpus: [0], root: root).cpus[0] == .init(cpu: 0, package: 0, die: 0, core: 3, threadSiblings: [0]))
    }
}
