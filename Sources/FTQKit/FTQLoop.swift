import CPlatform

/// The fixed-time-quantum loop, alone in its function so that its machine code
/// can be read and its instruction count measured.
///
/// Quanta have absolute deadlines (`deadline += quantum`), so time lost to an
/// interruption is never silently absorbed: a quantum that overran makes the
/// next one short, and every whole quantum the interruption swallowed is
/// recorded with zero work. One work unit is one iteration of the inner loop:
/// an unfenced `rdtsc`, a compare with the deadline and an increment — the same
/// unit as rminnich/ftq's and the thesis' counting loops.
///
/// - Parameters:
///   - starts: receives each quantum's start, in TSC ticks.
///   - work: receives each quantum's work-unit count.
///   - capacity: number of quanta to record.
///   - firstStart: TSC value at which the first quantum begins (all samplers of
///     a multi-CPU run share it, so their quanta line up).
///   - quantumTicks: quantum length in ticks.
/// - Returns: the number of quanta recorded (less than `capacity` only when a
///   stop was requested).
@inline(never)
public func runFixedTimeQuanta(starts: UnsafeMutablePointer<UInt64>,
                               work: UnsafeMutablePointer<UInt64>,
                               capacity: Int,
                               firstStart: UInt64,
                               quantumTicks: UInt64) -> Int {
    var now = kb_rdtsc()
    while now < firstStart { kb_pause(); now = kb_rdtsc() }
    var deadline = firstStart &+ quantumTicks
    var index = 0
    while index < capacity {
        var units: UInt64 = 0
        while now < deadline {
            units &+= 1
            now = kb_rdtsc()
        }
        starts[index] = deadline &- quantumTicks
        work[index] = units
        index &+= 1
        deadline &+= quantumTicks
        // Whole quanta that passed while we were not running: zero work.
        while now >= deadline && index < capacity {
            starts[index] = deadline &- quantumTicks
            work[index] = 0
            index &+= 1
            deadline &+= quantumTicks
        }
        if kb_stop_requested() { break }
    }
    return index
}

/// The fixed-work-quantum loop (LLNL fwq): time a fixed amount of work, over
/// and over. Where FTQ asks "how much work fit in this time", FWQ asks "how long
/// did this work take"; a noise event stretches one sample instead of being
/// split across quanta.
///
/// One work unit is one step of a 64-bit linear congruential generator: a
/// dependent multiply and add (a few cycles, no memory traffic).
///
/// - Returns: the number of samples recorded.
@inline(never)
public func runFixedWorkQuanta(starts: UnsafeMutablePointer<UInt64>,
                               durations: UnsafeMutablePointer<UInt64>,
                               capacity: Int,
                               firstStart: UInt64,
                               unitsPerSample: UInt64) -> Int {
    var now = kb_rdtsc()
    while now < firstStart { kb_pause(); now = kb_rdtsc() }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var index = 0
    while index < capacity {
        let begin = kb_rdtsc_begin()
        var remaining = unitsPerSample
        while remaining != 0 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            remaining &-= 1
        }
        let end = kb_rdtsc_end()
        starts[index] = begin
        durations[index] = end &- begin
        index &+= 1
        if kb_stop_requested() { break }
    }
    kb_keep(state)
    return index
}
