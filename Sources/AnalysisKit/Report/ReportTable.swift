/// One table of `analysis report`: a title, a line saying where its numbers come
/// from, and rows of already formatted cells. Rendered as aligned plain text for
/// a terminal or as a Markdown pipe table for a CI job summary or a README.
public struct ReportTable: Sendable, Equatable {
    public var title: String
    /// What the columns mean and which paper the reference columns quote.
    public var note: String
    public var header: [String]
    public var rows: [[String]]

    public init(title: String, note: String = "", header: [String], rows: [[String]]) {
        self.title = title
        self.note = note
        self.header = header
        self.rows = rows
    }

    public enum Format: String, Sendable, CaseIterable {
        case text, markdown
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .text: return text()
        case .markdown: return markdown()
        }
    }

    private func text() -> String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            header.indices.map { column in
                let cell = cells.indices.contains(column) ? cells[column] : ""
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                // Text left, numbers right, as a reader scans them.
                return column == 0 || !Self.isNumeric(cell) ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [title, String(repeating: "=", count: title.count)]
        if !note.isEmpty { lines.append(note) }
        lines.append(line(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    private func markdown() -> String {
        func escaped(_ cell: String) -> String {
            cell.replacing("|", with: "\\|").replacing("\n", with: " ")
        }
        var lines = ["### \(title)", ""]
        if !note.isEmpty { lines += [note, ""] }
        lines.append("| " + header.map(escaped).joined(separator: " | ") + " |")
        lines.append("|" + header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined())
        lines += rows.map { cells in
            "| " + header.indices.map { cells.indices.contains($0) ? escaped(cells[$0]) : "" }.joined(separator: " | ") + " |"
        }
        return lines.joined(separator: "\n")
    }

    static func isNumeric(_ cell: String) -> Bool {
        guard let first = cell.unicodeScalars.first else { return false }
        return cell == "n/a" || first == "-" || first == "+" || first == "×" || ("0"..."9").contains(first)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
