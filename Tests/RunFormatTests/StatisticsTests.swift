import Testing
@testable import RunFormat

@Suite struct StatisticsTests {
    @Test func quantilesMatchNumpyLinearInterpolation() throws {
        // numpy.quantile([1, 2, 3, 4], [.5, .75, .9, .99, .999])
        let stats = try #require(SampleStatistics([4, 1, 3, 2]))
        #expect(stats.p50 == 2.5)
        #expect(stats.p75 == 3.25)
        #expect(abs(stats.p90 - 3.7) < 1e-12)
        #expect(abs(stats.p99 - 3.97) < 1e-12)
        #expect(abs(stats.p999 - 3.997) < 1e-12)
        #expect(stats.min == 1 && stats.max == 4)
        #expect(stats.mean == 2.5)
        // Sample standard deviation of 1...4 is sqrt(5/3).
        #expect(abs(stats.std - (5.0 / 3.0).squareRoot()) < 1e-12)
    }

    @Test func singleSampleIsEveryQuantile() throws {
        let stats = try #require(SampleStatistics([42]))
        #expect([stats.min, stats.p50, stats.p75, stats.p90, stats.p99, stats.p999, stats.max, stats.mean]
            .allSatisfy { $0 == 42 })
        #expect(stats.std == 0)
        #expect(stats.count == 1)
    }

    @Test func tiesAndLongTail() throws {
        // 999 samples of 10 and one of 1000: p99.9 interpolates into the tail.
        let samples = [Double](repeating: 10, count: 999) + [1000]
        let stats = try #require(SampleStatistics(samples))
        #expect(stats.p50 == 10 && stats.p99 == 10)
        // h = 999 * 0.999 = 998.001 -> 10 + 0.001 * 990
        #expect(abs(stats.p999 - 10.99) < 1e-9)
        #expect(stats.max == 1000)
    }

    @Test func oneToThousand() throws {
        let stats = try #require(SampleStatistics((1...1000).map(Double.init)))
        #expect(stats.p50 == 500.5)
        #expect(abs(stats.p90 - 900.1) < 1e-9)
        #expect(abs(stats.p999 - 999.001) < 1e-9)
    }

    @Test func noSamplesHaveNoStatistics() {
        #expect(SampleStatistics([Double]()) == nil)
    }
}
