import Foundation
import SystemPackage

/// The directory one run writes: CSV files and meta.json, each written
/// atomically.
public struct RunDirectory: Sendable {
    public let path: FilePath

    /// Creates the directory (and its parents) if needed, and checks that it can
    /// be written before any measurement starts.
    public init(creating path: FilePath) throws(RunDirectoryError) {
        self.path = path
        try Self.checkWritable(path, create: true)
    }

    /// The path of `name` inside the run directory.
    public func file(_ name: String) -> FilePath { path.appending(name) }

    public func write(_ table: CSVTable, as name: String) throws {
        try table.write(to: file(name))
    }

    /// A streaming writer for a large CSV (millions of rows).
    public func streamingWriter(for name: String) throws -> AtomicFileWriter {
        try AtomicFileWriter(path: file(name))
    }

    public func write(_ meta: RunMetadata) throws {
        try AtomicFileWriter.write(meta.json(), to: file("meta.json"))
    }

    /// Validates an output directory without measuring: it exists and is a
    /// writable directory, or it can be created under its nearest existing
    /// ancestor. With `create`, it is created.
    public static func checkWritable(_ path: FilePath, create: Bool) throws(RunDirectoryError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path.string, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .notADirectory(path, blocker: path) }
        } else {
            var ancestor = path.removingLastComponent()
            while !ancestor.isEmpty, ancestor != "/",
                  !manager.fileExists(atPath: ancestor.string, isDirectory: &isDirectory) {
                ancestor = ancestor.removingLastComponent()
            }
            if ancestor.isEmpty { ancestor = "." }
            _ = manager.fileExists(atPath: ancestor.string, isDirectory: &isDirectory)
            guard isDirectory.boolValue else { throw .notADirectory(path, blocker: ancestor) }
            guard create else {
                guard manager.isWritableFile(atPath: ancestor.string) else { throw .notWritable(path, reason: "\(ancestor) is not writable") }
                return
            }
            do {
                try manager.createDirectory(atPath: path.string, withIntermediateDirectories: true)
            } catch {
                throw .notWritable(path, reason: "cannot create it: \(error.localizedDescription)")
            }
        }
        // Root passes access(2) everywhere, yet a read-only file system still
        // refuses: create and remove a probe file to know for sure.
        let probe = path.appending(".kbench-write-probe-\(ProcessTag.current)")
        guard manager.createFile(atPath: probe.string, contents: Data()) else {
            throw .notWritable(path, reason: "cannot create files in it")
        }
        try? manager.removeItem(atPath: probe.string)
    }
}

public enum RunDirectoryError: Error, CustomStringConvertible, Sendable {
    case notADirectory(FilePath, blocker: FilePath)
    case notWritable(FilePath, reason: String)

    public var description: String {
        switch self {
        case let .notADirectory(path, blocker) where path == blocker:
            "output directory \(path) exists and is not a directory"
        case let .notADirectory(path, blocker):
            "cannot create output directory \(path): \(blocker) is not a directory"
        case let .notWritable(path, reason):
            "output directory \(path) is not writable: \(reason)"
        }
    }
}
