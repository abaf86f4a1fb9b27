"""Loro (the `loro` Python binding) doing the comparison workloads' steps.

Each function is one step of Benchmarks/workloads.json, written straight against the
binding, so that a timed loop pays for the library and its binding calls and nothing else.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from loro import ExportMode, LoroDoc, VersionVector

NAME = "loro"
VERSION = _version("loro")


def _doc(replica_id: int) -> LoroDoc:
    doc = LoroDoc()
    doc.peer_id = replica_id
    return doc


class _Exchanging:
    """What both replica kinds share: their version, a delta since a version, applying one."""

    def version(self):
        return self.doc.oplog_vv

    def delta_since(self, version) -> bytes:
        return self.doc.export(ExportMode.Updates(from_=version))

    def apply(self, blob: bytes) -> None:
        self.doc.import_(blob)


# Text --------------------------------------------------------------------------------------


class TextReplica(_Exchanging):
    """One replica holding the workload's text object. (`ascii_only` is for the Yrs
    peer's sake; Loro counts code points as the traces do.)"""

    __slots__ = ("doc", "text")

    def __init__(self, replica_id: int, text_name: str, ascii_only: bool = False, doc: LoroDoc | None = None) -> None:
        self.doc = doc if doc is not None else _doc(replica_id)
        self.text = self.doc.get_text(text_name)

    def replay(self, transactions) -> None:
        """One commit per transaction; positions are code points, as Loro's are."""
        text, commit = self.text, self.doc.commit
        delete, insert = text.delete, text.insert
        for patches in transactions:
            for position, deleted, inserted in patches:
                if deleted:
                    delete(position, deleted)
                if inserted:
                    insert(position, inserted)
            commit()

    def content(self) -> str:
        return self.text.to_string()

    def snapshot(self) -> bytes:
        return self.doc.export(ExportMode.Snapshot())

    @staticmethod
    def load(blob: bytes, replica_id: int, text_name: str) -> "TextReplica":
        doc = _doc(replica_id)
        doc.import_(blob)
        return TextReplica(replica_id, text_name, doc=doc)



# Maps --------------------------------------------------------------------------------------


class MapReplica(_Exchanging):
    """One replica of a deal card: a root map of fields."""

    __slots__ = ("doc", "map")

    def __init__(self, replica_id: int, map_name: str) -> None:
        self.doc = _doc(replica_id)
        self.map = self.doc.get_map(map_name)

    def set_all(self, items) -> None:
        """Every (key, value) of `items` in one transaction."""
        insert = self.map.insert
        for key, value in items:
            insert(key, value)
        self.doc.commit()

    def put(self, key: str, value) -> None:
        """One write, its own transaction."""
        self.map.insert(key, value)
        self.doc.commit()

    def full_state(self) -> bytes:
        return self.doc.export(ExportMode.Updates(from_=VersionVector()))


    def value(self) -> dict:
        return self.map.get_deep_value()
