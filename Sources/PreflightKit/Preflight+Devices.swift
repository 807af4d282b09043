import BenchKit
import Platform

extension Preflight {
    /// IRQs routed to the CPUs: their configured affinity (smp_affinity_list)
    /// includes one, which is what a write to /proc/irq/N/ changes and what the
    /// shield moves. The effective affinity is said beside it, not used as the
    /// routing: on x86 without interrupt remapping it follows a move only when
    /// the IRQ next fires, so right after `--apply` a quiet virtio or ACPI IRQ
    /// still shows the shielded CPU although it will never be delivered there
    /// again (at most the one interrupt that moves it).
    static func irqs(cpus: CPUSet, in tree: SystemTree) -> Finding {
        let entries = IRQAffinity.entries(proc: tree.resolve("/proc"))
        let reaches = { (set: CPUSet?) in set?.cpus.contains(where: cpus.contains) ?? false }
        let routed = entries.filter { reaches($0.configured ?? $0.effective) }
        let pending = entries.filter { $0.configured != nil && !reaches($0.configured) && reaches($0.effective) }
        let pendingNote = pending.isEmpty ? "" :
            "; \(pending.count) IRQs moved off them still show them as effective affinity (\(pending.prefix(6).map(\.irq).joined(separator: ","))\(pending.count > 6 ? ",..." : "")) until they next fire, when the kernel moves them"
        guard !routed.isEmpty else {
            return Finding("irqs", .pass, "no device IRQ is routed to CPUs \(cpus) (smp_affinity_list)" + pendingNote)
        }
        let deliveredNow = routed.filter { reaches($0.effective) }.count
        let online = tree.firstLine("/sys/devices/system/cpu/online").flatMap { try? CPUSet(parsing: $0) } ?? CPUSet([Int]())
        let elsewhere = CPUSet(online.cpus.filter { !cpus.contains($0) })
        let names = routed.prefix(4).map { "\($0.irq) \($0.description.split(separator: " ").last ?? "")" }
        return Finding("irqs", .fail,
                       "\(routed.count) IRQs are routed to CPUs \(cpus) (\(names.joined(separator: ", "))\(routed.count > 4 ? ", ..." : "")), "
                           + "\(deliveredNow) of them delivered there now (effective affinity)" + pendingNote,
                       fix: "for i in \(routed.map(\.irq).joined(separator: " ")); do echo \(elsewhere.isEmpty ? "<other CPUs>" : elsewhere.description) > /proc/irq/$i/smp_affinity_list; done")
    }

    /// The affinity a newly set-up IRQ gets (a driver loaded or a device
    /// plugged during the run); nothing when the kernel has no such file.
    static func defaultIRQAffinity(cpus: CPUSet, in tree: SystemTree) -> [Finding] {
        let path = "/proc/irq/default_smp_affinity"
        guard let line = tree.firstLine(path), let set = CPUMask.parse(line) else { return [] }
        guard set.cpus.contains(where: cpus.contains) else {
            return [Finding("irqs.default", .pass, "new IRQs default to CPUs \(set) (\(path))")]
        }
        let others = CPUSet(set.cpus.filter { !cpus.contains($0) })
        return [Finding("irqs.default", .warn, "new IRQs default to CPUs \(set), which includes CPUs \(cpus) (\(path))",
                        fix: others.isEmpty ? "echo <mask of other CPUs> > \(path)" : "echo \(CPUMask.format(others)) > \(path)")]
    }

    /// cpufreq governor and limits, and deep idle states, through libcpupower.
    static func power(cpus: CPUSet, in tree: SystemTree) -> [Finding] {
        let states = cpus.cpus.map { ($0, PowerStates.read(cpu: $0, in: tree)) }
        var findings: [Finding] = []
        let scaled = states.compactMap { cpu, power in power.frequency.map { (cpu, $0) } }
        if scaled.isEmpty {
            findings.append(Finding("cpufreq", .pass, "no cpufreq driver: the hypervisor or firmware sets the frequency; nothing to set here"))
        } else {
            let slow = scaled.filter { $0.1.governor != "performance" }
            findings.append(slow.isEmpty
                ? Finding("cpufreq", .pass, "governor performance on CPUs \(CPUSet(scaled.map(\.0)))")
                : Finding("cpufreq", .fail,
                          "governor \(slow[0].1.governor) on CPU \(CPUSet(slow.map(\.0))): the clock changes with load",
                          fix: "cpupower -c \(CPUSet(slow.map(\.0))) frequency-set -g performance"))
            let capped = scaled.filter { cpu, f in f.hardwareMaxKHz.map { f.maxKHz < $0 } ?? false || f.minKHz < f.maxKHz && f.governor != "performance" }
            if let (cpu, f) = capped.first {
                let top = f.hardwareMaxKHz ?? f.maxKHz
                findings.append(Finding("cpufreq.limits", .warn,
                                        "CPU \(cpu) may run from \(f.minKHz / 1000) to \(f.maxKHz / 1000) MHz (hardware up to \(top / 1000) MHz)",
                                        fix: "cpupower -c \(CPUSet(capped.map(\.0))) frequency-set -d \(top)kHz -u \(top)kHz"))
            } else {
                findings.append(Finding("cpufreq.limits", .pass, "frequency fixed at the policy maximum"))
            }
        }
        let known = states.filter { $0.1.idleStates != nil }
        if known.isEmpty {
            findings.append(Finding("cstates", .pass, "no cpuidle states on CPUs \(cpus): an idle vCPU halts in the hypervisor; nothing to disable here"))
        } else {
            let deep = known.flatMap { cpu, power in
                power.enabledDeepStates.map { "CPU\(cpu) \(power.idleStates![$0].name) (\(power.idleStates![$0].latencyUs) µs)" }
            }
            findings.append(deep.isEmpty
                ? Finding("cstates", .pass, "no idle state deeper than \(PowerStates.deepLatencyUs) µs is enabled on CPUs \(cpus)")
                : Finding("cstates", .warn, "deep idle states enabled: \(deep.prefix(4).joined(separator: ", ")): a wake-up costs their exit latency",
                          fix: "cpupower -c \(cpus) idle-set -D \(PowerStates.deepLatencyUs + 1)"))
        }
        return findings
    }

    /// SMT siblings outside the set, and whether anything runs on them.
    static func smt(cpus: CPUSet, tasks: [TaskInfo], in tree: SystemTree) -> [Finding] {
        var siblings: [Int] = []
        for cpu in cpus.cpus {
            let list = tree.firstLine("/sys/devices/system/cpu/cpu\(cpu)/topology/thread_siblings_list")
            for sibling in (list.flatMap { try? CPUSet(parsing: $0) } ?? [cpu]).cpus where !cpus.contains(sibling) {
                siblings.append(sibling)
            }
        }
        guard !siblings.isEmpty else {
            return [Finding("smt", .pass, "no SMT sibling outside CPUs \(cpus) shares their cores")]
        }
        let set = CPUSet(siblings)
        let busy = tasks.filter { $0.isRunnable && set.contains($0.processor) }
        let fix = echo("0", to: set.cpus.map { "/sys/devices/system/cpu/cpu\($0)/online" })
        return [busy.isEmpty
            ? Finding("smt", .warn, "SMT siblings \(set) share the cores of CPUs \(cpus) (idle now)", fix: fix)
            : Finding("smt", .fail, "SMT siblings \(set) share the cores of CPUs \(cpus) and are busy (\(busy.count) runnable: \(busy.prefix(3).map(\.name).joined(separator: ", ")))", fix: fix)]
    }
}
