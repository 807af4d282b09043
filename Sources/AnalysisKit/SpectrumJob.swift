import Foundation
import RunFormat
import SystemPackage

/// `analysis spectrum` as one library call: resolve the run, read the trace,
/// analyse every sampler thread, write the output directory. The `analysis`
/// executable only parses arguments into a `SpectrumJob` and prints.
public struct SpectrumJob: Sendable {
    /// A run directory or an ftq.csv file.
    public var input: String
    /// Output directory; nil for `<run>/analysis`.
    public var outputDirectory: String?
    public var analysis: SpectrumAnalysis
    /// `--sample-rate`: overrides meta.json.
    public var sampleRate: Double?
    /// `--config-hz`: overrides meta.json.
    public var configHZ: Int?
    public var spectra: SpectrumOutput.Spectra

    public init(input: String, outputDirectory: String? = nil, analysis: SpectrumAnalysis = SpectrumAnalysis(),
                sampleRate: Double? = nil, configHZ: Int? = nil, spectra: SpectrumOutput.Spectra = .all) {
        self.input = input
        self.outputDirectory = outputDirectory
        self.analysis = analysis
        self.sampleRate = sampleRate
        self.configHZ = configHZ
        self.spectra = spectra
    }

    /// Fewest quanta per thread for a spectrum: with one or two there is no
    /// frequency to speak of, and a single quantum has no spacing to infer a rate from.
    public static let minimumQuanta = 3

    /// What a job produced.
    public struct Result: Sendable {
        public var input: SpectrumInput
        /// One analysis per sampler thread.
        public var threads: [ThreadAnalysis]
        /// The output directory as the caller named it.
        public var outputDirectory: String
        /// The output directory relative to the run directory ("analysis"): what
        /// the tool prints, so no output names the machine's paths.
        public var outputRelativeToRun: String
        /// The per-thread report (`SpectrumReport`), then the relative output path.
        public var report: String {
            (threads.map { SpectrumReport.text($0) } + [outputRelativeToRun]).joined(separator: "\n")
        }
    }

    /// Runs the job.
    /// - Parameters:
    ///   - provenance: who is computing (host, git commit) for the output's meta.json.
    ///   - localConfigHZ: this machine's CONFIG_HZ, asked only for a trace without meta.json.
    ///   - warn: called with each warning (also recorded in meta.json).
    /// - Throws: `InputFileError` for a malformed input (trace, meta.json,
    ///   interrupts.csv), `RunDirectoryError` or `FileWriteError` for the output.
    public func run(provenance: Provenance, localConfigHZ: () -> Int?,
                    warn: (String) -> Void = { _ in }) throws -> Result {
        let input = try SpectrumInput(run: self.input, sampleRate: sampleRate, configHZ: configHZ,
                                      localConfigHZ: localConfigHZ)
        let out = outputDirectory ?? input.runDirectory + "/analysis"
        let directory = try RunDirectory(creating: FilePath(out))
        var meta = DerivedRunMetadata(
            tool: "analysis spectrum", inputs: [RunPaths.relative(input.tracePath, to: out)],
            parameters: [
                "method": .string(analysis.method.rawValue),
                "write_spectra": .string(spectra.rawValue),
                "zoom_hz": .array(analysis.zoomsHz.map { .double($0) }),
                "deviation_pct": .double(analysis.deviationPct),
                "config_hz": JSONValue.from(input.configHZ) { .int(Int64($0)) },
                "config_hz_source": .string(input.configHZSource),
                "sample_rate_hz": JSONValue.from(input.sampleRate, JSONValue.double),
            ],
            provenance: provenance)
        meta.warnings = input.warnings
        input.warnings.forEach(warn)

        let trace = try TraceReader(options: .init(sampleRateHz: input.sampleRate, keepStartTimes: false,
                                                   minimumQuanta: Self.minimumQuanta))
            .read(path: input.tracePath)
        let results = trace.threads.map {
            analysis.analyze($0, configHZ: input.configHZ, interrupts: input.interrupts)
        }
        try SpectrumOutput.write(results, spectra: spectra, to: directory)
        try SummaryFile.write(SpectrumOutput.measurements(results), to: directory.file(SummaryFile.name))
        try meta.finish(complete: true, in: directory)
        return Result(input: input, threads: results, outputDirectory: out,
                      outputRelativeToRun: RunPaths.relative(out, to: input.runDirectory))
    }
}
