/// kbench's one text trim for /proc, /sys and configuration text (CSV cells
/// are trimmed as bytes by RunFormat's `CSVCells.trimmed`).
extension StringProtocol {
    /// The text without leading and trailing characters that satisfy `isTrimmed`.
    public func trimming(where isTrimmed: (Character) -> Bool) -> String {
        var view = Substring(self)
        while let first = view.first, isTrimmed(first) { view.removeFirst() }
        while let last = view.last, isTrimmed(last) { view.removeLast() }
        return String(view)
    }

    /// The text without leading and trailing whitespace (Foundation-free).
    public func trimmingWhitespace() -> String { trimming(where: \.isWhitespace) }
}
