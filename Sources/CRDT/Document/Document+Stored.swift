extension Document {
    /// What loading stored change blobs did: the apply report, and the blobs that could not
    /// be loaded, by their position in the input, with why.
    public struct StoredLoad: Sendable {
        public var report: ApplyReport
        /// Positions in the blobs given of those that do not decode or that the engine
        /// refuses, each with a reason for people; the others are applied or pending.
        public var unloadable: [(position: Int, reason: String)]
        /// The change decoded from each position that decoded (so a caller can tell which of
        /// ``ApplyReport/pending`` is which blob).
        public var positions: [ChangeID: Int]
        /// Refusals that name no change given (none is expected: the engine names the change
        /// it refuses); the caller decides what such a load is worth.
        public var unattributed: [CRDTError]
    }

    /// Decodes and applies stored change blobs, in order, as a device or a relay loads a
    /// document: a blob that does not decode, or whose change the engine refuses, does not
    /// fail the load; it is reported in ``StoredLoad/unloadable`` for the caller to set aside,
    /// and the rest are applied (changes that depend on one of them stay pending).
    public func applyStored(_ blobs: [[UInt8]]) -> StoredLoad {
        var changes: [Change] = []
        changes.reserveCapacity(blobs.count)
        var positions: [ChangeID: Int] = [:]
        var unloadable: [(position: Int, reason: String)] = []
        for (position, blob) in blobs.enumerated() {
            do {
                let change = try Change(encoded: blob)
                changes.append(change)
                positions[change.id] = position
            } catch {
                unloadable.append((position, "its bytes do not decode: \(error)"))
            }
        }
        let report = apply(changes)
        var unattributed: [CRDTError] = []
        for failure in report.refused {
            if case .invalidChange(let id, _) = failure, let position = positions.removeValue(forKey: id) {
                unloadable.append((position, "the engine refuses it: \(failure)"))
            } else {
                unattributed.append(failure)
            }
        }
        return StoredLoad(report: report, unloadable: unloadable, positions: positions, unattributed: unattributed)
    }
}
