"""No input crashes the native importer: random bytes and near-valid documents give InputError."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certprep.banks.native import dump_bank, load_bank_text
from certprep.core.problems import InputError

from .conftest import DATA, make_bank

VALID_YAML = (DATA / "sample_bank.yaml").read_text()
VALID_JSON = dump_bank(make_bank(3), as_json=True)


def _load(text: str, as_json: bool) -> None:
    try:
        load_bank_text(text, "fuzz", as_json=as_json)
    except InputError as exc:
        assert exc.problems and all(p.source == "fuzz" for p in exc.problems)


@st.composite
def mutated(draw, base: str) -> str:
    """A valid document with a few characters deleted, replaced or inserted."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, max(0, len(text) - 1)))
        op = draw(st.sampled_from(["del", "ins", "rep", "dup"]))
        ch = draw(st.sampled_from(list(":-[]{}\"'\n #&*!|>%@`\t0aZ\x00")))
        if op == "del":
            text = text[:i] + text[i + 1 :]
        elif op == "ins":
            text = text[:i] + ch + text[i:]
        elif op == "rep":
            text = text[:i] + ch + text[i + 1 :]
        else:
            j = draw(st.integers(i, min(len(text), i + 80)))
            text = text[:j] + text[i:j] + text[j:]
    return text


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    _load(text, False)
    _load(text, True)


@FAST
@given(mutated(VALID_YAML))
def test_near_valid_yaml(text: str) -> None:
    _load(text, False)


@FAST
@given(mutated(VALID_JSON))
def test_near_valid_json(text: str) -> None:
    _load(text, True)


def test_alias_bomb_is_refused() -> None:
    bomb = (
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "name: x\nitems: *i\n"
    )
    with pytest.raises(InputError, match="aliases"):
        load_bank_text(bomb * 4, "bomb")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(InputError):
        load_bank_text("[" * 100_000, "deep", as_json=True)
    with pytest.raises(InputError):
        load_bank_text(json.dumps({"name": "x", "items": []})[:-1] + "[" * 50_000, "deep2")


@pytest.mark.slow
@SLOW
@given(mutated(VALID_YAML))
def test_near_valid_yaml_slow(text: str) -> None:
    _load(text, False)


@pytest.mark.slow
@SLOW
@given(st.binary(max_size=4000))
def test_random_bytes_slow(data: bytes) -> None:
    _load(data.decode("utf-8", errors="replace"), False)


def test_values_python_refuses_are_input_errors() -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        load_bank_text('{"name": "x", "n": ' + "9" * 5000 + "}", "big", as_json=True)
    with pytest.raises(InputError, match="not valid YAML"):
        load_bank_text("name: x\nwhen: 2020-13-45\n", "date")
