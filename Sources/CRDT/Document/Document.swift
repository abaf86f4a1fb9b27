/// A CRDT document: a tree of maps, lists, texts, counters and registers rooted at a map,
/// with the history of changes that built it.
///
/// Replicas that have applied the same changes, in any order and with duplicates, have the
/// same state and encode byte-identical snapshots. Local edits are made in a
/// ``change(metadata:_:)`` transaction; remote changes go through ``apply(_:)``, which holds
/// back any change whose dependencies have not arrived.
///
/// A document is a reference type with one owner: it is not `Sendable`; share the encoded
/// changes and snapshots, not the object.
public final class Document {
    /// The replica this document makes local changes as.
    public let replica: ReplicaID

    enum Object {
        case map(MapObject)
        case sequence(SequenceObject)

        var kind: ObjectKind {
            switch self {
            case .map: .map
            case .sequence(let sequence): sequence.kind
            }
        }
    }

    var objects: [ObjectID: Object] = [:]
    /// Where each object (but the root) was created: its parent object and the key there.
    var parents: [ObjectID: (object: ObjectID, key: Key)] = [:]
    /// The changes applied so far, in the order applied (always a causal order).
    ///
    /// A document loaded from a version 2 snapshot keeps the changes it loaded encoded until
    /// they are first asked for (here, ``changes(since:)``, ``change(_:)`` or a new
    /// snapshot): loading builds the state and the per-replica spans without making a
    /// `Change` value per change. Use ``historyCount`` to count them without decoding.
    public var history: [Change] {
        if encodedHistory != nil { decodeHistory() }
        return appliedChanges
    }
    /// The ids of the applied changes, in `history`'s order, without decoding a loaded history.
    public var historyIDs: [ChangeID] {
        var ids = [ChangeID](repeating: ChangeID(replica: replica, seq: 0), count: historyCount)
        for (author, list) in positions {
            let first = horizon.seqs[author] + 1
            for (index, position) in list.enumerated() { ids[position] = ChangeID(replica: author, seq: first + UInt64(index)) }
        }
        return ids
    }

    /// The number of changes applied, without decoding a loaded history.
    public var historyCount: Int { (encodedHistory?.count ?? 0) + appliedChanges.count }

    /// Whether the document holds any change: one in its history, or one compacted into its
    /// state before its horizon (a document loaded from a shallow snapshot may have no
    /// history at all and still hold a whole deal).
    public var hasChanges: Bool { historyCount > 0 || !horizon.isEmpty }

    /// Every change applied, those compacted into the state included (``historyCount``
    /// counts only the history held).
    public var appliedChangeCount: Int { version.entries.values.reduce(0) { $0 + Int(clamping: $1) } }
    /// The applied changes in `history` after the ones `encodedHistory` still holds.
    private var appliedChanges: [Change] = []
    /// The first changes of `history`, as a version 2 snapshot held them, until decoded.
    private var encodedHistory: EncodedHistory?
    /// Per replica, the op-counter span of each of its changes after the horizon (index
    /// seq - 1 - horizon seq: seq - 1 for a document with its whole history).
    private(set) var spans: [ReplicaID: [(start: UInt64, end: UInt64)]] = [:]
    /// Per replica, the position in `history` of each of its changes (indexed as `spans`).
    private var positions: [ReplicaID: [Int]] = [:]
    /// The changes a shallow snapshot left out (``Horizon``); empty for a document that holds
    /// its whole history.
    public private(set) var horizon = Horizon()
    /// Changes from before the horizon that the shallow snapshot kept (``encodeSnapshot(horizon:retaining:)``),
    /// in canonical order: their ops are in the state; they are read for what they say about
    /// it (who wrote a value, when), by ``change(containing:)``, and are never sent or applied.
    public private(set) var retainedChanges: [Change] = []
    /// The shallow snapshot this document was loaded from, and how many changes of
    /// `history` it held: the base ``rebuild()`` starts from, since the changes before the
    /// horizon cannot be replayed.
    private var shallowBase: (snapshot: [UInt8], changes: Int)?
    /// Changes received before their dependencies, by id.
    private(set) var pending: [ChangeID: Change] = [:]
    /// Which changes have been applied.
    public private(set) var version = VersionVector()
    /// `version` without this replica's own entry: the deps of its next local change (kept
    /// up to date so that a local change does not copy the version).
    private(set) var othersVersion = VersionVector()
    /// The greatest op counter applied so far.
    public private(set) var maxCounter: UInt64 = 0
    /// How many times the state was rebuilt from the history to undo a change that failed
    /// halfway (``precheck(_:)`` makes that a safety net: for tests and diagnostics).
    private(set) var rebuilds = 0

