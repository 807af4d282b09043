import Foundation
import SystemPackage

/// A fresh directory under the temporary directory; files are written into it
/// and read back by the tests.
struct Scratch {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("runformat-tests-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> FilePath { FilePath(path).appending(name) }

    /// Writes `text` to `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        return path + "/" + name
    }

    func text(_ name: String) throws -> String { try String(contentsOfFile: path + "/" + name, encoding: .utf8) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
