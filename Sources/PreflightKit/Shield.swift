import Glibc
import Platform
import RunFormat

/// Makes CPUs as quiet as the machine allows without a reboot, recording
/// every change in a restore file first:
/// - a cpuset shield: on cgroup v2 an isolated partition (the kernel then
///   moves every other task and movable kernel thread off those CPUs and stops
///   load-balancing them); on a v1 cpuset hierarchy two cpusets, system and
///   shield, with every movable task moved into system, as `cset shield` does;
/// - every IRQ whose affinity includes them moved to the other CPUs, and the
///   default affinity of IRQs registered later (a driver loaded meanwhile) too;
/// - their idle states deeper than 1 µs disabled (through libcpupower);
/// - RT throttling off, so a SCHED_FIFO thread that never sleeps keeps its CPU.
///
/// What cannot be done (an IRQ its driver manages, no cpuset controller, no
/// root) becomes a warning; the rest is still applied.
public enum Shield {
    public struct Plan: Sendable {
        public var cpus: CPUSet
        /// The process to put into the shield (its children follow).
        public var joinPID: Int?
        /// Join only where the layout requires it (a v2 partition's CPUs are
        /// usable from inside it alone); on v1 the process then stays in the root
        /// cpuset, so its coordinating thread can run on the other CPUs.
        public var joinOnlyWhenRequired = false
        public var moveIRQs = true
        public var disableDeepIdleStates = true
        public var disableRTThrottling = true
        /// Asked between steps: true stops applying (a Ctrl-C arrived); the caller then restores.
        public var shouldStop: @Sendable () -> Bool = { false }

        public init(cpus: CPUSet, joinPID: Int? = nil) {
            self.cpus = cpus
            self.joinPID = joinPID
        }
    }

    /// What was applied, for the terminal and meta.json.
    public struct Outcome: Sendable {
        public var method: String
        public var applied: [String] = []
        public var warnings: [String] = []
        public var stopped = false

        public func isolation(cpus: CPUSet, restoreFile: String?) -> RunMetadata.Isolation {
            RunMetadata.Isolation(cpus: cpus.description, method: method, applied: applied, warnings: warnings,
                                  restoreFile: restoreFile)
        }
    }

    /// Checks that `cpus` can be shielded on `tree`'s machine: online, and not
    /// all of them (something must run the rest of the machine), and no stale
    /// restore file (the machine is still changed by a run that died).
    public static func check(_ cpus: CPUSet, in tree: SystemTree) throws(ShieldError) {
        guard !cpus.isEmpty else { throw ShieldError("no CPUs to shield") }
        let online = tree.firstLine("/sys/devices/system/cpu/online").flatMap { try? CPUSet(parsing: $0) }
        if let online {
            let missing = cpus.cpus.filter { !online.contains($0) }
            guard missing.isEmpty else { throw ShieldError("CPU \(CPUSet(missing)) is not online (online: \(online))") }
            guard online.cpus.contains(where: { !cpus.contains($0) }) else {
                throw ShieldError("cannot shield every online CPU (\(online)): leave at least one for the rest of the machine")
            }
        }
        if let stale = RestoreFiles.stale(in: tree).first {
            throw ShieldError("a previous shield was not restored (\(stale.resolvedPath)): run `\(RestoreFiles.restoreCommand(stale))` first")
        }
    }

