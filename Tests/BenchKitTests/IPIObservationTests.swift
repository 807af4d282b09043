import Foundation
import Testing
@testable import BenchKit

/// IPI detection on /proc/interrupts recorded around real operations
/// (Samples/ipi/README.md): exact per-operation counts, and the no-IPI case.
@Suite struct IPIObservationTests {
    static func snapshots(_ name: String) throws -> [InterruptCounts] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Samples/ipi/\(name)")
        return try ["before", "after-operations", "after-quiet"].map {
            try InterruptCounts(parsing: String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8))
        }
    }

    static func observe(_ name: String, operationsNs: Double, quietNs: Double, cpu: Int = 1) throws -> IPIObservation {
        let s = try snapshots(name)
        return try IPIObservation(before: s[0], afterOperations: s[1], afterQuiet: s[2], victimCPU: cpu,
                                  operations: 1000, operationsNs: operationsNs, quietNs: quietNs)
    }

    @Test func membarrierIsOneCallPerOperation() throws {
        let o = try Self.observe("membarrier", operationsNs: 6264391, quietNs: 6309556)
        #expect(o.duringOperations == [.call: 1001, .tlb: 1, .reschedule: 1])
        #expect(o.duringQuiet == [.call: 1, .tlb: 1, .reschedule: 1])
        #expect(abs(o.perOperation[.call]! - 1.0) < 0.001)
        #expect(o.perOperation[.tlb]! < 0.001 && o.perOperation[.reschedule]! < 0.001)
        #expect(o.observed && abs(o.ipisPerOperation - 1.0) < 0.002)
        #expect(o.summary.hasPrefix("1.00 IPIs per operation on CPU 1"))
    }

    /// A shootdown counts in CAL and in TLB: one IPI, not two.
    @Test func anMprotectShootdownIsCountedOnce() throws {
        let o = try Self.observe("mprotect", operationsNs: 9666092, quietNs: 9701478)
        #expect(o.duringOperations[.call] == 1001 && o.duringOperations[.tlb] == 1001)
        #expect(abs(o.perOperation[.tlb]! - 1.0) < 0.002)
        #expect(o.observed && abs(o.ipisPerOperation - 1.0) < 0.003)
    }

    @Test func aFutexWakeOfAnIdleCPUIsOneReschedule() throws {
        let o = try Self.observe("futex", operationsNs: 236230326, quietNs: 236271562)
        #expect(o.duringOperations[.reschedule] == 999)
        #expect(abs(o.perOperation[.reschedule]! - 0.997) < 0.003)
        #expect(o.observed)
    }

    /// The victim was not running the caller's mm: no IPI, and it says so.
    @Test func noIPIIsReportedAsNone() throws {
        let o = try Self.observe("membarrier-victim-not-running", operationsNs: 437250, quietNs: 514265)
        #expect(o.duringOperations == [.call: 0, .tlb: 0, .reschedule: 0])
        #expect(!o.observed && o.ipisPerOperation == 0)
        #expect(o.summary.hasPrefix("no IPI observed on CPU 1"))
        // CPU 0, the initiator's, sees none from its own calls either.
        #expect(try !Self.observe("membarrier", operationsNs: 6264391, quietNs: 6309556, cpu: 0).observed)
    }

    /// Background in the quiet window is subtracted, scaled to the batch's
    /// length; a few stray interrupts are not an IPI per operation.
    @Test func theBackgroundIsSubtracted() throws {
        func counts(_ cal: UInt64, _ res: UInt64) throws -> InterruptCounts {
            try InterruptCounts(parsing: "CPU0 CPU1\nCAL: 0 \(cal) Function call interrupts\nRES: 0 \(res) Rescheduling interrupts\n")
        }
        // 100 CAL during 1 ms of operations, 100 in a 2 ms quiet window: 50 are background.
        let o = try IPIObservation(before: counts(0, 0), afterOperations: counts(100, 3), afterQuiet: counts(200, 9),
                                   victimCPU: 1, operations: 50, operationsNs: 1e6, quietNs: 2e6)
        #expect(o.perOperation[.call] == 1.0 && o.perOperation[.tlb] == 0 && o.perOperation[.reschedule] == 0)
        // 3 stray interrupts over 100 operations: below one per ten, not observed.
        let stray = try IPIObservation(before: counts(0, 0), afterOperations: counts(3, 0), afterQuiet: counts(3, 0),
                                       victimCPU: 1, operations: 100, operationsNs: 1e6, quietNs: 1e6)
        #expect(!stray.observed && stray.ipisPerOperation == 0.03)
    }

    @Test func badInputIsRefused() throws {
        let s = try Self.snapshots("membarrier")
        #expect(throws: IPIObservationError.noSuchCPU(7)) {
            try IPIObservation(before: s[0], afterOperations: s[1], afterQuiet: s[2], victimCPU: 7, operations: 1,
                               operationsNs: 1, quietNs: 1)
        }
        #expect(throws: IPIObservationError.noOperations) {
            try IPIObservation(before: s[0], afterOperations: s[1], afterQuiet: s[2], victimCPU: 1, operations: 0,
                               operationsNs: 1, quietNs: 1)
        }
        #expect(throws: IPIObservationError.self) {
            try IPIObservation(before: s[0], afterOperations: s[1], afterQuiet: s[2], victimCPU: 1, operations: 1,
                               operationsNs: .nan, quietNs: 1)
        }
        #expect(throws: IPIObservationError.counterWentBackwards(.call)) {
            try IPIObservation(before: s[1], afterOperations: s[0], afterQuiet: s[2], victimCPU: 1, operations: 1,
                               operationsNs: 1, quietNs: 1)
        }
    }
}
