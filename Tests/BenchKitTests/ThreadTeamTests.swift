import Platform
import CPlatform
import Synchronization
import Testing
@testable import BenchKit

/// The thread team: members pinned and lined up on one start tick, their
/// workspaces made before any thread, prologue and epilogue on the member's
/// thread, SCHED_FIFO obtained or reported, a start that cannot hang, and a
/// stop that never waits for ever.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ThreadTeamTests {
    /// What one member saw, written only by it.
    final class Trace: @unchecked Sendable {
        let madeBy = Threads.currentTID()
        var ranOn = -1
        var startTick: UInt64 = 0
        var bodyBegan: UInt64 = 0
        var steps: [String] = []
    }

    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    let cpus = (try? Affinity.allowedCPUs().cpus) ?? [0]

    @Test func membersRunPinnedFromOneStartTickWithTheirOwnWorkspace() throws {
        let team = ThreadTeam(cpus: cpus) { _, _ in Trace() }
        let coordinator = Threads.currentTID()
        #expect(team.workspaces.allSatisfy { $0.madeBy == coordinator }, "workspaces are made before any thread")
        try team.launch(prologue: { _ in }, body: { member, trace in
            member.waitForStartTick()
            trace.bodyBegan = kb_rdtsc()
            trace.ranOn = Affinity.currentCPU()
            trace.startTick = member.startTick
        })
        let start = team.release(leadTicks: 2_000_000)
        #expect(team.join(timeout: .seconds(10)).joined)
        #expect(team.workspaces.map(\.ranOn) == cpus)
        #expect(team.workspaces.allSatisfy { $0.startTick == start && $0.bodyBegan >= start })
        #expect(team.finishedCount == cpus.count)
    }

    @Test func prologueBodyAndEpilogueRunInOrderOnTheMembersThread() throws {
        let team = ThreadTeam(cpus: [cpus[0], cpus[0]]) { _, _ in Trace() }
        try team.launch(prologue: { member in
            team.workspaces[member.index].steps.append("prologue\(member.startTick)@\(Affinity.currentCPU())")
        }, body: { member, trace in
            trace.steps.append("body@\(Affinity.currentCPU())")
        }, epilogue: { member in
            team.workspaces[member.index].steps.append("epilogue")
        })
        team.release()
        #expect(team.join(timeout: .seconds(10)).joined)
        for trace in team.workspaces {
            #expect(trace.steps == ["prologue0@\(cpus[0])", "body@\(cpus[0])", "epilogue"])
        }
    }

    @Test func fifoIsObtainedOrItsRefusalReported() throws {
        let team = ThreadTeam(cpus: cpus, scheduling: .fifo(priority: 10, required: false)) { _, _ in () }
        try team.launch(body: { _, _ in })
        team.release()
        #expect(team.join(timeout: .seconds(10)).joined)
        for outcome in team.memberScheduling {
            if let refusal = outcome.refusal {
                #expect(refusal.contains("SCHED_FIFO not obtained"))
                #expect(outcome.obtained.policy == "SCHED_OTHER")
            } else {
                #expect(outcome.obtained == SchedulingState(policy: "SCHED_FIFO", priority: 10))
            }
        }
        #expect(SchedulingState.current().policy == "SCHED_OTHER", "the coordinator's policy changed")
    }

    /// The case that used to hang: a SCHED_FIFO member busy on every CPU,
    /// including the coordinator's own. The members spin only after the start
    /// tick is published, so the coordinator is never needed to start them.
    @Test func fifoMembersOnEveryCPUIncludingTheCoordinatorsStartAndFinish() throws {
        let team = ThreadTeam(cpus: cpus, scheduling: .fifo(priority: 10, required: false)) { _, _ in Trace() }
        let done = Flag()
        try PinnedThread.start(cpu: cpus.last!) {
            // This thread coordinates from a CPU a member spins on.
            do {
                try team.launch(body: { member, trace in
                    member.waitForStartTick()
                    trace.bodyBegan = kb_rdtsc()
                    let end = trace.bodyBegan &+ 100_000_000   // ~40 ms of spinning
                    while kb_rdtsc() < end { kb_pause() }
                })
                team.release(leadTicks: 3_000_000)
                done.value.store(team.join(timeout: .seconds(20)).joined, ordering: .releasing)
            } catch {
                Issue.record("launch failed: \(error)")
            }
        }.join()
        #expect(done.isSet)
        #expect(team.workspaces.allSatisfy { $0.bodyBegan >= team.startTick! })
    }

    @Test func aMemberThatNeverReturnsIsAbandonedAndNamed() throws {
        let letGo = Flag(), stuck = Flag()
        let team = ThreadTeam(cpus: [cpus[0], cpus[0]]) { _, _ in () }
        try team.launch(body: { member, _ in
            guard member.index == 1 else { return }
            stuck.value.store(true, ordering: .releasing)
            // Ignores the stop request, as a thread stuck in a lock would.
            while !letGo.value.load(ordering: .relaxed) { sleepNanoseconds(1_000_000) }
        })
        team.release()
        while !stuck.isSet { sleepNanoseconds(1_000_000) }
        team.requestStop()
        let start = monotonicNanos()
        let outcome = team.join(timeout: .milliseconds(200))
        #expect(monotonicNanos() - start < 2_000_000_000, "the join was not bounded")
        #expect(outcome == TeamJoin(abandoned: [1]))
        #expect(!outcome.joined)
        letGo.value.store(true, ordering: .relaxed)
        #expect(team.join(timeout: .seconds(5)).joined, "the member returned once let go")
    }

    @Test func aStopRequestReachesTheMembersLoops() throws {
        let team = ThreadTeam(cpus: cpus) { _, _ in Trace() }
        try team.launch(body: { member, trace in
            while !member.shouldStop { kb_pause() }
            trace.steps.append("stopped")
        })
        team.release()
        sleepNanoseconds(20_000_000)
        team.requestStop()
        #expect(team.join(timeout: .seconds(5)).joined)
        #expect(team.workspaces.allSatisfy { $0.steps == ["stopped"] })
    }

    @Test func aMemberThatCannotBePinnedFailsTheLaunchAndNobodyStarts() throws {
        let ran = Flag()
        let team = ThreadTeam(cpus: [cpus[0], 4095]) { _, _ in () }
        #expect(throws: (any Error).self) {
            try team.launch(body: { _, _ in ran.value.store(true, ordering: .relaxed) })
        }
        #expect(!ran.isSet, "a body ran although the launch failed")
        #expect(team.finishedCount == 1, "the member already started was not stopped and joined")
    }

    @Test func theWatchdogEndsAStalledTeam() throws {
        let stalled = Flag()
        let team = ThreadTeam(cpus: [cpus[0]]) { _, _ in () }
        try team.launch(body: { member, _ in
            while !member.shouldStop { sleepNanoseconds(1_000_000) }   // no progress
        })
        team.release()
        let watchdog = try team.watch(timeoutSeconds: 0.3, progress: { 0 }, onStall: { _ in
            stalled.value.store(true, ordering: .releasing)
        })
        #expect(team.join(timeout: .seconds(10)).joined, "the stall did not stop the team")
        watchdog.stop()
        #expect(stalled.isSet && watchdog.hasFired)
    }
}
