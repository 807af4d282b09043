import Foundation
import Testing

/// `analysis spectrum` from the command line: a real ftq run in, the files of
/// the contract out; malformed traces rejected with the line named.
@Suite(.serialized, .timeLimit(.minutes(2))) struct AnalysisCLITests {
    @Test func spectrumOfAnFTQRun() throws {
        let dir = ToolRunner.temporaryDirectory()
        let ftq = try ToolRunner.run("ftq", ["--samples", "5000", "--out", dir])
        #expect(ftq.status == 0, "\(ftq.stderr)")
        let result = try ToolRunner.run("analysis", ["spectrum", dir, "--zoom", "1000,50"])
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["spectrum.csv", "spectrum_1000hz.csv", "spectrum_50hz.csv", "peaks.csv", "noise.csv",
                     "summary.csv", "meta.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/analysis/\(file)"), "\(file) missing")
        }
        let spectrum = try String(contentsOfFile: dir + "/analysis/spectrum.csv", encoding: .utf8).split(separator: "\n")
        #expect(spectrum.first == "freq_hz,power")
        #expect(spectrum.count == 1 + 5000 / 2 + 1, "one-sided spectrum of 5000 samples has 2501 bins")
        let peaks = try String(contentsOfFile: dir + "/analysis/peaks.csv", encoding: .utf8)
        #expect(peaks.hasPrefix("freq_hz,power,prominence_db,harmonic_of_hz,label\n"))
        #expect(result.stdout.contains("thread 0 (cpu "))
    }

    /// Each malformed trace fails with EX_DATAERR and one line naming file and line.
    @Test(arguments: [
        ("", "file is empty"),
        ("thread,cpu,quantum,start_ns,work\n", "header only"),
        ("thread,cpu,quantum,work\n0,0,0,5\n", "missing column 'start_ns'"),
        ("thread,cpu,quantum,start_ns,work\n0,0,0,0,10\n0,0,1,100000,ten\n", ":3: column 'work'"),
        ("thread,cpu,quantum,start_ns,work\n0,0,0,0,10\n0,0,1,100000,10\n0,0,2,50000,10\n", ":4: thread 0"),
    ])
    func malformedTraces(_ text: String, _ message: String) throws {
        let dir = ToolRunner.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/ftq.csv", atomically: true, encoding: .utf8)
        let result = try ToolRunner.run("analysis", ["spectrum", dir + "/ftq.csv", "--sample-rate", "10000"])
        #expect(result.status == 65, "status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("ftq.csv"), "the file is named: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/analysis/spectrum.csv"))
    }

    @Test func badArguments() throws {
        for args in [["spectrum", "/nonexistent-run"], ["spectrum", "/tmp", "--zoom", "0"],
                     ["spectrum", "/tmp", "--sample-rate=-5"], ["spectrum", "/tmp", "--segment", "64"]] {
            let result = try ToolRunner.run("analysis", args)
            #expect(result.status == 64, "analysis \(args): \(result.status) \(result.stderr)")
        }
    }
}
