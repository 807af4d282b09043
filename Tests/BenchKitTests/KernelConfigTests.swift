import Foundation
import Testing
@testable import BenchKit

@Suite struct KernelConfigTests {
    @Test func parsesConfigHZ() {
        #expect(KernelConfig(text: "# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\nCONFIG_HZ=250\n", source: "t").hz == 250)
        #expect(KernelConfig(text: "CONFIG_HZ_250=y\n", source: "t").hz == nil)
        #expect(KernelConfig(text: "CONFIG_LOCALVERSION=\"-kb\"\n", source: "t").values["CONFIG_LOCALVERSION"] == "-kb")
    }

    @Test func readsGzippedThenPlainConfigs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let plain = dir + "/config-test"
        try "CONFIG_X=y\nCONFIG_HZ=300\n".write(toFile: plain, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        try gzip.run()
        gzip.waitUntilExit()

        let fromGzip = try KernelConfig.read(compressed: plain + ".gz", plain: "/nonexistent").get()
        #expect(fromGzip.hz == 300 && fromGzip.source == plain + ".gz")
        let fromPlain = try KernelConfig.read(compressed: "/nonexistent", plain: plain).get()
        #expect(fromPlain.hz == 300 && fromPlain.source == plain)
        guard case .failure(let reason) = KernelConfig.read(compressed: "/nonexistent.gz", plain: "/nonexistent") else {
            Issue.record("a missing configuration must fail")
            return
        }
        #expect(reason.description.contains("/nonexistent.gz"))
    }
}
