import CRDT
import DealCardKit
import SyncProtocol

extension DeviceStore {
    /// Handles a change the relay refused: keeps it in the quarantine with the relay's reason,
    /// rebuilds the document from everything but it and this device's later changes (which
    /// depend on it, so the relay cannot accept them either), re-makes those later edits on
    /// top as new changes where they can be re-made (field writes, cleared fields, added
    /// records, skip markers), quarantines the rest, and puts the new changes in the outbox.
    /// Nothing sent afterwards depends on a refused change, so sync is never wedged.
    ///
    /// - Returns: the seqs of this device's changes that were dropped from the document
    ///   (the refused one and the ones after it); later refusals of those are already handled.
    /// - Parameter pushed: the blob that was pushed and refused, when known: a refusal that no
    ///   longer matches the document's change (an earlier rebase already replaced it) is ignored.
    @discardableResult
    public func rebase(after refusal: RefusedChange, pushed: [UInt8]? = nil) throws(StoreError) -> [UInt64] {
        let deal = refusal.ref.deal
        let kind = refusal.ref.document
        guard let refused = refusal.ref.changeID, refused.replica == identity.replica else { return [] }
        do {
            guard let document = try document(deal, kind) else { return [] }
            if let pushed, let current = document.change(refused), current.encoded() != pushed { return [] }
            let dropped = document.history.filter { $0.replica == identity.replica && $0.seq >= refused.seq }.sorted { $0.seq < $1.seq }
            guard let first = dropped.first else {
                try quarantine(refusal.ref, blob: [], code: refusal.code, reason: refusal.reason)
                return []
            }
            let kept = document.history.filter { !($0.replica == identity.replica && $0.seq >= refused.seq) }
            let rebuilt = Document(replica: identity.replica, changes: kept)
            rebuilt.apply(document.pendingChangeValues)
            var remade: [Change] = []
            var lost: [(Change, RefusalCode, String)] = [(first, refusal.code, refusal.reason)]
            for change in dropped.dropFirst() {
                guard let edits = remakeableEdits(of: change, in: document) else {
                    lost.append((change, .dependsOnRefused, "made after refused change \(first.id) and could not be re-made on top of the relay's state"))
                    continue
                }
                do {
                    if let new = try rebuilt.change(metadata: change.metadata, { tx in try edits(rebuilt, tx) }) { remade.append(new) }
                } catch {
                    lost.append((change, .dependsOnRefused, "made after refused change \(first.id); re-making it failed: \(error)"))
                }
            }
            let now = clock()
            let summaryDocuments = documents
            documents[DocumentKey(deal: deal, kind: kind)] = rebuilt
            do {
                let summary = try summaryJSON(deal, updatedAt: now)
                try db.transaction { db in
                    for (change, code, reason) in lost {
                        try QuarantineRow(deal: deal, document: kind, change: change.id, blob: change.encoded(), code: code, reason: reason, at: now)
                            .insert(in: db)
                    }
                    try OutboxRow.deleteAll(deal: deal, document: kind, replica: identity.replica, from: refused.seq, in: db)
                    try SnapshotFold.fold(rebuilt, deal: deal, document: kind, in: db)
                    for change in remade {
                        try OutboxRow(deal: deal, document: kind, change: change.id, blob: change.encoded(), createdAt: now).insert(in: db)
                    }
                    try DealRow.touch(deal, updatedAt: now, summary: summary, in: db)
                }
            } catch {
                documents = summaryDocuments
                documents[DocumentKey(deal: deal, kind: kind)] = nil
                throw error
            }
            notify(StoreEvent(deal: deal, document: kind, changes: remade.map(\.id), origin: .local))
            return dropped.map(\.seq)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The edits of `change` as a closure that re-makes them on another document, or nil when
    /// some op cannot be re-made (text edits, record removals, element updates).
    func remakeableEdits(of change: Change, in document: Document) -> ((Document, Transaction) throws -> Void)? {
        enum Edit {
            case put(String, ScalarValue)
            case delete(String)
            case container(String, ObjectKind)
            case record(String, ObjectID)
        }
        var edits: [Edit] = []
        var records: [ObjectID: [(String, ScalarValue)]] = [:]
        var counter = change.startOp
        for op in change.ops {
            let id = OpID(counter: counter, replica: change.replica)
            counter += op.width
            switch (op.object.isRoot, op.action) {
            case (true, .set(.map(let key), .scalar(let value), _)): edits.append(.put(key, value))
            case (true, .delete(.map(let key), _)): edits.append(.delete(key))
            case (true, .set(.map(let key), .object(let kind), _)): edits.append(.container(key, kind))
            case (false, .insert(_, .object(.map))):
                guard let path = document.rootKey(of: op.object) else { return nil }
                records[ObjectID(id)] = []
                edits.append(.record(path, ObjectID(id)))
            case (false, .set(.map(let name), .scalar(let value), _)) where records[op.object] != nil:
                records[op.object]!.append((name, value))
            default:
                return nil
            }
        }
        return { target, tx in
            for edit in edits {
                switch edit {
                case .put(let key, let value): try tx.put(.root, key, value)
                case .delete(let key): try tx.delete(.root, key)
                case .container(let key, let kind):
                    if try target.get(.root, key) == nil { try tx.putObject(.root, key, kind) }
                case .record(let path, let object):
                    let list: ObjectID
                    if case .object(let existing, .list)? = try target.get(.root, path) {
                        list = existing
                    } else {
                        list = try tx.putObject(.root, path, .list)
                    }
                    let record = try tx.insertObject(list, at: try target.length(list), .map)
                    for (name, value) in records[object] ?? [] { try tx.put(record, name, value) }
                }
            }
        }
    }
}
