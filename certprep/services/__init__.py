"""Use cases shared by the CLI and the TUI, and the factory that builds them."""

from __future__ import annotations

from pathlib import Path

from certprep.services.services import Clock, Services


def open_services(
    db: str | None = None,
    profile: str = "default",
    *,
    clock: Clock | None = None,
    banks_dir: Path | None = None,
) -> Services:
    """Open (creating or upgrading) the database and return the use cases for one learner."""
    from certprep.services.settings import resolve_db
    from certprep.store.engine import make_engine, sqlite_path
    from certprep.store.migrate import ensure_schema

    url = resolve_db(db)
    engine = make_engine(url)
    path = sqlite_path(engine)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from certprep.core.problems import InputError

            raise InputError(
                f"cannot create the folder for the database: {exc.strerror or exc}; "
                "pass --db with a writable path",
                str(path.parent),
            ) from None
    ensure_schema(engine)
    from certprep.services.classroom import profile_for

    profile = profile_for(engine, profile)  # a classroom student is always their own learner
    kwargs = {"clock": clock} if clock else {}
    return Services(engine, profile, banks_dir=banks_dir, **kwargs)


__all__ = ["Services", "open_services"]
