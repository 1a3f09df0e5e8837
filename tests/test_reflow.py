"""A case's hard line breaks inside sentences are joined so the terminal wraps it at its width;
tables, lists and blank lines keep theirs."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from certprep.banks.lint import bundled_banks_dir
from certprep.banks.native import load_bank
from certprep.core.reflow import reflow
from certprep.tui.widgets.item_view import item_text


def test_a_sentence_broken_by_the_author_is_one_line_again() -> None:
    text = (
        "PMH: cirrhosis, compensated. Drinks about\na pint of vodka a day; last drink\nyesterday."
    )
    assert (
        reflow(text)
        == "PMH: cirrhosis, compensated. Drinks about a pint of vodka a day; last drink yesterday."
    )


def test_tables_lists_headings_and_blank_lines_keep_their_breaks() -> None:
    text = (
        "REMITTANCE ADVICE\n"
        "Line  Code   Billed   Allowed\n"
        "1     99213  150.00    92.40\n"
        "  adjusted CO-45\n"
        "\n"
        "Final diagnoses:\n"
        "1. Sepsis due to E. coli\n"
        "2. Acute kidney injury"
    )
    assert reflow(text) == text


@given(st.lists(st.text(alphabet="abc XYZ.\n 12", max_size=40), max_size=8))
def test_every_word_is_kept_in_order(parts: list[str]) -> None:
    text = "\n".join(parts)
    assert reflow(text).split() == text.split()


def test_a_shipped_record_reads_without_stubs_at_80_columns() -> None:
    """Rendered at 80 columns, the shipped variceal-bleed record has no stub of one or two words
    in the middle of a sentence (the sentence going on on the next line), left over from the
    author's own wrapping."""
    bank = load_bank(bundled_banks_dir() / "ccs" / "inpatient_records.yaml")
    case = next(c for c in bank.cases if "pint of vodka" in c.text)
    item = next(i for i in bank.items if i.case == case.id)
    console = Console(width=80, record=True, color_system=None)
    console.print(item_text(item, case_title=case.title, case_text=case.text))
    lines = [ln.strip() for ln in console.export_text().splitlines()]
    stubs = [
        ln
        for ln, nxt in itertools.pairwise(lines)
        if ln and len(ln.split()) <= 2 and nxt[:1].islower()
    ]
    assert stubs == []