    /// Applies `plan`, recording each change in `journal` before making it.
    public static func apply(_ plan: Plan, journal: RestoreJournal, in tree: SystemTree) -> Outcome {
        let online = tree.firstLine("/sys/devices/system/cpu/online").flatMap { try? CPUSet(parsing: $0) }
            ?? Affinity.onlineCPUs()
        let housekeeping = CPUSet(online.cpus.filter { !plan.cpus.contains($0) })
        let layout = CgroupLayout.detect(in: tree)
        var outcome = Outcome(method: "none")
        var step = Step(journal: journal, tree: tree, outcome: outcome)

        switch layout {
        case .v2(let mount):
            step.cgroupV2(mount: mount, plan: plan)
        case .v1(let mount):
            step.cgroupV1(mount: mount, plan: plan, housekeeping: housekeeping)
        case .unavailable(let reason):
            step.outcome.warnings.append("tasks not moved off CPUs \(plan.cpus): \(reason)")
        }
        outcome = step.outcome
        let stages: [(Bool, (inout Step) -> Void)] = [
            (plan.moveIRQs, { $0.moveIRQs(off: plan.cpus, to: housekeeping) }),
            (plan.moveIRQs, { $0.moveDefaultIRQAffinity(off: plan.cpus, to: housekeeping) }),
            (plan.disableDeepIdleStates, { $0.disableDeepIdleStates(plan.cpus) }),
            (plan.disableRTThrottling, { $0.disableRTThrottling() }),
        ]
        for (wanted, stage) in stages where wanted {
            if plan.shouldStop() { step.outcome.stopped = true; break }
            stage(&step)
        }
        outcome = step.outcome
        if plan.shouldStop() { outcome.stopped = true }
        let left = TaskScan.tasks(in: tree).filter {
            !$0.isPinnedByKernel && $0.allowed.cpus.contains(where: plan.cpus.contains) && !isJoined($0, plan)
        }
        if !left.isEmpty, layout.shieldPath != nil {
            outcome.warnings.append("\(left.count) movable tasks may still run on CPUs \(plan.cpus) (e.g. \(left.prefix(3).map { "\($0.tid) \($0.name)" }.joined(separator: ", "))): they are in cgroups kbench does not manage")
        }
        return outcome
    }

    private static func isJoined(_ task: TaskInfo, _ plan: Plan) -> Bool { task.pid == plan.joinPID }

    /// The steps, sharing the journal and the outcome.
    struct Step {
        let journal: RestoreJournal
        let tree: SystemTree
        var outcome: Shield.Outcome

        /// Records `change`, then runs `make`; a failure of either is a warning.
        /// Returns whether the change was made.
        @discardableResult
        mutating func change(_ change: RestoreFile.Change, _ what: String, _ make: () throws -> Void) -> Bool {
            do {
                try journal.record(change)
            } catch {
                outcome.warnings.append("\(what) not done: the restore file could not be written (\(error))")
                return false
            }
            do {
                try make()
                outcome.applied.append(what)
                return true
            } catch {
                outcome.warnings.append("\(what) failed: \(error)")
                return false
            }
        }

        mutating func cgroupV2(mount: String, plan: Plan) {
            let tree = self.tree
            let control = mount + "/cgroup.subtree_control"
            let shield = mount + "/kbench-shield"
            if tree.exists(shield) {
                outcome.warnings.append("\(tree.resolve(shield)) already exists (another shield is active): tasks not moved")
                return
            }
            if !Preflight.words(tree.firstLine(control)).contains("cpuset") {
                let enabled = change(.init(kind: .controller, path: control, controller: "cpuset",
                                           note: "cpuset controller enabled for the shield"),
                                     "cpuset controller enabled in \(control)") { try tree.write(control, "+cpuset") }
                guard enabled else { return }
            }
            let mems = tree.firstLine(mount + "/cpuset.mems.effective") ?? "0"
            let made = change(.init(kind: .cgroup, path: shield, note: "the shield: an isolated cpuset partition"),
                              "cgroup \(shield) created with cpuset.cpus \(plan.cpus)") {
                try tree.makeDirectory(shield)
                try tree.write(shield + "/cpuset.cpus", plan.cpus.description)
                try tree.write(shield + "/cpuset.mems", mems)
            }
            guard made else { return }
            if let pid = plan.joinPID {
                do { try tree.moveTask(pid, to: shield + "/cgroup.procs") } catch {
                    outcome.warnings.append("process \(pid) could not join the shield: \(error)")
                }
            }
            for mode in ["isolated", "root"] {
                guard (try? tree.write(shield + "/cpuset.cpus.partition", mode)) != nil else { continue }
                let state = tree.firstLine(shield + "/cpuset.cpus.partition") ?? ""
                if state == mode {
                    outcome.method = "cgroup2 \(mode) partition"
                    outcome.applied.append("\(shield) made an \(mode) partition: other tasks and movable kernel threads leave CPUs \(plan.cpus)")
                    return
                }
                outcome.warnings.append("cpuset partition '\(mode)' refused: \(state) (a sibling cgroup's cpuset.cpus overlaps CPUs \(plan.cpus)?)")
            }
            outcome.method = "cgroup2 cpuset (no partition)"
        }

