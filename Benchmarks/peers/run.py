#!/usr/bin/env python3
"""Runs the comparison workloads (Benchmarks/workloads.json) on a peer library and prints
one JSON object per line, keys sorted, as sync-bench does.

OVERVIEW: One (library, workload) per process, so that peak memory is that workload's.
USAGE:    run.py --library loro|yrs --workload NAME [--repeat N]
          run.py --all [--library loro|yrs] [--workload NAME] [--repeat N]
EXAMPLES: Benchmarks/peers/.venv/bin/python Benchmarks/peers/run.py --library loro --workload trace
          Benchmarks/peers/.venv/bin/python Benchmarks/peers/run.py --all --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import workloads as W

LIBRARIES = {"loro": "peer_loro", "yrs": "peer_yrs"}


# Measuring ---------------------------------------------------------------------------------


class Stopwatch:
    """Wall-clock milliseconds of a `with` block; the cyclic collector stays off inside it,
    as timeit keeps it, so that a collection does not land in one library's figures."""

    def __enter__(self) -> "Stopwatch":
        gc.disable()
        self.start = time.perf_counter_ns()
        return self

    def __exit__(self, *exc) -> None:
        self.ms = (time.perf_counter_ns() - self.start) / 1e6
        gc.enable()


def resident_mib() -> float:
    """The resident set now, from /proc/self/statm."""
    with open("/proc/self/statm") as file:
        pages = int(file.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def peak_resident_mib() -> float:
    """The peak resident set of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def combine(runs: list[dict]) -> dict:
    """Medians of the timings; every other figure must be the same in every run."""
    out = dict(runs[0])
    varied = []
    for key, value in runs[0].items():
        values = [run[key] for run in runs]
        if key.endswith("_ms"):
            out[key] = round(statistics.median(values), 2)
        elif any(v != value for v in values):
            varied.append(key)
    if varied:
        out["varied_between_repeats"] = varied
    return out


# Workloads ---------------------------------------------------------------------------------


def trace_workload(peer, spec: dict, repeat: int) -> list[dict]:
    lines = []
    for name in spec["traces"]:
        trace = W.load_trace(name)
        ascii_only = all(p[2].isascii() for t in trace.transactions for p in t)
        edit = spec["extra_edit"]
        extra = [[(edit["position"], edit["delete"], edit["insert"])]]
        baseline = resident_mib()

        def once() -> dict:
            replica = peer.TextReplica(spec["replica_id"], spec["text_name"], ascii_only)
            with Stopwatch() as replay:
                replica.replay(trace.transactions)
            final = replica.content()
            with Stopwatch() as encode:
                blob = replica.snapshot()
            with Stopwatch() as load_read:
                loaded = peer.TextReplica.load(blob, spec["loaded_replica_id"], spec["text_name"])
                text = loaded.content()
            with Stopwatch() as load_edit:
                edited = peer.TextReplica.load(blob, spec["loaded_replica_id"], spec["text_name"])
                edited.replay(extra)
            after_edit = edited.content()
            expected_edit = final[: edit["position"]] + edit["insert"] + final[edit["position"] + edit["delete"] :]
            return {
                "trace": name, "transactions": len(trace.transactions), "patches": trace.patch_count,
                "replay_ms": replay.ms, "snapshot_encode_ms": encode.ms, "snapshot_bytes": len(blob),
                "load_read_ms": load_read.ms, "load_edit_ms": load_edit.ms,
                "final_length": len(final), "matches_end_content": final == trace.end_content,
                "loaded_matches": text == final and after_edit == expected_edit,
            }

        runs = [once() for _ in range(repeat)]
        lines.append({**combine(runs), "baseline_rss_mib": baseline})
    return lines


def concurrent_plan(trace: W.ConcurrentTrace):
    """Which earlier deltas each transaction's replica must apply first, from the trace alone
    (workloads.json, concurrent, steps). Returns (plan, final): plan[t] lists them for
    transaction t, final those that agent 0's replica lacks at the end. Raises ValueError for
    a trace where an agent's transaction does not descend from its previous one."""
    agents = trace.agents
    by_agent: list[list[int]] = [[] for _ in range(agents)]
    closure: list[list[int]] = []  # per transaction: how many of each agent's it descends from, itself included
    held = [[0] * agents for _ in range(agents)]  # the same for each agent's replica

    def lacking(have: list[int], target: list[int]) -> list[int]:
        missing = [i for q in range(agents) for i in by_agent[q][have[q] : target[q]]]
        missing.sort()
        return missing

    plan = []
    for index, t in enumerate(trace.transactions):
        target = [0] * agents
        for p in t.parents:
            target = [max(x, y) for x, y in zip(target, closure[p])]
        if target[t.agent] != len(by_agent[t.agent]):
            raise ValueError(f"{trace.name}: transaction {index} does not descend from its agent's previous one")
        plan.append(lacking(held[t.agent], target))
        by_agent[t.agent].append(index)
        target[t.agent] += 1
        closure.append(target)
        held[t.agent] = target
    everything = [len(ids) for ids in by_agent]
    return plan, lacking(held[0], everything)


def concurrent_workload(peer, spec: dict, repeat: int) -> list[dict]:
    lines = []
    for name in spec["traces"]:
        trace = W.load_trace(name)
        ascii_only = all(p[2].isascii() for t in trace.transactions for p in t.patches)
        plan, final_plan = concurrent_plan(trace)
        baseline = resident_mib()

        def once() -> dict:
            text_name = spec["text_name"]
            with Stopwatch() as replay:
                replicas = [peer.TextReplica(a + 1, text_name, ascii_only) for a in range(trace.agents)]
                deltas: list[bytes] = []
                for t, lacking in zip(trace.transactions, plan):
                    replica = replicas[t.agent]
                    for i in lacking:
                        replica.apply(deltas[i])
                    version = replica.version()
                    replica.replay((t.patches,))
                    deltas.append(replica.delta_since(version))
                for i in final_plan:
                    replicas[0].apply(deltas[i])
            final = replicas[0].content()
            applied = [i for lacking in plan for i in lacking] + final_plan
            return {
                "trace": name, "transactions": len(trace.transactions), "patches": trace.patch_count,
                "agents": trace.agents, "replay_ms": replay.ms, "deltas_applied": len(applied),
                "delta_bytes_applied": sum(len(deltas[i]) for i in applied),
                "final_length": len(final), "matches_end_content": final == trace.end_content,
            }

        runs = [once() for _ in range(repeat)]
        lines.append({**combine(runs), "baseline_rss_mib": baseline})
    return lines


def dealcards_run(peer, cards: W.DealCards, writes: list, state: dict | None = None) -> dict:
    """One run of dealcards; `state`, when given, receives the replicas for incremental."""
    initial = cards.initial_fields()
    ids = cards.replica_ids
    with Stopwatch() as setup:
        documents = []
        for _ in range(cards.documents):
            a = peer.MapReplica(ids[0], cards.map_name)
            a.set_all(initial)
            blob = a.full_state()
            replicas = [a]
            for replica_id in ids[1:]:
                other = peer.MapReplica(replica_id, cards.map_name)
                other.apply(blob)
                replicas.append(other)
            documents.append(replicas)
    with Stopwatch() as write:
        for replicas, per_replica in zip(documents, writes):
            for replica, sequence in zip(replicas, per_replica):
                put = replica.put
                for key, value in sequence:
                    put(key, value)
    exchanged = 0
    count = 0
    pairs = [(r, s) for r in range(len(ids)) for s in range(len(ids)) if s != r]
    with Stopwatch() as exchange:
        for replicas in documents:
            versions = [replica.version() for replica in replicas]
            blobs = [replicas[s].delta_since(versions[r]) for r, s in pairs]
            for (r, _), blob in zip(pairs, blobs):
                replicas[r].apply(blob)
                exchanged += len(blob)
            count += len(blobs)
    converged = all(
        json.dumps(replicas[0].value(), sort_keys=True) == json.dumps(other.value(), sort_keys=True)
        for replicas in documents
        for other in replicas[1:]
    )
    if state is not None:
        state["documents"] = documents
    return {
        "documents": cards.documents, "fields": len(cards.field_names), "writes": cards.writes,
        "setup_ms": setup.ms, "write_ms": write.ms, "exchange_ms": exchange.ms,
        "total_ms": setup.ms + write.ms + exchange.ms,
        "bytes_exchanged": exchanged, "deltas_exchanged": count, "converged": converged,
    }


def dealcards_writes(cards: W.DealCards):
    """Every write of the workload, drawn before the clock starts (drawing in Python would
    cost more than some libraries' writes), and each (document, replica) generator after them."""
    writes, generators = [], []
    for d in range(cards.documents):
        per_replica, gens = [], []
        for r in range(len(cards.replicas)):
            g = cards.generator(d, r)
            per_replica.append([cards.draw(g, i) for i in range(cards.writes)])
            gens.append(g)
        writes.append(per_replica)
        generators.append(gens)
    return writes, generators


def dealcards_workload(peer, spec: dict, repeat: int) -> list[dict]:
    cards = W.DealCards.from_definitions()
    writes, _ = dealcards_writes(cards)
    baseline = resident_mib()
    runs = [dealcards_run(peer, cards, writes) for _ in range(repeat)]
    return [{**combine(runs), "baseline_rss_mib": baseline}]


def incremental_workload(peer, spec: dict, repeat: int) -> list[dict]:
    cards = W.DealCards.from_definitions()
    writes, generators = dealcards_writes(cards)
    extra = [cards.draw(gens[0], cards.writes) for gens in generators]
    baseline = resident_mib()

    def once() -> dict:
        state: dict = {}
        dealcards_run(peer, cards, writes, state)
        documents = state["documents"]
        with Stopwatch() as write:
            for replicas, (key, value) in zip(documents, extra):
                replicas[0].put(key, value)
        total = 0
        with Stopwatch() as delta:
            for replicas in documents:
                a, b = replicas[0], replicas[1]
                blob = a.delta_since(b.version())
                b.apply(blob)
                total += len(blob)
        converged = all(
            json.dumps(r[0].value(), sort_keys=True) == json.dumps(r[1].value(), sort_keys=True) for r in documents
        )
        return {
            "documents": cards.documents, "write_ms": write.ms, "delta_ms": delta.ms, "delta_bytes": total,
            "delta_bytes_per_document": round(total / cards.documents, 2), "converged": converged,
        }

    runs = [once() for _ in range(repeat)]
    return [{**combine(runs), "baseline_rss_mib": baseline}]


RUNNERS = {
    "trace": trace_workload,
    "concurrent": concurrent_workload,
    "dealcards": dealcards_workload,
    "incremental": incremental_workload,
}


def runner_for(name: str):
    table = W.DEFS["workloads"]
    base = table[name].get("same_as", name)
    return RUNNERS[base]


# Command line ------------------------------------------------------------------------------


def unexpected(spec: dict, fields: dict) -> dict:
    """The figures that differ from the definition's `expect` (those that no library changes),
    each as [measured, expected]."""
    expected = spec.get("expect", {}).get(fields.get("trace", "all"), {})
    return {k: [fields.get(k), v] for k, v in expected.items() if k in fields and fields[k] != v}


def run_one(library: str, workload: str, repeat: int) -> int:
    peer = importlib.import_module(LIBRARIES[library])
    spec = W.workload(workload)
    try:
        lines = runner_for(workload)(peer, spec, repeat)
    except NotImplementedError as error:
        # A peer that cannot do a workload says why; the line is kept, so tables stay whole.
        lines = [{"not_available": {"workload": str(error) or "not supported by this peer"}}]
    peak = peak_resident_mib()
    ok = True
    for fields in lines:
        fields.update({
            "bench": W.DEFS["output"]["bench"], "workload": workload, "library": peer.NAME,
            "library_version": peer.VERSION, "repeat": repeat, "peak_rss_mib": peak,
        })
        for key, value in fields.items():
            if isinstance(value, float):
                fields[key] = round(value, 2)
        wrong = unexpected(spec, fields)
        if wrong:
            fields["unexpected"] = wrong
        ok = ok and not wrong and all(fields.get(k, True) for k in ("matches_end_content", "loaded_matches", "converged"))
        print(json.dumps(fields, sort_keys=True), flush=True)
    return 0 if ok else 1


def run_all(libraries: list[str], names: list[str], repeat: int) -> int:
    """One child process per (library, workload), one after the other."""
    status = 0
    for library in libraries:
        for workload in names:
            command = [sys.executable, str(Path(__file__).resolve()), "--library", library, "--workload", workload,
                       "--repeat", str(repeat)]
            child = subprocess.run(command)
            if child.returncode != 0:
                print(f"run.py: {library} {workload} exited {child.returncode}", file=sys.stderr)
                status = 1
    return status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Runs the comparison workloads of Benchmarks/workloads.json on Loro or Yrs and prints one "
        "JSON object per line. Exits 1 if a result is wrong (a text that differs from the trace's, replicas "
        "that did not converge).",
        epilog="workloads: " + ", ".join(W.workload_names()),
    )
    parser.add_argument("--library", choices=sorted(LIBRARIES), help="the peer to run (with --all: only this one)")
    parser.add_argument("--workload", choices=W.workload_names(), help="the workload to run (with --all: only this one)")
    parser.add_argument("--all", action="store_true", help="every (library, workload) pair, each in its own process, one after the other")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="repetitions; timings are medians (default 1)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("argument --repeat: must be at least 1")
    if args.all:
        libraries = [args.library] if args.library else sorted(LIBRARIES)
        names = [args.workload] if args.workload else W.workload_names()
        return run_all(libraries, names, args.repeat)
    if not args.library or not args.workload:
        parser.error("the following arguments are required: --library, --workload (or --all)")
    return run_one(args.library, args.workload, args.repeat)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
