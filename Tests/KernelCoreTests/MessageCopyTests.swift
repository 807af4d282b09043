// MessageCopy: the inline word copy both queues use moves exactly the
// message's bytes, for every size, from and to unaligned buffers, and the
// queues deliver every byte of messages of every size.

import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("MessageCopy")
    struct MessageCopyTests {
        /// A distinct byte at every position, so a word copied to the wrong
        /// place, or a byte dropped, shows.
        static func pattern(_ index: Int, seed: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 31 &+ seed &* 7 &+ 1) }

        @Test("copies exactly the message's bytes, inline sizes and larger, at every alignment",
              arguments: [8, 16, 24, 32, 40, 64, 128])
        func copiesExactly(bytes: Int) {
            let span = bytes + 32
            let source = UnsafeMutableRawPointer.allocate(byteCount: span, alignment: 16)
            let destination = UnsafeMutableRawPointer.allocate(byteCount: span, alignment: 16)
            defer { source.deallocate(); destination.deallocate() }
            for sourceOffset in 0..<8 {
                for destinationOffset in 0..<8 {
                    for i in 0..<span {
                        source.storeBytes(of: Self.pattern(i, seed: 1), toByteOffset: i, as: UInt8.self)
                        destination.storeBytes(of: 0xEE, toByteOffset: i, as: UInt8.self)
                    }
                    MessageCopy.copy(destination + destinationOffset, from: source + sourceOffset, bytes: bytes)
                    var wrong = 0
                    for i in 0..<span {
                        let got = destination.load(fromByteOffset: i, as: UInt8.self)
                        let inside = i >= destinationOffset && i < destinationOffset + bytes
                        let want = inside ? Self.pattern(i - destinationOffset + sourceOffset, seed: 1) : 0xEE
                        if got != want { wrong += 1 }
                    }
                    #expect(wrong == 0, "\(bytes) bytes from +\(sourceOffset) to +\(destinationOffset): \(wrong) bytes wrong")
                }
            }
        }

        @Test("UCQ and BCQ deliver every byte of messages of every size, in order",
              arguments: [8, 16, 24, 32, 40, 56])
        func queuesDeliverEveryByte(bytes: Int) throws {
            let ucq = try UnboundedConcurrentQueue(layout: UCQLayout(messageBytes: bytes, pageBytes: 512))
            let bcq = try BoundedConcurrentQueue(capacity: 8, messageBytes: bytes)
            defer { ucq.destroy(); bcq.destroy() }
            let message = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 8)
            let out = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 8)
            defer { message.deallocate(); out.deallocate() }
            func fill(_ seed: Int) { for i in 0..<bytes { message.storeBytes(of: Self.pattern(i, seed: seed), toByteOffset: i, as: UInt8.self) } }
            func matches(_ seed: Int) -> Bool { (0..<bytes).allSatisfy { out.load(fromByteOffset: $0, as: UInt8.self) == Self.pattern($0, seed: seed) } }
            // Enough messages that the UCQ crosses pages (512-byte pages) and
            // the BCQ wraps its ring several times.
            for round in 0..<8 {
                for k in 0..<5 {
                    fill(round * 5 + k)
                    #expect(ucq.produce(message))
                    #expect(bcq.enqueue(message) == .enqueued)
                }
                for k in 0..<5 {
                    #expect(ucq.consume(into: out) && matches(round * 5 + k), "UCQ, \(bytes) bytes, message \(round * 5 + k)")
                    #expect(bcq.dequeue(into: out) && matches(round * 5 + k), "BCQ, \(bytes) bytes, message \(round * 5 + k)")
                }
            }
            #expect(!ucq.consume(into: out))
            #expect(!bcq.dequeue(into: out))
        }
    }
}
