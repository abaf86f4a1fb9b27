import Foundation
import CanonicalJSON
import DealCardKit
import SyncCore

/// The JSON the read commands print with `--json`.
///
/// Every document is built as a ``SchemaJSON`` value and printed in its canonical form
/// (sorted keys, no whitespace, one trailing newline). Only what travels with the changes
/// is included: values, conflicts with their authors, stage statuses, completeness,
/// history. Nothing local to one device (when it stored or received a change, its outbox)
/// appears, so two devices that have seen the same changes print the same bytes.
enum ClientJSON {
    /// The printed form of `json`.
    static func text(_ json: SchemaJSON) -> String { json.canonicalText + "\n" }

    /// `deal show --json`:
    /// `{"completeness":{…},"conflicts":{…},"documents":[…],"id":…,"stages":[…],"values":{…}}`.
    static func card(_ view: CardView) -> SchemaJSON {
        let card = view.card
        return .object([
            "id": .string(card.id.rawValue),
            "documents": .array(DealDocumentKind.allCases.filter(card.documents.contains).map { .string($0.rawValue) }),
            "values": .object(card.values.mapValues(\.json)),
            "conflicts": conflicts(card.conflicts),
            "stages": .array(card.stages.map { state in
                .object([
                    "stage": .string(state.stage.rawValue),
                    "status": .string(state.status.rawValue),
                    "lastChannel": view.lastChannels[state.stage].map { .string($0.rawValue) } ?? .null,
                ])
            }),
            "completeness": .object([
                "filled": .integer(Int64(card.completeness.filled)),
                "required": .integer(Int64(card.completeness.required)),
                "percent": .integer(Int64(card.completeness.percent)),
            ]),
        ])
    }

    /// Conflicts by path; each an array of the concurrent values, the shown one first.
    static func conflicts(_ conflicts: [String: [FieldConflict]]) -> SchemaJSON {
        .object(conflicts.mapValues { values in
            .array(values.map { conflict in
                .object(["value": conflict.value?.json ?? .null, "author": author(conflict.author)])
            })
        })
    }

    /// `{"channel":…,"device":…,"role":…,"time":"2026-11-23T14:05:07.123Z","user":…}` or null.
    static func author(_ author: ChangeAuthor?) -> SchemaJSON {
        guard let author else { return .null }
        return .object([
            "user": .string(author.user),
            "role": .string(author.role.rawValue),
            "device": .string(author.device),
            "channel": .string(author.channel.rawValue),
            "time": .string(utcTimestamp(author.time)),
        ])
    }

    /// `deal list --json`: one object per deal, ordered by id (not by the local time of
    /// the last change, which differs between devices).
    static func summaries(_ summaries: [DealSummary], schema: DealSchema) -> SchemaJSON {
        .array(summaries.sorted { $0.id < $1.id }.map { summary in
            .object([
                "id": .string(summary.id.rawValue),
                "model": summary.model.map(SchemaJSON.string) ?? .null,
                "price": price(summary.price, schema: schema),
                "stages": .array(summary.stages.map { stage in
                    .object(["stage": .string(stage.stage.rawValue), "status": .string(stage.status.rawValue)])
                }),
                "completenessPercent": .integer(Int64(summary.completenessPercent)),
                "conflictCount": .integer(Int64(summary.conflictCount)),
            ])
        })
    }

    /// The summary's price (stored as display text) back as typed money; display text
    /// shows every minor digit, so nothing is lost.
    private static func price(_ text: String?, schema: DealSchema) -> SchemaJSON {
        guard let text else { return .null }
        guard let spec = schema.field("vehicle.price"), let value = try? spec.value(parsing: text) else { return .string(text) }
        return value.json
    }

    /// `deal history --json`: the changes, oldest first.
    static func history(_ entries: [HistoryEntry]) -> SchemaJSON {
        .array(entries.map { entry in
            .object([
                "change": .string(entry.change.description),
                "document": .string(entry.document.rawValue),
                "author": author(entry.author),
                "edits": .array(entry.edits.map(SchemaJSON.string)),
                "paths": .array(entry.paths.map(SchemaJSON.string)),
            ])
        })
    }
}

/// `2026-11-23T14:05:07.123Z` for milliseconds since 1970.
func utcTimestamp(_ milliseconds: Int64) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    let millis = ((milliseconds % 1000) + 1000) % 1000
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, Int(millis))
}

/// `2026-11-23 14:05` in the local time zone (`TZ`), for people.
func localMinute(_ milliseconds: Int64) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone.current
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    return String(format: "%04d-%02d-%02d %02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
}
