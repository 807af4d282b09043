// Stack coloring: consecutive uthreads' control blocks (and so their saved
// frames) start at different page offsets, and coloring never takes from
// the usable stack.

import Testing
@testable import KernelCore

@Suite struct StackColorTests {
    @Test("48 consecutive offsets are distinct whole cache lines, a constant one line apart between wraps")
    func offsets() {
        let offsets = (0..<StackColor.colors).map { StackColor.offset(index: $0) }
        #expect(Set(offsets).count == StackColor.colors)
        #expect(offsets.allSatisfy { $0 % 64 == 0 && $0 >= 0 && $0 <= StackColor.maximumOffset })
        for index in 1..<offsets.count {
            #expect(offsets[index] - offsets[index - 1] == StackColor.lineBytes, "uthread \(index): a constant stride")
        }
        #expect(StackColor.offset(index: StackColor.colors) == offsets[0], "the cycle repeats")
        #expect(StackColor.maximumOffset + MemoryLayout<UthreadRecord>.stride < UthreadConfiguration.pageBytes,
                "the control block fits in the extra page at any color")
    }

    @Test("spawned uthreads' control blocks sit at distinct page offsets, each above a whole usable stack")
    func spawnedLayout() throws {
        let configuration = UthreadConfiguration(stackBytes: 16 * 1024)
        let scheduler = try TwoLevelScheduler(variant: .noLockingNoAsserts, configuration: configuration)
        let uthreads = try (0..<StackColor.colors).map { _ in try scheduler.spawn(start: .suspended) { _ in } }
        let page = UInt(UthreadConfiguration.pageBytes)
        let pageOffsets = uthreads.map { UInt(bitPattern: $0.record) % page }
        #expect(Set(pageOffsets).count == uthreads.count, "\(pageOffsets)")
        for uthread in uthreads {
            let stack = uthread.record.pointee.stack
            let usableBottom = UInt(bitPattern: stack.base) + page          // above the guard page
            let top = UInt(bitPattern: stack.stack_top)
            #expect(top == UInt(bitPattern: uthread.record), "the stack grows down from its control block")
            #expect(top - usableBottom >= UInt(configuration.roundedStackBytes), "usable stack below the control block")
            #expect(top + UInt(MemoryLayout<UthreadRecord>.stride) <= UInt(bitPattern: stack.base) + UInt(stack.length))
        }
    }
}
