// UCQLayout: the words the hot path uses agree with the page geometry, and a
// slot's container always lies inside its page.

import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("UCQLayout")
    struct UCQLayoutTests {
        /// Every page size and every message size that fits: the stored masks,
        /// count and stride give the geometry the design states, every good
        /// slot's container is `header + number * containerBytes` into its
        /// page and ends inside it, and the first number past the page, a null
        /// page and a generation above the address bits are judged as before.
        @Test("the stored masks, count and stride agree with the geometry, for every page and message size")
        func storedWordsAgree() throws {
            var pageBytes = UCQLayout.minimumPageBytes
            while pageBytes <= SharedMemory.pageBytes {
                var messageBytes = 8
                while messageBytes <= pageBytes - UCQLayout.headerBytes - 8 {
                    let layout = try UCQLayout(messageBytes: messageBytes, pageBytes: pageBytes)
                    #expect(layout.pageBytes == pageBytes)
                    #expect(layout.containerBytes == 8 + messageBytes)
                    #expect(layout.messagesPerPage == (pageBytes - UCQLayout.headerBytes) / (8 + messageBytes))
                    #expect(layout.messagesPerPage >= 1)
                    // A page address as mmap gives it, with a generation above it (consumers' index).
                    let page: UInt64 = 0x7F12_3456_0000 & ~UInt64(pageBytes - 1)
                    let generation: UInt64 = 5 << UCQLayout.addressBits
                    var wrong = 0
                    for number in 0..<layout.messagesPerPage {
                        let slot = page | UInt64(number)
                        let container = UInt64(UInt(bitPattern: layout.container(slot)))
                        if !layout.slotIsGood(slot) || !layout.slotIsGood(slot | generation) { wrong += 1 }
                        if container != page + UInt64(UCQLayout.headerBytes + number * layout.containerBytes) { wrong += 1 }
                        if container + UInt64(layout.containerBytes) > page + UInt64(pageBytes) { wrong += 1 }
                        if layout.container(slot | generation) != layout.container(slot) { wrong += 1 }
                        if layout.page(of: slot | generation) != page || layout.number(of: slot) != number { wrong += 1 }
                    }
                    #expect(wrong == 0, "page \(pageBytes), message \(messageBytes): \(wrong) wrong")
                    #expect(!layout.slotIsGood(page | UInt64(layout.messagesPerPage)))
                    #expect(!layout.slotIsGood(UInt64(pageBytes - 1)))
                    #expect(!layout.slotIsGood(0))
                    #expect(!layout.slotIsGood(generation))          // a generation alone names no page
                    messageBytes += 8
                }
                pageBytes <<= 1
            }
        }
    }
}
