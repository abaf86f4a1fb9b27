import CRDT
import DealCardKit
import SyncProtocol
import Foundation

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
        Relay.canSee(deal, token)
    }

    /// See ``canSee(_:_:)``.
    static func canSee(_ deal: DealRecord, _ token: TokenRecord) -> Bool {
        guard deal.dealership == token.dealership else { return false }
        if let scope = token.deal { return scope == deal.id.rawValue }
        if token.role == .buyer && !token.isRelay { return deal.buyerUser == token.user }
        return true
    }

    /// The deals a token may see, as a filter of the log: nil for a token of the whole
    /// dealership (the log's dealership filter says it all, with no list of ids to read and
    /// pass, O(deals) a pull); a buyer's and a deal-scoped token's few deals otherwise.
    func visibleDealIDs(_ token: TokenRecord) throws -> Set<DealID>? {
        switch dealSelection(token) {
        case .dealership:
            return nil
        case .none:
            return []
        case .deal(let dealership, let scope):
            guard let deal = try storage.deal(dealership: dealership, id: scope), canSee(deal, token) else { return [] }
            return [scope]
        case .buyer(let dealership, let user):
            return Set(try storage.dealIDs(dealership: dealership, buyerUser: user))
        }
    }

    /// Bytes of change and snapshot blobs one answer carries at most (one item always goes,
    /// whatever it weighs, so a device always makes progress).
    static let answerBytes = 4 << 20

    /// `POST /v1/sync` with the push decoded here; see ``sync(_:decoded:token:)``.
    public func sync(_ request: SyncRequest, token: TokenRecord) async -> Result<SyncResponse, RelayError> {
        switch await sync(request, decoded: DecodedPush.decode(request.push), token: token) {
        case .failure(let error): return .failure(error)
        case .success(.ready(let response)): return Relay.snapshotsReadable(response, formats: request.snapshotFormats)
        case .success(.waiting(let ticket)):
            switch await outcome(of: ticket) {
            case .answered(let answer): return .success(answer.response)
            case .failed(let error): return .failure(error)
            case .abandoned: return .failure(Relay.abandonedError)
            }
        }
    }

    /// The snapshot format versions a relay can answer in: the current one, and 1 for
    /// devices from before it.
    static let writtenSnapshotFormats = [1, Int(BlobKind.snapshot.currentVersion)]

    /// `response` with every snapshot in a format the device reads (`formats`, absent:
    /// version 1 only, a device from before version 2). Stored snapshots are of the current
    /// version; for a device that cannot read it, each is loaded and written again as
    /// version 1 (larger: the answer's byte budget was counted on the stored ones). Pure, so
    /// the HTTP route runs it off the actor. Only ``Relay/sync(_:decoded:token:)``'s answers
    /// carry snapshots; a long-poll's shared answer holds changes only.
    nonisolated static func snapshotsReadable(_ response: SyncResponse, formats: [Int]?) -> Result<SyncResponse, RelayError> {
        let current = Int(BlobKind.snapshot.currentVersion)
        let readable = formats ?? [1]
        guard !readable.contains(current), !response.snapshots.isEmpty else { return .success(response) }
        var rewritten = response
        for index in rewritten.snapshots.indices {
            let item = rewritten.snapshots[index]
            guard let blob = Data(base64Encoded: item.snapshot).map(Array.init) else {
                return .failure(RelayError(.internalError, "the stored snapshot of \(item.deal)/\(item.document.rawValue) is not base64"))
            }
            do {
                guard try Document.snapshotFormatVersion(blob) != 1 else { continue }
                let document = try Document(snapshot: blob)
                guard document.horizon.isEmpty else {
                    return .failure(RelayError(.badRequest, "deal \(item.deal)'s history was compacted, so its snapshot exists only in format 2, and this device reads only format 1 (it sent no snapshotFormats): update the app"))
                }
                rewritten.snapshots[index] = DocumentSnapshot(deal: item.deal, document: item.document,
                                                              snapshot: try document.encodeSnapshotVersion1())
            } catch {
                return .failure(RelayError(.internalError, "the stored snapshot of \(item.deal)/\(item.document.rawValue) cannot be read to write it as version 1: \(error)"))
            }
        }
        return .success(rewritten)
    }

    /// The answer to a long-poll whose request went away (nobody reads it).
    static let abandonedError = RelayError(.unavailable, "the request was cancelled while it waited")

    /// `POST /v1/sync`: validates and stores the pushed changes, then answers with what the
    /// token may read after the request's cursor (snapshots for a first sync), holding the
    /// request up to `wait` seconds when there is nothing new.
    ///
    /// A held request is answered ``SyncAnswer/waiting(_:)``: the caller awaits the ticket
    /// off the actor (``outcome(of:)``), so that waking it costs this actor nothing per request.
    ///
    /// `decoded` is the request's push decoded off the actor (``DecodedPush``); `request.push`
    /// itself is not read.
    func sync(_ request: SyncRequest, decoded: DecodedPush, token: TokenRecord) async -> Result<SyncAnswer, RelayError> {
        guard !isClosed else { return .failure(Relay.closedError) }
        guard request.protocolVersion == syncProtocolVersion else {
            return .failure(RelayError(.badRequest, "protocol \(request.protocolVersion) is not spoken here; this relay speaks protocol \(syncProtocolVersion)"))
        }
        guard request.cursor >= .start, (0...30).contains(request.wait) else {
            return .failure(RelayError(.badRequest, "cursor must be ≥ 0 and wait within 0…30 seconds"))
        }
        if let limit = request.limit, !(1...10_000).contains(limit) {
            return .failure(RelayError(.badRequest, "limit must be within 1…10000 (got \(limit))"))
        }
        if !request.cursor.isStart && (request.snapshotsAfter != nil || request.bootstrapCursor != nil) {
            return .failure(RelayError(.badRequest, "snapshotsAfter and bootstrapCursor belong to a first sync (cursor 0) only; send them back as the answer gave them"))
        }
        if let days = request.closedDealDays {
            guard request.cursor.isStart else {
                return .failure(RelayError(.badRequest, "closedDealDays belongs to a first sync (cursor 0) only; to get an older deal later, name it in fetch"))
            }
            guard (0...Relay.maxClosedDealDays).contains(days) else {
                return .failure(RelayError(.badRequest, "closedDealDays must be within 0…\(Relay.maxClosedDealDays) days (got \(days))"))
            }
        }
        let fetch = request.fetch ?? []
        if !fetch.isEmpty {
            guard !request.cursor.isStart else {
                return .failure(RelayError(.badRequest, "fetch belongs to a later sync (cursor > 0); a first sync sends the deals itself, so sync first and fetch after"))
            }
            guard fetch.count <= SyncRequest.maxFetch else {
                return .failure(RelayError(.badRequest, "fetch names at most \(SyncRequest.maxFetch) deals (got \(fetch.count)); ask for the rest in the next request"))
            }
        }
        if let formats = request.snapshotFormats {
            guard !formats.isEmpty, formats.allSatisfy({ (1...255).contains($0) }) else {
                return .failure(RelayError(.badRequest, "snapshotFormats must list snapshot format versions (1…255) the device reads, at least one (got \(formats)); leave it out to get version 1"))
            }
            guard formats.contains(where: { Relay.writtenSnapshotFormats.contains($0) }) else {
                return .failure(RelayError(.badRequest, "snapshotFormats \(formats) names no snapshot format this relay writes (\(Relay.writtenSnapshotFormats.map(String.init).joined(separator: ", "))); update the relay or send a version it writes"))
            }
        }
        if let base = request.bootstrapCursor, base < .start {
            return .failure(RelayError(.badRequest, "bootstrapCursor must be ≥ 0 (got \(base)); send back the value of the previous answer"))
        }
        let latest: LogPosition
        do {
            latest = try storage.latestPosition
        } catch {
            return .failure(RelayError(.unavailable, "the change log cannot be read right now (\(error)); retry"))
        }
        if request.cursor > latest {
            return .failure(RelayError(.cursorAhead, "cursor_ahead: cursor \(request.cursor) is past this relay's log (\(latest)); its data was replaced: sync again from cursor 0"))
        }
        let compacted: LogPosition
        do {
            compacted = try noticeCompaction()
        } catch {
            return .failure(RelayError(.unavailable, "the change log cannot be read right now (\(error)); retry"))
        }
        if !request.cursor.isStart {
            if request.cursor < compacted { return .failure(Self.historyCompacted(through: compacted, cursor: request.cursor)) }
        }
        if let base = request.bootstrapCursor, base > latest {
            return .failure(RelayError(.cursorAhead, "cursor_ahead: bootstrapCursor \(base) is past this relay's log (\(latest)); its data was replaced: sync again from cursor 0"))
        }
        guard decoded.count <= 5_000 else {
            return .failure(RelayError(.badRequest, "at most 5000 changes per push; send the rest in the next request"))
        }
        let limit = min(request.limit ?? 2_000, 10_000)
        if request.wait > 0 && decoded.count == 0 && fetch.isEmpty && !request.cursor.isStart && request.cursor == latest {
            // Nothing is after the log's last position: wait without reading the deals and the
            // log (every watcher polls again at once after a fan-out).
            return .success(.waiting(waitForNews(token: token, cursor: request.cursor, limit: limit, seconds: request.wait)))
        }
        let accepted: [ChangeRef]
        let refused: [RefusedChange]
        do {
            (accepted, refused) = try await push(decoded, token: token)
        } catch let error as RelayError {
            return .failure(error)
        } catch {
            return .failure(RelayError(.unavailable, "the change log could not be written (\(error)); nothing was stored, retry"))
        }
        do {
            var response: SyncResponse
            if request.cursor.isStart {
                // A first sync's page is read off the actor (``firstSyncPageOffActor``).
                flushGroupCommit()
                let latest = try storage.latestPosition
                response = try await firstSyncPageOffActor(
                    token: token, limit: limit, snapshotsAfter: request.snapshotsAfter,
                    base: min(request.bootstrapCursor ?? latest, latest), latest: latest,
                    closedDealDays: firstSyncWindow(request.closedDealDays, token: token))
            } else {
                response = try pull(after: request.cursor, token: token, limit: limit, fetch: fetch)
                // A compaction by another process may have committed since the check above, and
                // taken entries after the cursor out of what was just read: then say so (what
                // was pushed is stored; the device pushes it again after its first sync, and the
                // relay acknowledges it as already there).
                let compacted = try storage.compactedThrough
                if request.cursor < compacted { return .failure(Self.historyCompacted(through: compacted, cursor: request.cursor)) }
            }
            // A first sync's later page is never held (its answer ends the first sync); a bare
            // first sync with nothing to send is, with its window (a live device on an empty
            // dealership waits there).
            if request.wait > 0 && decoded.count == 0 && fetch.isEmpty && request.snapshotsAfter == nil
                && response.changes.isEmpty && response.snapshots.isEmpty {
                // Nothing pushed, so nothing accepted or refused: the answer is the pull's alone.
                trimDocumentCache()
                return .success(.waiting(waitForNews(token: token, cursor: request.cursor, limit: limit, seconds: request.wait,
                                                     closedDealDays: request.cursor.isStart ? request.closedDealDays : nil)))
            }
            response.accepted = accepted
            response.refused = refused
            trimDocumentCache()
            return .success(.ready(response))
        } catch RelayStorageError.storeClosed {
            // Closed while a first sync's page was read off the actor.
            return .failure(Relay.closedError)
        } catch {
            return .failure(RelayError(.internalError, "reading the change log failed: \(error)"))
        }
    }

    /// The answer to a cursor behind the history compacted through `position`.
    static func historyCompacted(through position: LogPosition, cursor: LogPosition) -> RelayError {
        RelayError(.historyCompacted, "history_compacted: this relay compacted its history through log position \(position) and cursor \(cursor) is behind it: sync again from cursor 0 (the device keeps its unsent changes, and re-makes those made before the horizon)")
    }

    /// The closed-deal window of a first sync asking for `days` (nil: the default): none for a
    /// relay token, which gets every deal.
    func firstSyncWindow(_ days: Int?, token: TokenRecord) -> Int? {
        token.isRelay ? nil : days ?? Relay.defaultClosedDealDays
    }

    /// What a token may read after `cursor`: snapshots of every visible document for a first
    /// sync, otherwise the log's changes in order, at most `limit`.
    ///
    /// - Parameters:
    ///   - closedDealDays: a first sync's window for closed deals (nil: ``defaultClosedDealDays``;
    ///     a relay token gets every deal).
    ///   - fetch: deals to send whole besides the changes (a later sync only).
    func pull(after cursor: LogPosition, token: TokenRecord, limit: Int, snapshotsAfter: DealID? = nil,
              bootstrapCursor: LogPosition? = nil, closedDealDays: Int? = nil, fetch: [DealID] = [],
              now: Date = Date()) throws -> SyncResponse {
        // Pushes still waiting for their group commit are in the documents in memory: commit
        // them first, so nothing here reads or builds on a change that is not stored yet.
        flushGroupCommit()
        let latest = try storage.latestPosition
        if cursor.isStart {
            // A first sync: snapshots, a page of deals at a time (at most `limit` deals, each
            // with every document the token reads, or fewer: about `answerBytes`, or what
            // `timeBudget` allows), read from the stored snapshots. Every page but the last
            // answers cursor 0 and where to go on; the last answers the log position the first
            // page started at, so nothing committed meanwhile is missed.
            return try firstSyncPage(token: token, limit: limit, snapshotsAfter: snapshotsAfter,
                                     base: min(bootstrapCursor ?? latest, latest), latest: latest,
                                     closedDealDays: firstSyncWindow(closedDealDays, token: token), now: now)
        }
        // Deals asked for go first, whole; the changes fill what is left of the answer.
        let fetched = try fetchedDeals(fetch, token: token, latest: latest)
        let dealIDs = try visibleDealIDs(token)
        let kinds = readableKinds(token)
        guard dealIDs?.isEmpty != true else {
            var response = SyncResponse(accepted: [], refused: [], snapshots: [], changes: [], cursor: max(cursor, latest), more: false)
            response.unknownDeals = fetch.isEmpty ? nil : fetched.unknown
            return response
        }
        let maxBytes = max(Relay.answerBytes - fetched.bytes, 1)
        let records = try storage.changes(after: cursor, dealership: token.dealership, dealIDs: dealIDs, documents: kinds, limit: limit + 1, maxBytes: maxBytes)
        // More may wait when a row beyond `limit` came back, or when the byte budget may have
        // stopped the read early (a last empty answer is harmless).
        let more = records.count > limit || records.reduce(0) { $0 + $1.entry.blob.count } >= maxBytes
        let read = records.prefix(limit)
        // The cursor moves past entries set aside just now, like past any other read.
        let sent = try servable(Array(read))
        let changes = sent.map { record in
            LoggedChange(cursor: record.position, deal: record.entry.deal, document: record.entry.document, change: record.entry.blob)
        }
        let newCursor = more ? (read.last?.position ?? cursor) : max(cursor, latest)
        var response = SyncResponse(accepted: [], refused: [], snapshots: fetched.snapshots, changes: changes, cursor: newCursor,
                                    more: more || fetched.isCut)
        response.unknownDeals = fetch.isEmpty ? nil : fetched.unknown
        return response
    }
}