    /// An empty document (just the root map) that makes changes as `replica`.
    public init(replica: ReplicaID = .random()) {
        precondition(replica.rawValue != 0, "replica 0 is reserved for the root object")
        self.replica = replica
        objects[.root] = .map(MapObject())
    }

    /// A document whose state a version 2 snapshot held: `history` stays encoded until it is
    /// asked for. The caller (``SnapshotDecoder``) has checked that the history is causally
    /// consistent and that the state's ids are ops of it.
    init(replica: ReplicaID, loaded state: LoadedState, from snapshot: [UInt8]? = nil) {
        precondition(replica.rawValue != 0, "replica 0 is reserved for the root object")
        self.replica = replica
        horizon = state.horizon
        if !horizon.isEmpty, let snapshot { shallowBase = (snapshot, state.history.count) }
        adopt(state)
    }

    /// Takes a loaded snapshot's state, history and version as this document's.
    private func adopt(_ state: LoadedState) {
        objects = state.objects
        parents = state.parents
        spans = state.spans
        positions = state.positions
        version = state.version
        othersVersion = state.version
        othersVersion[replica] = 0
        maxCounter = state.maxCounter
        retainedChanges = state.retained
        if let changes = state.changes {
            appliedChanges = changes
            encodedHistory = nil
        } else {
            appliedChanges = []
            encodedHistory = state.history.count > 0 ? state.history : nil
        }
    }

    /// Turns the loaded, still encoded changes into `Change` values, once.
    private func decodeHistory() {
        guard let encoded = encodedHistory else { return }
        encodedHistory = nil
        do {
            appliedChanges = try encoded.decode(contentFrom: self) + appliedChanges
        } catch {
            preconditionFailure("a snapshot history that was checked on load no longer decodes: \(error)")
        }
    }

    /// A document holding `changes`, making new changes as `replica`.
    public convenience init(replica: ReplicaID = .random(), changes: [Change]) {
        self.init(replica: replica)
        apply(changes)
    }

    /// A copy that makes its changes as another replica (a fork for a new device or branch).
    ///
    /// - Complexity: replays the history: O(total ops).
    public func fork(as replica: ReplicaID = .random()) -> Document {
        if !horizon.isEmpty {
            // The changes before the horizon cannot be replayed: copy through a snapshot.
            do {
                let copy = try Document(snapshot: encodeSnapshot(), replica: replica)
                copy.pending = pending
                return copy
            } catch {
                preconditionFailure("a document's own shallow snapshot does not load: \(error)")
            }
        }
        let copy = Document(replica: replica)
        for change in history { copy.record(change) }
        copy.pending = pending
        return copy
    }

    /// The ids of changes waiting for dependencies that have not arrived.
    public var pendingChanges: [ChangeID] { pending.keys.sorted() }

    /// The changes waiting for dependencies, by id.
    public var pendingChangeValues: [Change] { pending.keys.sorted().map { pending[$0]! } }

    /// The changes a peer whose version is `version` lacks, in a causal order.
    ///
    /// A document whose history starts after a horizon holds no change before it: for a
    /// peer behind the horizon (``isBehindHorizon(_:)``), these changes are not enough (they
    /// depend on changes the peer lacks and this document no longer has); send it a snapshot.
    public func changes(since version: VersionVector) -> [Change] {
        var positionsWanted: [Int] = []
        for (replica, list) in positions {
            let seen = Int(clamping: version[replica]) - Int(clamping: horizon.seqs[replica])
            if seen < list.count { positionsWanted.append(contentsOf: list[max(seen, 0)...]) }
        }
        positionsWanted.sort()
        let all = history
        return positionsWanted.map { all[$0] }
    }

