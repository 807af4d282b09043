import CPlatform
import SystemPackage
import Glibc

/// A failed system call, printed as one line that names the call, the errno and,
/// where we know it, what the user can do about it.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Errno
    public let hint: String?

    public init(_ call: String, errno: Errno, hint: String? = nil) {
        self.call = call
        self.errno = errno
        self.hint = hint
    }

    /// From a raw errno value (a pthread return code, a negated shim result).
    public init(_ call: String, errno: Int32, hint: String? = nil) {
        self.init(call, errno: Errno(rawValue: errno), hint: hint)
    }

    public var description: String {
        var line = "\(call) failed: \(errno.description) (errno \(errno.rawValue))"
        if let hint { line += "; \(hint)" }
        return line
    }
}

/// Turns the C shim's "-errno on failure" convention into a thrown error.
@discardableResult
public func checkShim(_ result: Int32, _ call: @autoclosure () -> String, hint: String? = nil) throws -> Int32 {
    guard result >= 0 else {
        throw SystemCallError(call(), errno: Errno(rawValue: -result), hint: hint)
    }
    return result
}

extension Errno {
    /// The calling thread's errno after a failed libc call.
    public static var last: Errno { Errno(rawValue: Glibc.errno) }
}
