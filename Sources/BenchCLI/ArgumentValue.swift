import ArgumentParser

/// A command-line value with structure (a list, a `N:PERIOD:DURATION` spec),
/// parsed once, while the arguments are parsed, into its type.
///
/// `ExpressibleByArgument.init?(argument:)` can only say "invalid"; declare the
/// option with `transform: T.parse` instead and ArgumentParser prints the
/// reason after its own "The value 'X' is invalid for '--opt <v>': ", as one
/// line, exit status 64. Both paths run the same parser.
public protocol ArgumentValue: ExpressibleByArgument, Sendable {
    /// Parses `text`. The error's description says what is wrong, in one line,
    /// without repeating the option or the value (ArgumentParser names both).
    @Sendable static func parse(_ text: String) throws -> Self
}

extension ArgumentValue {
    public init?(argument: String) {
        guard let value = try? Self.parse(argument) else { return nil }
        self = value
    }
}

/// Why a command-line value was refused.
public struct ArgumentValueError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
