import CRDT
import DealCardKit
import Foundation
import SyncProtocol

/// What one compaction did (``Relay/compact(receivedBefore:now:)``).
public struct CompactionReport: Sendable, Equatable, Codable {
    /// The log position compacted through: every entry at or before it, of every document
    /// compacted, is now in that document's base (and gone from the log).
    public var through: LogPosition
    /// Documents compacted, and documents left as they were (why, per document).
    public var documents: Int
    public var skipped: [String]
    /// Log entries deleted.
    public var entriesRemoved: Int
    /// What the compacted documents weighed before (their log entries and earlier base) and
    /// after (their new base, and the entries left after `through`), in bytes.
    public var bytesBefore: Int
    public var bytesAfter: Int
}

extension Relay {
    /// Compacts the history the relay keeps: for every document with log entries received
    /// before `cutoff` (up to the first entry that was not), the document's state and its
    /// changes after those entries become its base (a shallow snapshot,
    /// ``CRDT/Document/encodeSnapshot(horizon:)``), and the entries are deleted from the log.
    ///
    /// A device whose cursor is behind the position compacted through is told to sync again
    /// from 0 (`409 history_compacted`); its changes made on a state before the horizon are
    /// re-made by the device on top of the snapshot it then gets (protocol-spec/sync.md,
    /// "Compaction"). A document with an entry set aside as unloadable is left as it is.
    ///
    /// - Complexity: one document load and one shallow snapshot per document compacted.
    public func compact(receivedBefore cutoff: Date, now: Date = Date()) throws -> CompactionReport {
        guard !isClosed else { throw RelayStorageError.storeClosed }
        // Documents in memory may hold pushes still waiting for their commit: a base must hold
        // only what the log holds.
        flushGroupCommit()
        let through = try storage.lastPosition(receivedBefore: cutoff)
        var report = CompactionReport(through: through, documents: 0, skipped: [], entriesRemoved: 0, bytesBefore: 0, bytesAfter: 0)
        guard through > .start else { return report }
        for key in try storage.documents(withEntriesThrough: through) {
            let name = "\(key.dealership)/\(key.deal)/\(key.document.rawValue)"
            let stored = try storage.changes(dealership: key.dealership, deal: key.deal, document: key.document)
            let before = stored.filter { $0.position <= through }
            let previous = try storage.documentBase(dealership: key.dealership, deal: key.deal, document: key.document)
            var horizon = previous?.horizon ?? VersionVector()
            for record in before where record.entry.changeSequence > horizon[record.entry.replica] {
                horizon[record.entry.replica] = record.entry.changeSequence
            }
            let document = try self.document(key.dealership, key.deal, key.document)
            let snapshot: [UInt8]
            do {
                // What the card reads from the history before the horizon stays readable.
                var retain = CardReader(schema: sync.schema).changesToRetain(in: document, kind: key.document, horizon: horizon)
                // And the change that created the document: who opened the deal (a showroom
                // relay that takes this base files the deal under its buyer from it).
                if let creation = document.retainedChanges.first(where: { $0.startOp == 1 }) ?? document.history.first(where: { $0.startOp == 1 }),
                   creation.seq <= horizon[creation.replica] {
                    retain.insert(creation.id)
                }
                snapshot = try document.encodeSnapshot(horizon: horizon, retaining: retain)
            } catch {
                report.skipped.append("\(name): \(error)")
                continue
            }
            let base = DocumentBase(dealership: key.dealership, deal: key.deal, document: key.document, through: through,
                                    snapshot: snapshot, horizon: horizon, compactedAt: now)
            do {
                report.entriesRemoved += try storage.compact(base)
            } catch let error as RelayStorageError {
                guard case .compactionBlocked = error else { throw error }
                report.skipped.append("\(name): \(error)")
                continue
            }
            report.documents += 1
            let after = stored.filter { $0.position > through }.reduce(0) { $0 + $1.entry.blob.count }
            report.bytesBefore += (previous?.snapshot.count ?? 0) + stored.reduce(0) { $0 + $1.entry.blob.count }
            report.bytesAfter += snapshot.count + after
            // The cached document still holds the whole history; the next use loads the base.
            sync.cache.remove(RelaySyncState.DocumentKey(dealership: key.dealership, deal: key.deal, document: key.document))
        }
        sync.compactedThrough = max(sync.compactedThrough, through)
        log.log("compaction", ["through": .integer(through.rawValue), "documents": .integer(Int64(report.documents)),
                               "entries_removed": .integer(Int64(report.entriesRemoved)), "skipped": .integer(Int64(report.skipped.count))])
        return report
    }
}

extension Relay {
    /// The position the store is compacted through, read from the store; when another
    /// process (`sync-server compact`) compacted it since this relay last looked, the
    /// documents in memory (which still hold their whole history) are let go, so that the
    /// next use loads each from its base and refuses what the horizon refuses.
    func noticeCompaction() throws -> LogPosition {
        let through = try storage.compactedThrough
        if through > sync.compactedThrough {
            flushGroupCommit()
            sync.cache.removeAll()
            sync.compactedThrough = through
        }
        try noticeOtherNodes()
        return through
    }
}

/// `sync-server compact`: compacts the store in a data folder from another process than
/// the relay. A relay serving meanwhile notices at its next sync request
/// (``Relay/noticeCompaction()``) and lets go of the documents it holds in memory, which
/// still have their whole history; it appends after the compacted positions.
public enum CompactionCommand {
    /// Compacts the history older than `olderThan` of the store at `dataDirectory`.
    /// - Throws: ``RelayStorageError/storeNotFound(path:)`` when the folder holds no store.
    public static func run(dataDirectory: String, postgres: String? = nil, olderThan: TokenLifetime, schema: DealSchema = .standard,
                           now: Date = Date()) async throws -> CompactionReport {
        try await run(dataDirectory: dataDirectory, postgres: postgres,
                      receivedBefore: now.addingTimeInterval(-TimeInterval(olderThan.seconds)), schema: schema, now: now)
    }

    /// Compacts the history received before `cutoff`.
    public static func run(dataDirectory: String, postgres: String? = nil, receivedBefore cutoff: Date, schema: DealSchema = .standard,
                           now: Date = Date()) async throws -> CompactionReport {
        let storage = try RelayStore(dataDirectory: dataDirectory, postgres: postgres).open(create: false, exclusive: false)
        let relay = Relay(storage: storage, schema: schema)
        do {
            let report = try await relay.compact(receivedBefore: cutoff, now: now)
            await relay.close()
            return report
        } catch {
            await relay.close()
            throw error
        }
    }

    /// The report as one JSON object (keys sorted).
    public static func json(_ report: CompactionReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? String(decoding: encoder.encode(report), as: UTF8.self)) ?? "{}"
    }
}
