import SystemPackage

/// Reads the small text files of /proc and /sys (and any other file) in one
/// call, with errors that name the path.
public enum SystemFiles {
    /// The whole file as UTF-8 text. /proc files report size 0, so this reads
    /// until end of file rather than trusting stat.
    public static func read(_ path: String) throws -> String {
        let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The file's first line without its newline, or nil if it cannot be read.
    public static func firstLine(_ path: String) -> String? {
        guard let text = try? read(path) else { return nil }
        return text.split(separator: "\n", omittingEmptySubsequences: false).first.map { $0.trimmingWhitespace() }
    }
}
