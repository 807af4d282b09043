// Two benchmarks measured trial by trial, for a same-run ratio.

import RunFormat

extension TrialRunner {
    /// Measures `a` and `b` in alternating trials (a b, b a, a b, ...): trial i
    /// of each sees the same moment of a shared machine, so the ratio of trial
    /// i to trial i cancels what moves both (the host's frequency, other
    /// tenants, the vCPU's placement). On the development VM a floor's median
    /// moved 6-16% from one run to the next while the same code's ratio to its
    /// C twin did not; a gate can only catch a 10% regression in the ratio.
    /// The order alternates so that neither side always runs second (warmer).
    public func measurePaired<A: TrialBenchmark, B: TrialBenchmark>(
        _ a: inout A, param paramA: String = "", _ b: inout B, param paramB: String = "", threads: Int = 1
    ) -> (Measurement?, Measurement?) {
        for _ in 0..<warmupBatches {
            _ = a.runBatch(iterations: iterations)
            _ = b.runBatch(iterations: iterations)
        }
        var trialsA: [Double] = [], trialsB: [Double] = []
        trialsA.reserveCapacity(trials)
        trialsB.reserveCapacity(trials)
        for trial in 0..<trials where !StopRequest.isRequested {
            if trial % 2 == 0 {
                trialsA.append(timeTrial(&a))
                trialsB.append(timeTrial(&b))
            } else {
                trialsB.append(timeTrial(&b))
                trialsA.append(timeTrial(&a))
            }
        }
        return (measurement(of: a, trials: trialsA, threads: threads, param: paramA),
                measurement(of: b, trials: trialsB, threads: threads, param: paramB))
    }
}
