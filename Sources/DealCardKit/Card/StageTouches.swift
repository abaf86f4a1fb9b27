import CRDT

/// The latest edit of each stage of a card: when (by the author's clock), by which change,
/// on which channel. Kept up to date as changes arrive, it gives a card's "last touched on"
/// without rereading the history.
///
/// The latest edit is the one with the greatest (author time, change id): the same on every
/// replica whatever order it applied the changes in.
public struct StageTouches: Sendable, Equatable {
    public struct Touch: Sendable, Equatable {
        public var time: Int64
        public var change: ChangeID
        public var channel: Channel
    }

    public private(set) var latest: [Stage: Touch] = [:]

    public init() {}

    /// Takes the edits of `entries` into account.
    public mutating func add(_ entries: [HistoryEntry], schema: DealSchema) {
        for entry in entries {
            guard let author = entry.author else { continue }
            for path in entry.paths { add(change: entry.change, author: author, path: path, schema: schema) }
        }
    }

    /// Takes into account that `change`, by `author`, edited `path` (a field or a skip marker;
    /// other paths touch no stage).
    public mutating func add(change: ChangeID, author: ChangeAuthor, path: String, schema: DealSchema) {
        guard let stage = schema.resolve(path)?.stage ?? CardCodec.stage(ofSkipKey: path) else { return }
        let touch = Touch(time: author.time, change: change, channel: author.channel)
        if let current = latest[stage], (current.time, current.change) >= (touch.time, touch.change) { return }
        latest[stage] = touch
    }
}

extension StageTouches {
    /// Takes the edits another document's touches record into account.
    public mutating func merge(_ other: StageTouches) {
        for (stage, touch) in other.latest {
            if let current = latest[stage], (current.time, current.change) >= (touch.time, touch.change) { continue }
            latest[stage] = touch
        }
    }
}
