"""Checks that workloads.py reads workloads.json as it says (standard library only):
python3 -m unittest discover -s Benchmarks/peers"""

import unittest

import workloads as W


class PRNGTests(unittest.TestCase):
    def test_check_vectors_of_the_definitions(self):
        for check in W.DEFS["prng"]["check"]:
            g = W.SplitMix64(check["seed"])
            self.assertEqual([g.next() for _ in check["first_outputs"]], [int(x, 16) for x in check["first_outputs"]])

    def test_wraps_at_64_bits(self):
        g = W.SplitMix64(2**64 - 1)
        self.assertTrue(all(0 <= g.next() < 2**64 for _ in range(1000)))


class DealCardsTests(unittest.TestCase):
    def setUp(self):
        self.cards = W.DealCards.from_definitions()

    def test_fields_and_initial_values(self):
        self.assertEqual(len(self.cards.field_names), 50)
        initial = dict(self.cards.initial_fields())
        self.assertEqual(initial["f00"], 0)
        self.assertEqual(initial["f48"], 48_000)
        self.assertEqual(initial["f07"], "init-7")

    def test_first_writes_match_the_definitions(self):
        check = W.workload("dealcards")["write"]["check"]
        for case in check:
            writes = list(self.cards.writes_of(case["document"], case["replica_index"]))
            self.assertEqual([list(w) for w in writes[: len(case["first_writes"])]], case["first_writes"])

    def test_seed_formula(self):
        self.assertEqual(self.cards.seed(0, 0), 1)
        self.assertEqual(self.cards.seed(999, 2), 999 * 1_000_003 + 3)

    def test_values_alternate_integer_and_string(self):
        writes = list(self.cards.writes_of(5, 1))
        self.assertEqual(len(writes), 100)
        self.assertTrue(all(isinstance(v, int) for _, v in writes[0::2]))
        self.assertTrue(all(isinstance(v, str) and v.startswith("v") for _, v in writes[1::2]))


class DefinitionTests(unittest.TestCase):
    def test_same_as_is_resolved(self):
        seph = W.workload("trace-seph")
        self.assertEqual(seph["traces"], ["seph-blog1"])
        self.assertEqual(seph["text_name"], W.workload("trace")["text_name"])

    def test_every_trace_file_is_in_the_repository(self):
        for name in W.DEFS["traces"]:
            self.assertTrue(W.trace_path(name).is_file(), name)


if __name__ == "__main__":
    unittest.main()
