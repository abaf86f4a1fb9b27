"""Yrs (through the `pycrdt` Python binding) doing the comparison workloads' steps.

pycrdt indexes text in UTF-8 bytes while the traces count code points. While the text
holds only ASCII the two agree, so the replay keeps a count of the non-ASCII code points
in the text and converts positions (reading the text, O(n)) only while that count is not
zero or the patch itself inserts one. In the four traces that is two transactions of
seph-blog1; the conversion is part of the timed replay.

pycrdt stores a Python int in a map as a Yjs number (a 64-bit float); every integer of the
workloads is below 2^53, so none changes.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from pycrdt import Doc, Map, Text

NAME = "yrs"
VERSION = "pycrdt " + _version("pycrdt")


def _non_ascii(s: str) -> int:
    return 0 if s.isascii() else sum(1 for c in s if ord(c) > 127)


class _Exchanging:
    """What both replica kinds share: their version, a delta since a version, applying one."""

    def version(self):
        return self.doc.get_state()

    def delta_since(self, version) -> bytes:
        return self.doc.get_update(version)

    def apply(self, blob: bytes) -> None:
        self.doc.apply_update(blob)


# Text --------------------------------------------------------------------------------------


class TextReplica(_Exchanging):
    """One replica holding the workload's text object.

    `non_ascii` counts the non-ASCII code points in the text; -1 means not known (a loaded
    replica, or one that merged a delta that may carry some), counted at the next edit
    that needs it. `ascii_only` says that the whole trace inserts only ASCII, so that
    nothing merged can bring a non-ASCII code point.
    """

    __slots__ = ("doc", "text", "non_ascii", "ascii_only")

    def __init__(self, replica_id: int, text_name: str, ascii_only: bool = False, doc: Doc | None = None) -> None:
        self.doc = doc if doc is not None else Doc(client_id=replica_id)
        self.text = self.doc.get(text_name, type=Text)
        self.ascii_only = ascii_only
        self.non_ascii = 0 if doc is None or ascii_only else -1

    def replay(self, transactions) -> None:
        """One transaction per trace transaction."""
        text, transaction = self.text, self.doc.transaction
        insert = text.insert
        for patches in transactions:
            with transaction():
                for position, deleted, inserted in patches:
                    if self.non_ascii == 0 and inserted.isascii():
                        if deleted:
                            del text[position : position + deleted]
                        if inserted:
                            insert(position, inserted)
                    else:
                        self._splice_converting(position, deleted, inserted)

    def _splice_converting(self, position: int, deleted: int, inserted: str) -> None:
        if position == 0 and deleted == 0 and self.non_ascii == -1:
            self.text.insert(0, inserted)  # byte 0 is code point 0: nothing to read
            return
        current = str(self.text)
        if self.non_ascii == -1:
            self.non_ascii = _non_ascii(current)
        start = len(current[:position].encode("utf-8"))
        if deleted:
            gone = current[position : position + deleted]
            del self.text[start : start + len(gone.encode("utf-8"))]
            self.non_ascii -= _non_ascii(gone)
        if inserted:
            self.text.insert(start, inserted)
            self.non_ascii += _non_ascii(inserted)

    def content(self) -> str:
        return str(self.text)

    def snapshot(self) -> bytes:
        return self.doc.get_update()

    @staticmethod
    def load(blob: bytes, replica_id: int, text_name: str) -> "TextReplica":
        doc = Doc(client_id=replica_id)
        doc.apply_update(blob)
        return TextReplica(replica_id, text_name, doc=doc)

    # For the concurrent traces.
    def apply(self, blob: bytes) -> None:
        super().apply(blob)
        if not self.ascii_only:
            self.non_ascii = -1


# Maps --------------------------------------------------------------------------------------


class MapReplica(_Exchanging):
    """One replica of a deal card: a root map of fields."""

    __slots__ = ("doc", "map")

    def __init__(self, replica_id: int, map_name: str) -> None:
        self.doc = Doc(client_id=replica_id)
        self.map = self.doc.get(map_name, type=Map)

    def set_all(self, items) -> None:
        """Every (key, value) of `items` in one transaction."""
        with self.doc.transaction():
            m = self.map
            for key, value in items:
                m[key] = value

    def put(self, key: str, value) -> None:
        """One write, its own transaction."""
        with self.doc.transaction():
            self.map[key] = value

    def full_state(self) -> bytes:
        return self.doc.get_update()


    def value(self) -> dict:
        return self.map.to_py()