        mutating func cgroupV1(mount: String, plan: Plan, housekeeping: CPUSet) {
            let tree = self.tree
            let system = mount + "/kbench-system", shield = mount + "/kbench-shield"
            if tree.exists(shield) || tree.exists(system) {
                outcome.warnings.append("\(tree.resolve(shield)) already exists (another shield is active): tasks not moved")
                return
            }
            let mems = tree.firstLine(mount + "/cpuset.mems") ?? "0"
            let madeSystem = change(.init(kind: .cgroup, path: system, note: "every movable task, on the other CPUs"),
                                    "cpuset \(system) created with CPUs \(housekeeping)") {
                try tree.makeDirectory(system)
                try tree.write(system + "/cpuset.cpus", housekeeping.description)
                try tree.write(system + "/cpuset.mems", mems)
            }
            let madeShield = change(.init(kind: .cgroup, path: shield, note: "the shield"),
                                    "cpuset \(shield) created with CPUs \(plan.cpus), exclusive, not load-balanced") {
                try tree.makeDirectory(shield)
                try tree.write(shield + "/cpuset.cpus", plan.cpus.description)
                try tree.write(shield + "/cpuset.mems", mems)
                try tree.write(shield + "/cpuset.cpu_exclusive", "1")
                try tree.write(shield + "/cpuset.sched_load_balance", "0")
            }
            guard madeSystem, madeShield else { return }
            // With the root not balancing, the scheduler builds its domains from the
            // children that do: the shield's CPUs are then balanced by nobody, as
            // with isolcpus.
            let balance = mount + "/cpuset.sched_load_balance"
            if let original = tree.firstLine(balance), original != "0" {
                change(.init(kind: .file, path: balance, original: original, applied: "0",
                             note: "no load balancing across the shield"),
                       "load balancing off in the root cpuset") { try tree.write(balance, "0") }
            }
            let own = Set(tree.list("/proc/\(plan.joinPID ?? -1)/task").compactMap(Int.init))
            var moved = 0, pinned = 0, gone = 0
            var failures: [String] = []
            for line in (tree.read(mount + "/tasks") ?? "").split(separator: "\n") {
                guard let tid = Int(line.trimmingWhitespace()), tid > 0, !own.contains(tid) else { continue }
                do {
                    try tree.moveTask(tid, to: system + "/tasks")
                    moved += 1
                } catch {
                    if error.isGone { gone += 1 } else if error.errno == EINVAL { pinned += 1 } else { failures.append("\(tid): \(error)") }
                }
            }
            outcome.method = "cgroup1 cpuset shield"
            outcome.applied.append("\(moved) tasks moved to \(system) (\(pinned) per-CPU kernel threads stay, \(gone) exited meanwhile)")
            if let first = failures.first { outcome.warnings.append("\(failures.count) tasks could not be moved, first \(first)") }
            for child in tree.list(mount).sorted() where !ManagedPath.cgroupNames.contains(child) {
                guard let cpus = tree.firstLine(mount + "/\(child)/cpuset.cpus").flatMap({ try? CPUSet(parsing: $0) }),
                      cpus.cpus.contains(where: plan.cpus.contains) else { continue }
                outcome.warnings.append("cpuset \(mount)/\(child) keeps CPUs \(cpus): its tasks may still run on the shield")
            }
            if let pid = plan.joinPID, !plan.joinOnlyWhenRequired {
                do { try tree.moveTask(pid, to: shield + "/cgroup.procs") } catch {
                    outcome.warnings.append("process \(pid) could not join the shield: \(error)")
                }
            }
        }

