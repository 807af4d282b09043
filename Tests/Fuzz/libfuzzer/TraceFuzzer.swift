// libFuzzer entry for the ftq.csv reader and the spectrum analysis, built by
// `scripts/fuzz --libfuzzer` (swiftc -sanitize=fuzzer against a fuzzer-instrumented
// build of AnalysisKit and RunFormat). Not part of the package: SwiftPM would link
// it as an executable with its own main.
//
// Contract checked per input: the reader returns a trace or throws InputFileError
// whose description is one line naming the file; anything else aborts, and libFuzzer
// keeps the input as crash-*.
import AnalysisKit
import Glibc
import RunFormat

let path = "/tmp/kbench-libfuzzer-\(getpid())-ftq.csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    var written = 0
    while written < count {
        let n = write(fd, data + written, count - written)
        if n <= 0 { break }
        written += n
    }
    close(fd)
    do {
        let trace = try TraceReader(options: .init(keepStartTimes: false, minimumQuanta: SpectrumJob.minimumQuanta))
            .read(path: path)
        for series in trace.threads where series.count <= 4096 {
            _ = SpectrumReport.text(SpectrumAnalysis().analyze(series, configHZ: 250, interrupts: nil))
        }
    } catch let error as InputFileError {
        let text = error.description
        if text.contains("\n") || text.contains("\r") || !text.hasPrefix(path) {
            fatalError("error breaks the contract: \(text.debugDescription)")
        }
    } catch {
        fatalError("threw \(type(of: error)), not InputFileError")
    }
    return 0
}
