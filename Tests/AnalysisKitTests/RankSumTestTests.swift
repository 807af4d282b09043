import Testing
@testable import AnalysisKit

/// The gate's significance tests against scipy.stats (values computed with
/// scipy 1.17: mannwhitneyu(x, y, alternative='two-sided', method=...,
/// use_continuity=True) and ttest_ind(x, y, equal_var=False)).
struct RankSumTestTests {
    @Test func exactPMatchesScipyWithoutTies() throws {
        let result = try #require(RankSumTest.test([1.1, 2.3, 3.2, 4.8, 5.0], [2.0, 6.1, 7.3, 8.4, 9.9, 10.2]))
        #expect(result.exact)
        #expect(result.u == 4)
        #expect(abs(result.p - 0.05194805194805195) < 1e-12)
    }

    @Test func completeSeparationOfFiveAndFiveIsTheSmallestP() throws {
        let result = try #require(RankSumTest.test([10, 11, 12, 13, 14], [15, 16, 17, 18, 19]))
        #expect(abs(result.p - 0.007936507936507936) < 1e-12)
        #expect(abs(RankSumTest.smallestP(m: 5, n: 5) - result.p) < 1e-12)
        // Symmetric: swapping the samples changes U, not p.
        let swapped = try #require(RankSumTest.test([15, 16, 17, 18, 19], [10, 11, 12, 13, 14]))
        #expect(swapped.u == 25)
        #expect(abs(swapped.p - result.p) < 1e-12)
    }

    @Test func tiesUseTheNormalApproximationWithTieCorrection() throws {
        let result = try #require(RankSumTest.test([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 6]))
        #expect(!result.exact)
        #expect(result.u == 3.5)
        #expect(abs(result.p - 0.012999854364387305) < 1e-9)
    }

    @Test func largeSamplesUseTheNormalApproximation() throws {
        let x = (1...60).map(Double.init), y = (1...55).map { Double($0) + 20.5 }
        let result = try #require(RankSumTest.test(x, y))
        #expect(!result.exact)
        #expect(result.u == 780)
        #expect(abs(result.p / 1.1258207796772894e-06 - 1) < 1e-6)
    }

    @Test func identicalSamplesAreNotDifferent() throws {
        #expect(try #require(RankSumTest.test([5, 5, 5], [5, 5, 5])).p == 1)
        #expect(try #require(RankSumTest.test([1, 2, 3, 4], [1, 2, 3, 4])).p == 1)
    }

    @Test func badInputHasNoResult() {
        #expect(RankSumTest.test([], [1]) == nil)
        #expect(RankSumTest.test([1, .nan], [1, 2]) == nil)
        #expect(RankSumTest.test([1, 2], [.infinity, 2]) == nil)
    }

    @Test func smallestPSaysWhenTrialsAreTooFew() {
        #expect(RankSumTest.smallestP(m: 3, n: 3) == 0.1)
        #expect(RankSumTest.smallestP(m: 3, n: 4) > 0.05)   // 2/35
        #expect(RankSumTest.smallestP(m: 4, n: 4) < 0.05)   // 2/70
        #expect(RankSumTest.smallestP(m: 0, n: 9) == 1)
    }

    @Test func welchMatchesScipy() throws {
        let p = try #require(WelchTTest.p([1.1, 2.3, 3.2, 4.8, 5.0], [2.0, 6.1, 7.3, 8.4, 9.9, 10.2]))
        #expect(abs(p - 0.02336268379735915) < 1e-9)
        let q = try #require(WelchTTest.p([1, 2, 3, 4], [2.5, 3.5, 4.5, 9]))
        #expect(abs(q - 0.20276169150258633) < 1e-9)
        #expect(WelchTTest.p([1], [1, 2]) == nil)
        #expect(WelchTTest.p([2, 2], [2, 2]) == 1)
    }
}
