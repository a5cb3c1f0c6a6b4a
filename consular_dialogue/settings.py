"""Where the data file lives and the run's settings, resolved from flags and env."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from .errors import InputError

APP_NAME = "consular-dialogue"
DATA_FILE_NAME = "tracker.json"
LANGUAGES = ("en", "es")


def default_data_dir() -> Path:
    """The per-user data folder (platformdirs knows each OS's convention)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def resolve_db_path(flag: str | None, env: Mapping[str, str]) -> Path:
    """``--db`` first, then ``CDT_DB``, then the per-user data folder."""
    if flag:
        return Path(flag).expanduser()
    if env.get("CDT_DB"):
        return Path(env["CDT_DB"]).expanduser()
    return default_data_dir() / DATA_FILE_NAME


def resolve_now(env: Mapping[str, str]) -> dt.datetime:
    """The run's "now": the clock, or ``CDT_NOW`` (a date or an ISO time) for tests and demos."""
    value = env.get("CDT_NOW")
    local = dt.datetime.now().astimezone()
    if not value:
        return local
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"CDT_NOW={value!r} is not an ISO date or time; use e.g. 2023-04-24 or "
            "2023-04-24T10:00:00-06:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local.tzinfo)
    return moment


def resolve_lang(flag: str | None, env: Mapping[str, str]) -> str:
    value = (flag or env.get("CDT_LANG") or "en").strip().lower()
    if value not in LANGUAGES:
        raise InputError(f"Unknown language {value!r}; use en or es.")
    return value


class Settings(NamedTuple):
    """Everything a command needs to know about this run."""

    db_path: Path
    now: dt.datetime
    lang: str
    date_order: str | None
    lock_timeout: float
    backups: int
    debug: bool = False

    @property
    def today(self) -> dt.date:
        return self.now.date()


def settings_from(
    *,
    db: str | None,
    lang: str | None,
    date_order: str | None,
    debug: bool,
    env: Mapping[str, str] | None = None,
) -> Settings:
    from .dates import parse_date_order
    from .storage import backups_from_env, lock_timeout_from_env

    environ = os.environ if env is None else env
    order_text = date_order or environ.get("CDT_DATE_ORDER")
    return Settings(
        db_path=resolve_db_path(db, environ),
        now=resolve_now(environ),
        lang=resolve_lang(lang, environ),
        date_order=parse_date_order(order_text) if order_text else None,
        lock_timeout=lock_timeout_from_env(environ.get("CDT_LOCK_TIMEOUT")),
        backups=backups_from_env(environ.get("CDT_BACKUPS")),
        debug=debug,
    )
