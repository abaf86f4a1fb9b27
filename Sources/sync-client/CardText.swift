import DealCardKit
import SyncCore

/// The human form of a deal card for `deal show`: fields grouped by stage under the
/// stage's title and marker, titles aligned, money readable, conflicts highlighted.
///
/// ```
/// Deal d-7k2m9x4qpa3c  ·  25% complete (5 of 20 required fields)  ·  ⚠ 1 conflict
///
/// … Vehicle                                      last edit on pc
///     Model                    Camry
///     Price                    2 330 000 ₽  ⚠ 2 values
/// ```
struct CardText {
    let view: CardView
    let terminal: Terminal

    /// Where values start: the titles of the rows shown are padded to this width.
    private var titleWidth: Int {
        let titles = view.card.stages.filter { $0.status != .untouched }.flatMap { state in
            view.fields(of: state.stage).filter { spec in
                view.card.values[spec.path]?.isFilled ?? (spec.isRequired && state.status != .skipped)
            }.map(\.title)
        }
        return min(28, titles.map(\.count).max() ?? 10) + 2
    }

    func render() -> String {
        let card = view.card
        var lines: [String] = []
        var heading = terminal.paint("Deal \(card.id)", .bold)
        heading += "  ·  \(card.completeness.percent)% complete (\(card.completeness.filled) of \(card.completeness.required) required fields)"
        if !card.conflicts.isEmpty {
            let count = card.conflicts.count
            heading += "  ·  " + terminal.paint("⚠ \(count) conflict\(count == 1 ? "" : "s")", .boldRed)
        }
        lines.append(heading)
        for state in card.stages {
            lines.append("")
            lines += stageLines(state)
        }
        if !card.conflicts.isEmpty {
            lines.append("")
            lines += ConflictText(card: card, schema: view.schema, terminal: terminal).render()
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func stageLines(_ state: StageState) -> [String] {
        var head = terminal.paint(state.status.marker, state.status.style) + " " + terminal.paint(state.stage.title, .bold)
        if state.status == .skipped { head += terminal.paint(" (skipped)", .dim) }
        if let channel = view.lastChannels[state.stage] {
            head += terminal.paint("  last edit on \(channel.rawValue)", .dim)
        }
        var lines = [head]
        guard state.status != .untouched else { return lines }
        for spec in view.fields(of: state.stage) {
            let label = "    " + padded(spec.title, to: titleWidth)
            guard let value = view.card.values[spec.path], value.isFilled else {
                if spec.isRequired, state.status != .skipped {
                    lines.append(terminal.paint(label + "—", .dim))
                }
                continue
            }
            let valueLines = self.valueLines(spec, value)
            let indent = String(repeating: " ", count: label.count)
            for (index, line) in valueLines.enumerated() {
                lines.append((index == 0 ? label : indent) + line)
            }
        }
        return lines
    }

    /// A value as one or more lines (lists one record a line, texts split at newlines).
    private func valueLines(_ spec: FieldSpec, _ value: FieldValue) -> [String] {
        if case .list(let records) = value {
            return records.enumerated().map { index, record in
                let marks = view.card.conflicts.keys.filter { $0.hasPrefix("\(spec.path)[\(index)].") }
                let text = terminal.paint("[\(index)]", .dim) + " " + recordText(spec, record)
                return marks.isEmpty ? text : text + "  " + terminal.paint("⚠ conflict", .boldRed)
            }
        }
        var lines = value.displayText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let conflict = view.card.conflicts[spec.path] {
            let style: Terminal.Style = spec.isMoney ? .boldRed : .red
            lines[0] = terminal.paint(lines[0], style) + "  " + terminal.paint("⚠ \(conflict.count) values", style)
        }
        return lines
    }

    /// `Accessory: Mats · Quantity: 2 · Price: 15 000 ₽`; a message as `olga: Hello`.
    private func recordText(_ spec: FieldSpec, _ record: FieldValue) -> String {
        guard case .record(let values) = record, let fields = spec.type.recordFields else { return record.displayText }
        if spec.path == "conversation.messages", case .text(let text)? = values["text"] {
            let author = values["author"]?.displayText ?? "?"
            return terminal.paint(author + ":", .cyan) + " " + text
        }
        return fields.compactMap { field in values[field.name].map { "\(field.title): \($0.displayText)" } }
            .joined(separator: " · ")
    }
}

/// The conflicts of a card, each with every concurrent value and its author, and how to
/// resolve them.
struct ConflictText {
    let card: DealCard
    let schema: DealSchema
    let terminal: Terminal

    func render() -> [String] {
        guard !card.conflicts.isEmpty else { return ["No conflicts on deal \(card.id)."] }
        var lines = [terminal.paint("⚠ Conflicts", .boldRed) + "  (▸ marks the value shown; resolve with: sync-client deal resolve \(card.id) FIELD VALUE)"]
        for path in card.conflicts.keys.sorted() {
            let listPath = String(path.prefix { $0 != "[" })
            let field = schema.field(listPath)
            let title = field?.title ?? path
            // A collaborative text shows its concurrent texts joined, one per line: no one of
            // them is the value shown (protocol-spec/sync.md, reading a card).
            let joined: Bool
            if case .text(collaborative: true)? = field?.type, listPath == path { joined = true } else { joined = false }
            lines.append("  " + terminal.paint(path, .bold) + "  " + terminal.paint(title, .dim)
                         + (joined ? terminal.paint("  (shown joined, one text a line)", .dim) : ""))
            let values = card.conflicts[path]!
            let texts = values.map { $0.value?.displayText ?? "(unreadable value)" }
            let width = texts.map(\.count).max() ?? 0
            for (index, conflict) in values.enumerated() {
                let shown = index == 0 && !joined
                let who = conflict.author.map(authorText) ?? "unknown author"
                let when = conflict.author.map { "  " + localMinute($0.time) } ?? ""
                lines.append("    \(shown ? "▸" : " ") " + terminal.paint(padded(texts[index], to: width), shown ? .bold : .yellow)
                             + "  " + who + terminal.paint(when, .dim))
            }
        }
        return lines
    }
}

/// `olga (sales, pc, olga-pc)`.
func authorText(_ author: ChangeAuthor) -> String {
    "\(author.user) (\(author.role.rawValue), \(author.channel.rawValue), \(author.device))"
}

/// History lines: `2026-11-23 14:05  olga (sales, pc, olga-pc)  vehicle.price = 2 330 000 ₽`.
/// A change that touched several fields continues on lines aligned under the first edit.
func historyText(_ entries: [HistoryEntry], terminal: Terminal) -> String {
    var lines: [String] = []
    let heads = entries.map { entry in
        (entry.author.map { localMinute($0.time) } ?? "????-??-?? ??:??", entry.author.map(authorText) ?? "unknown author")
    }
    let whoWidth = heads.map(\.1.count).max() ?? 0
    for (entry, head) in zip(entries, heads) {
        let prefix = head.0 + "  " + padded(head.1, to: whoWidth) + "  "
        let edits = entry.edits.isEmpty ? ["(no visible edit)"] : entry.edits
        for (index, edit) in edits.enumerated() {
            if index == 0 {
                lines.append(terminal.paint(head.0, .dim) + "  " + padded(head.1, to: whoWidth) + "  " + edit)
            } else {
                lines.append(String(repeating: " ", count: prefix.count) + edit)
            }
        }
    }
    return lines.isEmpty ? "No changes yet.\n" : lines.joined(separator: "\n") + "\n"
}

/// `deal list` as an aligned table, newest change first.
func summaryTable(_ summaries: [DealSummary], terminal: Terminal) -> String {
    guard !summaries.isEmpty else { return "No deals in this store. Start one with: sync-client deal new\n" }
    let header = ["DEAL", "MODEL", "PRICE", "DONE", "STAGES", "CONFLICTS"]
    let rows = summaries.map { summary in
        [summary.id.rawValue, summary.model ?? "—", summary.price ?? "—", "\(summary.completenessPercent)%",
         summary.stages.map(\.status.marker).joined(), summary.conflictCount == 0 ? "" : "⚠ \(summary.conflictCount)"]
    }
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
    func line(_ cells: [String], _ style: (Int, String) -> String) -> String {
        var text = ""
        for (column, cell) in cells.enumerated() {
            let last = column == cells.count - 1
            text += style(column, last ? cell : padded(cell, to: widths[column]))
            if !last { text += "  " }
        }
        return String(text.reversed().drop { $0 == " " }.reversed())
    }
    var lines = [line(header) { _, cell in terminal.paint(cell, .bold) }]
    for row in rows {
        lines.append(line(row) { column, cell in column == 5 ? terminal.paint(cell, .boldRed) : cell })
    }
    let stageNames = summaries[0].stages.map(\.stage.rawValue).joined(separator: ", ")
    lines.append("")
    lines.append(terminal.paint("Stages in order: \(stageNames). ✓ done  … in progress  – skipped  · untouched", .dim))
    return lines.joined(separator: "\n") + "\n"
}
