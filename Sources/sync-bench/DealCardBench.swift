import CRDT

/// Placeholder until the workload is written below.
func benchDealCards(seed: UInt64) throws {}
