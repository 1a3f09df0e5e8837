"""Problems found in user input, said the way a person can act on them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    source: str  # file name (or "<input>")
    message: str
    line: int | None = None
    record: str | None = None  # item id, record number, note id ...

    def __str__(self) -> str:
        if self.source == "<input>" and self.line is None and self.record is None:
            return self.message  # typed, not read from a file: nothing to point at
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f" ({self.record})"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad input from a person or a file: shown as a list of problems, exit code 2."""

    MAX_SHOWN = 50

    def __init__(self, problems: list[Problem] | Problem | str, source: str = "<input>"):
        if isinstance(problems, str):
            problems = [Problem(source, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__(self.render())

    def render(self) -> str:
        """The problems, one per line, capped so a huge broken file stays readable."""
        shown = [str(p) for p in self.problems[: self.MAX_SHOWN]]
        more = len(self.problems) - self.MAX_SHOWN
        if more > 0:
            shown.append(f"... and {more} more problems")
        return "\n".join(shown)
