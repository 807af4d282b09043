import Platform
import RunFormat

/// The running kernel's build configuration (CONFIG_HZ and friends), from
/// /proc/config.gz (CONFIG_IKCONFIG_PROC) or /boot/config-<release>.
public struct KernelConfig: Sendable {
    public let values: [String: String]
    /// Where the configuration was read from.
    public let source: String

    /// Parses `CONFIG_X=value` lines; comments and blank lines are skipped.
    public init(text: String, source: String) {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("CONFIG_") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = parts[1].trimming { $0 == "\"" } }
        }
        self.values = values
        self.source = source
    }

    /// The running kernel's configuration, or the places tried.
    public static func running() -> Result<KernelConfig, KernelConfigUnavailable> {
        read(compressed: "/proc/config.gz", plain: "/boot/config-\(SystemInfo.kernelRelease())")
    }

    /// The configuration from a gzip-compressed file (decompressed by running
    /// `gzip -dc`: a file read once per run does not justify linking zlib),
    /// else from a plain one.
    public static func read(compressed: String, plain: String) -> Result<KernelConfig, KernelConfigUnavailable> {
        if let text = try? Subprocess.output("/bin/gzip", ["-dc", compressed]), !text.isEmpty {
            return .success(KernelConfig(text: text, source: compressed))
        }
        if let text = try? SystemFiles.read(plain) {
            return .success(KernelConfig(text: text, source: plain))
        }
        return .failure(KernelConfigUnavailable(tried: [compressed, plain]))
    }

    /// The timer tick rate (CONFIG_HZ), e.g. 250.
    public var hz: Int? { values["CONFIG_HZ"].flatMap { Int($0) } }
}

public struct KernelConfigUnavailable: Error, CustomStringConvertible, Sendable {
    public let tried: [String]
    public var description: String {
        "kernel configuration not readable (tried \(tried.joined(separator: ", ")))"
    }
}
