/// An optional that meta.json always carries: `null` when it is not known.
///
/// Synthesized `Encodable` leaves a nil optional out of the object
/// (`encodeIfPresent`). kbench's contract is the opposite: every key is
/// present, `null` when the value is unknown, and a number that is not finite
/// (NaN, ±inf) is `null` too, never 0, which would read back as a measured
/// zero. Wrap each optional stored property and let the compiler write the
/// rest of the coding:
///
///     @Nullable public var cpuModel: String?
///
/// A key missing from an older file decodes as nil.
@propertyWrapper
public struct Nullable<Value: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        guard let value = wrappedValue, Self.isFinite(value) else { return try container.encodeNil() }
        try container.encode(value)
    }

    /// False only for a Double that is NaN or infinite.
    private static func isFinite(_ value: Value) -> Bool {
        guard let number = value as? Double else { return true }
        return number.isFinite
    }
}

extension KeyedDecodingContainer {
    /// A `@Nullable` property whose key is absent (a file written before the
    /// key existed) reads as nil instead of failing.
    public func decode<Value>(_ type: Nullable<Value>.Type, forKey key: Key) throws -> Nullable<Value> {
        try decodeIfPresent(type, forKey: key) ?? Nullable(wrappedValue: nil)
    }
}
