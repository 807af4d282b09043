import Foundation
import Testing

/// Seeded mutation fuzzing of every reader, in process: each input must be read or
/// refused with one line naming the file and line (`FuzzContract`). A trap here
/// kills the test process, which is a failure too; `AnalysisFuzzTests` in CLITests
/// runs the `analysis` executable on mutated traces to name the input that trapped.
///
/// `KBENCH_FUZZ_ITERATIONS=100000 swift test --filter ReaderFuzzTests` (or
/// `scripts/fuzz`) runs longer; `KBENCH_FUZZ_SEED` explores other inputs.
@Suite(.serialized) struct ReaderFuzzTests {
    /// Inputs per reader in `scripts/test`.
    static let defaultIterations = 200

    @Test(.timeLimit(.minutes(10)), arguments: FuzzedReader.all)
    func mutatedInputsKeepTheContract(_ reader: FuzzedReader) throws {
        let seeds = try FuzzCorpus.seeds(reader.corpus)
        #expect(!seeds.isEmpty, "no seed files in Tests/Fuzz/corpus/\(reader.corpus)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + reader.fileName
        var tally = FuzzTally(name: reader.name)

        // The seeds themselves must be read without an error (except where a seed is a
        // deliberately short trace the analysis refuses).
        for seed in seeds {
            try check(seed, label: "seed", reader: reader, path: path, tally: &tally)
        }
        for input in StructuralCases.inputs(from: seeds[0]) {
            try check(input.bytes, label: "structural: \(input.name)", reader: reader, path: path, tally: &tally)
        }
        let count = FuzzContract.iterations(default: Self.defaultIterations)
        var mutator = Mutator(seed: FuzzContract.seed ^ FuzzContract.hash(reader.name))
        for iteration in 0..<count {
            let seed = mutator.pick(seeds), other = mutator.pick(seeds)
            let input = mutator.mutate(seed, other: other)
            try check(input, label: "iteration \(iteration)", reader: reader, path: path, tally: &tally)
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures.count) failures; first: \(tally.failures.first ?? "")")
    }

    private func check(_ bytes: [UInt8], label: String, reader: FuzzedReader, path: String,
                       tally: inout FuzzTally) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let start = ContinuousClock.now
        let violation = FuzzContract.violation(reading: path, with: reader, lineCount: FuzzContract.lineCount(bytes))
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tally.record(seconds: seconds, label: label)
        var problem = violation
        if problem == nil, seconds > FuzzContract.timeLimitSeconds {
            problem = "took \(seconds) s (limit \(FuzzContract.timeLimitSeconds) s)"
        }
        guard let problem else { return }
        let kept = FuzzContract.failureDirectory + "/\(reader.corpus)-\(FuzzContract.hash(label + problem)).input"
        try? Data(bytes).write(to: URL(fileURLWithPath: kept))
        tally.failures.append("\(label): \(problem) (input kept as \(kept))")
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbench-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Inputs every reader gets besides random mutations: the shapes that break
/// parsers (nothing, only a header, only line ends, a BOM alone, NULs, a line
/// longer than the read buffer, a file that ends inside a quote).
enum StructuralCases {
    static func inputs(from seed: [UInt8]) -> [(name: String, bytes: [UInt8])] {
        let header = Array(seed.prefix { $0 != 0x0A })
        let firstRow = Array(seed.split(separator: 0x0A).dropFirst().first ?? [])
        return [
            ("empty", []),
            ("one newline", [0x0A]),
            ("only line ends", Array("\r\n\n\r\n\n".utf8)),
            ("BOM alone", [0xEF, 0xBB, 0xBF]),
            ("NUL bytes", [UInt8](repeating: 0, count: 64)),
            ("header only", header + [0x0A]),
            ("header without newline", header),
            ("header twice", header + [0x0A] + header + [0x0A] + firstRow),
            ("row without header", firstRow),
            ("header and one row", header + [0x0A] + firstRow),
            ("header and the row twice", header + [0x0A] + firstRow + [0x0A] + firstRow),
            ("unclosed quote", header + [0x0A, 0x22] + firstRow),
            ("CR line ends only", seed.map { $0 == 0x0A ? 0x0D : $0 }),
            ("a line past the 1 MiB buffer", header + [0x0A] + [UInt8](repeating: 0x31, count: (1 << 20) + 10)),
            ("a cell of 100 000 digits", header + [0x0A] + [UInt8](repeating: 0x39, count: 100_000) + [0x2C] + firstRow),
            ("BOM twice", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + seed),
            ("invalid UTF-8", seed.map { $0 == 0x2C ? 0xFF : $0 }),
            ("JSON null", Array("null".utf8)),
            ("JSON array", Array("[]".utf8)),
            ("JSON deep nesting", [UInt8](repeating: 0x5B, count: 10_000)),
            ("seed doubled", seed + seed),
        ]
    }
}
