import Foundation
import SystemPackage
import Testing
@testable import RunFormat

@Suite struct RunDirectoryTests {
    func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kbench-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func unfinishedWriteLeavesNoFileUnderTheFinalName() throws {
        let dir = temporaryDirectory()
        let final = dir + "/data.csv"
        do {
            let writer = try AtomicFileWriter(path: FilePath(final))
            for i in 0..<100_000 { try writer.write(UInt64(i)); try writer.write(byte: 10) }
            // Past the first buffer flush, bytes are on disk, but under a hidden name.
            #expect(!FileManager.default.fileExists(atPath: final))
            // The writer goes away without commit (a crash or an error).
        }
        #expect(!FileManager.default.fileExists(atPath: final))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "partial file left behind")
    }

    @Test func committedWriteHasEveryByte() throws {
        let dir = temporaryDirectory()
        let writer = try AtomicFileWriter(path: FilePath(dir + "/n.csv"))
        try writer.write("value\n")
        for i in [0, 7, 1234567890123, UInt64.max] { try writer.write(i); try writer.write(byte: 10) }
        try writer.write(Int64(-42)); try writer.write(byte: 10)
        try writer.commit()
        let text = try String(contentsOfFile: dir + "/n.csv", encoding: .utf8)
        #expect(text == "value\n0\n7\n1234567890123\n18446744073709551615\n-42\n")
    }

    @Test func csvTableEscapesAndChecksWidth() throws {
        let dir = temporaryDirectory()
        var table = CSVTable(header: ["a", "b"])
        table.append(["x,y", "say \"hi\""])
        try table.write(to: FilePath(dir + "/t.csv"))
        let text = try String(contentsOfFile: dir + "/t.csv", encoding: .utf8)
        #expect(text == "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n")
    }

    @Test func unwritableOutputDirectoryIsRefused() throws {
        let dir = temporaryDirectory()
        #expect(FileManager.default.createFile(atPath: dir + "/file", contents: Data()))
        #expect(throws: RunDirectoryError.self) {
            try RunDirectory.checkWritable(FilePath(dir + "/file/run"), create: false)
        }
        #expect(throws: RunDirectoryError.self) {
            try RunDirectory.checkWritable(FilePath(dir + "/file"), create: false)
        }
        try RunDirectory.checkWritable(FilePath(dir + "/new/run"), create: false)
        #expect(!FileManager.default.fileExists(atPath: dir + "/new"), "validation must not create")
    }
}
