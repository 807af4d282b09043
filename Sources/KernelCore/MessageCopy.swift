// MessageCopy: a queue message's bytes moved in place, without a library call.

/// Copies one fixed-size queue message between a slot and the caller's buffer.
///
/// Why not `copyMemory`: the message size is known only at run time, so
/// `copyMemory` compiles to a call to `memmove` through the PLT, twice per
/// enqueue plus dequeue. On the uncontended pair that call pair cost about
/// 0.6 of a CAS floor (a C model of the UCQ pair: 4.3 floors with memmove,
/// 3.5 with inline word copies), which is most of the room the 4-floor target
/// leaves above the queue's locked instructions.
///
/// Messages up to `inlineBytes` (the thesis' are 24 bytes) are copied here as
/// whole 8-byte words at multiples of 8, one load and one store each (a
/// 16-byte message's second word twice), the same words on both sides, so a
/// consumer's load never straddles two of a producer's stores.
/// Larger messages go to `copyMemory`, where the call is small beside the copy.
@frozen
public enum MessageCopy {
    /// The largest message copied inline.
    public static let inlineBytes = 32

    /// Copies `bytes` bytes (a positive multiple of 8, as every queue layout
    /// guarantees) from `source` to `destination`; the two must not overlap.
    /// Either pointer may be unaligned.
    @inlinable @inline(__always)
    public static func copy(_ destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, bytes: Int) {
        @inline(__always) func word(_ offset: Int) {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
                                   toByteOffset: offset, as: UInt64.self)
        }
        // 16 and 24 bytes (the thesis' size) in one straight run of three
        // words: the first two and the last, which for 16 bytes is the second
        // again (the same word stored twice, harmless). One test reaches it.
        // A switch over the sizes had become a jump table (seven instructions
        // and an indirect jump), and a ladder of size tests cost
        // four compare-and-branch pairs, on both verbs of every pair. Not a
        // loop: the optimizer turns a word loop back into memcpy. `_fastPath`
        // lays the thesis' sizes out to fall through; 8 and 32 bytes take one
        // more branch.
        if _fastPath(UInt(bitPattern: bytes &- 16) <= 8) {
            word(0); word(8); word(bytes &- 8)
        } else if bytes == 32 {
            word(0); word(8); word(16); word(24)
        } else if bytes == 8 {
            word(0)
        } else {
            destination.copyMemory(from: source, byteCount: bytes)
        }
    }
}
