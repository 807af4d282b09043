import Foundation
import SystemPackage

/// The restore file of a kbench shield: every change `preflight --apply` (or a
/// tool's `--isolate`) makes to the machine, written *before* the change is
/// made, so a process that dies halfway leaves a file that undoes exactly what
/// it did (`preflight --restore FILE`).
///
/// Versioned JSON. It is read as root and drives writes into /proc, /sys and
/// the cgroup tree, so reading it is also a policy: every change must name one
/// of the few files kbench manages (`ManagedPath`) and a value of the shape
/// that file takes. A hostile or corrupted file is refused whole, with one line
/// naming it; it can never make kbench write anywhere else.
public struct RestoreFile: Codable, Equatable, Sendable {
    /// The `format` every restore file carries.
    public static let formatName = "kbench-restore"
    /// The version this build writes and reads.
    public static let currentVersion = 1
    /// More changes than any machine needs (one per IRQ, per idle state, a few cgroups).
    public static let maximumChanges = 65_536
    /// Longest value kbench writes back (a CPU list of 8192 CPUs fits easily).
    public static let maximumValueLength = 4096

    public var format: String
    public var version: Int
    public var createdUTC: Date
    /// The process that applied the shield, and its start time in clock ticks
    /// since boot (/proc/PID/stat field 22), so a reused PID is not taken for it.
    public var pid: Int
    @Nullable public var processStartTicks: UInt64?
    public var host: String
    /// The CPUs shielded, in the kernel's list form.
    public var cpus: String
    public var commandLine: [String]
    /// In the order they were made; restore undoes them in reverse.
    public var changes: [Change]

    /// One change to the machine.
    public struct Change: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable {
            /// A file whose `original` content is written back.
            case file
            /// A cgroup kbench created: its tasks go back to the parent and it is removed.
            case cgroup
            /// A controller kbench enabled in `path` (a cgroup.subtree_control): disabled again.
            case controller
        }

        public var kind: Kind
        /// Absolute path on the machine (without any test root).
        public var path: String
        /// `file`: the content before the change, written back on restore.
        @Nullable public var original: String?
        /// `file`: what kbench wrote.
        @Nullable public var applied: String?
        /// `controller`: the controller enabled (only "cpuset").
        @Nullable public var controller: String?
        /// What the change is for, for people reading the file.
        public var note: String

        public init(kind: Kind, path: String, original: String? = nil, applied: String? = nil,
                    controller: String? = nil, note: String) {
            self.kind = kind
            self.path = path
            self.original = original
            self.applied = applied
            self.controller = controller
            self.note = note
        }
    }

    public init(createdUTC: Date = Date(), pid: Int, processStartTicks: UInt64?, host: String, cpus: String,
                commandLine: [String], changes: [Change] = []) {
        format = Self.formatName
        version = Self.currentVersion
        self.createdUTC = createdUTC
        self.pid = pid
        self.processStartTicks = processStartTicks
        self.host = host
        self.cpus = cpus
        self.commandLine = commandLine
        self.changes = changes
    }

    enum CodingKeys: String, CodingKey {
        case format, version, createdUTC = "created_utc", pid, processStartTicks = "process_start_ticks", host,
             cpus, commandLine = "command_line", changes
    }

    /// Writes the file atomically (temporary file, fsync, rename): a crash
    /// leaves the previous complete version, never a torn one.
    public func write(to path: String) throws {
        try AtomicFileWriter.write(JSONCoding.encode(self), to: FilePath(path))
    }

    /// Reads and checks the restore file at `path`.
    /// - Throws: `InputFileError` naming the file: unreadable, not JSON, another
    ///   version, or a change kbench would not make.
    public static func read(path: String) throws -> RestoreFile {
        let file: RestoreFile
        do {
            file = try JSONCoding.read(RestoreFile.self, path: path)
        } catch let error as InputFileError {
            guard case .invalidJSON(let reason) = error.problem else { throw error }
            throw InputFileError(path: path, problem: .invalidRestoreFile(reason))
        }
        if let reason = file.problem() {
            throw InputFileError(path: path, problem: .invalidRestoreFile(reason))
        }
        return file
    }

    /// Why this file must not be acted on, or nil when every change is one kbench makes.
    public func problem() -> String? {
        guard format == Self.formatName else { return "format is '\(format.prefix(40))', not '\(Self.formatName)'" }
        guard version == Self.currentVersion else {
            return "version \(version); this kbench reads version \(Self.currentVersion)"
        }
        guard pid > 0, pid <= 1 << 22 else { return "pid \(pid) is not a Linux process id" }
        guard changes.count <= Self.maximumChanges else {
            return "\(changes.count) changes (at most \(Self.maximumChanges))"
        }
        for (index, change) in changes.enumerated() {
            if let reason = ManagedPath.problem(with: change) { return "changes[\(index)]: \(reason)" }
        }
        return nil
    }
}

