"""The comparison workloads, read from Benchmarks/workloads.json: nothing is defined here
that the file does not say, so every implementation runs the same work.

Standard library only, so that the definitions can be checked without the peers installed
(`python3 -m unittest discover Benchmarks/peers`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

BENCHMARKS = Path(__file__).resolve().parent.parent
DEFINITIONS = BENCHMARKS / "workloads.json"

_MASK = (1 << 64) - 1


def load_definitions(path: Path = DEFINITIONS) -> dict:
    """The parsed workloads.json."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


DEFS = load_definitions()


def workload(name: str) -> dict:
    """The definition of workload `name`, with `same_as` resolved (its own keys win)."""
    table = DEFS["workloads"]
    if name not in table:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(table)}")
    spec = dict(table[name])
    if "same_as" in spec:
        base = dict(table[spec["same_as"]])
        base.update({k: v for k, v in spec.items() if k != "same_as"})
        spec = base
    return spec


def workload_names() -> list[str]:
    return list(DEFS["workloads"])


class SplitMix64:
    """The generator of workloads.json's `prng`: 64-bit wrapping arithmetic."""

    _spec = DEFS["prng"]
    _increment = int(_spec["increment"], 16)
    _m1, _m2 = (int(m, 16) for m in _spec["multipliers"])
    _s1, _s2, _s3 = _spec["shifts"]

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK

    def next(self) -> int:
        self.state = (self.state + self._increment) & _MASK
        z = self.state
        z = ((z ^ (z >> self._s1)) * self._m1) & _MASK
        z = ((z ^ (z >> self._s2)) * self._m2) & _MASK
        return z ^ (z >> self._s3)


# Deal cards --------------------------------------------------------------------------------

Value = Union[int, str]


@dataclass(frozen=True)
class DealCards:
    """The numbers of the dealcards workload, read from its definition."""

    documents: int
    replicas: list[str]
    replica_ids: list[int]
    map_name: str
    field_names: list[str]
    writes: int

    @staticmethod
    def from_definitions() -> "DealCards":
        spec = workload("dealcards")
        fields = spec["fields"]
        names = [fields["name_format"] % k for k in range(fields["count"])]
        assert names[0] == fields["first"] and names[-1] == fields["last"], "field names"
        return DealCards(
            documents=spec["documents"],
            replicas=spec["replicas"],
            replica_ids=spec["replica_ids"],
            map_name=spec["map_name"],
            field_names=names,
            writes=spec["writes_per_replica_per_document"],
        )

    def initial_fields(self) -> list[tuple[str, Value]]:
        """Every field with its initial value, in field order."""
        return [(name, 1000 * k if k % 2 == 0 else f"init-{k}") for k, name in enumerate(self.field_names)]

    @staticmethod
    def seed(document: int, replica_index: int) -> int:
        return document * 1_000_003 + replica_index + 1

    def generator(self, document: int, replica_index: int) -> SplitMix64:
        return SplitMix64(self.seed(document, replica_index))

    def draw(self, generator: SplitMix64, index: int) -> tuple[str, Value]:
        """Write number `index`: the key first, then the value, from `generator`."""
        key = self.field_names[generator.next() % len(self.field_names)]
        v = generator.next() % 1_000_000
        return key, (v if index % 2 == 0 else f"v{v}")

    def writes_of(self, document: int, replica_index: int) -> Iterator[tuple[str, Value]]:
        """The writes 0 … writes-1 of one (document, replica), in order."""
        generator = self.generator(document, replica_index)
        for index in range(self.writes):
            yield self.draw(generator, index)


# Traces ------------------------------------------------------------------------------------


@dataclass
class SequentialTrace:
    name: str
    end_content: str
    transactions: list[list[tuple[int, int, str]]]

    @property
    def patch_count(self) -> int:
        return sum(len(t) for t in self.transactions)


@dataclass
class ConcurrentTransaction:
    agent: int
    parents: list[int]
    patches: list[tuple[int, int, str]]


@dataclass
class ConcurrentTrace:
    name: str
    end_content: str
    agents: int
    transactions: list[ConcurrentTransaction]

    @property
    def patch_count(self) -> int:
        return sum(len(t.patches) for t in self.transactions)


def trace_path(name: str) -> Path:
    return BENCHMARKS / DEFS["traces"][name]["file"]


def load_trace(name: str) -> Union[SequentialTrace, ConcurrentTrace]:
    """Reads a gzipped trace (formats in Benchmarks/data/README.md)."""
    kind = DEFS["traces"][name]["kind"]
    with gzip.open(trace_path(name), "rt", encoding="utf-8") as file:
        raw = json.load(file)
    if kind == "sequential":
        if raw.get("startContent", "") != "":
            raise ValueError(f"{name}: a non-empty startContent is not supported")
        txns = [[(p[0], p[1], p[2]) for p in t["patches"]] for t in raw["txns"]]
        return SequentialTrace(name, raw["endContent"], txns)
    txns = [
        ConcurrentTransaction(t["agent"], list(t["parents"]), [(p[0], p[1], p[2]) for p in t["patches"]])
        for t in raw["txns"]
    ]
    for index, t in enumerate(txns):
        if any(p >= index for p in t.parents):
            raise ValueError(f"{name}: transaction {index} has a parent that is not earlier")
    return ConcurrentTrace(name, raw["endContent"], raw["numAgents"], txns)
