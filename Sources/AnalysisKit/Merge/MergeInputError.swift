/// A problem with the directory `analysis merge` reads that is not inside one file:
/// a missing rank, a rank that contradicts another, a symlink, too many entries.
/// Always one line; the tool prints it and exits 65 (bad input data).
public struct MergeInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    /// Control characters (from a hostile directory name) are shown escaped, so the
    /// message stays one line.
    public var description: String {
        String(String.UnicodeScalarView(message.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
                ? Array("\\u{\(String(scalar.value, radix: 16))}".unicodeScalars) : [scalar]
        }))
    }
}
