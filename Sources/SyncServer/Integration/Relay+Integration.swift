import CRDT
import DealCardKit
import Foundation

extension Relay {
    /// The replica-binding device key of the relay's own replica: a device that later pushes
    /// a change under that replica is refused as `impersonation`.
    var integrationReplicaDevice: String { "relay:" + sync.replica.description }

    /// An integration write (`POST /v1/integration/deals[/{deal}]`, protocol-spec/integration.md):
    /// plain JSON field updates turned into one change of the relay's own replica.
    ///
    /// In order: the token must have role `integration` (403); `idempotencyKey` must be given
    /// (400); a key this dealership's user already used returns the stored answer without
    /// writing when the request is the same (method, path and body), else 422; the body is
    /// parsed and every field checked with ``CardEditor``'s rules (400/403, nothing written);
    /// the deal must be visible (404), or for a create not exist yet (409). The change is
    /// appended to the log, committed, before the answer; then live devices are woken.
    ///
    /// - Parameters:
    ///   - deal: the deal from the path; nil to create a deal.
    ///   - now: the author time of the change and the log's receive time.
    /// - Returns: the answer's status and JSON body (a replay is byte for byte the first).
    func integrationWrite(body: [UInt8], deal path: String?, idempotencyKey: String?, token: TokenRecord,
                          now: Date = Date()) -> Result<StoredResponse, RelayError> {
        guard !isClosed else { return .failure(Relay.closedError) }
        // Pushes still waiting for their group commit are in the documents in memory: commit
        // them first, so nothing here reads or builds on a change that is not stored yet.
        flushGroupCommit()
        do {
            _ = try noticeCompaction()
        } catch {
            return .failure(RelayError(.unavailable, "the change log cannot be read right now (\(error)); retry"))
        }
        guard token.role == .integration else {
            return .failure(RelayError(.forbidden, "integration writes need a token with role integration (this one has role \(token.role.rawValue))"))
        }
        guard let key = idempotencyKey?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            return .failure(RelayError(.badRequest, "send an Idempotency-Key header (a unique value per logical write, reused on retries)"))
        }
        guard key.utf8.count <= 255 else {
            return .failure(RelayError(.badRequest, "the Idempotency-Key header has at most 255 bytes"))
        }
        let scopedKey = IdempotencyKey(dealership: token.dealership, user: token.user, key: key)
        let digest = Self.integrationRequestDigest(method: "POST", path: "/v1/integration/deals" + (path.map { "/" + $0 } ?? ""), body: body)
        do {
            if let stored = try storage.idempotentResponse(for: scopedKey) {
                // An answer stored before digests were kept has none: it answers any request.
                if let storedDigest = stored.requestDigest, storedDigest != digest {
                    return .failure(RelayError(.idempotencyKeyReused, """
                        Idempotency-Key "\(key.prefix(64))" was already used by \(token.user) for another request \
                        (a different deal or body), whose answer is kept; nothing was written. Send a new key for a new write, \
                        or resend exactly the same request to get the kept answer
                        """))
                }
                return .success(stored)
            }
        } catch {
            return .failure(RelayError(.unavailable, "the relay cannot read its idempotency keys right now (\(error)); nothing was written, retry"))
        }
        let answer: IntegrationAnswer
        do {
            answer = try writeIntegrationChange(body: body, deal: path, token: token, now: now)
        } catch let error as RelayError {
            return .failure(error)
        } catch {
            return .failure(RelayError(.unavailable, "the change log could not be written (\(error)); nothing was stored, retry"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let bytes = try? encoder.encode(answer) else {
            return .failure(RelayError(.internalError, "could not encode the answer"))
        }
        let response = StoredResponse(status: 200, body: Array(bytes), requestDigest: digest)
        // The change is durable already; if the key cannot be stored, a retry writes the same
        // values again as a new change, which converges to the same card.
        try? storage.storeIdempotentResponse(response, for: scopedKey, at: now)
        return .success(response)
    }

    /// The SHA-256 that tells one integration request from another under the same key:
    /// the method and the path, each preceded by its length in UTF-8 bytes (8 bytes, big
    /// endian) so that no two (method, path, body) triples run together, then the body.
    static func integrationRequestDigest(method: String, path: String, body: [UInt8]) -> [UInt8] {
        var hash = SHA256()
        for part in [method, path] {
            let bytes = Array(part.utf8)
            hash.update(withUnsafeBytes(of: UInt64(bytes.count).bigEndian, Array.init))
            hash.update(bytes)
        }
        hash.update(body)
        return hash.finalize()
    }

    /// Checks the request, makes the change and appends it to the log.
    /// - Throws: ``RelayError`` for the client's mistakes; storage errors as they come.
    private func writeIntegrationChange(body: [UInt8], deal path: String?, token: TokenRecord, now: Date) throws -> IntegrationAnswer {
        let write = try IntegrationWrite(body: body, creating: path == nil)
        let (kind, edits) = try write.edits(schema: sync.schema, role: .integration)
        let deal: DealID
        if let path {
            guard let id = DealID(path), let record = try storage.deal(dealership: token.dealership, id: id), canSee(record, token) else {
                throw RelayError(.notFound, "no deal \(path) is visible to this token; create it with POST /v1/integration/deals")
            }
            deal = id
        } else {
            deal = write.deal ?? DealID.random()
            try registerNewDeal(deal, kind: kind ?? .shared, token: token, now: now)
        }
        let documentKind = kind ?? .shared
        let entry = try documentEntry(token.dealership, deal, documentKind)
        let document = entry.document
        let author = ChangeAuthor(user: token.user, role: .integration, device: token.device ?? "integration", channel: .integration,
                                  time: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))
        let editor = CardEditor(schema: sync.schema, role: .integration)
        let isNew = !document.hasChanges
        let key = RelaySyncState.DocumentKey(dealership: token.dealership, deal: deal, document: documentKind)
        let change: Change?
        do {
            change = try document.change(metadata: author.encoded()) { tx in
                // As a device does on its first edit: the containers every later edit lands in.
                if isNew { try editor.createContainers(document: documentKind, in: document, tx) }
                for edit in edits {
                    switch edit {
                    case .set(let spec, let value): try editor.set(spec.path, value, in: document, tx)
                    case .clear(let spec): try editor.clear(spec.path, in: document, tx)
                    case .addRecord(let spec, let record): try editor.addRecord(spec.path, record, in: document, tx)
                    }
                }
            }
        } catch let error as CardError {
            // The checks above make this unreachable for the built-in rules; answer it anyway.
            if case .permission(let refusal) = error { throw RelayError(.forbidden, "\(refusal)") }
            throw RelayError(.badRequest, "\(error)")
        }
        guard let change else {
            return IntegrationAnswer(deal: deal, change: nil, cursor: try storage.latestPosition)
        }
        let records: [LogRecord]
        let blob = change.encoded()
        do {
            // The relay's own change passes what a pushed one must before it is stored: it must
            // decode to itself, keep the write rules and fit the budgets (the document already
            // holds it, so the document check counts what it held before).
            guard let decoded = try? Change(encoded: blob), decoded == change else {
                throw RelayError(.internalError, "the integration change does not decode to itself; nothing was stored (a relay bug: report it)")
            }
            do {
                // The write rules too (the document holds the change already, which the rules
                // allow for: what the change creates it may use, and it has not seen itself).
                try ChangeValidator(schema: sync.schema).validate(change, role: .integration, kind: documentKind, in: document)
            } catch {
                throw RelayError(.internalError, "the integration change breaks the write rules (\(error)); nothing was stored (a relay bug: report it)")
            }
            do {
                try sync.budget.check(change, encodedBytes: blob.count)
                try sync.budget.checkDocument(storedBytes: entry.storedBytes, maxCounter: change.startOp - 1, adding: change, encodedBytes: blob.count)
            } catch {
                throw RelayError(.tooLarge, "\(error.reason); nothing was stored")
            }
            try bindIntegrationReplica(user: token.user, now: now)
            // The deal's analytics row from its documents with the change: in the same transaction.
            let row = try analyticsRow(token.dealership, deal)
            records = try storage.appendChanges([NewLogEntry(
                dealership: token.dealership, deal: deal, document: documentKind, replica: change.replica, changeSequence: change.seq,
                blob: blob, author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel),
                receivedAt: now)], analytics: [row])
            entry.storedBytes += blob.count
        } catch {
            // Memory must match the log: the next use rebuilds the document from the log.
            sync.cache.remove(key)
            throw error
        }
        metrics.changesAccepted.increment()
        announce([key])
        let cursor = try records.first?.position ?? storage.latestPosition
        return IntegrationAnswer(deal: deal, change: .init(document: documentKind, replica: change.replica.description, seq: change.seq),
                                 cursor: cursor)
    }

