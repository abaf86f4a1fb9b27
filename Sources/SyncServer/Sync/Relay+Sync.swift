import CRDT
import Foundation
import SyncCore

extension Relay {
    /// The answer to a request that arrives, or wakes up, while the relay is closing.
    static let closedError = RelayError(.unavailable, "the relay is shutting down; retry shortly")

    /// The documents of a deal that a token may read.
    func readableKinds(_ token: TokenRecord) -> Set<DealDocumentKind> {
        if token.isRelay { return Set(DealDocumentKind.allCases) }
        return Set(DealDocumentKind.allCases.filter { sync.schema.canRead(role: token.role, document: $0) })
    }

    /// Whether a token may see a deal at all: same dealership, inside its deal scope, and
    /// for a buyer only the buyer's own deals.
    func canSee(_ deal: DealRecord, _ token: TokenRecord) -> Bool {
        guard deal.dealership == token.dealership else { return false }
        if let scope = token.deal { return scope == deal.id }
        if token.role == .buyer && !token.isRelay { return deal.buyerUser == token.user }
        return true
    }

    /// The ids of every deal a token may see.
    func visibleDealIDs(_ token: TokenRecord) throws -> Set<String> {
        if let scope = token.deal {
            guard let deal = try storage.deal(id: scope), canSee(deal, token) else { return [] }
            return [scope]
        }
        if token.role == .buyer && !token.isRelay {
            return Set(try storage.dealIDs(dealership: token.dealership, buyerUser: token.user))
        }
        return Set(try storage.dealIDs(dealership: token.dealership))
    }

    /// A deal document, rebuilt from the log on first use.
    func document(_ deal: String, _ kind: DealDocumentKind) throws -> Document {
        let key = RelaySyncState.DocumentKey(deal: deal, kind: kind)
        sync.useClock += 1
        sync.lastUse[key] = sync.useClock
        if let cached = sync.documents[key] { return cached }
        let document = Document(replica: sync.replica)
        var changes: [Change] = []
        for record in try storage.changes(deal: deal, document: kind) {
            changes.append(try Change(encoded: record.entry.blob))
        }
        document.apply(changes)
        sync.documents[key] = document
        return document
    }

    /// `POST /v1/sync`: validates and stores the pushed changes, then answers with what the
    /// token may read after the request's cursor (snapshots for a first sync), holding the
    /// request up to `wait` seconds when there is nothing new.
    public func sync(_ request: SyncRequest, token: TokenRecord) async -> Result<SyncResponse, RelayError> {
        guard !isClosed else { return .failure(Relay.closedError) }
        guard request.protocolVersion == syncProtocolVersion else {
            return .failure(RelayError(.badRequest, "protocol \(request.protocolVersion) is not spoken here; this relay speaks protocol \(syncProtocolVersion)"))
        }
        guard request.cursor >= 0, (0...30).contains(request.wait) else {
            return .failure(RelayError(.badRequest, "cursor must be ≥ 0 and wait within 0…30 seconds"))
        }
        if let limit = request.limit, !(1...10_000).contains(limit) {
            return .failure(RelayError(.badRequest, "limit must be within 1…10000 (got \(limit))"))
        }
        if let latest = try? storage.latestSequence, request.cursor > latest {
            return .failure(RelayError(.conflict, "cursor_ahead: cursor \(request.cursor) is past this relay's log (\(latest)); its data was replaced: sync again from cursor 0"))
        }
        guard request.push.count <= 5_000 else {
            return .failure(RelayError(.badRequest, "at most 5000 changes per push; send the rest in the next request"))
        }
        let accepted: [ChangeRef]
        let refused: [RefusedChange]
        do {
            (accepted, refused) = try push(request.push, token: token)
        } catch let error as RelayError {
            return .failure(error)
        } catch {
            return .failure(RelayError(.unavailable, "the change log could not be written (\(error)); nothing was stored, retry"))
        }
        do {
            var response = try pull(after: request.cursor, token: token, limit: min(request.limit ?? 2_000, 10_000),
                                    snapshotsAfter: request.snapshotsAfter, bootstrapCursor: request.bootstrapCursor)
            if request.wait > 0 && request.push.isEmpty && response.changes.isEmpty && response.snapshots.isEmpty {
                await waitForNews(seconds: request.wait)
                guard !isClosed else { return .failure(Relay.closedError) }
                response = try pull(after: request.cursor, token: token, limit: min(request.limit ?? 2_000, 10_000))
            }
            response.accepted = accepted
            response.refused = refused
            trimDocumentCache()
            return .success(response)
        } catch {
            return .failure(RelayError(.internalError, "reading the change log failed: \(error)"))
        }
    }

