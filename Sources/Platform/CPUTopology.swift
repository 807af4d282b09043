// CPUTopology: which CPUs share a core, a die, a socket, from sysfs.

/// How two CPUs are related in the machine: what a cache line crosses to go
/// from one to the other (the labels of the core-to-core matrix).
public enum CPURelation: String, Sendable, CaseIterable {
    /// The same CPU.
    case same = "same_cpu"
    /// Hyperthreads of one core: they share its L1 and L2.
    case smtSibling = "smt_sibling"
    /// Different cores of one die.
    case sameDie = "same_die"
    /// Different dies of one socket (package).
    case sameSocket = "same_socket"
    /// Different sockets.
    case otherSocket = "other_socket"
    /// Topology not readable.
    case unknown
}

/// The topology of some CPUs as sysfs describes it
/// (`/sys/devices/system/cpu/cpuN/topology/`): package, die, core and SMT
/// siblings of each. Read from a root path so a recorded tree reads the same
/// as the live one.
public struct CPUTopology: Sendable, Equatable {
    public struct CPU: Sendable, Equatable {
        public var cpu: Int
        /// `physical_package_id`: the socket.
        public var package: Int
        /// `die_id` (0 where the kernel has none).
        public var die: Int
        /// `core_id`: unique within its package only.
        public var core: Int
        /// `thread_siblings_list`: the CPUs of its core, itself included.
        public var threadSiblings: [Int]

        public init(cpu: Int, package: Int, die: Int, core: Int, threadSiblings: [Int]) {
            self.cpu = cpu
            self.package = package
            self.die = die
            self.core = core
            self.threadSiblings = threadSiblings
        }
    }

    /// The CPUs read, in the order asked for.
    public let cpus: [CPU]

    public init(cpus: [CPU]) { self.cpus = cpus }

    /// Reads the topology of `cpus` under `root` (`""` for the live system;
    /// a recorded tree's directory otherwise).
    /// - Throws: `TopologyError` naming the file that is missing or malformed.
    public static func read(cpus: [Int], root: String = "") throws(TopologyError) -> CPUTopology {
        try CPUTopology(cpus: cpus.map { cpu throws(TopologyError) in
            let directory = "\(root)/sys/devices/system/cpu/cpu\(cpu)/topology"
            func number(_ name: String, absent: Int? = nil) throws(TopologyError) -> Int {
                let path = "\(directory)/\(name)"
                guard let line = SystemFiles.firstLine(path) else {
                    if let absent { return absent }
                    throw TopologyError(path: path, reason: "cannot be read")
                }
                guard let value = Int(line) else { throw TopologyError(path: path, reason: "'\(line.prefix(40))' is not a number") }
                return value
            }
            let siblingsPath = "\(directory)/thread_siblings_list"
            guard let list = SystemFiles.firstLine(siblingsPath) else {
                throw TopologyError(path: siblingsPath, reason: "cannot be read")
            }
            let siblings: CPUSet
            do { siblings = try CPUSet(parsing: list) } catch {
                throw TopologyError(path: siblingsPath, reason: "\(error)")
            }
            return CPU(cpu: cpu, package: try number("physical_package_id"), die: try number("die_id", absent: 0),
                       core: try number("core_id"), threadSiblings: siblings.cpus)
        })
    }

    /// The entry of `cpu`, if it was read.
    public func cpu(_ cpu: Int) -> CPU? { cpus.first { $0.cpu == cpu } }

    /// How `a` and `b` are related; `unknown` when either was not read.
    public func relation(_ a: Int, _ b: Int) -> CPURelation {
        if a == b { return .same }
        guard let x = cpu(a), let y = cpu(b) else { return .unknown }
        if x.package != y.package { return .otherSocket }
        if x.die != y.die { return .sameSocket }
        if x.threadSiblings.contains(b) || (x.core == y.core && y.threadSiblings.contains(a)) { return .smtSibling }
        return .sameDie
    }
}

/// A topology file that is missing or does not say what it should.
public struct TopologyError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
