#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams a file's lines as byte slices through one fixed buffer.
///
/// A 2^24-row trace is half a gigabyte of text: loading it, or making a `String` per
/// line, would cost several times the samples' own size. This reads with read(2) into a
/// 1 MiB buffer, hands each line to the caller as bytes (without its `\n` or `\r\n`),
/// and keeps only the unfinished tail of a chunk between reads. Memory is the buffer,
/// whatever the file size.
public struct ByteLineReader {
    /// Bytes per read(2), and the longest line accepted.
    public static let bufferSize = 1 << 20

    public let path: String

    public init(path: String) { self.path = path }

    /// Calls `body(line, lineNumber)` for each line, line numbers 1-based. The bytes are
    /// valid only during the call. A UTF-8 byte-order mark at the start is skipped.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputFileError(path: path, problem: .cannotOpen(String(cString: strerror(errno))))
        }
        defer { close(fd) }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif

        let capacity = Self.bufferSize
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }

        var filled = 0          // valid bytes in buffer
        var lineStart = 0       // first byte of the current, unfinished line
        var lineNumber = 1
        var atEOF = false
        var firstChunk = true

        while true {
            if !atEOF {
                // Keep the unfinished line, move it to the front, refill behind it.
                if lineStart > 0 {
                    let tail = filled - lineStart
                    if tail > 0 { memmove(buffer, buffer + lineStart, tail) }
                    filled = tail
                    lineStart = 0
                }
                if filled == capacity {
                    throw InputFileError(path: path, line: lineNumber, problem: .lineTooLong(limit: capacity))
                }
                let got = try readSome(fd, buffer + filled, capacity - filled)
                if got == 0 { atEOF = true } else { filled += got }
                if firstChunk, filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
                    lineStart = 3
                }
                firstChunk = false
            }
            // Hand out every complete line in the buffer.
            var scan = lineStart
            while scan < filled,
                  let newline = memchr(buffer + scan, 0x0A, filled - scan) {
                let end = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                try body(Self.line(buffer, lineStart, end), lineNumber)
                lineNumber += 1
                lineStart = end + 1
                scan = lineStart
            }
            if atEOF {
                if lineStart < filled { try body(Self.line(buffer, lineStart, filled), lineNumber) }
                return
            }
        }
    }

    /// The bytes `start..<end`, without a trailing `\r`.
    fileprivate static func line(_ buffer: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        var end = end
        if end > start, buffer[end - 1] == 0x0D { end -= 1 }
        return UnsafeBufferPointer(start: buffer + start, count: end - start)
    }

    /// read(2), retried on EINTR.
    private func readSome(_ fd: Int32, _ into: UnsafeMutablePointer<UInt8>, _ count: Int) throws -> Int {
        while true {
            let got = read(fd, into, count)
            if got >= 0 { return got }
            if errno == EINTR { continue }
            throw InputFileError(path: path, problem: .readFailed(String(cString: strerror(errno))))
        }
    }
}

extension ByteLineReader {
    /// Calls `body(line, lineNumber)` for each line of text already in memory, with
    /// the same rules as a file: `\n` or `\r\n` line ends, a leading byte-order mark
    /// skipped, line numbers 1-based.
    public static func forEachLine(inText text: String, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var text = text
        try text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            let buffer = UnsafeMutablePointer(mutating: base)
            var start = bytes.count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
            var lineNumber = 1
            var position = start
            while position < bytes.count {
                if base[position] == 0x0A {
                    try body(line(buffer, start, position), lineNumber)
                    lineNumber += 1
                    start = position + 1
                }
                position += 1
            }
            if start < bytes.count { try body(line(buffer, start, bytes.count), lineNumber) }
        }
    }
}
