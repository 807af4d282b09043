import Platform

/// The kernel's hexadecimal CPU mask, the only form /proc/irq/default_smp_affinity
/// has (no `_list` twin): 32-bit groups of hex digits, most significant first,
/// separated by commas ("3", "ff,ffffffff").
enum CPUMask {
    /// The CPUs of `text`, or nil when it is not a mask or names a CPU beyond
    /// the largest Linux supports.
    static func parse(_ text: String) -> CPUSet? {
        let groups = text.trimmingWhitespace().split(separator: ",", omittingEmptySubsequences: false)
        guard !groups.isEmpty, groups.count <= (CPUSet.maximumCPU + 1) / 32 else { return nil }
        var cpus: [Int] = []
        for (index, group) in groups.reversed().enumerated() {
            guard !group.isEmpty, group.count <= 8, let bits = UInt32(group, radix: 16) else { return nil }
            for bit in 0..<32 where bits & (1 << UInt32(bit)) != 0 { cpus.append(index * 32 + bit) }
        }
        return CPUSet(cpus.sorted())
    }

    /// `set` as a mask the kernel reads back: the highest group without
    /// leading zeros, the others eight digits wide.
    static func format(_ set: CPUSet) -> String {
        let highest = set.cpus.max() ?? 0
        var groups = [UInt32](repeating: 0, count: highest / 32 + 1)
        for cpu in set.cpus where cpu >= 0 { groups[cpu / 32] |= 1 << UInt32(cpu % 32) }
        let hex = groups.reversed().map { String($0, radix: 16) }
        return ([hex[0]] + hex.dropFirst().map { String(repeating: "0", count: 8 - $0.count) + $0 }).joined(separator: ",")
    }
}
