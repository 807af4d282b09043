import RunFormat

/// Whether two runs were measured under the same conditions: the gate refuses
/// to compare numbers from different machines or set-ups, because a change of
/// CPU, kernel, isolation, SMT, scheduling or clock moves every number and is
/// not a regression of the code.
///
/// A field is compared only when both runs know it (an imported run from
/// another tool knows little): unknown is not a difference.
public enum EnvironmentComparison {
    /// TSC rates differing by more than this fraction are different clocks.
    public static let tscTolerance = 0.01

    /// The differences between `baseline` and `current`, one line each, naming
    /// the field and both values; empty when they are comparable.
    public static func differences(baseline: RunMetadata, current: RunMetadata) -> [String] {
        var found: [String] = []
        func differ<T: Equatable>(_ field: String, _ a: T?, _ b: T?, show: (T) -> String = { "\($0)" }) {
            guard let a, let b, a != b else { return }
            found.append("\(field): baseline \(show(a)), current \(show(b))")
        }
        let quoted: (String) -> String = { "'\($0)'" }
        differ("cpu_model", baseline.cpuModel, current.cpuModel, show: quoted)
        differ("kernel_release", known(baseline.kernelRelease), known(current.kernelRelease), show: quoted)
        differ("cpus_isolated", isolationKnown(baseline) ? baseline.cpusIsolated : nil,
               isolationKnown(current) ? current.cpusIsolated : nil)
        differ("isolcpus", baseline.isolcpus, current.isolcpus, show: quoted)
        differ("nohz_full", baseline.nohzFull, current.nohzFull, show: quoted)
        differ("rcu_nocbs", baseline.rcuNocbs, current.rcuNocbs, show: quoted)
        differ("SMT siblings busy on the measured CPUs", smtActive(baseline), smtActive(current),
               show: { $0 ? "yes (a sibling shares a measured core)" : "no" })
        differ("scheduling obtained", obtainedPolicies(baseline), obtainedPolicies(current),
               show: { $0.isEmpty ? "none recorded" : $0.sorted().joined(separator: ", ") })
        if let a = baseline.tsc.frequencyHz, let b = current.tsc.frequencyHz, a > 0, b > 0,
           abs(b / a - 1) > tscTolerance {
            found.append("TSC frequency: baseline \(mhz(a)) MHz, current \(mhz(b)) MHz (more than \(Int(tscTolerance * 100))% apart)")
        }
        return found
    }

    /// "unknown" (what an importer writes for a field its source lacks) is not a value.
    private static func known(_ text: String) -> String? {
        text.isEmpty || text == RunMetadata.unknownValue ? nil : text
    }

    /// An imported run says nothing about isolation: its isolcpus is null.
    private static func isolationKnown(_ meta: RunMetadata) -> Bool { meta.isolcpus != nil }

    /// Whether any measured CPU shares its core with another CPU (its SMT
    /// sibling list names more than one CPU); nil when no list is known.
    static func smtActive(_ meta: RunMetadata) -> Bool? {
        let lists = meta.smtSiblings.values.compactMap { $0 }
        guard !lists.isEmpty else { return nil }
        return lists.contains { list in list.contains(",") || list.contains("-") }
    }

    /// The distinct policies and priorities the measuring threads got
    /// ("SCHED_FIFO 50"); thread names differ between runs, policies must not.
    static func obtainedPolicies(_ meta: RunMetadata) -> Set<String>? {
        guard !meta.scheduling.obtained.isEmpty else { return nil }
        return Set(meta.scheduling.obtained.values.map { "\($0.policy) \($0.priority)" })
    }

    private static func mhz(_ hz: Double) -> String {
        String((hz / 1e4).rounded() / 100)
    }
}
