// Stack coloring: where in its top page a uthread's control block (and so
// its first frames) starts, different for each uthread.

/// The offset below the top of a uthread's stack mapping at which its
/// control block is placed: `index * 5` cache lines modulo 48 lines, so 48
/// uthreads in a row get 48 different offsets 320 bytes apart.
///
/// Why: every mapping is page aligned, so without it every uthread's control
/// block and the frame a switch saves and restores sit at one page offset.
/// A cache set is chosen by the page offset (L1: bits 6-11), so all of them
/// compete for the 8 ways of the same two or three sets; at 100 uthreads a
/// switch misses L1 on data it touched one lap ago. Measured on this suite's
/// EPYC VM, switch-to at 100 and 1000 uthreads cost 1.2-1.6x and 1.4-1.8x its
/// 2-uthread figure uncolored. glibc colors its thread stacks for the same
/// reason. Five lines is the span of a control block and the frames above a
/// parked uthread's saved stack pointer, so neighbours' hot lines never share
/// a set; 5 and 48 are coprime, so the cycle visits all 48 offsets; 48 lines
/// (3 KiB) leave the control block room in the extra page `spawn` maps.
struct StackColor {
    static let lineBytes = 64
    static let stepLines = 5
    static let colors = 48

    /// The offset, in bytes, for the `index`-th uthread of a scheduler.
    static func offset(index: Int) -> Int {
        (index % colors) * stepLines % colors * lineBytes
    }

    /// The most an offset can be.
    static let maximumOffset = (colors - 1) * lineBytes
}
