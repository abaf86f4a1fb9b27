import SyncProtocol
import CRDT
import DealCardKit
import Foundation

extension Relay {
    /// A deal document of `dealership`, rebuilt from the log on first use.
    func document(_ dealership: String, _ deal: DealID, _ kind: DealDocumentKind) throws -> Document {
        try documentEntry(dealership, deal, kind).document
    }

    /// A deal document with its stored size, rebuilt from the log on first use.
    ///
    /// A stored entry that cannot be loaded (undecodable, or refused by the engine's rules:
    /// written by an older relay before a rule that refuses it) never takes the deal down:
    /// it is marked unloadable, copied to the quarantine, counted in
    /// `relay_log_entries_unloadable_total` and logged, and the rest of the document is
    /// served. Entries that depend on it are set aside the same way.
    func documentEntry(_ dealership: String, _ deal: DealID, _ kind: DealDocumentKind) throws -> RelayDocumentCache.Entry {
        let key = RelaySyncState.DocumentKey(dealership: dealership, deal: deal, document: kind)
        if let cached = sync.cache.entry(key) { return cached }
        let checkedAfter = try checkedAfter()
        metrics.documentsLoaded.increment()
        // A compacted document starts from its shallow snapshot; the log holds what came after.
        let base = try storage.documentBase(dealership: dealership, deal: deal, document: kind)
        func start() throws -> Document {
            guard let base else { return Document(replica: sync.replica) }
            do {
                return try Document(snapshot: base.snapshot, replica: sync.replica)
            } catch {
                throw RelayStorageError.unreadableBase(deal: deal, document: kind, reason: "\(error)")
            }
        }
        let document = try start()
        let stored = try storage.changes(dealership: dealership, deal: deal, document: kind)
        // Remembered only for a document with entries from before this relay started: the
        // others' entries were all checked on their way in (``servable(_:)``), and a relay
        // with many deals would keep a key for each for nothing.
        if stored.first.map({ $0.position <= checkedAfter }) == true { sync.loadedOnce.insert(key) }
        let load = document.applyStored(stored.map(\.entry.blob))
        let report = load.report
        var unloadable = load.unloadable.map { (stored[$0.position], $0.reason) }
        // The log holds only changes whose dependencies it holds: one still pending depends on
        // a change set aside, and goes with it.
        for id in report.pending {
            if let position = load.positions[id] {
                unloadable.append((stored[position], "depends on a change that cannot be loaded"))
            }
        }
        if !unloadable.isEmpty { try setAside(unloadable) }
        let storedBytes = (base?.snapshot.count ?? 0)
            + report.applied.reduce(0) { $0 + (load.positions[$1].map { stored[$0].entry.blob.count } ?? 0) }
        // A set-aside change may still sit in the pending set: load once more without it.
        if !report.pending.isEmpty {
            let clean = try start()
            clean.apply(document.history)
            return sync.cache.insert(clean, storedBytes: storedBytes, for: key)
        }
        return sync.cache.insert(document, storedBytes: storedBytes, for: key)
    }

    /// The log entries of `records` that can be served, the ones set aside left out.
    ///
    /// An entry stored before this relay started is served only once its document has been
    /// loaded (so one that cannot be loaded is found and set aside before anyone receives
    /// it); entries stored since were checked on their way in. Each document is loaded for
    /// this at most once per run of the relay, however often its entries are read again.
    ///
    /// - Complexity: one document load per document of an old entry not loaded yet.
    func servable(_ records: [LogRecord]) throws -> [LogRecord] {
        let checkedAfter = try checkedAfter()
        for record in records where record.position <= checkedAfter {
            let key = RelaySyncState.DocumentKey(dealership: record.entry.dealership, deal: record.entry.deal, document: record.entry.document)
            if !sync.loadedOnce.contains(key) { _ = try documentEntry(key.dealership, key.deal, key.document) }
        }
        let unloadable = try unloadablePositions()
        guard !unloadable.isEmpty else { return records }
        return records.filter { !unloadable.contains($0.position) }
    }

    /// The log's last position when this relay started (``RelaySyncState/checkedAfter``),
    /// read once, before this relay's first document load or append.
    private func checkedAfter() throws -> LogPosition {
        if let known = sync.checkedAfter { return known }
        let latest = try storage.latestPosition
        sync.checkedAfter = latest
        return latest
    }

    /// The log entries set aside so far.
    private func unloadablePositions() throws -> Set<LogPosition> {
        if let known = sync.unloadable { return known }
        let stored = Set(try storage.unloadablePositions())
        sync.unloadable = stored
        return stored
    }

    /// Marks log entries unloadable and tells the operator.
    private func setAside(_ entries: [(LogRecord, String)]) throws {
        let now = Date()
        var known = try unloadablePositions()
        defer { sync.unloadable = known }
        for (record, reason) in entries {
            try storage.markUnloadable(record, reason: reason, at: now)
            known.insert(record.position)
            metrics.logEntriesUnloadable.increment()
            log.log("unloadable_change", [
                "position": .integer(record.position.rawValue), "deal": .string(record.entry.deal.rawValue),
                "document": .string(record.entry.document.rawValue), "reason": .string(reason),
            ])
        }
    }

    /// Drops the least recently used documents beyond the cache's bounds. Called between
    /// requests only, never while a batch holds documents it has changed.
    func trimDocumentCache() {
        sync.cache.trim()
    }
}
