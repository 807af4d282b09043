import Platform
import CPlatform

/// Ctrl-C and SIGTERM: the first one asks the run to stop, flush what it has
/// and mark itself incomplete; a second one kills the process the usual way.
///
/// Measurement loops poll `StopRequest.isRequested` at their natural boundaries
/// (once per FTQ quantum, once per lock attempt batch): it is one relaxed load of
/// a C global, inlined, with no call.
public enum StopRequest {
    /// Installs the SIGINT/SIGTERM handler (idempotent).
    public static func install() throws {
        try checkShim(kb_install_stop_handler(), "sigaction(SIGINT/SIGTERM)")
    }

    @inline(__always) public static var isRequested: Bool { kb_stop_requested() }

    /// Asks the run to stop, as Ctrl-C does (a watchdog, the end of a duration).
    public static func request() { kb_set_stop_flag(1) }

    /// Clears the request (tests that run several measurements in one process).
    public static func reset() { kb_set_stop_flag(0) }
}
