#if canImport(Glibc)
import Glibc
#endif

/// The `rank-<N>` directories of a multi-rank run (`OUT/rank-<N>/`, N the rank with no
/// zero padding), found without trusting the directory.
///
/// Hostile input stays bounded: the directory is streamed with readdir and at most
/// `maximumEntries` names are looked at; at most `maximumRanks` ranks are accepted;
/// only one level is read (OUT/rank-N/ftq.csv and meta.json, nothing deeper); a rank
/// directory, ftq.csv or meta.json that is a symlink (or not a directory / regular
/// file) is an error, so a shared file system cannot redirect merge elsewhere. Names
/// that do not start with `rank-` are ignored (merge's own output may sit beside them).
public struct RankDirectories: Sendable {
    /// One rank directory.
    public struct Entry: Sendable, Equatable {
        /// N of `rank-N`.
        public var rank: Int
        /// The directory's path.
        public var path: String
    }

    /// More ranks than any machine runs FTQ on (10^6).
    public static let maximumRanks = 1_000_000
    /// Names examined before giving up: a directory of millions of files is not a run.
    public static let maximumEntries = 4_000_000
    /// The largest ftq.csv merge reads (one rank's trace is held in memory while it is
    /// read): 8 GiB, a day at 10 kHz on one CPU.
    public static let maximumTraceBytes: Int64 = 8 << 30

    /// The rank directories under `root`, in rank order.
    /// - Throws: `MergeInputError` for an unreadable root, a malformed `rank-` name, a
    ///   symlink, a missing ftq.csv or meta.json, or too many entries.
    /// - Parameter trace: the file every rank must hold beside meta.json: ftq.csv, or
    ///   bsp.csv for the `--bsp` runs (`BSPMeasurement`).
    public static func scan(_ root: String, trace: String = "ftq.csv", maximumRanks: Int = maximumRanks,
                            maximumEntries: Int = maximumEntries) throws -> [Entry] {
        guard let directory = opendir(root) else {
            throw MergeInputError("\(root): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        var entries: [Entry] = []
        var examined = 0
        while let item = readdir(directory) {
            examined += 1
            guard examined <= maximumEntries else {
                throw MergeInputError("\(root): more than \(maximumEntries) entries: not a run directory merge reads")
            }
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("rank-") else { continue }
            let digits = name.dropFirst(5)
            guard let rank = Int(digits), rank >= 0, digits.count <= 7, String(rank) == digits else {
                throw MergeInputError("\(root)/\(name): not rank-<N> with N a rank without zero padding (0 to 9999999)")
            }
            guard entries.count < maximumRanks else {
                throw MergeInputError("\(root): more than \(maximumRanks) rank directories")
            }
            let path = root + "/" + name
            try requireKind(path, directory: true)
            let traceBytes = try requireKind(path + "/" + trace, directory: false)
            guard traceBytes <= maximumTraceBytes else {
                throw MergeInputError("\(path)/\(trace): \(traceBytes) bytes, more than the \(maximumTraceBytes) merge reads per rank")
            }
            try requireKind(path + "/meta.json", directory: false)
            entries.append(Entry(rank: rank, path: path))
        }
        return entries.sorted { $0.rank < $1.rank }
    }

    /// Checks with lstat that `path` is a real directory or regular file, not a symlink.
    /// Returns its size in bytes.
    @discardableResult
    static func requireKind(_ path: String, directory: Bool) throws -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw MergeInputError("\(path): \(String(cString: strerror(errno)))")
        }
        let kind = status.st_mode & S_IFMT
        if kind == S_IFLNK { throw MergeInputError("\(path): is a symlink; merge reads only real files in the run directory") }
        if directory, kind != S_IFDIR { throw MergeInputError("\(path): not a directory") }
        if !directory, kind != S_IFREG { throw MergeInputError("\(path): not a regular file") }
        return Int64(status.st_size)
    }
}
