import CCluster
import Foundation
import RunFormat

/// How well this node's clock agrees with the others', for meta.json's
/// `launch.clock`: ranks' traces share a time base only as well as their
/// clocks agree, so merge can tell a real common peak from clocks apart.
///
/// Asks the daemon that disciplines the clock where one runs (chrony, ntpd,
/// ptp4l, systemd-timesyncd; each command bounded to 2 s), and always the
/// kernel (adjtimex(2): the sync flag and maxerror), which needs nothing.
public enum ClockProbe {
    public typealias Agreement = RunMetadata.ClockAgreement

    public static func read() -> Agreement {
        let kernel = kernelState()
        let running = runningProcessNames()
        if running.contains("chronyd"), let chrony = chrony(kernel: kernel) { return chrony }
        if running.contains("ntpd"), let ntpd = ntpd(kernel: kernel) { return ntpd }
        if running.contains("ptp4l") || running.contains("phc2sys") { return ptp(kernel: kernel) }
        if running.contains("systemd-timesyn") { return timesyncd(kernel: kernel) }
        return Agreement(sync: running.isEmpty ? .unknown : .none, synchronized: kernel.synchronized, offsetNs: nil,
                         maxErrorNs: kernel.maxErrorNs,
                         detail: "no clock daemon runs (chronyd, ntpd, ptp4l, systemd-timesyncd); \(kernel.detail)")
    }

    /// The kernel's view: synchronized (STA_UNSYNC clear) and maxerror.
    struct Kernel {
        var synchronized: Bool?
        var maxErrorNs: Double?
        var detail: String
    }

    static func kernelState() -> Kernel {
        var maxerror: Int64 = 0, esterror: Int64 = 0
        var unsynchronized: Int32 = 0
        let state = kb_clock_kernel_state(&maxerror, &esterror, &unsynchronized)
        guard state >= 0 else {
            return Kernel(synchronized: nil, maxErrorNs: nil, detail: "adjtimex failed (errno \(-state))")
        }
        return Kernel(synchronized: unsynchronized == 0, maxErrorNs: Double(maxerror) * 1000,
                      detail: "kernel adjtimex: \(unsynchronized == 0 ? "synchronized" : "unsynchronized"), state \(state), maxerror \(maxerror) µs, esterror \(esterror) µs")
    }

    /// `chronyc -c tracking`: CSV; field 4 the system clock's offset from NTP
    /// time (s), 10 root delay, 11 root dispersion (s).
    static func chrony(kernel: Kernel) -> Agreement? {
        guard let text = command("chronyc", ["-c", "tracking"]) else { return nil }
        let fields = text.split(separator: "\n").first?.split(separator: ",", omittingEmptySubsequences: false) ?? []
        guard fields.count >= 12, let offset = Double(fields[4]), let delay = Double(fields[10]),
              let dispersion = Double(fields[11]) else { return nil }
        let maxError = (abs(offset) + delay / 2 + dispersion) * 1e9
        return Agreement(sync: .chrony, synchronized: kernel.synchronized, offsetNs: offset * 1e9, maxErrorNs: maxError,
                         detail: "chronyc tracking: reference \(fields[1]), stratum \(fields[2]), offset \(offset) s, root delay \(delay) s, root dispersion \(dispersion) s; \(kernel.detail)")
    }

    /// `ntpq -c rv`: offset, rootdelay and rootdisp in milliseconds.
    static func ntpd(kernel: Kernel) -> Agreement? {
        guard let text = command("ntpq", ["-c", "rv"]) else { return nil }
        func value(_ key: String) -> Double? {
            for item in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
                let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == key { return Double(pair[1]) }
            }
            return nil
        }
        let offset = value("offset")
        let maxError = offset.map { abs($0) + (value("rootdelay") ?? 0) / 2 + (value("rootdisp") ?? 0) }
        return Agreement(sync: .ntpd, synchronized: kernel.synchronized, offsetNs: offset.map { $0 * 1e6 },
                         maxErrorNs: maxError.map { $0 * 1e6 } ?? kernel.maxErrorNs,
                         detail: "ntpq -c rv: offset \(offset.map { "\($0) ms" } ?? "unknown"); \(kernel.detail)")
    }

    /// ptp4l's offset from its master (`pmc ... GET TIME_STATUS_NP`), when pmc exists.
    static func ptp(kernel: Kernel) -> Agreement {
        var offset: Double?
        if let text = command("pmc", ["-u", "-b", "0", "GET TIME_STATUS_NP"]) {
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.count >= 2, words[0] == "master_offset" { offset = Double(words[1]) }
            }
        }
        return Agreement(sync: .ptp, synchronized: kernel.synchronized, offsetNs: offset,
                         maxErrorNs: offset.map { abs($0) } ?? kernel.maxErrorNs,
                         detail: "ptp4l/phc2sys running; master offset \(offset.map { "\($0) ns" } ?? "unknown (pmc missing or silent)"); \(kernel.detail)")
    }

    static func timesyncd(kernel: Kernel) -> Agreement {
        let answer = command("timedatectl", ["show", "-p", "NTPSynchronized", "--value"])?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return Agreement(sync: .systemdTimesyncd, synchronized: answer.map { $0 == "yes" } ?? kernel.synchronized,
                         offsetNs: nil, maxErrorNs: kernel.maxErrorNs,
                         detail: "timedatectl NTPSynchronized=\(answer ?? "unknown"); \(kernel.detail)")
    }

    /// A program's output, run under `timeout 2`, or nil when it is missing or fails.
    static func command(_ name: String, _ arguments: [String]) -> String? {
        let directories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"]
        guard let path = directories.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout") else { return nil }
        return try? Subprocess.output("/usr/bin/timeout", ["2", path] + arguments)
    }

    /// The command names (/proc/PID/comm, 15 characters) of running processes.
    static func runningProcessNames() -> Set<String> {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var names = Set<String>()
        for entry in entries where entry.first?.isNumber == true {
            if let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8) {
                names.insert(comm.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return names
    }
}