    /// Whether a peer at `version` lacks changes that this document compacted away: it
    /// cannot be brought up to date with ``changes(since:)``, only with a snapshot.
    public func isBehindHorizon(_ version: VersionVector) -> Bool { !horizon.seqs.isIncluded(in: version) }

    /// The change with this id, if applied and after the horizon.
    public func change(_ id: ChangeID) -> Change? {
        let first = horizon.seqs[id.replica] + 1
        guard id.seq >= first, let list = positions[id.replica], id.seq - first < UInt64(list.count) else { return nil }
        return history[list[Int(id.seq - first)]]
    }

    /// ``end(of:seq:)`` for a change known to be applied at or after the horizon.
    func horizonEnd(of replica: ReplicaID, seq: UInt64) -> UInt64 { end(of: replica, seq: seq)! }

    /// One past the last op counter of change `seq` of `replica` (applied), or nil when that
    /// change is before the horizon and not the last one there.
    private func end(of replica: ReplicaID, seq: UInt64) -> UInt64? {
        let compacted = horizon.isEmpty ? 0 : horizon.seqs[replica]
        if seq <= compacted { return seq == compacted ? horizon.ends[replica] : nil }
        guard let list = spans[replica], seq - compacted <= UInt64(list.count) else { return nil }
        return list[Int(seq - compacted - 1)].end
    }

