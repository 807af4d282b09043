import Platform
import Glibc
import SystemPackage

/// Writes a file so that it either appears whole under its final name or not
/// at all: bytes go to a hidden temporary file in the same directory, which is
/// synced and renamed over the final name on `commit()`. A crash, a full disk or
/// Ctrl-C before the commit leaves no file that looks complete.
///
/// Writes are buffered (64 KiB), so streaming millions of rows costs one system
/// call per buffer. Values are appended as ASCII without building Strings.
public final class AtomicFileWriter {
    public let path: FilePath
    private let temporaryPath: FilePath
    private var descriptor: FileDescriptor?
    private var buffer: [UInt8] = []
    private static let bufferLimit = 1 << 16

    public init(path: FilePath) throws {
        self.path = path
        let name = path.lastComponent?.string ?? "output"
        temporaryPath = path.removingLastComponent().appending(".\(name).partial-\(getpid())")
        do {
            descriptor = try FileDescriptor.open(
                temporaryPath, .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let errno as Errno {
            throw FileWriteError(path: path, errno: errno)
        }
        buffer.reserveCapacity(Self.bufferLimit + 4096)
    }

    deinit {
        // Never committed: remove the partial file, never rename it.
        if let descriptor {
            try? descriptor.close()
            _ = unlink(temporaryPath.string)
        }
    }

    // MARK: Appending

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        try flushIfFull()
    }

    public func write(byte: UInt8) throws {
        buffer.append(byte)
        try flushIfFull()
    }

    /// Appends the decimal digits of `value`.
    public func write(_ value: UInt64) throws {
        if value == 0 { buffer.append(UInt8(ascii: "0")); return try flushIfFull() }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for 20 digits
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            while rest > 0 {
                scratch[23 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            buffer.append(contentsOf: scratch[(24 - count)...])
        }
        try flushIfFull()
    }

    public func write(_ value: Int64) throws {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            try write(value.magnitude)
        } else {
            try write(UInt64(value))
        }
    }

    public func write(_ value: Int) throws { try write(Int64(value)) }

    /// Appends `value` in the shortest form that reads back exactly.
    public func write(_ value: Double) throws {
        try write(CSVFormat.number(value))
    }

    private func flushIfFull() throws {
        if buffer.count >= Self.bufferLimit { try flush() }
    }

    private func flush() throws {
        guard let descriptor, !buffer.isEmpty else { return }
        do {
            _ = try buffer.withUnsafeBytes { try descriptor.writeAll($0) }
        } catch let errno as Errno {
            throw FileWriteError(path: path, errno: errno)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    // MARK: Finishing

    /// Flushes, syncs and renames the file to its final name.
    public func commit() throws {
        guard let descriptor else { return }
        try flush()
        do {
            // fsync before rename: after a crash the final name never points at
            // a file whose contents are still only in the page cache.
            if fsync(descriptor.rawValue) != 0 { throw Errno.last }
            try descriptor.close()
            self.descriptor = nil
            if rename(temporaryPath.string, path.string) != 0 { throw Errno.last }
        } catch let errno as Errno {
            self.descriptor = nil
            _ = unlink(temporaryPath.string)
            throw FileWriteError(path: path, errno: errno)
        }
    }

    /// Writes `bytes` to `path` atomically in one go.
    public static func write(_ bytes: some Sequence<UInt8>, to path: FilePath) throws {
        let writer = try AtomicFileWriter(path: path)
        writer.buffer.append(contentsOf: bytes)
        try writer.commit()
    }
}

/// A file could not be written: one line naming the file and the reason.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: FilePath
    public let errno: Errno
    public var description: String {
        let hint = errno == .noSpace ? " (the disk is full: free space or choose another --out)" : ""
        return "cannot write \(path): \(errno.description)\(hint)"
    }
}
