import Platform
import Glibc

/// A one-line progress indicator on stderr for runs longer than a second, shown
/// only when stderr is a terminal (CI logs and pipes stay clean). Updated by the
/// coordinating thread, never by a measuring one.
public struct Progress {
    private let label: String
    private let enabled: Bool
    private var lastDrawn: Int64 = 0

    public init(label: String, expectedSeconds: Double) {
        self.label = label
        enabled = isatty(STDERR_FILENO) == 1 && expectedSeconds > 1
    }

    /// Redraws at most five times a second.
    public mutating func update(fraction: Double, detail: String = "") {
        guard enabled else { return }
        let now = monotonicRawNanoseconds()
        guard now - lastDrawn > 200_000_000 else { return }
        lastDrawn = now
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded())
        writeStderr("\r\u{1B}[K\(label): \(percent)%\(detail.isEmpty ? "" : " " + detail)")
    }

    public func finish() {
        guard enabled else { return }
        writeStderr("\r\u{1B}[K")
    }
}

/// Writes a message to stderr without buffering.
public func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { if errno == EINTR { continue } else { return } }
            offset += written
        }
    }
}
