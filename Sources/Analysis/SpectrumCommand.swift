import AnalysisKit
import ArgumentParser
import BenchCLI
import BenchKit
import RunFormat
import Foundation
import SystemPackage

/// `analysis spectrum RUN`: the FTQ spectrum, its peaks with their likely
/// sources, and the noise summary of every sampler thread.
struct SpectrumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrum",
        abstract: "Power spectra, labelled peaks and noise summary of an FTQ run.",
        discussion: """
            RUN is an ftq run directory or an ftq.csv file (thread,cpu,quantum,start_ns,work). \
            The sample rate comes from RUN's meta.json, else from the start_ns spacing, else \
            --sample-rate. 'periodogram' equals scipy.signal.periodogram(x, fs, window='boxcar', \
            detrend='constant', scaling='density'); 'welch' equals scipy.signal.welch(x, fs, \
            window='hann', nperseg=N, noverlap=N/2, detrend='constant', scaling='density'). \
            Writes spectrum.csv (freq_hz,power in work^2/Hz), spectrum_<Z>hz.csv per zoom, \
            peaks.csv (freq_hz,power,prominence_db,harmonic_of_hz,label), noise.csv, \
            summary.csv and meta.json into --out (default RUN/analysis).
            """)

    @Argument(help: ArgumentHelp("An ftq run directory, or an ftq.csv file.", valueName: "run"))
    var input: String

    @Option(help: ArgumentHelp("Output directory (default: <run>/analysis).", valueName: "dir"))
    var out: String?

    @Option(help: "periodogram or welch.")
    var method: SpectrumMethod = .periodogram

    @Option(help: ArgumentHelp("Welch segment length in samples (default: a power of two near N/8, 256 to 65536).", valueName: "n"))
    var segment: Int?

    @Option(help: ArgumentHelp("Zoom limits in Hz, comma separated (default: 3000,500,100).", valueName: "hz,..."), transform: FrequencyList.parse)
    var zoom = FrequencyList(SpectrumAnalysis.defaultZoomsHz)

    @Option(name: .customLong("sample-rate"), help: ArgumentHelp("Samples per second, when the run has no meta.json (e.g. 10000).", valueName: "hz"))
    var sampleRate: Double?

    @Option(name: .customLong("config-hz"), help: ArgumentHelp("The measured kernel's CONFIG_HZ (default: from the run's meta.json; else inferred from the local-timer rate).", valueName: "hz"))
    var configHZ: Int?

    @Option(name: .customLong("deviation-pct"), help: "A quantum deviates when its work differs from the median by more than this percentage.")
    var deviationPct: Double = 1

    @Option(name: .customLong("write-spectra"), help: "Which spectrum CSVs to write: all (spectrum.csv and the zooms), zooms, or none (peaks and summaries only; a 2^24-sample trace has an 8-million-row spectrum).")
    var writeSpectra: SpectrumOutput.Spectra = .all

    @Option(name: .customLong("min-prominence-db"), help: "Smallest peak prominence over the local noise floor, dB (raised automatically so white noise gives few false peaks).")
    var minProminenceDb: Double = 10

    func validate() throws {
        if let sampleRate { try Validate.positive(sampleRate, option: "--sample-rate") }
        if let configHZ { try Validate.positive(configHZ, option: "--config-hz") }
        if let segment, segment < 2 { throw ValidationError("--segment must be at least 2, got \(segment)") }
        if segment != nil, method != .welch { throw ValidationError("--segment applies to --method welch only") }
        try Validate.positive(deviationPct, option: "--deviation-pct", atMost: 1e6)
        guard minProminenceDb.isFinite, abs(minProminenceDb) <= 1000 else {
            throw ValidationError("--min-prominence-db must be a number from -1000 to 1000, got \(minProminenceDb)")
        }
        // At most 1 GHz: the highest sample rate (a 1 ns quantum) puts Nyquist at half that.
        if let huge = zoom.hertz.first(where: { $0 > 1e9 }) {
            throw ValidationError("--zoom: \(huge) Hz is above 1e9 Hz")
        }
        if let sampleRate, !(sampleRate <= 1e9) {
            throw ValidationError("--sample-rate must be at most 1e9 (a 1 ns quantum), got \(sampleRate)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw ValidationError("\(input) does not exist")
        }
        if isDirectory.boolValue, !FileManager.default.fileExists(atPath: input + "/ftq.csv") {
            throw ValidationError("\(input) has no ftq.csv: is it an ftq run directory?")
        }
        if let out {
            do { try RunDirectory.checkWritable(FilePath(out), create: false) } catch {
                throw ValidationError(error.description)
            }
        }
    }

    func run() throws {
        let job = SpectrumJob(
            input: input, outputDirectory: out,
            analysis: SpectrumAnalysis(method: method, welchSegmentLength: segment, zoomsHz: zoom.hertz,
                                       peakFinder: PeakFinder(minProminenceDb: minProminenceDb),
                                       deviationPct: deviationPct),
            sampleRate: sampleRate, configHZ: configHZ, spectra: writeSpectra)
        do {
            let result = try job.run(provenance: Provenance.current(),
                                     localConfigHZ: { try? KernelConfig.running().get().hz },
                                     warn: { writeStderr("analysis: warning: \($0)\n") })
            print(result.report)
        } catch let error as InputFileError {
            writeStderr("Error: \(error.description)\n")
            throw ExitCode(65)  // EX_DATAERR: the input is malformed
        }
    }
}

extension SpectrumMethod: ExpressibleByArgument {}
extension SpectrumOutput.Spectra: ExpressibleByArgument {}
