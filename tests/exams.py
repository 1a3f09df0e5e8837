"""What the exam tests share: a small CPC-keyed blueprint the generated items fit."""

from __future__ import annotations

from certprep.core.models import Blueprint

SECTIONS = ("icd10cm", "hcpcs")


def small_blueprint(minutes: int = 40, **extra: object) -> Blueprint:
    """Five questions (three ICD-10-CM, two HCPCS) in ``minutes``."""
    return Blueprint.model_validate(
        {
            "key": "cpc",
            "name": "Small CPC",
            "questions": 5,
            "time_limit_minutes": minutes,
            "pass_mark": 0.6,
            "sections": [
                {"key": "icd10cm", "title": "ICD-10-CM", "questions": 3},
                {"key": "hcpcs", "title": "HCPCS Level II", "questions": 2},
            ],
            **extra,
        }
    )
