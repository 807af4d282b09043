/// Frequencies in Hz, comma separated: `--zoom 3000,500,100`. Each must be a
/// finite number above zero; NaN, infinity and values that overflow a Double
/// (1e400) are refused with the item named.
public struct FrequencyList: ArgumentValue, Equatable, CustomStringConvertible {
    public let hertz: [Double]

    public init(_ hertz: [Double]) { self.hertz = hertz }

    public static func parse(_ text: String) throws -> FrequencyList {
        let want = "positive frequencies in Hz separated by commas (e.g. 3000,500,100)"
        return FrequencyList(try ArgumentList.items(text, want: want).map { item in
            guard let hz = Double(item), hz.isFinite, hz > 0 else {
                throw ArgumentValueError("'\(item)' is not a positive frequency: want \(want)")
            }
            return hz
        })
    }

    /// "3000,500,100.5": whole numbers without a trailing ".0".
    public var description: String {
        hertz.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) }.joined(separator: ",")
    }
    public var defaultValueDescription: String { description }
}
