import Platform

extension Preflight {
    /// isolcpus, nohz_full, rcu_nocbs: boot parameters, so the fix is a reboot;
    /// a kbench shield in place stands in for isolcpus until then.
    static func bootIsolation(cpus: CPUSet, shield: (path: String, cpus: CPUSet)?, in tree: SystemTree) -> [Finding] {
        func covers(_ set: CPUSet?) -> Bool { set.map { s in cpus.cpus.allSatisfy(s.contains) } ?? false }
        func grub(_ parameter: String) -> String {
            "sed -i 's/^GRUB_CMDLINE_LINUX=\"/&\(parameter)=\(cpus) /' /etc/default/grub && update-grub && reboot"
        }
        var findings: [Finding] = []
        let isolated = tree.firstLine("/sys/devices/system/cpu/isolated").flatMap { try? CPUSet(parsing: $0) }
            ?? cpuList(bootParameter("isolcpus", in: tree))
        if covers(isolated) {
            findings.append(Finding("isolcpus", .pass, "CPUs \(cpus) are isolated from the scheduler (isolcpus=\(isolated!))"))
        } else if let shield, covers(shield.cpus) {
            findings.append(Finding("isolcpus", .pass, "not in isolcpus, but shielded at runtime by \(shield.path) (CPUs \(shield.cpus))"))
        } else {
            findings.append(Finding("isolcpus", .warn,
                                    "CPUs \(cpus) are not isolated (isolcpus=\(isolated.map { $0.isEmpty ? "none" : $0.description } ?? "unknown")): the scheduler may put any task there",
                                    fix: "preflight --apply --cpus \(cpus)   # runtime shield; or at boot: \(grub("isolcpus"))"))
        }
        let nohz: CPUSet? = tree.firstLine("/sys/devices/system/cpu/nohz_full").flatMap {
            try? CPUSet(parsing: $0 == "(null)" ? "" : $0)
        } ?? cpuList(bootParameter("nohz_full", in: tree))
        findings.append(covers(nohz)
            ? Finding("nohz_full", .pass, "CPUs \(cpus) run tickless when alone (nohz_full=\(nohz!))")
            : Finding("nohz_full", .warn,
                      "CPUs \(cpus) are not nohz_full: the timer tick interrupts them CONFIG_HZ times a second",
                      fix: grub("nohz_full")))
        let nocbs = bootParameter("rcu_nocbs", in: tree)
        findings.append(nocbs == "all" || covers(cpuList(nocbs))
            ? Finding("rcu_nocbs", .pass, "RCU callbacks of CPUs \(cpus) run elsewhere (rcu_nocbs=\(nocbs!))")
            : Finding("rcu_nocbs", .warn, "CPUs \(cpus) run their own RCU callbacks (no rcu_nocbs)",
                      fix: grub("rcu_nocbs")))
        return findings
    }
}
