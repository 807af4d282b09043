import RunFormat
/// A peak with its family and its likely source: a row of `peaks.csv`.
public struct LabelledPeak: Sendable, Equatable {
    public var peak: Peak
    /// The family's fundamental (equal to the peak's frequency for a fundamental).
    public var fundamentalHz: Double
    public var harmonic: Int
    /// `timer tick (CONFIG_HZ=250)`, `timer tick harmonic 2×250 Hz`,
    /// `irq LOC Local timer interrupts (250.1/s)`, `harmonic 3× of <label>`, or `unknown`.
    public var label: String

    public init(peak: Peak, fundamentalHz: Double, harmonic: Int, label: String) {
        self.peak = peak
        self.fundamentalHz = fundamentalHz
        self.harmonic = harmonic
        self.label = label
    }

    /// The `peaks.csv` columns (`PeaksFile`).
    public static var header: [String] { PeaksFile.columns }

    /// The `peaks.csv` row of this peak.
    public func fileRow(thread: Int?) -> PeaksFile.Row {
        PeaksFile.Row(thread: thread, frequencyHz: peak.frequencyHz, power: peak.power,
                      prominenceDb: peak.prominenceDb, harmonicOfHz: fundamentalHz, label: label)
    }

    /// `freq_hz,power,prominence_db,harmonic_of_hz,label`.
    public var row: [String] { PeaksFile.cells(fileRow(thread: nil)) }

    /// A `peaks.csv` table; with `thread`, a leading `thread` column (several threads).
    public static func table(_ peaks: [LabelledPeak], thread: Int? = nil) -> CSVTable {
        PeaksFile.table(peaks.map { $0.fileRow(thread: thread) }, threaded: thread != nil)
    }
}

/// Names the likely source of each peak from what the run recorded about the kernel.
///
/// Two kinds of evidence:
/// - The timer tick: CONFIG_HZ (from `KernelConfig.configHZ()`, or passed in). A line at
///   m × HZ is the tick (m = 1) or its harmonic. When CONFIG_HZ is unknown, it is
///   inferred from the local-timer interrupt rate (`LOC`) on the thread's CPU: a busy
///   CPU with a periodic tick takes HZ local-timer interrupts a second (plus a few
///   hrtimer ones), so the standard HZ value (100, 250, 300, 1000) within 10% of the
///   LOC rate is taken.
/// - Interrupt rates: an IRQ that fired on the thread's CPU at r per second
///   (`/proc/interrupts` delta over the run) matches a line at r.
///
/// Tolerances, and why:
/// - Tick: |f − m·HZ| ≤ 1.5 bins + 100 ppm of f. The tick's frequency is exact; the
///   line sits in the nearest bin (±½ bin), or the next one when it falls between two
///   (hence 1.5), and the sample rate from the nominal quantum may differ from the
///   tick clock by the TSC calibration error (ppm; 100 ppm leaves margin).
/// - IRQ: |f − r| ≤ max(1.5 bins, 2% of r). The counts are taken before and after the
///   whole run, which includes start-up and teardown the trace does not cover, so the
///   rate is uncertain by their share of the run (tens of ms in a 10 s run: under 1%);
///   2% covers that and the count's own granularity.
///
/// A family member with no direct match inherits its fundamental's label as
/// `harmonic n× of <label>`. Anything else is `unknown`.
public struct PeakLabeler: Sendable, Equatable {
    /// CONFIG_HZ when known (read or given); nil to infer it from the LOC rate.
    public var configHZ: Int?
    /// IRQ rates on the thread's CPU (`InterruptDeltas.rates(cpu:durationSeconds:)`).
    public var irqRates: [IRQRate]
    /// Relative tolerance of an IRQ rate match. Default 2%.
    public var irqRelativeTolerance: Double

    /// The tick rates kernels are configured with.
    public static let standardHZ = [100, 250, 300, 1000]

    public init(configHZ: Int?, irqRates: [IRQRate] = [], irqRelativeTolerance: Double = 0.02) {
        self.configHZ = configHZ
        self.irqRates = irqRates
        self.irqRelativeTolerance = irqRelativeTolerance
    }

    /// The tick rate used for labels and whether it was inferred from `LOC`.
    public var timerHZ: (hz: Int, inferred: Bool)? {
        if let configHZ, configHZ > 0 { return (configHZ, false) }
        guard let local = irqRates.first(where: { $0.irq == "LOC" }) else { return nil }
        let best = Self.standardHZ.min { abs(Double($0) - local.ratePerSecond) < abs(Double($1) - local.ratePerSecond) }
        guard let best, abs(Double(best) - local.ratePerSecond) <= 0.1 * Double(best) else { return nil }
        return (best, true)
    }

    /// Frequencies with a known cause: the tick rate and every IRQ rate, for
    /// `HarmonicGrouping` to give their multiples to them first.
    public var knownSourcesHz: [Double] {
        (timerHZ.map { [Double($0.hz)] } ?? []) + irqRates.map(\.ratePerSecond).filter { $0 > 0 }
    }

    /// Labels of grouped peaks (see the type's documentation).
    public func label(_ grouped: [GroupedPeak], binWidthHz: Double) -> [LabelledPeak] {
        var direct: [Double: String] = [:]  // fundamental frequency -> its label
        for peak in grouped where peak.harmonic == 1 {
            direct[peak.peak.frequencyHz] = directLabel(frequencyHz: peak.peak.frequencyHz, binWidthHz: binWidthHz)
        }
        return grouped.map { peak in
            var label = peak.harmonic == 1
                ? direct[peak.peak.frequencyHz] ?? nil
                : directLabel(frequencyHz: peak.peak.frequencyHz, binWidthHz: binWidthHz)
            if label == nil, peak.harmonic > 1, let parent = direct[peak.fundamentalHz] ?? nil {
                label = "harmonic \(peak.harmonic)× of \(parent)"
            }
            return LabelledPeak(peak: peak.peak, fundamentalHz: peak.fundamentalHz,
                                harmonic: peak.harmonic, label: label ?? "unknown")
        }
    }

    /// The sources matching a line at `frequencyHz`, joined by `; `, or nil.
    public func directLabel(frequencyHz f: Double, binWidthHz: Double) -> String? {
        var labels: [String] = []
        if let (hz, inferred) = timerHZ {
            let multiple = (f / Double(hz)).rounded()
            if multiple >= 1, abs(f - multiple * Double(hz)) <= 1.5 * binWidthHz + HarmonicGrouping.clockTolerance * f {
                let source = inferred ? "CONFIG_HZ=\(hz) inferred from LOC rate" : "CONFIG_HZ=\(hz)"
                labels.append(multiple == 1 ? "timer tick (\(source))"
                                            : "timer tick harmonic \(Int(multiple))×\(hz) Hz (\(source))")
            }
        }
        let matching = irqRates
            .filter { abs(f - $0.ratePerSecond) <= max(1.5 * binWidthHz, irqRelativeTolerance * $0.ratePerSecond) }
            .sorted { abs(f - $0.ratePerSecond) < abs(f - $1.ratePerSecond) }
        for irq in matching {
            let rate = (irq.ratePerSecond * 10).rounded() / 10
            labels.append("irq \(irq.irq) \(Self.sanitised(irq.description)) (\(rate)/s)")
        }
        return labels.isEmpty ? nil : labels.joined(separator: "; ")
    }

    /// A description safe in an unquoted CSV cell: commas, quotes and line breaks become spaces.
    static func sanitised(_ text: String) -> String {
        String(text.map { ",\"\n\r".contains($0) ? " " : $0 })
    }
}
