/// Medians without sorting: Hoare's selection on a scratch copy, O(n) on average.
/// Spectra have millions of bins and the peak finder takes a median per candidate, so
/// an O(n log n) sort would dominate the analysis.
enum Median {
    /// numpy's median: the middle value, or the mean of the two middle values.
    /// Returns NaN for no values.
    static func of(_ values: some Collection<Double>) -> Double {
        var scratch = Array(values)
        return scratch.withUnsafeMutableBufferPointer { inPlace($0) }
    }

    /// The median of `buffer`, reordering it.
    static func inPlace(_ buffer: UnsafeMutableBufferPointer<Double>) -> Double {
        let n = buffer.count
        guard n > 0 else { return .nan }
        let upper = select(buffer, n / 2)
        guard n % 2 == 0 else { return upper }
        // After selecting n/2, everything before it is <= it: the lower middle is their max.
        var lower = buffer[0]
        for i in 1..<(n / 2) where buffer[i] > lower { lower = buffer[i] }
        return (lower + upper) / 2
    }

    /// The k-th smallest (0-based) element, partially ordering `a` around it.
    static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        var low = 0, high = a.count - 1
        while low < high {
            let pivot = medianOfThree(a[low], a[(low + high) / 2], a[high])
            var i = low, j = high
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { high = j } else if k >= i { low = i } else { break }
        }
        return a[k]
    }

    @inline(__always)
    private static func medianOfThree(_ x: Double, _ y: Double, _ z: Double) -> Double {
        max(min(x, y), min(max(x, y), z))
    }
}
