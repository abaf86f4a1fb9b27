/// Which earlier deltas each replica of the `concurrent` workload must apply before a
/// transaction, worked out from the trace's agents and parents alone (`workloads.json`,
/// `concurrent`, steps), so that no implementation pays for it inside its clock.
///
/// A version is kept as a count of transactions per agent: an agent's transactions are
/// totally ordered, so a version holds a prefix of each agent's.
public struct ConcurrentPlan: Equatable, Sendable {
    /// For transaction `t`, the indexes of the earlier transactions whose deltas its agent's
    /// replica lacks, in file order.
    public var before: [[Int]]
    /// The deltas agent 0's replica lacks after the last transaction, in file order.
    public var final: [Int]

    /// Every delta applied, in the order applied.
    public var applied: [Int] { before.flatMap { $0 } + final }

    /// Works out the plan of a trace whose transaction `t` is made by `agents[t]` on the
    /// merge of `parents[t]` (indexes of earlier transactions).
    ///
    /// - Throws: ``WorkloadError`` when a parent is not earlier, an agent is out of range, or
    ///   an agent's transaction does not descend from that agent's previous one.
    /// - Complexity: O(transactions × agents) plus the deltas listed.
    public init(agentCount: Int, agents: [Int], parents: [[Int]]) throws(WorkloadError) {
        precondition(agents.count == parents.count, "one agent and one parent list per transaction")
        var byAgent = [[Int]](repeating: [], count: agentCount)
        var closure: [[Int]] = []
        closure.reserveCapacity(agents.count)
        var held = [[Int]](repeating: [Int](repeating: 0, count: agentCount), count: agentCount)

        func lacking(_ have: [Int], _ target: [Int]) -> [Int] {
            var missing: [Int] = []
            for q in 0..<agentCount where have[q] < target[q] { missing += byAgent[q][have[q]..<target[q]] }
            return missing.sorted()
        }

        var before: [[Int]] = []
        before.reserveCapacity(agents.count)
        for (index, agent) in agents.enumerated() {
            guard agent >= 0, agent < agentCount else { throw WorkloadError("transaction \(index): agent \(agent) of \(agentCount)") }
            var target = [Int](repeating: 0, count: agentCount)
            for parent in parents[index] {
                guard parent >= 0, parent < index else { throw WorkloadError("transaction \(index): parent \(parent) is not earlier") }
                for q in 0..<agentCount { target[q] = max(target[q], closure[parent][q]) }
            }
            guard target[agent] == byAgent[agent].count else {
                throw WorkloadError("transaction \(index) does not descend from its agent's previous one")
            }
            before.append(lacking(held[agent], target))
            byAgent[agent].append(index)
            target[agent] += 1
            closure.append(target)
            held[agent] = target
        }
        self.before = before
        self.final = agentCount == 0 ? [] : lacking(held[0], byAgent.map(\.count))
    }
}
