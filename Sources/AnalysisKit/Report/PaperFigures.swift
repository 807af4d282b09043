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

    /// Völp §3.3.1 (dual Pentium III 450 MHz, processor cycles): an IPI is
    /// detected by the sender 1230–1250 cycles after it writes the ICR (about
    /// 200 of them polling); the victim's handler runs about 1200 cycles after
    /// the send, and the interrupted thread loses 290–410 cycles (kernel entry
    /// 120–160, exit 170–250) plus the handler itself.
    public static let voelpIPIDeliveryCycles = (low: 1230.0, high: 1250.0)
    public static let voelpIPIInterruptionCycles = (low: 290.0, high: 410.0)

    /// Völp §3.2.2, Table 2 (same machine): cycles per cache line moved from
    /// the other processor's cache, by MESI transition.
    public static let voelpMESICyclesPerLine: [(transition: String, cycles: Double)] = [
        ("E to S", 63.82), ("E to M", 49.23), ("M to S", 89.52), ("M to M", 89.39), ("S to M", 49.23),
    ]

    /// Uhlig §6.2.3, Fig 6.5: fork-join signalling latency (Bull's PARALLEL
    /// directive) with message-based IPC, as a multiple of lock-based IPC:
    /// 2.5 at 2 processors up to 3.6 at 16.
    public static let uhligForkJoinMessageOverLock = (twoCPUs: 2.5, sixteenCPUs: 3.6)

    /// Uhlig §6.5 (summary of §6.2): the runtime overhead of locks on the IPC
    /// path against a lock-free kernel, 16–20% (inter-address-space) and
    /// 35–64% (intra-address-space); dynamic lock elimination removes it.
    public static let uhligLockOverhead = (interSpace: (1.16, 1.20), intraSpace: (1.35, 1.64))

    /// Uhlig §6.4.1, Fig 6.10: fine-grain locks' runtime overhead over one
    /// coarse lock when unmapping pages, by page count.
    public static let uhligFineOverCoarse: [Int: Double] = [64: 1.15, 128: 1.24, 256: 1.32]

    /// Uhlig §6.4.2, Fig 6.11(b): a single-page unmap under one coarse lock at
    /// two processors, as a multiple of one processor (3.8); 64 pages: 1.93.
    public static let uhligCoarseTwoCPUs: [Int: Double] = [1: 3.8, 64: 1.93]
}
