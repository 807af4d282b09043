// QueueMessage: what a benchmark message carries, and how a consumer checks it.

/// A message of `bytes` bytes (a multiple of 8, at least 16): word 0 is the
/// producer id (high 16 bits) and its sequence number (low 48), word 1 the
/// producer's TSC stamp taken just before the enqueue, and every further word
/// a pattern derived from word 0. A consumer that sees any further word out of
/// pattern read a message before it was completely written (or a torn copy).
public enum QueueMessage {
    @usableFromInline static let patternMultiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Word 0 of `producer`'s message `sequence`.
    @inlinable
    public static func identity(producer: Int, sequence: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: producer) << 48 | UInt64(truncatingIfNeeded: sequence)
    }

    /// Writes the pattern words (2...) for `identity` into `message`.
    @inlinable
    public static func fill(_ message: UnsafeMutablePointer<UInt64>, words: Int, identity: UInt64) {
        message[0] = identity
        var word = 2
        while word < words {
            message[word] = identity &* patternMultiplier &+ UInt64(truncatingIfNeeded: word)
            word += 1
        }
    }

    /// True when every pattern word matches word 0.
    @inlinable
    public static func isIntact(_ message: UnsafePointer<UInt64>, words: Int) -> Bool {
        let identity = message[0]
        var word = 2
        while word < words {
            if message[word] != identity &* patternMultiplier &+ UInt64(truncatingIfNeeded: word) { return false }
            word += 1
        }
        return true
    }
}
