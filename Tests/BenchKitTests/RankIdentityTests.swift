import Foundation
import Testing
@testable import BenchKit

/// Launcher detection: each launcher's variables, the batch script that is no
/// rank, and hostile values refused with the variable named.
@Suite struct RankIdentityTests {
    @Test func openMPI() throws {
        let identity = try #require(try RankIdentity.detect([
            "OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
            "OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_MCA_ess_base_jobid": "1626800129", "PMIX_RANK": "1",
            // mpirun inside a Slurm step: Open MPI's ranks are the real ones.
            "SLURM_PROCID": "0", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "1",
        ]))
        #expect(identity == RankIdentity(launcher: .openmpi, rank: 1, size: 2, localRank: 1, localSize: 2,
                                         jobID: "1626800129"))
        #expect(identity.directoryName == "rank-1")
        #expect(identity.allRanksOnThisNode)
    }

    @Test func slurmStep() throws {
        let identity = try #require(try RankIdentity.detect([
            "SLURM_PROCID": "63", "SLURM_NTASKS": "64", "SLURM_STEP_NUM_TASKS": "64", "SLURM_NODEID": "63",
            "SLURM_LOCALID": "0", "SLURM_JOB_ID": "4711", "SLURM_STEP_ID": "0", "SLURM_STEP_NUM_NODES": "64",
        ]))
        #expect(identity == RankIdentity(launcher: .slurm, rank: 63, size: 64, nodeID: 63, localRank: 0,
                                         nodeCount: 64, jobID: "4711.0"))
        #expect(!identity.allRanksOnThisNode)
    }

    /// A batch script (and `salloc`'s shell) carries SLURM_PROCID but is no
    /// task of a step: a run from it is a run of one.
    @Test(arguments: [nil, "4294967294", "batch", "4294967293"] as [String?])
    func slurmBatchScriptIsNoRank(step: String?) throws {
        var environment = ["SLURM_PROCID": "0", "SLURM_NTASKS": "64", "SLURM_JOB_ID": "9"]
        environment["SLURM_STEP_ID"] = step
        #expect(try RankIdentity.detect(environment) == nil)
    }

    @Test func pmiAndPMIx() throws {
        #expect(try RankIdentity.detect(["PMI_RANK": "2", "PMI_SIZE": "4"])
                == RankIdentity(launcher: .pmi, rank: 2, size: 4))
        #expect(try RankIdentity.detect(["PMIX_RANK": "0", "PMI_SIZE": "4", "PMIX_NAMESPACE": "ns-1"])
                == RankIdentity(launcher: .pmix, rank: 0, size: 4, jobID: "ns-1"))
        #expect(try RankIdentity.detect([:]) == nil)
        #expect(try RankIdentity.detect(["HOME": "/root"]) == nil)
    }

    @Test(arguments: [
        (["OMPI_COMM_WORLD_RANK": "abc", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["OMPI_COMM_WORLD_RANK": "-1", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["OMPI_COMM_WORLD_RANK": "0"], "OMPI_COMM_WORLD_SIZE"),
        (["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "0"], "OMPI_COMM_WORLD_SIZE"),
        (["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "99999999999999999999999"], "OMPI_COMM_WORLD_SIZE"),
        (["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "10000001"], "OMPI_COMM_WORLD_SIZE"),
        (["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "7"], "OMPI_COMM_WORLD_LOCAL_RANK"),
        (["OMPI_COMM_WORLD_RANK": " 1", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["OMPI_COMM_WORLD_RANK": "", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["OMPI_COMM_WORLD_RANK": "1e3", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["OMPI_COMM_WORLD_RANK": "١", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK"),
        (["SLURM_PROCID": "5", "SLURM_NTASKS": "4", "SLURM_STEP_ID": "0"], "SLURM_PROCID"),
        (["SLURM_PROCID": "0", "SLURM_NTASKS": "NaN", "SLURM_STEP_ID": "0"], "SLURM_NTASKS"),
        (["SLURM_PROCID": "0", "SLURM_NTASKS": "4", "SLURM_STEP_ID": "0", "SLURM_NODEID": "x"], "SLURM_NODEID"),
        (["PMIX_RANK": "0"], "PMIX_RANK"),
        (["PMI_RANK": "0", "PMI_SIZE": "-3"], "PMI_SIZE"),
    ])
    func hostileValuesAreRefused(environment: [String: String], variable: String) throws {
        let error = try #require(throws: LaunchError.self) { try RankIdentity.detect(environment) }
        #expect(error.variable == variable)
        #expect(error.description.hasPrefix("launcher environment: \(variable)="))
        #expect(!error.description.contains("\n"))
    }

    /// A job id that could not name a file (a path, a very long one) is
    /// dropped rather than used in a directory or /dev/shm name.
    @Test func unsafeJobIDIsDropped() throws {
        let identity = try #require(try RankIdentity.detect([
            "OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2", "OMPI_MCA_ess_base_jobid": "../../etc",
        ]))
        #expect(identity.jobID == nil)
    }
}

@Suite struct RealtimeAnchorTests {
    @Test func iso8601RoundTripKeepsNanoseconds() throws {
        for ns: Int64 in [1_796_185_800_000_000_000, 1_796_185_800_123_456_789, 1_000_000_000_000_000_001] {
            let text = RealtimeAnchor.iso8601(realtimeNs: ns)
            #expect(text.hasSuffix("Z"))
            #expect(RealtimeAnchor.parseISO8601(text) == ns, "\(text)")
        }
        #expect(RealtimeAnchor.parseISO8601("2026-12-02T04:30:00Z") == 1_796_185_800_000_000_000)
        #expect(RealtimeAnchor.parseISO8601("2026-12-02T05:30:00+01:00") == 1_796_185_800_000_000_000)
    }

    @Test(arguments: ["", "now", "2026-12-02", "2026-12-02T04:30:00", "2026-13-02T04:30:00Z",
                      "1969-12-31T23:59:59Z", String(repeating: "9", count: 100)])
    func badInstantsAreRefused(text: String) {
        #expect(RealtimeAnchor.parseISO8601(text) == nil)
    }

    /// Tick → wall clock → tick comes back within a tick or two, and the
    /// anchor agrees with CLOCK_REALTIME read just after it.
    @Test func ticksAndWallClockAgree() {
        let clock = TSCClock(ticksPerNs: 2.5, method: "test")
        let anchor = RealtimeAnchor(clock: clock)
        let ns = anchor.reading.nanoseconds + 5_000_000
        let tick = anchor.tick(atRealtimeNs: ns)
        #expect(abs(anchor.realtimeNs(atTick: tick) - ns) <= 1)
        #expect(anchor.tick(atRealtimeNs: anchor.reading.nanoseconds - 1_000_000_000) == UInt64(anchor.reading.ticks.rounded()))
    }
}
