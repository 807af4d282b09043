import CFFTW
import Synchronization

/// FFTW's planner (plan creation and destruction) is not thread-safe; executing a plan
/// is. Every planner call in AnalysisKit goes through this lock, so spectra of several
/// threads may be computed concurrently.
enum FFTWPlanner {
    private static let lock = Mutex(())

    static func withLock<Result>(_ body: () -> Result) -> Result {
        lock.withLock { _ in body() }
    }
}

/// An in-place real-to-complex FFT of one length, on an `fftw_malloc`'d (SIMD-aligned)
/// buffer, planned with `FFTW_ESTIMATE`.
///
/// In place means the input (n doubles, padded to 2(n/2+1)) and the n/2+1 complex
/// outputs share one buffer: the transform of a 2^24-sample trace needs 128 MiB rather
/// than 256. `FFTW_ESTIMATE` plans in microseconds and never touches the buffer;
/// `FFTW_MEASURE` would cost about a second per size and overwrite it.
final class RealFFT {
    /// Transform length n.
    let length: Int
    /// Input: `input[0..<n]`; after `execute()`, bin k is `(buffer[2k], buffer[2k+1])`.
    let buffer: UnsafeMutablePointer<Double>
    private let plan: fftw_plan

    /// Number of complex output bins, n/2 + 1.
    var binCount: Int { length / 2 + 1 }

    /// - Precondition: `1 <= length <= Int32.max` (2^31 samples would be 16 GiB).
    init(length: Int) {
        precondition(length >= 1 && length <= Int(Int32.max), "FFT length \(length) out of range")
        self.length = length
        let doubles = 2 * (length / 2 + 1)
        guard let raw = fftw_malloc(doubles * MemoryLayout<Double>.stride) else {
            fatalError("fftw_malloc of \(doubles) doubles failed")
        }
        let buffer = raw.bindMemory(to: Double.self, capacity: doubles)
        self.buffer = buffer
        let output = UnsafeMutableRawPointer(buffer).bindMemory(to: fftw_complex.self, capacity: length / 2 + 1)
        let plan = FFTWPlanner.withLock {
            fftw_plan_dft_r2c_1d(Int32(length), buffer, output, UInt32(FFTW_ESTIMATE))
        }
        guard let plan else { fatalError("fftw_plan_dft_r2c_1d(\(length)) failed") }
        self.plan = plan
    }

    deinit {
        FFTWPlanner.withLock { fftw_destroy_plan(plan) }
        fftw_free(buffer)
    }

    /// Transforms `buffer[0..<length]` in place.
    func execute() { fftw_execute(plan) }

    /// |X[k]|² after `execute()`.
    @inline(__always)
    func squaredMagnitude(_ k: Int) -> Double {
        let re = buffer[2 * k], im = buffer[2 * k + 1]
        return re * re + im * im
    }
}
