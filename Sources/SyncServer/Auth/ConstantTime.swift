/// Whether `lhs` and `rhs` hold the same bytes, in time that does not depend on their contents.
///
/// Use it to compare secrets (token hashes, MACs) so an attacker cannot learn, from how long a
/// rejection takes, how many leading bytes of a guess were right.
///
/// - Every position up to the longer length is visited and differences are OR-ed into an
///   accumulator; there is no early exit and no branch on a byte's value.
/// - A length difference makes the result false, but the loop still runs over the longer
///   input, reading zero for the shorter one's missing bytes, so the content is not leaked;
///   only the lengths (which are public for fixed-size digests) affect the timing.
/// - Complexity: O(max(lhs.count, rhs.count)).
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    let length = max(lhs.count, rhs.count)
    // Non-zero when the lengths differ, without a data-dependent branch.
    var difference = UInt64(truncatingIfNeeded: lhs.count ^ rhs.count)
    lhs.withUnsafeBufferPointer { left in
        rhs.withUnsafeBufferPointer { right in
            for index in 0..<length {
                // These branches depend on the index and the lengths only, never on the bytes.
                let a: UInt8 = index < left.count ? left[index] : 0
                let b: UInt8 = index < right.count ? right[index] : 0
                difference |= UInt64(a ^ b)
            }
        }
    }
    return constantTimeIsZero(difference)
}

/// 1-bit "is zero" without comparing: folds every bit of `value` into bit 63 of
/// `value | -value` (two's complement), which is set for every non-zero value.
@inline(never)
private func constantTimeIsZero(_ value: UInt64) -> Bool {
    let folded = (value | (0 &- value)) >> 63
    return folded == 0
}
