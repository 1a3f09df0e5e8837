"""The native bank format: YAML or JSON files validated by the core models.

Errors name the file, the line and the item, and say what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from certprep.core.models import Bank, Blueprint
from certprep.core.problems import InputError, Problem

MAX_FILE_BYTES = 64 * 1024 * 1024
# libyaml's loader when PyYAML was built with it: several times faster on large banks
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_ALIASES = 200


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"the file is {size // (1024 * 1024)} MiB; bank files may be at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB",
            str(path),
        )
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"byte {exc.start} is not UTF-8 text; save the file as UTF-8", str(path)
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None


def _yaml_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _yaml_lines(value_node, (*path, key_node.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _yaml_lines(child, (*path, i), out)


def json_syntax(msg: str, cut: bool, empty: bool = False) -> str:
    """A JSON syntax error as a person reads it: ``msg`` is the json module's ("Unterminated
    string starting at"), ``cut`` whether the text ends inside the value (a file cut short),
    ``empty`` whether there was no text at all."""
    if empty:
        return "the file is empty; expected JSON"
    text = f"not valid JSON: {msg.removesuffix(' starting at')}"
    if cut:
        text += "; the file ends before it is closed: it was cut short (copy or download it again)"
    return text


def json_cut(exc: json.JSONDecodeError) -> bool:
    """Whether a decode error is the text ending too soon (nothing but white space after it)."""
    return exc.msg.startswith("Unterminated") or not exc.doc[exc.pos :].strip()


def parse_document(
    text: str, source: str, *, as_json: bool = False
) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML (or JSON) safely and return the data with a map from paths to line numbers."""
    lines: dict[tuple[Any, ...], int] = {}
    if as_json:
        try:
            return json.loads(text), lines
        except json.JSONDecodeError as exc:
            message = json_syntax(exc.msg, json_cut(exc), not exc.doc.strip())
            raise InputError([Problem(source, message, exc.lineno)]) from None
        except RecursionError:
            raise InputError([Problem(source, "JSON nested too deeply")]) from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise InputError([Problem(source, f"not valid JSON: {exc}")]) from None
    try:
        aliases = sum(
            1 for e in yaml.parse(text, Loader=SafeLoader) if isinstance(e, yaml.AliasEvent)
        )
        if aliases > MAX_YAML_ALIASES:
            raise InputError(
                [Problem(source, f"{aliases} YAML aliases; at most {MAX_YAML_ALIASES} allowed")]
            )
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, lines
            _yaml_lines(node, (), lines)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = f"not valid YAML: {exc.problem or exc}"
        ctx = exc.context_mark
        if ctx is not None and line is not None and ctx.line + 1 != line:
            msg += f" ({exc.context or 'what began'} on line {ctx.line + 1})"
        raise InputError([Problem(source, msg, line)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(source, f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise InputError([Problem(source, "YAML nested too deeply")]) from None
    except ValueError as exc:  # an impossible date (2020-13-45), a 5,000-digit number ...
        raise InputError([Problem(source, f"not valid YAML: {exc}")]) from None
    return data, lines


def validation_problems(
    exc: ValidationError,
    source: str,
    data: Any,
    lines: dict[tuple[Any, ...], int],
    *,
    prefix: str | None = None,
    at: int = 0,
) -> list[Problem]:
    """Turn pydantic's errors into problems with a line and the item id.

    ``prefix`` names the list a list's errors belong to ("items"), ``at`` its first index in
    the file (a batch of a streamed file, ``banks.native_stream``)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if prefix is not None and loc and isinstance(loc[0], int):
            loc = (prefix, loc[0] + at, *loc[1:])
        line = None
        for cut in range(len(loc), -1, -1):
            if loc[:cut] in lines:
                line = lines[loc[:cut]]
                break
        record = None
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            try:
                record = f"item {data['items'][loc[1]].get('id', '#' + str(loc[1] + 1))}"
            except (KeyError, IndexError, TypeError, AttributeError):
                record = f"item #{loc[1] + 1}"
        field = (
            ".".join(str(p) for p in loc[2:] if not isinstance(p, int))
            if record
            else ".".join(str(p) for p in loc)
        )
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see `certprep banks schema`)"
        problems.append(Problem(source, f"{field + ': ' if field else ''}{msg}", line, record))
    return problems


def load_bank_text(text: str, source: str, *, as_json: bool = False) -> Bank:
    """Validate a bank document given as text."""
    data, lines = parse_document(text, source, as_json=as_json)
    if not isinstance(data, dict):
        raise InputError([Problem(source, "a bank file is a mapping with 'name' and 'items'", 1)])
    try:
        return Bank.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source, data, lines)) from None
    except RecursionError:
        raise InputError([Problem(source, "document nested too deeply")]) from None


def load_bank(path: Path | str) -> Bank:
    """Read and validate a native bank file (.yaml, .yml or .json)."""
    path = Path(path)
    text = _read_text(path)
    return load_bank_text(text, str(path), as_json=path.suffix.lower() == ".json")


def load_blueprint(path: Path | str) -> Blueprint:
    """Read and validate a blueprint file."""
    path = Path(path)
    text = _read_text(path)
    data, lines = parse_document(text, str(path), as_json=path.suffix.lower() == ".json")
    if not isinstance(data, dict):
        raise InputError(
            [Problem(str(path), "a blueprint is a mapping with 'key' and 'sections'", 1)]
        )
    try:
        return Blueprint.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, str(path), data, lines)) from None


def dump_bank(bank: Bank, *, as_json: bool = False) -> str:
    """The bank as native YAML (or JSON) text, omitting empty defaults."""
    data = bank.model_dump(mode="json", exclude_defaults=True)
    data = {"format": bank.format, **data}
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
