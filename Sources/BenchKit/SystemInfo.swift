import Platform
import Foundation
import Glibc

/// What the kernel tells about this machine, read from /proc and /sys. Each
/// reader returns nil when the information is not available; callers record
/// null and say why.
public enum SystemInfo {
    public static func hostName() -> String {
        SystemFiles.firstLine("/proc/sys/kernel/hostname") ?? "unknown"
    }

    public static func kernelRelease() -> String {
        SystemFiles.firstLine("/proc/sys/kernel/osrelease") ?? "unknown"
    }

    /// The kernel command line's value for `parameter` (e.g. "isolcpus"), "" if
    /// the parameter is present without a value, nil if absent.
    public static func bootParameter(_ parameter: String) -> String? {
        guard let line = SystemFiles.firstLine("/proc/cmdline") else { return nil }
        for word in line.split(separator: " ") {
            if word == parameter { return "" }
            if word.hasPrefix(parameter + "=") { return String(word.dropFirst(parameter.count + 1)) }
        }
        return nil
    }

    public static func clocksource() -> String? {
        SystemFiles.firstLine("/sys/devices/system/clocksource/clocksource0/current_clocksource")
    }

    /// CPUs isolated from the scheduler (isolcpus), from sysfs.
    public static func isolatedCPUs() -> CPUSet? {
        SystemFiles.firstLine("/sys/devices/system/cpu/isolated").flatMap { try? CPUSet(parsing: $0) }
    }

    /// CPUs running tickless (nohz_full). The sysfs file exists only on kernels
    /// built with NO_HZ_FULL; otherwise the boot parameter decides.
    public static func nohzFullCPUs() -> CPUSet? {
        if let line = SystemFiles.firstLine("/sys/devices/system/cpu/nohz_full") {
            return (try? CPUSet(parsing: line == "(null)" ? "" : line)) ?? CPUSet([Int]())
        }
        return bootParameter("nohz_full").flatMap { try? CPUSet(parsing: $0) }
    }

    /// The hyperthread siblings of `cpu` (including itself).
    public static func smtSiblings(of cpu: Int) -> CPUSet? {
        SystemFiles.firstLine("/sys/devices/system/cpu/cpu\(cpu)/topology/thread_siblings_list")
            .flatMap { try? CPUSet(parsing: $0) }
    }

    /// The git commit kbench was built from: $KBENCH_GIT_COMMIT, else the HEAD
    /// of the checkout that holds the running executable.
    public static func gitCommit() -> String? {
        if let value = ProcessInfo.processInfo.environment["KBENCH_GIT_COMMIT"], !value.isEmpty {
            return value
        }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path) {
                return try? Subprocess.output("/usr/bin/git", ["-C", directory.path, "rev-parse", "HEAD"])
                    .trimmingWhitespace()
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}

/// /proc/cpuinfo fields.
public enum CPUInfo {
    public static func modelName() -> String? { field("model name") }

    public static func flags() -> Set<String> {
        Set((field("flags") ?? "").split(separator: " ").map(String.init))
    }

    /// The first value of `name` in /proc/cpuinfo.
    static func field(_ name: String) -> String? {
        guard let text = try? SystemFiles.read("/proc/cpuinfo") else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingWhitespace() == name {
                return parts[1].trimmingWhitespace()
            }
        }
        return nil
    }
}

/// Runs a helper program to completion (outside any measurement).
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        var description: String { "\(command) exited with status \(status)" }
    }

    static func output(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(command: ([path] + arguments).joined(separator: " "), status: process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
