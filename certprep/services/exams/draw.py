"""Drawing a form: the pool of live items, least recently seen first, and starting an attempt."""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.assembly import (
    Form,
    PoolItem,
    assemble,
    form_counts,
    time_limit_s,
)
from certprep.core.models import Blueprint, ItemKind
from certprep.store.direct import Direct
from certprep.store.engine import writing
from certprep.store.tables import (
    BANK,
    CARD,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
    ITEM_EXAM,
)

if TYPE_CHECKING:
    from certprep.services.services import Services

from certprep.services.exams.views import IN_PROGRESS, MODES, ExamModeError


class ExamDraw:
    """Pool, draw and start."""

    services: Services
    # an exam with at least this many items is drawn by walking its sections' index from a
    # seeded point (``_walk``); a smaller one is ranked whole, which is as quick at that size
    WALK_FROM = 2000

    # -- starting --------------------------------------------------------------------------
    def pool(
        self,
        blueprint: Blueprint,
        *,
        counts: dict[str, int] | None = None,
        seed: int = 0,
        include_drills: bool = False,
    ) -> tuple[list[PoolItem], dict[str, datetime | None]]:
        """The live items of the blueprint's exam in allowed kinds, and when each was last seen.

        Seen means reviewed (the card's last review) or shown in an earlier attempt. With
        ``counts`` (questions per section), the database ranks each section's items (never
        seen first, then the longest ago, ties by a seeded hash) and returns only the first
        few times what the section needs, plus the rest of any scenario series among them:
        assembly then works on hundreds of items instead of the whole bank.
        """
        lid = self.services.learner_id
        kinds = [str(k) for k in blueprint.item_kinds if k is not ItemKind.FLASHCARD]
        shown = (
            sa.select(EXAM_ANSWER.c.item_id, sa.func.max(EXAM_ATTEMPT.c.started_at).label("at"))
            .select_from(
                EXAM_ANSWER.join(EXAM_ATTEMPT, EXAM_ATTEMPT.c.id == EXAM_ANSWER.c.attempt_id)
            )
            .where(EXAM_ATTEMPT.c.learner_id == lid)
            .group_by(EXAM_ANSWER.c.item_id)
            .subquery()
        )
        reviewed = CARD.c.last_review
        seen_at = sa.case(
            (reviewed.is_(None), shown.c.at),
            (shown.c.at.is_(None), reviewed),
            (reviewed > shown.c.at, reviewed),
            else_=shown.c.at,
        )
        joined = (
            ITEM.join(
                ITEM_EXAM,
                sa.and_(ITEM_EXAM.c.item_id == ITEM.c.id, ITEM_EXAM.c.exam == blueprint.key),
            )
            .outerjoin(CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == lid))
            .outerjoin(shown, shown.c.item_id == ITEM.c.id)
        )
        # generated drills belong to review, not to a mock form
        live = Live(tuple(kinds), () if include_drills else tuple(self.drill_banks()))
        cols = _candidate_columns(seen_at)
        with self.services.engine.connect() as conn:
            rows: list[Any]
            if counts is None:
                rows = list(conn.execute(sa.select(*cols).select_from(joined).where(live.sql())))
            elif self._large(conn, blueprint.key):
                rows, short = self._walk(conn, blueprint.key, counts, seed, live)
                counts = {k: n for k, n in counts.items() if k in short}
            else:
                rows = []
            if counts:  # sections short of unseen items: rank all of theirs, seen included
                mix = (
                    sa.cast(ITEM.c.bank_id, sa.BigInteger) * 1000003
                    + ITEM.c.position
                    + seed % 1000003
                )
                ranked = (
                    sa.select(
                        *cols,
                        sa.func.row_number()
                        .over(
                            partition_by=ITEM_EXAM.c.section,
                            order_by=[
                                seen_at.is_not(None),
                                seen_at,
                                (mix * 2654435761) % 2147483647,
                            ],
                        )
                        .label("rank"),
                    )
                    .select_from(joined)
                    .where(live.sql(), ITEM_EXAM.c.section.in_(list(counts)))
                    .subquery()
                )
                limits = sa.case(
                    *[(ranked.c.section == k, 4 * n + 20) for k, n in counts.items()], else_=0
                )
                rows += list(conn.execute(sa.select(ranked).where(ranked.c.rank <= limits)))
            if counts is not None:
                cases = {r.case_id for r in rows if r.case_id}
                if cases:  # a series is drawn whole: bring in the rest of its questions
                    have = {r.id for r in rows}
                    # its questions by ix_item_case, then read by id (joined from the exam's
                    # side, the database would walk every item of the exam to find them)
                    members = [
                        i
                        for i in conn.execute(
                            sa.select(ITEM.c.id).where(ITEM.c.case_id.in_(cases))
                        ).scalars()
                        if i not in have
                    ]
                    if members:
                        rows += list(
                            conn.execute(
                                sa.select(*cols)
                                .select_from(joined)
                                .where(live.sql(), ITEM_EXAM.c.item_id.in_(members))
                            )
                        )
        pool = [
            PoolItem(
                id=r.id,
                section=r.section,
                case=r.case_id,
                bank=int(r.bank_id),
                position=int(r.position),
            )
            for r in rows
        ]
        seen = {r.id: r.seen for r in rows if r.seen is not None}
        return pool, seen

    def choices(self, ids: list[str]) -> dict[str, tuple[tuple[str, ...], bool]]:
        """The written choice keys of these items, and whether their order is pinned (read for
        the drawn questions only: each is the item's whole payload)."""
        keys: dict[str, tuple[tuple[str, ...], bool]] = {}
        with self.services.engine.connect() as conn:
            for start in range(0, len(ids), 900):
                for item_id, kind, payload in conn.execute(
                    sa.select(ITEM.c.id, ITEM.c.kind, ITEM.c.payload).where(
                        ITEM.c.id.in_(ids[start : start + 900])
                    )
                ):
                    if kind == ItemKind.CODE.value:
                        continue
                    keys[item_id] = (
                        tuple(c["key"] for c in payload.get("choices", [])),
                        # True before False reads oddly shuffled: true/false items keep their order
                        bool(payload.get("pin_choices", False))
                        or payload.get("kind") == ItemKind.TRUE_FALSE.value,
                    )
        return keys

    def _large(self, conn: Any, exam: str) -> bool:
        """Whether the exam has ``WALK_FROM`` items or more (counted no further than that)."""
        some = sa.select(ITEM_EXAM.c.item_id).where(ITEM_EXAM.c.exam == exam)
        n = conn.execute(
            sa.select(sa.func.count()).select_from(some.limit(self.WALK_FROM).subquery())
        ).scalar_one()
        return int(n) >= self.WALK_FROM

    def _walk(
        self, conn: Any, exam: str, counts: dict[str, int], seed: int, live: Live
    ) -> tuple[list[Any], set[str]]:
        """Unseen live items of each section, walked in ``rkey`` order (a random key per item,
        stored) from a point the seed picks, wrapping round: the first ``2n + 10`` of them, read
        through ``ix_item_exam_walk`` without ranking the whole exam. Returns the rows and the
        sections that have fewer unseen items than that (ranked the slow way, seen included).

        The statement for a shape (exam sections, kinds, drill banks, which half of the walk)
        is built once and run directly (``store.direct``): a full form's walk is 17 selects."""
        need = {section: 2 * n + 10 for section, n in counts.items()}
        starts = {
            section: random.Random(f"{seed}:{exam}:{section}").randrange(2**31)
            for section in counts
        }
        found: dict[str, list[Any]] = {section: [] for section in counts}

        def walk(sections: list[str], onward: bool, limits: dict[str, int]) -> None:
            """Each section's items from (onward) or up to its seeded point, in rkey order."""
            stmt = _walk_statement(tuple(sections), onward, live)
            params: dict[str, Any] = {"exam": exam, "lid": self.services.learner_id}
            for i, section in enumerate(sections):
                params.update(
                    {f"s{i}": section, f"k{i}": starts[section], f"n{i}": limits[section]}
                )
            for r in stmt.all(conn, params):
                found[r.section].append(r)

        # from the seeded point to the end of each section, then (if short) round from its start
        walk(list(counts), True, need)
        rest = {k: need[k] - len(found[k]) for k in counts if len(found[k]) < need[k]}
        if rest:
            walk(list(rest), False, rest)
        short = {k for k in counts if len(found[k]) < need[k]}
        rows = [r for k in counts if k not in short for r in found[k]]
        return rows, short

    def drill_banks(self) -> list[int]:
        """Banks of generated drills (code-set items): they feed review and topic drills and
        enter a mock exam form only when the learner asks (``include_drills``)."""
        with self.services.engine.connect() as conn:
            rows = conn.execute(sa.select(BANK.c.id, BANK.c.name, BANK.c.header)).all()
        return [
            int(r.id)
            for r in rows
            if (r.header or {}).get("drills") or str(r.name).startswith("codeset-")
        ]

    def draw(self, blueprint: str | Blueprint, seed: int, **options: Any) -> Form:
        """Draw a form without starting an attempt (what `start` writes; used by benchmarks)."""
        bp = blueprint if isinstance(blueprint, Blueprint) else self.services.blueprint(blueprint)
        counts = form_counts(
            bp, sections=options.get("sections"), questions=options.get("questions")
        )
        drills = bool(options.pop("include_drills", False))
        pool, seen = self.pool(bp, counts=counts, seed=seed, include_drills=drills)
        return assemble(bp, pool, seed=seed, last_seen=seen, choices=self.choices, **options)

    def start(
        self,
        blueprint: str | Blueprint,
        seed: int | None = None,
        mode: str = "timed",
        sections: Sequence[str] | None = None,
        questions: int | None = None,
        unseen_only: bool = False,
        include_drills: bool = False,
    ) -> int:
        """Draw a form and write the attempt with all its answer rows in one transaction.

        Raises ShortPoolError (with a shorter form that would fit) or AssemblyError.
        """
        if mode not in MODES:
            raise ExamModeError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        svc = self.services
        bp = blueprint if isinstance(blueprint, Blueprint) else svc.blueprint(blueprint)
        if seed is None:
            seed = random.SystemRandom().randrange(2**31)
        counts = form_counts(bp, sections=sections, questions=questions)
        pool, seen = self.pool(bp, counts=counts, seed=seed, include_drills=include_drills)
        form = assemble(
            bp,
            pool,
            seed=seed,
            last_seen=seen,
            unseen_only=unseen_only,
            sections=sections,
            questions=questions,
            choices=self.choices,
        )
        limit = time_limit_s(bp, form.size) if mode == "timed" else None
        title = f"{bp.key.upper()} {'mock exam' if mode == 'timed' else 'practice'}"
        title += f", {form.size} questions"
        if mode != "timed":
            title += f", {mode}"
        if sections:
            title += f" ({', '.join(sections)})"
        lid = svc.learner_id
        now = svc.clock()
        with writing(svc.engine) as conn:
            attempt_id = int(
                conn.execute(
                    sa.insert(EXAM_ATTEMPT).values(
                        learner_id=lid,
                        blueprint_key=bp.key,
                        blueprint=bp.model_dump(mode="json"),
                        title=title[:200],
                        seed=seed,
                        mode=mode,
                        status=IN_PROGRESS,
                        started_at=now,
                        time_limit_s=limit,
                        time_used_s=0.0,
                        last_seen_at=now,
                        paused=False,
                        position=0,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            conn.execute(
                sa.insert(EXAM_ANSWER),
                [
                    {
                        "attempt_id": attempt_id,
                        "position": i,
                        "item_id": fq.item_id,
                        "section": fq.section,
                        "pretest": fq.pretest,
                        "choice_order": list(fq.choice_order),
                        "response": [],
                        "struck": [],
                        "flagged": False,
                        "correct": None,
                        "time_spent_s": 0.0,
                        "answered_at": None,
                    }
                    for i, fq in enumerate(form.questions)
                ],
            )
        return attempt_id


def _candidate_columns(seen: Any) -> list[Any]:
    """What a form draw reads of each candidate (all in ``ix_item_draw``), with when it was
    last seen (``seen``: an expression, or NULL where only unseen items are read)."""
    return [
        ITEM.c.id,
        ITEM_EXAM.c.section,
        ITEM.c.case_id,
        ITEM.c.bank_id,
        ITEM.c.position,
        ITEM.c.kind,
        seen.label("seen"),
    ]


@dataclass(frozen=True)
class Live:
    """Which items a form may use: live, of the blueprint's kinds, outside the drill banks."""

    kinds: tuple[str, ...]
    drills: tuple[int, ...]

    def sql(self, *, literal: bool = False) -> Any:
        """The condition; ``literal`` writes the kinds (ItemKind values) and the bank ids (ints)
        into the SQL, for a statement built once and kept (``_walk_statement``)."""
        if literal:
            kinds: Any = [sa.literal_column(f"'{ItemKind(k).value}'") for k in self.kinds]
            drills: Any = [sa.literal_column(str(int(b))) for b in self.drills]
        else:
            kinds, drills = list(self.kinds), list(self.drills)
        cond = sa.and_(ITEM.c.retired.is_(False), ITEM.c.kind.in_(kinds))
        return sa.and_(cond, ITEM.c.bank_id.not_in(drills)) if drills else cond


@functools.lru_cache(maxsize=64)
def _walk_statement(sections: tuple[str, ...], onward: bool, live: Live) -> Direct:
    """Each section's unseen live items from (``onward``) or up to its seeded point ``k<i>``, in
    rkey order, the first ``n<i>``; binds ``exam``, ``lid`` and per section ``s<i>``."""
    lid: Any = sa.bindparam("lid")
    unseen = sa.and_(
        ~sa.exists().where(
            CARD.c.learner_id == lid,
            CARD.c.item_id == ITEM_EXAM.c.item_id,
            CARD.c.last_review.is_not(None),
        ),
        ~sa.exists()
        .select_from(EXAM_ANSWER.join(EXAM_ATTEMPT, EXAM_ATTEMPT.c.id == EXAM_ANSWER.c.attempt_id))
        .where(EXAM_ANSWER.c.item_id == ITEM_EXAM.c.item_id, EXAM_ATTEMPT.c.learner_id == lid),
    )
    cols = _candidate_columns(sa.null())
    rkey = ITEM_EXAM.c.rkey
    selects = []
    for i in range(len(sections)):
        point = sa.bindparam(f"k{i}", type_=sa.Integer)
        selects.append(
            sa.select(*cols)
            .select_from(ITEM_EXAM.join(ITEM, ITEM.c.id == ITEM_EXAM.c.item_id))
            .where(
                ITEM_EXAM.c.exam == sa.bindparam("exam"),
                ITEM_EXAM.c.section == sa.bindparam(f"s{i}"),
                rkey >= point if onward else rkey < point,
                live.sql(literal=True),
                unseen,
            )
            .order_by(rkey)
            .limit(sa.bindparam(f"n{i}", type_=sa.Integer))
            .subquery()
            .select()
        )
    return Direct(selects[0] if len(selects) == 1 else sa.union_all(*selects))
