import Foundation

/// Welch's unequal-variances t-test, two-sided: the plain parametric test the
/// gate is compared against (`analysis gate --test welch`). It compares means,
/// so one interrupted trial moves it; the gate uses `RankSumTest` by default.
public enum WelchTTest {
    /// Tests the means of `x` and `y`; nil with fewer than two finite values
    /// on a side. Both variances zero: p is 1 for equal means, 0 otherwise.
    public static func p(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count >= 2, y.count >= 2, x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { return nil }
        let (mx, vx) = meanAndVariance(x), (my, vy) = meanAndVariance(y)
        let sx = vx / Double(x.count), sy = vy / Double(y.count)
        let se2 = sx + sy
        guard se2 > 0 else { return mx == my ? 1 : 0 }
        let t = (mx - my) / se2.squareRoot()
        let df = se2 * se2 / (sx * sx / Double(x.count - 1) + sy * sy / Double(y.count - 1))
        // Two-sided tail of Student's t: I_{df/(df+t^2)}(df/2, 1/2).
        return min(1, max(0, IncompleteBeta.regularized(df / (df + t * t), a: df / 2, b: 0.5)))
    }

    static func meanAndVariance(_ values: [Double]) -> (Double, Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, squares / Double(values.count - 1))
    }
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz), using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
/// where the fraction converges slowly.
enum IncompleteBeta {
    static func regularized(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logGammas + logPowers
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * fraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * fraction(1 - x, a: b, b: a) / b
    }

    private static func fraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...300 {
            let mm = Double(m)
            // Even step.
            var numerator = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            result *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return result
    }
}
