import Glibc
import SystemPackage

/// Writes a file so that it either appears whole under its final name or not
/// at all: bytes go to a hidden temporary file in the same directory, which is
/// synced and renamed over the final name on `commit()`. A crash, a full disk or
/// Ctrl-C before the commit leaves no file that looks complete.
///
/// Writes are buffered (64 KiB), so streaming millions of rows costs one system
/// call per buffer. Numbers are appended as ASCII straight into the buffer,
/// without building Strings (`CSVFormat.appendDigits`); `CSVWriter` adds the
/// commas, quoting and row discipline of a CSV file on top.
public final class AtomicFileWriter {
    public let path: FilePath
    private let temporaryPath: FilePath
    private var descriptor: FileDescriptor?
    /// Bytes not yet written; `count` of them are valid. The slack beyond
    /// `bufferLimit` lets one number be appended without a capacity check.
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    private static let bufferLimit = 1 << 16
    /// Room guaranteed after `bufferLimit` for one appended number.
    static let numberRoom = CSVFormat.maximumNumberLength

    public init(path: FilePath) throws {
        self.path = path
        let name = path.lastComponent?.string ?? "output"
        temporaryPath = path.removingLastComponent().appending(".\(name).partial-\(ProcessTag.current)")
        capacity = Self.bufferLimit + Self.numberRoom
        buffer = .allocate(capacity: capacity)
        do {
            descriptor = try FileDescriptor.open(
                temporaryPath, .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let errno as Errno {
            buffer.deallocate()
            throw FileWriteError(path: path, errno: errno)
        }
    }

    deinit {
        // Never committed: remove the partial file, never rename it.
        if let descriptor {
            try? descriptor.close()
            _ = unlink(temporaryPath.string)
        }
        buffer.deallocate()
    }

    // MARK: Appending

    /// Appends raw bytes (UTF-8 text, a whole file).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            if count >= Self.bufferLimit { try flush() }
            let n = min(bytes.count - offset, capacity - count)
            (buffer + count).update(from: bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self),
                                    count: n)
            count += n
            offset += n
        }
        try flushIfFull()
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    public func write(byte: UInt8) throws {
        buffer[count] = byte
        count += 1
        try flushIfFull()
    }

    /// Appends the decimal digits of `value`.
    @inline(__always)
    public func write(_ value: UInt64) throws {
        count += CSVFormat.appendDigits(value, to: buffer + count)
        try flushIfFull()
    }

    @inline(__always)
    public func write(_ value: Int64) throws {
        count += CSVFormat.appendDigits(value, to: buffer + count)
        try flushIfFull()
    }

    @inline(__always)
    public func write(_ value: Int) throws { try write(Int64(value)) }

    /// Appends `value` in the shortest form that reads back exactly
    /// (`CSVFormat.number`).
    @inline(__always)
    public func write(_ value: Double) throws {
        count += CSVFormat.appendNumber(value, to: buffer + count)
        try flushIfFull()
    }

    @inline(__always)
    private func flushIfFull() throws {
        if count >= Self.bufferLimit { try flush() }
    }

    private func flush() throws {
        guard let descriptor, count > 0 else { return }
        do {
            _ = try descriptor.writeAll(UnsafeRawBufferPointer(start: buffer, count: count))
        } catch let errno as Errno {
            throw FileWriteError(path: path, errno: errno)
        }
        count = 0
    }

    // MARK: Finishing

    /// Flushes, syncs and renames the file to its final name.
    public func commit() throws {
        guard let descriptor else { return }
        try flush()
        do {
            // fsync before rename: after a crash the final name never points at
            // a file whose contents are still only in the page cache.
            if fsync(descriptor.rawValue) != 0 { throw Errno(rawValue: errno) }
            try descriptor.close()
            self.descriptor = nil
            if rename(temporaryPath.string, path.string) != 0 { throw Errno(rawValue: errno) }
        } catch let errno as Errno {
            self.descriptor = nil
            _ = unlink(temporaryPath.string)
            throw FileWriteError(path: path, errno: errno)
        }
    }

    /// Writes `bytes` to `path` atomically in one go.
    public static func write(_ bytes: some Sequence<UInt8>, to path: FilePath) throws {
        let writer = try AtomicFileWriter(path: path)
        let array = Array(bytes)
        try array.withUnsafeBytes { try writer.write($0) }
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