/// The files and directories kbench changes, and the only ones a restore file
/// may name. Paths are matched component by component (no `..`, no `.`, no
/// empty component, no character outside `[A-Za-z0-9_.-]`), so no spelling
/// of another path gets through.
public enum ManagedPath {
    /// Where cgroup hierarchies are mounted: v2 alone, v1 cpuset, v2 beside v1.
    public static let cgroupMounts: [[String]] = [
        ["sys", "fs", "cgroup"], ["sys", "fs", "cgroup", "cpuset"], ["sys", "fs", "cgroup", "unified"],
    ]
    /// The cgroups kbench creates.
    public static let cgroupNames: Set<String> = ["kbench-shield", "kbench-system"]

    /// What kind of value a managed file holds.
    public enum Value: Sendable, Equatable {
        /// A CPU list ("0-1,3"), a hexadecimal CPU mask ("3", "ff,ffffffff"), a decimal integer, 0 or 1.
        case cpuList, cpuMask, integer, flag
    }

    /// The value shape of a managed file, or nil when `path` is not one.
    public static func fileValue(_ path: String) -> Value? {
        guard let c = components(path) else { return nil }
        if c.count == 4, c[0] == "proc", c[1] == "irq", isNumber(c[2]), c[3] == "smp_affinity_list" { return .cpuList }
        if c == ["proc", "irq", "default_smp_affinity"] { return .cpuMask }
        if c == ["proc", "sys", "kernel", "sched_rt_runtime_us"] { return .integer }
        if c.count == 8, Array(c[0..<4]) == ["sys", "devices", "system", "cpu"],
           c[4].hasPrefix("cpu"), isNumber(String(c[4].dropFirst(3))), c[5] == "cpuidle",
           c[6].hasPrefix("state"), isNumber(String(c[6].dropFirst(5))), c[7] == "disable" {
            return .flag
        }
        if let last = c.last, last == "cpuset.sched_load_balance", cgroupMounts.contains(Array(c.dropLast())) {
            return .flag
        }
        return nil
    }

    /// True for a cgroup directory kbench creates (`<mount>/kbench-shield`, `<mount>/kbench-system`).
    public static func isCgroup(_ path: String) -> Bool {
        guard let c = components(path), let last = c.last else { return false }
        return cgroupNames.contains(last) && cgroupMounts.contains(Array(c.dropLast()))
    }

    /// True for a cgroup mount's `cgroup.subtree_control`.
    public static func isSubtreeControl(_ path: String) -> Bool {
        guard let c = components(path), c.last == "cgroup.subtree_control" else { return false }
        return cgroupMounts.contains(Array(c.dropLast()))
    }

    /// Why `change` is not one kbench makes, or nil.
    public static func problem(with change: RestoreFile.Change) -> String? {
        let shown = "'\(change.path.prefix(120))'"
        switch change.kind {
        case .file:
            guard let shape = fileValue(change.path) else { return "\(shown) is not a file kbench manages" }
            guard let original = change.original else { return "\(shown) has no original value" }
            for value in [original, change.applied ?? original] where !fits(value, shape) {
                return "\(shown): value '\(value.prefix(40))' is not a \(shape)"
            }
        case .cgroup:
            guard isCgroup(change.path) else { return "\(shown) is not a cgroup kbench creates" }
        case .controller:
            guard isSubtreeControl(change.path) else { return "\(shown) is not a cgroup.subtree_control" }
            guard change.controller == "cpuset" else { return "controller '\(change.controller ?? "")' is not cpuset" }
        }
        return nil
    }

    /// Whether `value` has the shape of `shape`: a kernel CPU list, a hexadecimal CPU mask, a
    /// decimal integer, or 0/1. Bounded in length.
    public static func fits(_ value: String, _ shape: Value) -> Bool {
        guard value.utf8.count <= RestoreFile.maximumValueLength else { return false }
        switch shape {
        case .cpuList:
            return value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2C || $0 == 0x2D }
        case .cpuMask:
            return !value.isEmpty && value.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) || $0 == 0x2C
            }
        case .integer:
            return value.utf8.count <= 20 && Int(value) != nil
        case .flag:
            return value == "0" || value == "1"
        }
    }

    /// The components of an absolute, plain path, or nil.
    static func components(_ path: String) -> [String]? {
        guard path.hasPrefix("/"), path.utf8.count <= 512 else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts {
            guard !part.isEmpty, part != ".", part != "..",
                  part.utf8.allSatisfy({ isPlain($0) }) else { return nil }
        }
        return parts
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2E, 0x2D: true
        default: false
        }
    }

    private static func isNumber(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 7 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
