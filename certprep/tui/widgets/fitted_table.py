"""Fill a DataTable at once, its columns already as wide as their widest cell.

    fill_table(table, ("Exam", "Items"), [(Text("CPC"), Text("12"))], keys=["cpc"])

A DataTable's auto-width columns are widened on its next idle, after the rows were added; a
frame drawn in between caches the header row at the old widths, and the cache is not cleared
when the widths change (the header then stays narrower than its rows). Here the columns are
replaced with fixed widths computed from the rows, so the widths are final before any frame
shows the rows: the table looks as an auto-width one would, the same every time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.widgets import DataTable


def fill_table(
    table: DataTable[Text],
    labels: Sequence[str],
    rows: Iterable[Sequence[Text]],
    keys: Iterable[str | None],
) -> None:
    """Replace the table's columns and rows; each column as wide as its label or widest cell."""
    rows = list(rows)
    widths = [Text(label).cell_len for label in labels]
    for row in rows:
        widths = [max(w, cell.cell_len) for w, cell in zip(widths, row, strict=True)]
    table.clear(columns=True)
    for label, width in zip(labels, widths, strict=True):
        table.add_column(label, width=width)
    for row, key in zip(rows, keys, strict=True):
        table.add_row(*row, key=key)