    /// The applied change that holds op `id`, if any.
    ///
    /// - Complexity: O(log c) in the author's change count.
    public func change(containing id: OpID) -> Change? {
        if horizon.isBefore(id) {
            // Compacted away, unless the shallow snapshot kept it.
            return retainedChanges.first { $0.replica == id.replica && $0.startOp <= id.counter && id.counter < $0.endOp }
        }
        guard let list = spans[id.replica], !list.isEmpty, let positionList = positions[id.replica] else { return nil }
        var low = 0
        var high = list.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if list[mid].start <= id.counter { low = mid } else { high = mid - 1 }
        }
        guard list[low].start <= id.counter && id.counter < list[low].end else { return nil }
        return history[positionList[low]]
    }

    // MARK: Applying

    /// Applies a change that the caller knows is valid and ready (its own, or replayed).
    func record(_ change: Change) {
        do {
            try applyOps(of: change, checked: false)
        } catch {
            preconditionFailure("a recorded change failed to apply: \(error)")
        }
        commit(change)
    }

    /// Adds an applied change to the history and version.
    func commit(_ change: Change) {
        positions[change.replica, default: []].append(historyCount)
        spans[change.replica, default: []].append((change.startOp, change.endOp))
        appliedChanges.append(change)
        version[change.replica] = change.seq
        if change.replica != replica { othersVersion[change.replica] = change.seq }
        maxCounter = max(maxCounter, change.endOp - 1)
    }

    /// Applies each op of `change`; `checked` validates references against the causal past.
    func applyOps(of change: Change, checked: Bool) throws(CRDTError) {
        var counter = change.startOp
        for (number, op) in change.ops.enumerated() {
            let id = OpID(counter: counter, replica: change.replica)
            do {
                try apply(op, id: id, change: checked ? change : nil)
            } catch {
                throw CRDTError.invalidChange(change.id, reason: "op \(number) (\(id)): \(error.message)")
            }
            counter += op.width
        }
    }

    /// Rebuilds the state from the history: the undo path after a failed change.
    ///
    /// - Complexity: O(total ops); taken only when a change fails halfway.
    func rebuild() {
        rebuilds += 1
        if let base = shallowBase {
            // The changes before the horizon are gone: start again from the shallow snapshot
            // and replay what was applied after loading it.
            let later = Array(history.dropFirst(base.changes))
            let loaded: LoadedState
            do {
                loaded = try SnapshotDecoder.decode(Blob.openAnyVersion(base.snapshot, as: .snapshot).0)
            } catch {
                preconditionFailure("the shallow snapshot this document was loaded from no longer loads: \(error)")
            }
            adopt(loaded)
            for change in later { record(change) }
            return
        }
        let changes = history
        objects = [.root: .map(MapObject())]
        parents = [:]
        appliedChanges = []
        spans = [:]
        positions = [:]
        version = VersionVector()
        othersVersion = VersionVector()
        maxCounter = 0
        for change in changes { record(change) }
    }

    /// Whether `id` is an op of a change that `change` depends on (or an earlier op of
    /// `change` itself than `current`).
    func isInCausalPast(_ id: OpID, of change: Change, before current: OpID) -> Bool {
        if id.counter == 0 { return id.replica.rawValue == 0 }
        if id.replica == change.replica && id.counter >= change.startOp { return id.counter < current.counter }
        let limitSeq = id.replica == change.replica ? change.seq - 1 : change.deps[id.replica]
        let compacted = horizon.isEmpty ? 0 : horizon.seqs[id.replica]
        if compacted > 0 && id.counter < horizon.ends[id.replica]! {
            // Before the horizon: in the causal past exactly when the change has seen the
            // horizon (the op itself is checked to exist where it is used).
            return limitSeq >= compacted
        }
        let limit = Int(clamping: limitSeq) - Int(clamping: compacted)
        guard limit > 0, let list = spans[id.replica], limit <= list.count else { return false }
        var low = 0
        var high = limit - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if list[mid].start <= id.counter { low = mid } else { high = mid - 1 }
        }
        return list[low].start <= id.counter && id.counter < list[low].end
    }

    /// Refuses a change that names an op outside its causal past, before anything is
    /// changed (so a forged change costs a scan of its ops, not a rebuild of the document).
    private func checkReferences(of change: Change) throws(CRDTError) {
        var counter = change.startOp
        for (number, op) in change.ops.enumerated() {
            let id = OpID(counter: counter, replica: change.replica)
            counter += op.width
            // Checked one by one, with no array per op (this runs for every received op).
            func check(_ reference: OpID) throws(CRDTError) {
                guard isInCausalPast(reference, of: change, before: id) else {
                    throw .invalidChange(change.id, reason: "op \(number) (\(id)): \(reference) is not in the change's causal past")
                }
            }
            try check(op.object.op)
            switch op.action {
            case .set(let key, _, let pred), .delete(let key, let pred):
                if case .element(let element) = key { try check(element) }
                for reference in pred { try check(reference) }
            case .increment(let key, let target, _):
                if case .element(let element) = key { try check(element) }
                try check(target)
            case .insert(let origin, _), .insertText(let origin, _):
                if let origin { try check(origin) }
            case .deleteRun(let start, let count):
                guard count >= 1, count <= UInt64(Int32.max), start.counter <= UInt64.max - count else {
                    throw .invalidChange(change.id, reason: "op \(number) (\(id)): bad delete count \(count)")
                }
                try check(start.advanced(by: count - 1))
            }
        }
    }

    /// What ``apply(_:)`` did with a batch of changes.
    public struct ApplyReport: Sendable, Equatable {
        /// Changes applied now, in the order applied (including ones released from pending).
        public var applied: [ChangeID] = []
        /// Changes already applied before (ignored).
        public var duplicates: [ChangeID] = []
        /// Changes held back until their dependencies arrive.
        public var pending: [ChangeID] = []
        /// Changes refused as malformed, with the reason; they changed nothing.
        public var refused: [CRDTError] = []

        public init() {}
    }

    /// Applies received changes in any order: each is applied whole once its dependencies are
    /// in, held in the pending set until then, ignored if already applied, and refused whole
    /// (reported, nothing changed) if malformed.
    @discardableResult
    public func apply(_ changes: some Sequence<Change>) -> ApplyReport {
        var report = ApplyReport()
        for change in changes {
            if change.seq >= 1 && change.seq <= version[change.replica] {
                report.duplicates.append(change.id)
            } else if pending[change.id] != nil {
                report.duplicates.append(change.id)
            } else if pending.isEmpty && change.seq == version[change.replica] + 1 && change.deps.isIncluded(in: version) {
                // In causal order with nothing waiting: apply at once (the common case).
                do {
                    try applyRemote(change)
                    report.applied.append(change.id)
                } catch {
                    report.refused.append(error)
                }
            } else {
                pending[change.id] = change
            }
        }
        drainPending(into: &report)
        report.pending = pending.keys.sorted()
        return report
    }

    /// Applies every pending change that has become ready, repeatedly.
    ///
    /// - Complexity: O(p · r) for p pending changes from r replicas when they arrive in
    ///   order per replica; each pass applies every ready run of each replica.
    private func drainPending(into report: inout ApplyReport) {
        var progress = true
        while progress && !pending.isEmpty {
            progress = false
            for replica in Set(pending.keys.map(\.replica)).sorted() {
                while true {
                    let next = ChangeID(replica: replica, seq: version[replica] + 1)
                    guard let change = pending[next], change.deps.isIncluded(in: version) else { break }
                    pending[next] = nil
                    progress = true
                    do {
                        try applyRemote(change)
                        report.applied.append(change.id)
                    } catch {
                        report.refused.append(error)
                        break
                    }
                }
            }
        }
    }

    /// The `startOp` that `change` must have to be applied: one past the greatest op counter
    /// of its causal past, that is of its author's previous change and of each change its
    /// deps name (1 for a first change with no deps). Ask it before applying, to refuse a
    /// change with a reason of your own; ``apply(_:)`` refuses the same changes.
    ///
    /// Every honest change starts exactly there: a ``Transaction`` starts one past the
    /// greatest counter its document has applied and takes everything applied as deps. A
    /// greater startOp would let one change push the counters of every later change toward
    /// the end of their range (from a fresh replica, a startOp of 2⁶² − 2 leaves no room for
    /// another change), and a smaller one would reuse counters; both are refused. The value
    /// depends only on the change's causal past, never on what else this document holds,
    /// so every replica accepts and refuses the same changes.
    ///
    /// - Returns: the required startOp, or nil when the change is not ready here: its
    ///   author's previous change or a change its deps name is not applied (yet), or its seq
    ///   is 0; or when it was made behind this document's horizon (``isBehindHorizon(_:)``).
    ///   For a change already applied after the horizon it is the startOp that change has.
    /// - Complexity: O(d) in the number of deps.
    public func requiredStartOp(for change: Change) -> UInt64? {
        guard change.seq >= 1, change.seq - 1 <= version[change.replica], change.deps.isIncluded(in: version) else {
            return nil
        }
        guard !isBehindHorizon(change) else { return nil }
        var floor: UInt64 = 1
        if change.seq >= 2, let end = end(of: change.replica, seq: change.seq - 1) { floor = end }
        for (replica, seq) in change.deps.entries {
            if let end = end(of: replica, seq: seq) { floor = max(floor, end) }
        }
        return floor
    }

    /// Whether `change` was made without some of the changes this document compacted away:
    /// its deps (and its author's previous seq) do not reach the horizon.
    func isBehindHorizon(_ change: Change) -> Bool {
        guard !horizon.isEmpty else { return false }
        var seen = change.deps
        seen[change.replica] = max(seen[change.replica], change.seq - 1)
        return isBehindHorizon(seen)
    }

    func behindHorizon(_ change: Change) -> CRDTError {
        .invalidChange(change.id, reason: "it was made without changes this document compacted away (its history starts after \(horizon.seqs), and the change depends on \(change.deps)): its author must load a snapshot of the document and make the edit again")
    }

    /// Validates and applies one ready remote change, or changes nothing and throws.
    private func applyRemote(_ change: Change) throws(CRDTError) {
        func refuse(_ reason: String) -> CRDTError { .invalidChange(change.id, reason: reason) }
        guard change.replica.rawValue != 0 else { throw refuse("replica 0 is reserved") }
        guard !change.ops.isEmpty else { throw refuse("a change must hold at least one op") }
        guard change.deps[change.replica] == 0 else { throw refuse("deps name the author itself") }
        if let violation = change.limitViolation { throw refuse(violation) }
        if isBehindHorizon(change) { throw behindHorizon(change) }
        guard let required = requiredStartOp(for: change) else {
            throw refuse("its author's previous change or a change its deps name is not applied")
        }
        guard change.startOp == required else {
            throw refuse("startOp \(change.startOp) does not follow on from the ops it depends on: it must be \(required), one past the last op counter of its author's previous change and of its deps (a greater startOp would make the counters jump, a smaller one reuse them)")
        }
        try checkReferences(of: change)
        // Whatever would fail halfway is refused here, before anything changes, so the
        // rebuild below is a safety net that a well-formed change never reaches.
        try precheck(change)
        do {
            try applyOps(of: change, checked: true)
        } catch {
            rebuild()
            throw error
        }
        commit(change)
    }
}
