@testable import CRDT

/// Applies to `target` everything `source` has that `target` lacks.
@discardableResult
func sync(_ source: Document, into target: Document) -> Document.ApplyReport {
    target.apply(source.changes(since: target.version))
}

/// Exchanges changes both ways.
func syncBoth(_ a: Document, _ b: Document) {
    sync(a, into: b)
    sync(b, into: a)
}

let alice = ReplicaID(0xA11CE)
let bob = ReplicaID(0xB0B)
let carol = ReplicaID(0xCA401)
