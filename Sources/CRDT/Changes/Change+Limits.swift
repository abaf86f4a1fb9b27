extension Change {
    /// The most ops one change may hold: 100,000.
    ///
    /// A change is applied whole, in one step, and a relay applies the changes pushed to a
    /// deal one after another, so the size of one change bounds how long one client can hold
    /// everyone else's changes back. An op costs 2–6 µs to apply in a release build
    /// (`swift run -c release sync-bench sequence`), so a change at the limit is applied in
    /// well under a second. No edit a person makes comes near it: a splice is one op per run
    /// it deletes plus one insert, a paste is one op, a card edit a handful.
    ///
    /// Every replica enforces it the same way: the decoder refuses a larger change before it
    /// reserves room for the ops (``DecodeError/invalid(offset:reason:)``),
    /// ``Document/apply(_:)`` refuses one built in memory, and a ``Transaction`` refuses the
    /// edit that would pass it (``CRDTError/changeTooLarge(ops:width:)``), so a replica never
    /// makes a change that the others would refuse.
    public static let maximumOps = 100_000

    /// The most op counters one change may use (its ``width``): 1,000,000. A text insert
    /// uses one counter per scalar, every other op one.
    ///
    /// A change's counters start exactly one past those of its causal past
    /// (``Document/requiredStartOp(for:)``), so this bounds how far one change can move the
    /// counters on: reaching ``maximumCounter`` would take more than 4·10¹² changes. It lets
    /// one edit paste a million scalars (1–4 MB of UTF-8), more than any deal note holds and
    /// less than a relay accepts in one request. Enforced like ``maximumOps``.
    public static let maximumWidth: UInt64 = 1_000_000

    /// The greatest op counter (2⁶² − 1): every op id a change names lies in
    /// `1...maximumCounter`, and a change's ``endOp`` may not pass it.
    ///
    /// The quarter of the 64-bit range keeps every sum of a counter and a width (at most
    /// ``maximumWidth``) far from overflowing; the decoder and ``Document/apply(_:)`` refuse
    /// anything outside it.
    public static let maximumCounter: UInt64 = (1 << 62) - 1

    /// Why this change breaks a size or counter limit every replica enforces, or nil when it
    /// keeps to them. Checked before the ops are looked at one by one.
    var limitViolation: String? {
        if ops.count > Change.maximumOps {
            return "it holds \(ops.count) ops; a change may hold at most \(Change.maximumOps) (Change.maximumOps): split the edits into several changes"
        }
        let width = self.width
        if width > Change.maximumWidth {
            return "its ops use \(width) op counters; a change may use at most \(Change.maximumWidth) (Change.maximumWidth): split the edits into several changes"
        }
        if startOp < 1 || startOp > Change.maximumCounter - width {
            return "its op counters \(startOp)..<\(endOp) leave the range 1...\(Change.maximumCounter) (Change.maximumCounter)"
        }
        return nil
    }
}
