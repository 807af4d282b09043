import RunFormat

/// Where the cpuset controller lives on this machine, found in /proc/mounts:
/// a cgroup v2 hierarchy that offers it (the shield is then an isolated
/// partition), else a v1 cpuset hierarchy (the shield is then two cpusets, as
/// `cset shield` makes), else none.
public enum CgroupLayout: Sendable, Equatable {
    case v2(mount: String)
    case v1(mount: String)
    /// The reason no cpuset shield can be made.
    case unavailable(String)

    public static func detect(in tree: SystemTree) -> CgroupLayout {
        guard let mounts = tree.read("/proc/mounts") else { return .unavailable("/proc/mounts is not readable") }
        var v2: [String] = [], v1: [String] = []
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { continue }
            if fields[2] == "cgroup2" { v2.append(String(fields[1])) }
            if fields[2] == "cgroup", fields[3].split(separator: ",").contains("cpuset") { v1.append(String(fields[1])) }
        }
        let managed = { (mount: String) in ManagedPath.cgroupMounts.contains(mount.split(separator: "/").map(String.init)) }
        for mount in v2 where managed(mount) {
            let controllers = tree.firstLine(mount + "/cgroup.controllers")?.split(separator: " ") ?? []
            if controllers.contains("cpuset") { return .v2(mount: mount) }
        }
        if let mount = v1.first(where: managed) { return .v1(mount: mount) }
        if let mount = v1.first ?? v2.first { return .unavailable("cgroup mounted at \(mount), which kbench does not manage") }
        if !v2.isEmpty { return .unavailable("cgroup v2 at \(v2[0]) does not offer the cpuset controller (it is bound to a v1 hierarchy or disabled)") }
        return .unavailable("no cgroup hierarchy with the cpuset controller is mounted")
    }

    /// The shield's cgroup, if the layout has one.
    public var shieldPath: String? {
        switch self {
        case .v2(let mount), .v1(let mount): mount + "/kbench-shield"
        case .unavailable: nil
        }
    }
}
