"""Exporting a bank: as stored, with its author's ids, in a file format."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.models import Bank
from certprep.core.problems import InputError, Problem

if TYPE_CHECKING:
    from certprep.services.services import Services


def bank_from_store(services: Services, name: str) -> Bank:
    """A bank as stored (live items in their order, with cases), for export."""
    from certprep.store.tables import BANK, CASE, ITEM

    with services.engine.connect() as conn:
        row = conn.execute(sa.select(BANK).where(BANK.c.name == name)).first()
        if row is None:
            raise InputError(f"no bank named {name!r}; `certprep banks list` shows the banks")
        stored_cases = conn.execute(
            sa.select(CASE).where(CASE.c.bank_id == row.id).order_by(CASE.c.source_id)
        ).all()
        # the payloads speak the database's keys; the file gets the author's ids back
        case_source = {c.id: c.source_id for c in stored_cases}
        items = []
        for r in conn.execute(
            sa.select(ITEM.c.payload, ITEM.c.source_id)
            .where(ITEM.c.bank_id == row.id, ITEM.c.retired.is_(False))
            .order_by(ITEM.c.position)
        ):
            payload = r.payload
            case = payload.get("case")
            if payload.get("id") != r.source_id or (case and case in case_source):
                payload = {**payload, "id": r.source_id}
                if case:
                    payload["case"] = case_source.get(case, case)
            items.append(payload)
        cases = [{"id": c.source_id, "title": c.title, "text": c.text} for c in stored_cases]
    header = {k: v for k, v in (row.header or {}).items() if k not in ("items", "cases")}
    cases = [{k: v for k, v in c.items() if v is not None} for c in cases]
    return Bank.model_validate({**header, "cases": cases, "items": items})


def export_bank_with_warnings(
    services: Services, name: str, fmt: str = "native"
) -> tuple[bytes, list[Problem]]:
    """The bank in a file format and what that format could not carry (InputError if empty)."""
    from certprep.banks.formats import write_bank_with_warnings

    return write_bank_with_warnings(bank_from_store(services, name), fmt)


def export_bank(services: Services, name: str, fmt: str = "native") -> bytes:
    """The bank in a file format: native (YAML), json, csv, tsv, gift or moodle."""
    return export_bank_with_warnings(services, name, fmt)[0]