    /// Validates each pushed change; appends the accepted ones to the log in one transaction.
    func push(_ pushed: [PushedChange], token: TokenRecord) throws -> ([ChangeRef], [RefusedChange]) {
        var accepted: [ChangeRef] = []
        var refused: [RefusedChange] = []
        var entries: [NewLogEntry] = []
        var touched: Set<RelaySyncState.DocumentKey> = []
        var newDeals: [String: DealRecord] = [:]
        let validator = ChangeValidator(schema: sync.schema)
        let now = Date()
        do {
        for (index, item) in pushed.enumerated() {
            guard let bytes = decodeBase64(item.change), let change = try? Change(encoded: bytes) else {
                let problem: String
                if let bytes = decodeBase64(item.change) {
                    do { _ = try Change(encoded: bytes); problem = "unreadable" } catch { problem = "\(error)" }
                } else {
                    problem = "not base64"
                }
                var refusal = RefusedChange(ref: ChangeRef(deal: item.deal, document: item.document, change: ChangeID(replica: ReplicaID(1), seq: 0)),
                                            code: "malformed", path: nil, reason: "push item \(index) is not a valid change blob: \(problem)")
                refusal.index = index
                refused.append(refusal)
                continue
            }
            let ref = ChangeRef(deal: item.deal, document: item.document, change: change.id)
            func refuse(_ code: String, _ path: String?, _ reason: String, quarantine: Bool = true) throws {
                refused.append(RefusedChange(ref: ref, code: code, path: path, reason: reason))
                metrics.changesRefused.increment()
                if quarantine {
                    try storage.insertQuarantine(QuarantineEntry(
                        deal: item.deal.rawValue, document: item.document, replica: change.replica.rawValue, changeSequence: change.seq,
                        blob: bytes, senderUser: token.user, senderDevice: token.device ?? "user:" + token.user, reason: "\(code): \(path.map { "\($0): " } ?? "")\(reason)",
                        quarantinedAt: now))
                }
            }
            // Who the change is checked as: the token's user and role, or, for a relay token
            // forwarding its devices' changes, the change's own author (validated downstream).
            let claimed = SyncCore.ChangeAuthor(metadata: change.metadata)
            if token.isRelay && claimed == nil {
                try refuse("forged_author", nil, "a forwarded change must carry its author")
                continue
            }
            let actingRole = token.isRelay ? claimed!.role : token.role
            let actingUser = token.isRelay ? claimed!.user : token.user
            // Replicas are bound to "user/device" as the change names them (checked against the
            // token by validateAuthor below, or downstream for a relay): the same key whether a
            // device syncs directly or through a showroom relay.
            let bindingKey = actingUser + "/" + (claimed?.device ?? token.device ?? "")
            // The deal: known and visible, or new and creatable by this author.
            if let deal = try newDeals[item.deal.rawValue] ?? storage.deal(id: item.deal.rawValue) {
                guard canSee(deal, token), sync.schema.canRead(role: actingRole, document: item.document) else {
                    try refuse("unknown_deal", nil, "no deal \(item.deal) is visible to this token", quarantine: false)
                    continue
                }
            } else {
                let creators: Set<Role> = [.buyer, .sales, .head, .integration]
                guard item.document == .shared, creators.contains(actingRole), token.deal == nil || token.deal == item.deal.rawValue else {
                    try refuse("unknown_deal", nil, "no deal \(item.deal) is visible to this token, and it may not create one", quarantine: false)
                    continue
                }
                // Registered only once one of its changes is accepted (below), so a refused push
                // cannot claim a deal id.
                newDeals[item.deal.rawValue] = DealRecord(id: item.deal.rawValue, dealership: token.dealership,
                                                          buyerUser: actingRole == .buyer ? actingUser : nil, createdAt: now, createdBy: actingUser)
            }
            // The replica must belong to the author's device; the metadata must name the token.
            let binding = try storage.bindReplica(change.replica.rawValue, device: bindingKey, user: actingUser)
            guard binding.allows(device: bindingKey) else {
                try refuse("impersonation", nil, "replica \(change.replica) belongs to another device")
                continue
            }
            if !token.isRelay {
                do {
                    try validator.validateAuthor(change, user: token.user, role: token.role, device: token.device)
                } catch {
                    try refuse(error.code, error.path, error.reason)
                    continue
                }
            }
            let document = try self.document(item.deal.rawValue, item.document)
            if change.seq <= document.version[change.replica] {
                // Already stored: a retried push, acknowledged again, unless it is another change
                // under the same id (which would otherwise be lost silently).
                if let stored = document.change(change.id), stored.encoded() != bytes {
                    try refuse("conflicting_change", nil, "change \(change.id) is already stored with other content")
                } else {
                    accepted.append(ref)
                }
                continue
            }
            guard change.seq == document.version[change.replica] + 1, change.deps.isIncluded(in: document.version) else {
                try refuse("missing_dependency", nil, "the change depends on a change the relay does not have (refused, or not pushed yet)", quarantine: false)
                continue
            }
            do {
                try validator.validate(change, role: actingRole, kind: item.document, in: document)
            } catch {
                try refuse(error.code, error.path, error.reason)
                continue
            }
            let report = document.apply([change])
            if let failure = report.refused.first {
                try refuse("malformed", nil, "\(failure)")
                continue
            }
            touched.insert(RelaySyncState.DocumentKey(deal: item.deal.rawValue, kind: item.document))
            accepted.append(ref)
            if let deal = newDeals.removeValue(forKey: item.deal.rawValue) {
                try storage.insertDeal(deal)
            }
            let author = SyncCore.ChangeAuthor(metadata: change.metadata)!
            entries.append(NewLogEntry(deal: item.deal.rawValue, document: item.document, replica: change.replica.rawValue,
                                       changeSequence: change.seq, blob: bytes,
                                       author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel),
                                       receivedAt: now))
        }
        if !entries.isEmpty {
            _ = try storage.appendChanges(entries)
            metrics.changesAccepted.increment(by: Double(entries.count))
            announce()
        }
        } catch {
            // Memory must match the log: forget every document this batch touched, whatever
            // failed (the append, or a storage call for a later change).
            for key in touched { sync.documents[key] = nil }
            throw error
        }
        return (accepted, refused)
    }

    /// What a token may read after `cursor`: snapshots of every visible document for a first
    /// sync, otherwise the log's changes in order, at most `limit`.
    func pull(after cursor: Int64, token: TokenRecord, limit: Int, snapshotsAfter: DealID? = nil,
              bootstrapCursor: Int64? = nil) throws -> SyncResponse {
        let latest = try storage.latestSequence
        let dealIDs = try visibleDealIDs(token)
        let kinds = readableKinds(token)
        if cursor == 0 {
            // A first sync: snapshots, a page of deals at a time (at most `limit` documents or
            // about 8 MiB). Every page but the last answers cursor 0 and where to go on; the
            // last answers the log position the first page started at, so nothing committed
            // meanwhile is missed.
            let base = min(bootstrapCursor ?? latest, latest)
            var snapshots: [DocumentSnapshot] = []
            var bytes = 0
            var resumeAfter: DealID?
            let remaining = dealIDs.sorted().filter { id in snapshotsAfter.map { id > $0.rawValue } ?? true }
            for (position, deal) in remaining.enumerated() {
                guard let id = DealID(deal) else { continue }
                for kind in kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
                    let document = try document(deal, kind)
                    guard !document.history.isEmpty else { continue }
                    let blob = document.encodeSnapshot()
                    bytes += blob.count
                    snapshots.append(DocumentSnapshot(deal: id, document: kind, snapshot: blob))
                }
                if position + 1 < remaining.count && (snapshots.count >= limit || bytes >= 8 << 20) {
                    resumeAfter = id
                    break
                }
            }
            var response = SyncResponse(accepted: [], refused: [], snapshots: snapshots, changes: [],
                                        cursor: resumeAfter == nil ? base : 0, more: resumeAfter != nil || base < latest)
            response.snapshotsAfter = resumeAfter
            response.bootstrapCursor = resumeAfter == nil ? nil : base
            return response
        }
        guard !dealIDs.isEmpty else {
            return SyncResponse(accepted: [], refused: [], snapshots: [], changes: [], cursor: max(cursor, latest), more: false)
        }
        let records = try storage.changes(after: cursor, dealIDs: dealIDs, documents: kinds, limit: limit + 1)
        let more = records.count > limit
        let sent = records.prefix(limit)
        let changes = sent.compactMap { record in
            DealID(record.entry.deal).map { LoggedChange(cursor: record.sequence, deal: $0, document: record.entry.document, change: record.entry.blob) }
        }
        let newCursor = more ? (sent.last?.sequence ?? cursor) : max(cursor, latest)
        return SyncResponse(accepted: [], refused: [], snapshots: [], changes: changes, cursor: newCursor, more: more)
    }

    /// Drops the least recently used documents beyond the cache's capacity. Called between
    /// requests only, never while a batch holds documents it has changed.
    func trimDocumentCache() {
        guard sync.documents.count > sync.documentCapacity else { return }
        let excess = sync.documents.count - sync.documentCapacity * 9 / 10
        let oldest = sync.documents.keys.sorted { (sync.lastUse[$0] ?? 0) < (sync.lastUse[$1] ?? 0) }.prefix(excess)
        for key in oldest {
            sync.documents[key] = nil
            sync.lastUse[key] = nil
        }
    }

    /// Suspends until a change is committed or `seconds` pass.
    func waitForNews(seconds: Int) async {
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sync.waiters[id] = (continuation, ContinuousClock.now)
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(seconds))
                await self?.endWait(id)
            }
        }
    }

    private func endWait(_ id: UUID) {
        sync.waiters.removeValue(forKey: id)?.continuation.resume()
    }

    /// Wakes every waiting long-poll after a commit and records the fan-out latency.
    func announce() {
        let committed = ContinuousClock.now
        let waiting = sync.waiters
        sync.waiters = [:]
        for waiter in waiting.values {
            waiter.continuation.resume()
            metrics.fanoutLatency.observe(ContinuousClock.now - committed)
        }
    }
}
