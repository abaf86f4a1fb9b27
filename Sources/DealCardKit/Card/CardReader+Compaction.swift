import CRDT

extension CardReader {
    /// The changes at or before `horizon` that a shallow snapshot of `document` must keep
    /// (``CRDT/Document/encodeSnapshot(horizon:retaining:)``) for the card to read the same
    /// from it as from the whole history: per stage, the latest change that touched it (a
    /// stage's last channel), and the change behind every value of a field in conflict (its
    /// author). Changes the document retained already count as history.
    ///
    /// - Complexity: O(history + keys).
    public func changesToRetain(in document: Document, kind: DealDocumentKind, horizon: VersionVector) -> Set<ChangeID> {
        func isBefore(_ id: ChangeID) -> Bool { id.seq <= horizon[id.replica] }
        var touches = StageTouches()
        let before = (document.retainedChanges + document.history).filter { isBefore($0.id) }
        addTouches(of: before[...], in: document, to: &touches)
        var retained = Set(touches.latest.values.map(\.change))
        for conflict in read(document, kind: kind).conflicts.values.joined() {
            if let change = document.change(containing: conflict.opID), isBefore(change.id) { retained.insert(change.id) }
        }
        return retained
    }

    /// The stages' last edits from what `document` holds of its history: its retained
    /// changes (a shallow snapshot's), then `changes` of its history.
    public func addTouches(retainedAnd changes: ArraySlice<Change>, in document: Document, to touches: inout StageTouches) {
        addTouches(of: document.retainedChanges[...], in: document, to: &touches)
        addTouches(of: changes, in: document, to: &touches)
    }
}
