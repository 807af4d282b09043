import Foundation

/// How `analysis report` and `analysis spectrum` write a number (one rule for
/// both, so a figure reads the same in each): integers as integers, three significant
/// digits otherwise, "n/a" for what was not measured.
enum ReportNumber {
    static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "n/a" }
        if abs(value) >= 1e15 { return String(format: "%.3g", value) }
        if value.rounded() == value || abs(value) >= 100 { return String(Int64(value.rounded())) }
        return String(format: "%.3g", value)
    }

    /// `value` as a multiple of `floor` ("×12.3"), or "n/a".
    static func multiple(_ value: Double?, of floor: Double?) -> String {
        guard let value, let floor, value.isFinite, floor.isFinite, floor > 0 else { return "n/a" }
        return "×" + format(value / floor)
    }

    static func percent(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite else { return "n/a" }
        return format(ratio * 100) + "%"
    }
}