        mutating func moveIRQs(off cpus: CPUSet, to housekeeping: CPUSet) {
            var moved: [String] = []
            for irq in tree.list("/proc/irq").compactMap(Int.init).sorted() {
                let path = "/proc/irq/\(irq)/smp_affinity_list"
                guard let current = tree.firstLine(path), let set = try? CPUSet(parsing: current),
                      set.cpus.contains(where: cpus.contains) else { continue }
                let remaining = CPUSet(set.cpus.filter { !cpus.contains($0) })
                let target = remaining.isEmpty ? housekeeping : remaining
                guard !target.isEmpty else { continue }
                let journal = self.journal
                do {
                    try journal.record(.init(kind: .file, path: path, original: current, applied: target.description,
                                             note: "IRQ \(irq) off the shield"))
                } catch {
                    outcome.warnings.append("IRQ \(irq) not moved: the restore file could not be written (\(error))")
                    continue
                }
                do {
                    try tree.write(path, target.description)
                    moved.append(String(irq))
                } catch {
                    outcome.warnings.append("IRQ \(irq) cannot be moved off CPUs \(cpus) (its driver manages it): \(error)")
                }
            }
            if !moved.isEmpty { outcome.applied.append("IRQs \(moved.joined(separator: ",")) moved to CPUs \(housekeeping) or their other CPUs") }
        }

        /// /proc/irq/default_smp_affinity: the affinity an IRQ gets when it is
        /// set up, so one registered while the shield holds (a device hot-plugged,
        /// a driver loaded) stays off it too. A hexadecimal mask, not a list.
        mutating func moveDefaultIRQAffinity(off cpus: CPUSet, to housekeeping: CPUSet) {
            let path = "/proc/irq/default_smp_affinity"
            guard let current = tree.firstLine(path), let set = CPUMask.parse(current),
                  set.cpus.contains(where: cpus.contains) else { return }
            let remaining = CPUSet(set.cpus.filter { !cpus.contains($0) })
            let target = remaining.isEmpty ? housekeeping : remaining
            guard !target.isEmpty else { return }
            let tree = self.tree, mask = CPUMask.format(target)
            change(.init(kind: .file, path: path, original: current, applied: mask,
                         note: "default IRQ affinity off the shield"),
                   "default IRQ affinity \(current) -> \(mask) (CPUs \(target))") { try tree.write(path, mask) }
        }

        mutating func disableDeepIdleStates(_ cpus: CPUSet) {
            for cpu in cpus.cpus {
                let power = PowerStates.read(cpu: cpu, in: tree)
                guard let states = power.idleStates else { continue }
                for index in power.enabledDeepStates {
                    let path = PowerStates.disablePath(cpu: cpu, state: index)
                    let tree = self.tree
                    change(.init(kind: .file, path: path, original: "0", applied: "1",
                                 note: "idle state \(states[index].name) of CPU \(cpu) disabled"),
                           "CPU \(cpu) idle state \(states[index].name) (\(states[index].latencyUs) µs exit) disabled") {
                        try PowerStates.setDisabled(true, cpu: cpu, state: index, in: tree)
                    }
                }
            }
        }

        mutating func disableRTThrottling() {
            let path = "/proc/sys/kernel/sched_rt_runtime_us"
            guard let original = tree.firstLine(path), original != "-1", Int(original) != nil else { return }
            let tree = self.tree
            change(.init(kind: .file, path: path, original: original, applied: "-1", note: "RT throttling off"),
                   "RT throttling off (sched_rt_runtime_us \(original) -> -1)") { try tree.write(path, "-1") }
        }
    }
}

/// Why a shield cannot be applied at all, one line.
public struct ShieldError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
