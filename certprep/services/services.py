"""The one place both faces (CLI and TUI) call: use cases over the store."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from certprep.banks.importer import ImportSummary, checksum_bytes, import_bank
from certprep.banks.lint import bundled_banks_dir
from certprep.banks.native import load_bank, load_blueprint
from certprep.core.models import Blueprint
from certprep.core.problems import InputError
from certprep.core.studyday import study_date
from certprep.core.text import visible
from certprep.store.engine import writing
from certprep.store.tables import (
    BANK,
    CARD,
    EXAM_ATTEMPT,
    ITEM,
    ITEM_COUNT,
    ITEM_EXAM,
    LEARNER,
    REVIEW_LOG,
    utcnow,
)

Clock = Callable[[], datetime]

DEFAULT_SETTINGS: dict[str, Any] = {
    "desired_retention": 0.90,
    "new_per_day": 20,
    "reviews_per_day": 200,
    "rollover_hour": 4,
    "leech_lapses": 8,
    "exam_misses_to_review": True,
}

_items = ITEM
_links = ITEM_EXAM
_cards = CARD
_banks = BANK
_logs = REVIEW_LOG
_attempts = EXAM_ATTEMPT
_learners = LEARNER


@dataclass
class ExamCounts:
    """What the home screen shows for one exam."""

    exam: str
    name: str
    items: int
    due_now: int
    new_today: int
    learning: int
    has_blueprint: bool
    exam_date: str | None = None
    days_left: int | None = None


@dataclass
class AttemptLine:
    id: int
    title: str
    status: str
    started_at: datetime
    score: float | None
    passed: bool | None


@dataclass
class HomeSummary:
    learner: str
    exams: list[ExamCounts] = field(default_factory=list)
    attempts: list[AttemptLine] = field(default_factory=list)
    in_progress: AttemptLine | None = None
    total_items: int = 0


class Services:
    """Use cases for one learner on one database."""

    def __init__(
        self,
        engine: Engine,
        profile: str = "default",
        *,
        clock: Clock = utcnow,
        banks_dir: Path | None = None,
    ) -> None:
        self.engine = engine
        # a profile name is shown on screens and in reports: no terminal controls in it
        self.profile = visible(profile)
        self.clock = clock
        env_dir = os.environ.get("CERTPREP_BANKS_DIR")
        self.banks_dir = banks_dir or (Path(env_dir) if env_dir else bundled_banks_dir())
        self._learner_id: int | None = None
        # False for commands that only read: an unknown profile reads as empty, never created
        self.creates_learner = True
        self._settings: dict[str, Any] | None = None
        self._blueprints: dict[str, Blueprint] | None = None

    # -- learner ---------------------------------------------------------------------------
    @property
    def learner_id(self) -> int:
        """The learner's id, created on first use.

        An existing learner is looked up without the write lock, so commands that only read
        (stats, report) never wait behind a writer; only a new profile takes it."""
        if self._learner_id is None:
            query = sa.select(_learners.c.id, _learners.c.settings).where(
                _learners.c.name == self.profile
            )
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
            if row is None and not self.creates_learner:
                return 0  # no learner has id 0: every per-learner query finds nothing
            if row is None:
                with writing(self.engine) as conn:
                    row = conn.execute(query).first()  # another process may have made it
                    if row is None:
                        new_id = conn.execute(
                            sa.insert(_learners).values(
                                name=self.profile, created_at=self.clock(), settings={}
                            )
                        ).inserted_primary_key[0]  # type: ignore[index]
                        self._learner_id = int(new_id)
                        self._settings = {}
                        return self._learner_id
            self._learner_id = int(row.id)
            self._settings = dict(row.settings or {})
        return self._learner_id

    @property
    def settings(self) -> dict[str, Any]:
        """The learner's settings over the defaults."""
        _ = self.learner_id
        return {**DEFAULT_SETTINGS, **(self._settings or {})}

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        """Save changed settings for this learner: only the keys in ``changes``.

        The stored settings are re-read in the writing transaction, so a value another process
        saved meanwhile (``certprep optimize``'s parameters) is kept, not overwritten by this
        process's cached copy.
        """
        lid = self.learner_id
        with writing(self.engine) as conn:
            stored = conn.execute(
                sa.select(_learners.c.settings).where(_learners.c.id == lid)
            ).scalar_one()
            merged = {**dict(stored or {}), **changes}
            conn.execute(sa.update(_learners).where(_learners.c.id == lid).values(settings=merged))
        self._settings = merged
        return self.settings

    def reload_settings(self) -> dict[str, Any]:
        """Re-read the learner's settings (another process may have changed them)."""
        lid = self.learner_id
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_learners.c.settings).where(_learners.c.id == lid)).first()
        if row is not None:  # a row this login may not read (row security) keeps what it had
            self._settings = dict(row.settings or {})
        return self.settings

    # -- blueprints and banks --------------------------------------------------------------
    def blueprints(self) -> dict[str, Blueprint]:
        """The shipped blueprints by key (cpc, cpb, ccs)."""
        if self._blueprints is None:
            out: dict[str, Blueprint] = {}
            for path in sorted((self.banks_dir / "blueprints").glob("*.y*ml")):
                bp = load_blueprint(path)
                out[bp.key] = bp
            self._blueprints = out
        return self._blueprints

    def blueprint(self, name_or_path: str) -> Blueprint:
        """A shipped blueprint by key, or a blueprint file a learner copied and edited."""
        bps = self.blueprints()
        if name_or_path.lower() in bps:
            return bps[name_or_path.lower()]
        path = Path(name_or_path)
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            return load_blueprint(path)
        known = ", ".join(sorted(bps)) or "none"
        raise InputError(f"no blueprint {name_or_path!r}; known: {known}, or give a .yaml file")

    def bundled_bank_files(self) -> list[Path]:
        return sorted(
            p
            for p in self.banks_dir.rglob("*")
            if p.suffix in (".yaml", ".yml", ".json")
            and "blueprints" not in p.parts
            and p.is_file()
        )

    def pending_bundled_banks(self) -> list[Path]:
        """Shipped bank files not yet in the database, or changed since they were loaded."""
        from certprep.services.classroom import can_change_banks

        if not can_change_banks(self.engine):
            return []  # a classroom student: the instructor loads the banks
        with self.engine.connect() as conn:
            known = {r.checksum for r in conn.execute(sa.select(_banks.c.checksum))}
        return [p for p in self.bundled_bank_files() if checksum_bytes(p.read_bytes()) not in known]

    def load_bundled_banks(
        self, progress: Callable[[int, int, str], None] | None = None
    ) -> list[ImportSummary]:
        """Load (or refresh) the shipped banks; progress(done, total, name) after each file."""
        pending = self.pending_bundled_banks()
        out = []
        for i, path in enumerate(pending):
            bank = load_bank(path)
            out.append(
                import_bank(
                    self.engine,
                    bank,
                    checksum=checksum_bytes(path.read_bytes()),
                    origin="bundled",
                    on_duplicate="update",
                    source=str(path),
                )
            )
            if progress:
                progress(i + 1, len(pending), bank.name)
        return out

    def banks(self) -> list[dict[str, Any]]:
        """Every bank with its item count."""
        q = (
            sa.select(
                _banks.c.name,
                _banks.c.version,
                _banks.c.origin,
                _banks.c.title,
                sa.func.count(_items.c.id).label("items"),
            )
            .select_from(
                _banks.outerjoin(
                    _items, sa.and_(_items.c.bank_id == _banks.c.id, _items.c.retired.is_(False))
                )
            )
            .group_by(_banks.c.id)
            .order_by(_banks.c.name)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    # -- counts ----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """The `certprep stats --json` object ("due_now": what a review offers now)."""
        from certprep.services.review import due_counts

        lid = self.learner_id
        live = _items.c.retired.is_(False)
        with self.engine.connect() as conn:
            n_items = conn.execute(
                sa.select(sa.func.count()).select_from(_items).where(live)
            ).scalar_one()
            by_exam: dict[str, dict[str, Any]] = {}
            q = (
                sa.select(_links.c.exam, _links.c.section, sa.func.count().label("n"))
                .select_from(_links.join(_items, _items.c.id == _links.c.item_id))
                .where(live)
                .group_by(_links.c.exam, _links.c.section)
            )
            for r in conn.execute(q):
                e = by_exam.setdefault(r.exam, {"items": 0, "sections": {}})
                e["items"] += r.n
                e["sections"][r.section] = r.n
            states: dict[int, int] = dict(
                conn.execute(
                    sa.select(_cards.c.state, sa.func.count())
                    .select_from(_cards.join(_items, _items.c.id == _cards.c.item_id))
                    .where(_cards.c.learner_id == lid, live, _cards.c.suspended.is_(False))
                    .group_by(_cards.c.state)
                ).all()
            )
            suspended = conn.execute(
                sa.select(sa.func.count())
                .select_from(_cards)
                .where(_cards.c.learner_id == lid, _cards.c.suspended.is_(True))
            ).scalar_one()
            touched = sum(states.values()) + suspended
            reviews = conn.execute(
                sa.select(sa.func.count()).select_from(_logs).where(_logs.c.learner_id == lid)
            ).scalar_one()
            attempts = conn.execute(
                sa.select(sa.func.count())
                .select_from(_attempts)
                .where(_attempts.c.learner_id == lid)
            ).scalar_one()
        banks = [
            {"name": b["name"], "version": b["version"], "items": b["items"]} for b in self.banks()
        ]
        return {
            "items": n_items,
            "banks": banks,
            "by_exam": dict(sorted(by_exam.items())),
            "cards": {
                "new": n_items - touched + states.get(0, 0),
                "learning": states.get(1, 0),
                "review": states.get(2, 0),
                "relearning": states.get(3, 0),
                "due_now": due_counts(self).due,
                "suspended": suspended,
            },
            "reviews": reviews,
            "attempts": attempts,
            "profile": self.profile,
        }

    def exam_counts(self) -> list[ExamCounts]:
        """Per exam: items, cards due now and new cards still allowed today (exactly what a
        review of that exam offers now: ``certprep.services.review.due_by_exam``), cards in
        learning."""
        from certprep.services.review import due_by_exam
        from certprep.services.settings import learner_zone

        now = self.clock()
        bps = self.blueprints()
        out = []
        for d in due_by_exam(self):
            bp = bps.get(d.exam)
            exam_date = self.settings.get("exam_dates", {}).get(d.exam)
            days_left = None
            if exam_date:
                hour = int(self.settings["rollover_hour"])
                today = date.fromisoformat(study_date(now, hour, learner_zone(self)))
                days_left = (date.fromisoformat(exam_date) - today).days
            out.append(
                ExamCounts(
                    d.exam,
                    bp.name if bp else d.exam.upper(),
                    d.items,
                    d.offered.due,
                    d.offered.new,
                    d.learning,
                    bp is not None,
                    exam_date,
                    days_left,
                )
            )
        return out

    def recent_attempts(self, limit: int = 5) -> list[AttemptLine]:
        q = (
            sa.select(_attempts)
            .where(_attempts.c.learner_id == self.learner_id)
            .order_by(_attempts.c.started_at.desc(), _attempts.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        out = []
        for r in rows:
            res = r.result or {}
            out.append(
                AttemptLine(
                    r.id, r.title, r.status, r.started_at, res.get("score"), res.get("passed")
                )
            )
        return out

    def home_summary(self) -> HomeSummary:
        """Everything the home screen shows, in one call."""
        attempts = self.recent_attempts()
        in_progress = next((a for a in attempts if a.status == "in_progress"), None)
        counts = self.exam_counts()
        with self.engine.connect() as conn:
            # every item (the counter the database keeps) less the retired ones (their index)
            total = (
                conn.execute(
                    sa.select(ITEM_COUNT.c.total).where(ITEM_COUNT.c.scope == "*")
                ).scalar()
                or 0
            )
            total -= conn.execute(
                sa.select(sa.func.count()).where(_items.c.retired == sa.true())
            ).scalar_one()
        return HomeSummary(self.profile, counts, attempts, in_progress, int(total))
