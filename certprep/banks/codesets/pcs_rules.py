"""True/false statements of ICD-10-PCS guideline rules: a rule as written, or the same rule
with one term changed so that it no longer holds (a root operation or approach swapped for the
one learners confuse it with, or the rule's polarity reversed).

The statements test the rule, not which guideline number it carries: the stem names no number.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

# the approaches of the Medical and Surgical section, longest name first so that
# "Percutaneous Endoscopic" is matched before "Percutaneous"
APPROACHES = (
    "Via Natural or Artificial Opening Endoscopic",
    "Via Natural or Artificial Opening",
    "Percutaneous Endoscopic",
    "Percutaneous",
    "External",
    "Open",
)

# phrases whose opposite makes a wrong rule: (as written, reversed)
_POLARITY = (
    (" are not coded ", " are coded "),
    (" is not coded ", " is coded "),
    (" are coded separately", " are not coded separately"),
    (" is coded separately", " is not coded separately"),
    (" is coded only if a ", " is coded even if no "),
    (" is not required ", " is required "),
    (" are not required ", " are required "),
    (" should not be ", " should be "),
    (" must be ", " need not be "),
    (" are considered integral ", " are not considered integral "),
)


def _approach_swap(sentence: str, rng: random.Random) -> tuple[str, str, str] | None:
    pattern = re.compile(
        r"(?<=approach value )(" + "|".join(map(re.escape, APPROACHES)) + r")\b"
        r"|(?<=approach )(" + "|".join(map(re.escape, APPROACHES)) + r")\b"
    )
    m = pattern.search(sentence)
    if not m:
        return None
    old = m.group(0)
    choices = [a for a in APPROACHES if a != old and a not in sentence]
    if not choices:
        return None
    new = rng.choice(choices)
    return sentence[: m.start()] + new + sentence[m.end() :], old, new


def _root_op_swap(
    sentence: str, rng: random.Random, confusable: Iterable[set[str]]
) -> tuple[str, str, str] | None:
    groups = [g for g in confusable]
    names = sorted({n for g in groups for n in g}, key=len, reverse=True)
    # only the root operation the rule concludes with ("coded to the root operation X", "the
    # root operation is X", "the root operations X, Y or Z"); a name the rule merely mentions
    # ("instead of Control") could be swapped into a statement that is still true
    lead = r"(?:[Rr]oot operations? (?:is |value )?)"
    for m in re.finditer(lead + r"(" + "|".join(names) + r")\b", sentence):
        old = m.group(1)
        peers = sorted({n for g in groups if old in g for n in g if n != old and n not in sentence})
        if peers:
            new = rng.choice(peers)
            return sentence[: m.start(1)] + new + sentence[m.end(1) :], old, new
    return None


def _polarity_swap(sentence: str) -> tuple[str, str, str] | None:
    for written, reversed_ in _POLARITY:
        if sentence.count(written) == 1:
            return sentence.replace(written, reversed_), written.strip(), reversed_.strip()
    return None


def falsify(
    sentence: str, rng: random.Random, confusable: Iterable[set[str]]
) -> tuple[str, str, str] | None:
    """The rule with one term changed so that it is wrong: (statement, term, changed to)."""
    return (
        _root_op_swap(sentence, rng, confusable)
        or _approach_swap(sentence, rng)
        or _polarity_swap(sentence)
    )
