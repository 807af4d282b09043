// CacheLineBox and CacheLineArray: alignment, spacing, values in place,
// index round trips, and deinitialization on deallocate.

import Synchronization
import Testing
@testable import Platform

@Suite struct CacheLineMemoryTests {
    /// Counts deinitializations, to check `deallocate` deinitializes.
    final class Tracker: @unchecked Sendable {
        let deinits = Atomic<Int>(0)
    }
    struct Tracked: ~Copyable {
        let tracker: Tracker
        deinit { tracker.deinits.wrappingAdd(1, ordering: .relaxed) }
    }

    @Test func boxIsAlignedPaddedAndHoldsItsValue() {
        let box = CacheLineBox(Atomic<UInt64>(41))
        defer { box.deallocate() }
        #expect(Int(bitPattern: box.pointer) % CacheLine.separation == 0)
        #expect(CacheLineBox<Atomic<UInt64>>.bytes == CacheLine.separation)
        #expect(CacheLineBox<(UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt8)>.bytes
                == CacheLine.roundUp(65, to: CacheLine.separation))
        box.pointee.wrappingAdd(1, ordering: .relaxed)
        // Copies of the handle share the value; `boxAt` rebuilds the handle.
        let copy = CacheLineBox(boxAt: box.pointer)
        #expect(copy.pointee.load(ordering: .relaxed) == 42)
    }

    @Test func boxDeallocateDeinitializesTheValue() {
        let tracker = Tracker()
        let box = CacheLineBox(Tracked(tracker: tracker))
        #expect(tracker.deinits.load(ordering: .relaxed) == 0)
        box.deallocate()
        #expect(tracker.deinits.load(ordering: .relaxed) == 1)
    }

    @Test func twoBoxesNeverShareALine() {
        let boxes = (0..<16).map { _ in CacheLineBox(Atomic<UInt32>(0)) }
        defer { boxes.forEach { $0.deallocate() } }
        let lines = Set(boxes.map { Int(bitPattern: $0.pointer) / CacheLine.size })
        #expect(lines.count == boxes.count)
    }

    @Test func arrayElementsAreSpacedAndIndexRoundTrips() {
        let array = CacheLineArray(count: 5) { Atomic<UInt32>(UInt32($0 * 10)) }
        defer { array.deallocate() }
        #expect(CacheLineArray<Atomic<UInt32>>.stride == CacheLine.separation)
        for index in 0..<array.count {
            let address = array.pointer(at: index)
            #expect(Int(bitPattern: address) % CacheLine.separation == 0)
            #expect(array.index(of: address) == index)
            #expect(array[index].load(ordering: .relaxed) == UInt32(index * 10))
        }
        #expect(UnsafeRawPointer(array.pointer(at: 1)) - UnsafeRawPointer(array.pointer(at: 0))
                == CacheLine.separation)
        array[3].store(7, ordering: .relaxed)
        #expect(array.pointer(at: 3).pointee.load(ordering: .relaxed) == 7)
    }

    @Test func arrayOfWideElementsTakesWholeSeparations() {
        typealias Wide = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        #expect(CacheLineArray<Wide>.stride == CacheLine.roundUp(72, to: CacheLine.separation))
    }

    @Test func arrayDeallocateDeinitializesEveryElement() {
        let tracker = Tracker()
        let array = CacheLineArray(count: 3) { _ in Tracked(tracker: tracker) }
        array.deallocate()
        #expect(tracker.deinits.load(ordering: .relaxed) == 3)
    }

    @Test func roundUp() {
        #expect(CacheLine.roundUp(0) == 0)
        #expect(CacheLine.roundUp(1) == 64)
        #expect(CacheLine.roundUp(64) == 64)
        #expect(CacheLine.roundUp(65) == 128)
        #expect(CacheLine.roundUp(65, to: 128) == 128)
        #expect(CacheLine.roundUp(129, to: 128) == 256)
    }
}
