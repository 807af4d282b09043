/// The papers' figures the report prints beside this machine's, as published.
///
/// Rhoden's thesis measured on c89 (2 × Xeon E5-2670, Sandy Bridge, 2.59 TSC
/// ticks per ns, Linux 3.11 and Akaros), Tables 4.1, 4.2, 6.1 and 6.2 and
/// §6.2's preemption storm. Uhlig's and Völp's figures are quoted where the
/// tables that use them are.
public enum PaperFigures {
    /// Thesis Table 6.1, spinlock acquisition latency in ticks: median
    /// (Linux spinlock, Akaros spinlock, Spin-PDR) at 1, 4 and 31 threads.
    public static let table61MedianTicks: [Int: (linux: Double, akaros: Double, pdr: Double)] = [
        1: (28, 28, 44),
        4: (364, 108, 296),
        31: (528, 1272, 18320),
    ]

    /// Thesis Table 6.2, MCS lock acquisition latency in ticks: median
    /// (Linux MCS, Akaros MCS, MCS-PDRO, MCS-PDRN) at 1, 4 and 31 threads.
    public static let table62MedianTicks: [Int: (linux: Double, akaros: Double, pdro: Double, pdrn: Double)] = [
        1: (32, 32, 48, 56),
        4: (908, 832, 848, 864),
        31: (12572, 10576, 16488, 17504),
    ]

    /// Thesis §6.2: messages sent in the preemption storm, 31 vcores, two
    /// preempted 10 ms at a time.
    public static let stormMessages = (pdro: 20_893.0, pdrn: 420.0)

    /// Thesis Table 4.1, ns per context switch at 1, 2, 100 and 1000 threads:
    /// Linux pthreads (TLS), Linux uthreads with and without TLS, Akaros
    /// uthreads with and without TLS.
    public static let table41Ns: [Int: [Double]] = [
        1: [254, 474, 251, 340, 174],
        2: [465, 477, 251, 340, 172],
        100: [660, 515, 268, 366, 194],
        1000: [812, 583, 291, 408, 221],
    ]

    /// Thesis Table 4.2, Akaros ns per switch at 2 and 100 threads: with TLS,
    /// without TLS, no scheduler locking, no locking and no asserts, switch-to
    /// (nil: not measured).
    public static let table42Ns: [Int: [Double?]] = [
        2: [340, 172, 95, 88, 55],
        100: [366, 194, 113, 105, nil],
    ]
}
