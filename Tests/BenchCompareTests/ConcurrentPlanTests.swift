import BenchCompare
import Testing

/// The concurrent traces' plan: the same cases as the peers' `test_plan.py`, so that both
/// sides apply the same deltas in the same order.
@Suite("Concurrent plan")
struct ConcurrentPlanTests {
    static func plan(_ agents: Int, _ transactions: [(Int, [Int])]) throws -> ConcurrentPlan {
        try ConcurrentPlan(agentCount: agents, agents: transactions.map(\.0), parents: transactions.map(\.1))
    }

    @Test func forkAndMerge() throws {
        // 0 (agent 0) ─┬─ 1 (agent 0) ─┬─ 3 (agent 0, merges 1 and 2)
        //              └─ 2 (agent 1) ─┘
        let plan = try Self.plan(2, [(0, []), (0, [0]), (1, [0]), (0, [1, 2])])
        #expect(plan.before == [[], [], [0], [2]])
        #expect(plan.final == [])
        #expect(plan.applied == [0, 2])
    }

    @Test func theFinalMergeBringsAgentZeroEverything() throws {
        let plan = try Self.plan(2, [(0, []), (1, [0]), (1, [1])])
        #expect(plan.before == [[], [0], []])
        #expect(plan.final == [1, 2])
    }

    @Test func deltasComeInFileOrderAcrossAgents() throws {
        let plan = try Self.plan(3, [(0, []), (1, [0]), (0, [1]), (1, [2]), (2, [3])])
        #expect(plan.before[4] == [0, 1, 2, 3])
    }

    @Test func anAgentMustFollowItself() {
        #expect(throws: WorkloadError.self) { try Self.plan(1, [(0, []), (0, [0]), (0, [0])]) }
        #expect(throws: WorkloadError.self) { try Self.plan(1, [(0, [0])]) }
    }
}
