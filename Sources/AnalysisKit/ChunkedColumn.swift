/// An append-only column stored in fixed 64 Ki-element chunks, turned into an exact-size
/// array at the end.
///
/// While reading a trace the number of rows per thread is unknown. A growing `Array`
/// doubles: at the last reallocation the old and new storage coexist (1.5× the final
/// size) and up to half the final capacity is wasted. Chunks never move, and
/// `drainToArray()` frees each chunk right after copying it, so the peak is the final
/// array plus one chunk.
final class ChunkedColumn<Element: BitwiseCopyable> {
    private static var chunkShift: Int { 16 }
    private static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [UnsafeMutablePointer<Element>] = []
    /// The last chunk, cached so that an append touches no array.
    private var tail: UnsafeMutablePointer<Element>?
    private(set) var count = 0

    init() {}

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    @inline(__always)
    func append(_ value: Element) {
        let offset = count & (Self.chunkSize - 1)
        if offset == 0 || tail == nil {
            let chunk = UnsafeMutablePointer<Element>.allocate(capacity: Self.chunkSize)
            chunks.append(chunk)
            tail = chunk
        }
        tail.unsafelyUnwrapped[offset] = value
        count += 1
    }

    /// The elements in order, as an array of exactly `count` elements. Empties the column.
    func drainToArray() -> [Element] {
        let total = count
        let result = [Element](unsafeUninitializedCapacity: total) { out, initialized in
            var copied = 0
            for index in chunks.indices {
                let n = min(Self.chunkSize, total - copied)
                (out.baseAddress! + copied).initialize(from: chunks[index], count: n)
                chunks[index].deallocate()
                copied += n
            }
            initialized = total
        }
        chunks = []
        tail = nil
        count = 0
        return result
    }
}
