// Stack coloring: where in its top page a uthread's control block (and so
// its innermost frames) starts, different for each uthread.

/// The offset below the top of a uthread's stack mapping at which its
/// control block is placed: `index` cache lines, modulo 48 lines, so 48
/// uthreads in a row get 48 different offsets, one line apart.
///
/// Why: every mapping is page aligned, so without it every uthread's control
/// block and the frames just below it sit at one page offset.
/// The L1 set is chosen by the page offset (bits 6-11), so all of them
/// compete for the 8 ways of the same few sets, and 100 uthreads in a ring
/// miss L1 on lines they touched one lap ago. glibc colors its thread stacks
/// for the same reason. Measured on this suite's EPYC VM (quiet, paired
/// rounds), switch-to at 100 uthreads cost 1.30-1.46x its 2-uthread figure
/// uncolored and 1.04-1.06x colored.
///
/// Why one line: consecutive uthreads' control blocks are then a constant
/// stride apart for 47 steps of 48, which the hardware's stride prefetcher
/// follows around a ring. A 5-line step (neighbours never sharing a set, but
/// the offset wrapping every 10 uthreads) cost switch-to at 1000 uthreads
/// 19-21 ns against 15-17 ns at one line. 48 lines (3 KiB) leave the control
/// block room in the extra page `spawn` maps.
struct StackColor {
    static let lineBytes = 64
    static let colors = 48

    /// The offset, in bytes, for the `index`-th uthread of a scheduler.
    static func offset(index: Int) -> Int {
        index % colors * lineBytes
    }

    /// The most an offset can be.
    static let maximumOffset = (colors - 1) * lineBytes
}
