// TLS per uthread: each TLS uthread has its own copy of the program's
// thread-local variables (and of errno), kept across switches; the vcore's
// own values are untouched.

import CUthread
import Glibc
import Testing
@testable import KernelCore

extension KernelCoreSuite {
    @Suite("Uthread TLS", .serialized)
    struct UthreadTLSTests {
        @Test("a TLS uthread's thread-local variable starts fresh and keeps its own value across switches",
              arguments: [TwoLevelScheduler.Variant.locked, .noLockingNoAsserts])
        func tlsValueKept(variant: TwoLevelScheduler.Variant) throws {
            let count = 8, rounds = 20
            let scheduler = try TwoLevelScheduler(variant: variant)
            let log = UthreadLog()
            final class VcoreSeen: @unchecked Sendable { var probe: UInt64 = 0; var errno: Int32 = 0 }
            let seen = VcoreSeen()
            try ThreadTeamRunner().run {
                let vcore = try scheduler.makeVcore(id: 0, tls: true)
                kb_tls_probe_set(0xC0FFEE)          // the vcore's own value
                Glibc.errno = 77
                var uthreads: [Uthread] = []
                for _ in 0..<count {
                    uthreads.append(try scheduler.spawn(tls: true, on: vcore, start: .suspended) { me in
                        let initial = kb_tls_probe_get()
                        if initial != 0 { log.failures.append("uthread \(me.id) started with \(initial), not the initial image's 0") }
                        for round in 0..<rounds {
                            let mine = UInt64(me.id) << 32 | UInt64(round)
                            kb_tls_probe_set(mine)
                            Glibc.errno = Int32(1000 + me.id)
                            me.yield()
                            if kb_tls_probe_get() != mine {
                                log.failures.append("uthread \(me.id) round \(round): TLS \(kb_tls_probe_get()) != \(mine)")
                            }
                            if Glibc.errno != Int32(1000 + me.id) {
                                log.failures.append("uthread \(me.id) round \(round): errno \(Glibc.errno)")
                            }
                        }
                    })
                }
                // A uthread without TLS beside them sees the vcore's values.
                uthreads.append(try scheduler.spawn(start: .suspended) { me in
                    for _ in 0..<rounds {
                        if kb_tls_probe_get() != 0xC0FFEE { log.failures.append("non-TLS uthread saw \(kb_tls_probe_get())") }
                        me.yield()
                    }
                })
                for uthread in uthreads { scheduler.wake(uthread) }
                let outcome = vcore.run()
                if outcome != .finished { log.failures.append("vcore: \(outcome)") }
                seen.probe = kb_tls_probe_get()
                seen.errno = Glibc.errno
            }
            #expect(log.failures.isEmpty, "\(log.failures.prefix(5))")
            #expect(seen.probe == 0xC0FFEE, "the vcore's TLS value was overwritten")
            #expect(seen.errno == 77, "the vcore's errno was overwritten")
        }

        @Test("a TLS uthread's template copies libc's TLS and gives the program's a fresh image")
        func templateShape() throws {
            let scheduler = try TwoLevelScheduler(variant: .locked)
            final class Shape: @unchecked Sendable { var modules: (fresh: Int, copied: Int, bytes: Int)? }
            let shape = Shape()
            try ThreadTeamRunner().run {
                let vcore = try scheduler.makeVcore(id: 0, tls: true)
                shape.modules = vcore.tlsModules
            }
            let modules = try #require(shape.modules)
            #expect(modules.copied == 1, "libc's TLS is copied from the vcore")
            #expect(modules.fresh >= 1, "the program's TLS is fresh")
            #expect(modules.bytes > 0 && modules.bytes < 1 << 20)
        }
    }
}
