import Foundation
import Testing

/// A disk that fills up while a run is written: the small files (summary.csv,
/// trials.csv, interrupts.csv, meta.json) are written first and survive, the trace
/// is lost, meta.json says which file is missing and is marked incomplete, and the
/// tool exits non-zero with one line, never a signal. The disk is a 64 KiB tmpfs.
@Suite(.serialized) struct FullDiskTests {
    /// Mounts a tmpfs of `size` at a new directory; nil when this process may not mount.
    static func mountTmpfs(size: String) -> String? {
        let directory = ToolRunner.temporaryDirectory()
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let result = try? ToolRunner.run(executable: "/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory]),
              result.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            return nil
        }
        return directory
    }

    static func unmount(_ directory: String) {
        _ = try? ToolRunner.run(executable: "/bin/umount", [directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether a tmpfs can be mounted here (root with CAP_SYS_ADMIN, mount(8) present).
    static let canMount: Bool = {
        guard let probe = mountTmpfs(size: "4k") else { return false }
        unmount(probe)
        return true
    }()

    @Test(.enabled(if: canMount, "mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN)"),
          .timeLimit(.minutes(2)))
    func fullDiskLosesOnlyTheTraceAndSaysSo() throws {
        let disk = try #require(Self.mountTmpfs(size: "64k"))
        defer { Self.unmount(disk) }
        let out = disk + "/run"
        // 20000 samples are ~500 KB of ftq.csv: far past 64 KiB; the small files fit.
        let result = try ToolRunner.run("ftq", ["--samples", "20000", "--quantum-us", "50", "--out", out])
        #expect(!result.signalled)
        #expect(result.status != 0, "a run that lost its trace must not exit 0")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors.count == 1 && errors[0].contains("ftq.csv"), "\(result.stderr)")

        let files = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(!files.contains("ftq.csv"), "a partial trace must not be left under its final name")
        #expect(!files.contains { $0.hasPrefix(".") }, "temporary files left: \(files)")
        for small in ["summary.csv", "trials.csv", "interrupts.csv", "meta.json"] {
            #expect(files.contains(small), "\(small) missing: \(files)")
        }
        let meta = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/meta.json"))) as? [String: Any])
        #expect(meta["complete"] as? Bool == false)
        let warnings = meta["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.hasPrefix("ftq.csv could not be written") }, "\(warnings)")
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8)
        #expect(summary.hasPrefix("benchmark,") && summary.split(separator: "\n").count >= 2)
    }
}
