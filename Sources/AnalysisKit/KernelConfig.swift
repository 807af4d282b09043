import Foundation

/// The running kernel's CONFIG_HZ: the timer tick rate, the first suspect for a line in
/// an FTQ spectrum (thesis §4.5: "250 Hz is the kernel scheduler tick").
public enum KernelConfig {
    /// CONFIG_HZ of the running kernel, from `/proc/config.gz` (CONFIG_IKCONFIG_PROC),
    /// else `/boot/config-<release>`, else nil. The paths are parameters so tests can
    /// point them at fixtures.
    public static func configHZ(procConfigGzPath: String = "/proc/config.gz",
                                bootDirectory: String = "/boot",
                                release: String? = kernelRelease()) -> Int? {
        if let text = gunzip(path: procConfigGzPath), let hz = configHZ(inConfig: text) {
            return hz
        }
        if let release,
           let data = FileManager.default.contents(atPath: "\(bootDirectory)/config-\(release)"),
           let hz = configHZ(inConfig: String(decoding: data, as: UTF8.self)) {
            return hz
        }
        return nil
    }

    /// The value of the `CONFIG_HZ=` line of a kernel config, if any.
    public static func configHZ(inConfig text: String) -> Int? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("CONFIG_HZ=") {
            return Int(line.dropFirst("CONFIG_HZ=".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// `uname -r`.
    public static func kernelRelease() -> String? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        return withUnsafeBytes(of: &name.release) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The decompressed text of a gzip file, by running `gzip -dc` (found on PATH).
    /// A subprocess keeps zlib out of the package for a file read once per analysis.
    static func gunzip(path: String) -> String? {
        guard FileManager.default.isReadableFile(atPath: path) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // Read before waiting: the config is bigger than a pipe buffer.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
