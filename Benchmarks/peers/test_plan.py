"""The concurrent traces' plan (which deltas each replica applies), from the trace alone:
python3 -m unittest discover -s Benchmarks/peers (no peer needed)."""

import unittest

import run
import workloads as W


def trace(agents, txns):
    return W.ConcurrentTrace("t", "", agents, [W.ConcurrentTransaction(a, p, [(0, 0, "x")]) for a, p in txns])


class PlanTests(unittest.TestCase):
    def test_fork_and_merge(self):
        # 0 (agent 0) ─┬─ 1 (agent 0) ─┬─ 3 (agent 0, merges 1 and 2)
        #              └─ 2 (agent 1) ─┘
        plan, final = run.concurrent_plan(trace(2, [(0, []), (0, [0]), (1, [0]), (0, [1, 2])]))
        self.assertEqual(plan, [[], [], [0], [2]])
        self.assertEqual(final, [])

    def test_final_merge_brings_agent_zero_everything(self):
        plan, final = run.concurrent_plan(trace(2, [(0, []), (1, [0]), (1, [1])]))
        self.assertEqual(plan, [[], [0], []])
        self.assertEqual(final, [1, 2])

    def test_deltas_come_in_file_order_across_agents(self):
        # Agent 2 joins late, after 0 and 1 have interleaved: it needs all of them, in order.
        plan, _ = run.concurrent_plan(trace(3, [(0, []), (1, [0]), (0, [1]), (1, [2]), (2, [3])]))
        self.assertEqual(plan[4], [0, 1, 2, 3])

    def test_agent_must_follow_itself(self):
        with self.assertRaises(ValueError):
            run.concurrent_plan(trace(1, [(0, []), (0, [0]), (0, [0])]))

    def test_expected_figures_are_checked(self):
        spec = W.workload("concurrent")
        good = {"trace": "friendsforever", "deltas_applied": 25457, "agents": 2}
        self.assertEqual(run.unexpected(spec, good), {})
        self.assertEqual(run.unexpected(spec, {**good, "deltas_applied": 1}), {"deltas_applied": [1, 25457]})


if __name__ == "__main__":
    unittest.main()
