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
/// Memory is the point of this design. In place means the input (n doubles, padded to
/// 2(n/2+1)) and the n/2+1 complex outputs share one buffer: 128 MiB rather than 256
/// for a 2^24-sample trace. The plan itself is not free either: for large n FFTW's
/// twiddle tables take about 8 bytes per sample, as much as the buffer. So the plan is
/// made at the first `execute()` (with `FFTW_ESTIMATE` planning takes microseconds and
/// never touches the buffer, which may already hold the input) and can be released as
/// soon as the transform is done (`releasePlan()`), before the caller allocates its
/// result. `FFTW_MEASURE` would cost about a second per size and overwrite the buffer.
final class RealFFT {
    /// Transform length n.
    let length: Int
    /// Input: `buffer[0..<n]`; after `execute()`, bin k is `(buffer[2k], buffer[2k+1])`.
    let buffer: UnsafeMutablePointer<Double>
    private var plan: fftw_plan?

    /// Number of complex output bins, n/2 + 1.
    var binCount: Int { length / 2 + 1 }

    /// Allocates the buffer (not initialised); the plan comes with the first `execute()`.
    /// - Precondition: `1 <= length <= Int32.max` (2^31 samples would be 16 GiB).
    init(length: Int) {
        precondition(length >= 1 && length <= Int(Int32.max), "FFT length \(length) out of range")
        self.length = length
        let doubles = 2 * (length / 2 + 1)
        guard let raw = fftw_malloc(doubles * MemoryLayout<Double>.stride) else {
            fatalError("fftw_malloc of \(doubles) doubles failed")
        }
        buffer = raw.bindMemory(to: Double.self, capacity: doubles)
    }

    deinit {
        releasePlan()
        fftw_free(buffer)
    }

    /// Transforms `buffer[0..<length]` in place, planning first if needed.
    func execute() {
        if plan == nil {
            let output = UnsafeMutableRawPointer(buffer).bindMemory(to: fftw_complex.self, capacity: binCount)
            let made = FFTWPlanner.withLock {
                fftw_plan_dft_r2c_1d(Int32(length), buffer, output, UInt32(FFTW_ESTIMATE))
            }
            guard let made else { fatalError("fftw_plan_dft_r2c_1d(\(length)) failed") }
            plan = made
        }
        fftw_execute(plan)
    }

    /// Frees the plan (and FFTW's twiddle tables with it); the buffer stays.
    func releasePlan() {
        guard let plan else { return }
        FFTWPlanner.withLock { fftw_destroy_plan(plan) }
        self.plan = nil
    }

    /// |X[k]|² after `execute()`.
    @inline(__always)
    func squaredMagnitude(_ k: Int) -> Double {
        let re = buffer[2 * k], im = buffer[2 * k + 1]
        return re * re + im * im
    }
}
