import Glibc

/// A name for this process that no other process shares, even on another
/// machine writing the same shared file system: host, then pid. Temporary and
/// probe files carry it, since many ranks of one job may write side by side
/// (in sibling rank directories, or in one directory by mistake) and a pid is
/// unique on one host only.
public enum ProcessTag {
    /// "<host>-<pid>", the host name cut at its first dot and kept to
    /// characters safe in a file name.
    public static let current: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
        return "\(fileSafe(host))-\(getpid())"
    }()

    /// `text` up to its first dot, with anything but letters, digits, '-' and
    /// '_' replaced by '_' (never empty).
    static func fileSafe(_ text: String) -> String {
        let head = text.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        let safe = String(head.prefix(64).map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
        return safe.isEmpty ? "host" : safe
    }
}
