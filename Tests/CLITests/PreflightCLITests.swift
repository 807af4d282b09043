// `preflight` as a user runs it, on a copy of the recorded VM's files
// (--root, hidden, for tests): --apply holds the shield until SIGTERM or
// Ctrl-C or the command's end, then restores; bad input exits 64/65.
// Never against the real machine: other runs pin threads on it.

import Foundation
import Glibc
import Testing

@Suite(.serialized) struct PreflightCLITests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PreflightKitTests/Samples/vm-2cpu").standardized.path

    /// A fresh copy of the sample tree.
    static func tree() throws -> String {
        let root = ToolRunner.temporaryDirectory()
        try FileManager.default.copyItem(atPath: sample, toPath: root)
        return root
    }

    static func irq25(_ root: String) -> String? {
        (try? String(contentsOfFile: root + "/proc/irq/25/smp_affinity_list", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func restoreFiles(_ root: String) -> [String] {
        // A SIGKILL during a rewrite may also leave the atomic writer's temporary file.
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/run/kbench")) ?? [])
            .filter { $0.hasPrefix("restore-") && $0.hasSuffix(".json") }
    }

    /// Waits (bounded) until the shield is held: the after-table is printed once it is.
    static func waitForShield(_ root: String) -> Bool {
        for _ in 0..<600 {
            if irq25(root) == "0", FileManager.default.fileExists(atPath: root + "/sys/fs/cgroup/cpuset/kbench-shield"),
               !restoreFiles(root).isEmpty { return true }
            usleep(50_000)
        }
        return false
    }

    @Test("--apply holds until SIGTERM (exit 143) or SIGINT (exit 130), then restores everything",
          .timeLimit(.minutes(1)), arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalRestores(_ signal: Int32, _ status: Int32) throws {
        let root = try Self.tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var held = false
        let result = try ToolRunner.run("preflight", ["--root", root, "--apply", "--cpus", "1"]) { process in
            held = Self.waitForShield(root)
            kill(process.processIdentifier, signal)
        }
        #expect(held, "the shield was never in place: \(result.stderr)")
        #expect(result.status == status && !result.signalled, "\(result.stderr)")
        #expect(result.stderr.contains("preflight: restored ("), "\(result.stderr)")
        #expect(Self.irq25(root) == "0-1")
        #expect(!FileManager.default.fileExists(atPath: root + "/sys/fs/cgroup/cpuset/kbench-shield"))
        #expect(Self.restoreFiles(root).isEmpty, "restore file left: \(Self.restoreFiles(root))")
    }

    @Test("--apply -- COMMAND: the command's exit status, and the machine restored", .timeLimit(.minutes(1)))
    func commandRestores() throws {
        let root = try Self.tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let marker = root + "/seen"
        let result = try ToolRunner.run("preflight", ["--root", root, "--apply", "--cpus", "1", "--",
                                                      "/bin/sh", "-c", "cat \(root)/proc/irq/25/smp_affinity_list > \(marker); exit 3"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "0", "the command ran shielded")
        #expect(Self.irq25(root) == "0-1" && Self.restoreFiles(root).isEmpty)
    }

    @Test("a stale restore file blocks --apply and is named; --restore undoes it", .timeLimit(.minutes(1)))
    func staleThenRestore() throws {
        let root = try Self.tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // SIGKILL leaves the shield and its restore file, as a crash would.
        _ = try ToolRunner.run("preflight", ["--root", root, "--apply", "--cpus", "1"]) { process in
            _ = Self.waitForShield(root)
            kill(process.processIdentifier, SIGKILL)
        }
        let file = try #require(Self.restoreFiles(root).first)
        let path = root + "/run/kbench/" + file
        let check = try ToolRunner.run("preflight", ["--root", root, "--cpus", "1", "--strict"])
        #expect(check.status == 1 && check.stdout.contains("stale restore file \(path)"))
        #expect(check.stdout.contains("fix: preflight --restore \(path)"))
        let blocked = try ToolRunner.run("preflight", ["--root", root, "--apply", "--cpus", "1"])
        #expect(blocked.status == 1 && blocked.stderr.contains("preflight --restore \(path)"))
        let restored = try ToolRunner.run("preflight", ["--root", root, "--restore", path])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(Self.irq25(root) == "0-1" && Self.restoreFiles(root).isEmpty)
    }

    @Test("bad input: one line, exit 64 for options, 65 for a bad restore file", .timeLimit(.minutes(1)))
    func badInput() throws {
        let root = try Self.tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for arguments in [["--cpus", "5"], ["--cpus", ""], ["--cpus", "0-99999999999"], ["--cpus", "-1"],
                          ["--cpus", "1", "--", "true"], ["--apply", "--restore", "x"]] {
            let result = try ToolRunner.run("preflight", ["--root", root] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
        }
        try "{\"format\":\"kbench-restore\",\"version\":1,\"created_utc\":\"2026-12-02T00:00:00Z\",\"pid\":9,\"host\":\"h\",\"cpus\":\"1\",\"command_line\":[],\"changes\":[{\"kind\":\"file\",\"path\":\"/etc/passwd\",\"original\":\"x\",\"note\":\"\"}]}"
            .write(toFile: root + "/hostile.json", atomically: true, encoding: .utf8)
        for file in [root + "/hostile.json", root + "/missing.json"] {
            let result = try ToolRunner.run("preflight", ["--root", root, "--restore", file])
            #expect(result.status == 65, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("preflight: \(file): ") && result.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("--isolate on a tool: refused before anything changes when it takes every CPU or misses a measured one",
          .timeLimit(.minutes(1)))
    func isolateRefusals() throws {
        let every = try ToolRunner.run("ftq", ["--isolate", "0-8191", "--samples", "10"])
        #expect(every.status == 64 && every.stderr.contains("--isolate"), "\(every.stderr)")
        let hostile = try ToolRunner.run("ftq", ["--isolate", "0-99999999999", "--samples", "10"])
        #expect(hostile.status == 64 && hostile.stderr.contains("--isolate"), "\(hostile.stderr)")
        let online = (try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)) ?? ""
        guard online.trimmingCharacters(in: .whitespacesAndNewlines) == "0-1" else {
            try Test.cancel("needs a 2-CPU machine (online: \(online))")
        }
        let all = try ToolRunner.run("ftq", ["--isolate", "0-1", "--samples", "10"])
        #expect(all.status == 64 && all.stderr.contains("takes every online CPU"), "\(all.stderr)")
        let out = ToolRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let outside = try ToolRunner.run("ftq", ["--isolate", "1", "--cpu", "0", "--samples", "10", "--out", out])
        #expect(outside.status == 64 && outside.stderr.contains("does not include CPU 0"), "\(outside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/run/kbench/restore-\(getpid()).json"))
    }

    @Test("--json: the table's findings for machines", .timeLimit(.minutes(1)))
    func json() throws {
        let result = try ToolRunner.run("preflight", ["--root", Self.sample, "--cpus", "1", "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let findings = try #require(object?["findings"] as? [[String: String]])
        #expect(findings.first { $0["id"] == "irqs" }?["severity"] == "fail")
        #expect(findings.allSatisfy { Set($0.keys) == ["id", "severity", "summary", "fix"] })
    }
}