    /// Registers a deal an integration creates, or refuses an id that is taken.
    ///
    /// A registered deal without any change (left by a create whose log append failed) is
    /// taken over, so such a create can simply be retried.
    private func registerNewDeal(_ deal: DealID, kind: DealDocumentKind, token: TokenRecord, now: Date) throws {
        guard kind == .shared else {
            throw RelayError(.badRequest, "a new deal starts with shared-card fields; write staff-card fields in a second request")
        }
        if let scope = token.deal, scope != deal.rawValue {
            throw RelayError(.forbidden, "this token is limited to deal \(scope) and may not create another")
        }
        if let existing = try storage.deal(dealership: token.dealership, id: deal) {
            // Only this connector's own unfinished create is taken over: never a row someone
            // else registered (whose buyer would then read what the connector writes).
            let isEmpty = canSee(existing, token) && existing.createdBy == token.user && existing.buyerUser == nil
                && DealDocumentKind.allCases.allSatisfy { (try? !document(token.dealership, deal, $0).hasChanges) ?? false }
            guard isEmpty else {
                throw RelayError(.conflict, "deal \(deal) already exists; update it with POST /v1/integration/deals/\(deal), or omit \"deal\" to get a new id")
            }
            return
        }
        try storage.insertDeal(DealRecord(id: deal, dealership: token.dealership, buyerUser: nil, createdAt: now, createdBy: token.user))
    }

    /// Binds the relay's replica to itself before its first change, so that no device can
    /// claim it later.
    private func bindIntegrationReplica(user: String, now: Date) throws {
        guard !sync.isReplicaBound else { return }
        let binding = try storage.bindReplica(sync.replica, device: integrationReplicaDevice, user: user, at: now)
        guard binding.device == integrationReplicaDevice else {
            throw RelayError(.internalError, "the relay's replica \(sync.replica) is bound to device \(binding.device); restart the relay to pick a new one")
        }
        sync.isReplicaBound = true
    }
}
