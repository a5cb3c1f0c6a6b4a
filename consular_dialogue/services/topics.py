"""Topics: stable slugs that let a subject be followed across meetings and years."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..errors import InputError, NotFoundError
from ..models import Action, AgendaItem, Topic, iso_time, item_topic, require_text
from ..storage import Repository, every

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def read_shipped(name: str) -> Any:
    """A JSON file from the shipped ``data/`` folder."""
    import json  # only when a new file gets its catalog: not on every command's start-up
    from importlib import resources

    text = resources.files("consular_dialogue.data").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if len(slug) > 60 or not SLUG_PATTERN.fullmatch(slug):
        raise InputError(
            f"Topic {slug[:60]!r} is not a slug; use lower-case words joined by dashes, "
            "e.g. consular-access."
        )
    return slug


def load_catalog(repo: Repository, now: dt.datetime) -> None:
    """Give a new data file the usual topics of a consular dialogue."""
    known = {t.slug for t in repo.all(Topic)}
    for entry in read_shipped("topics.json"):
        if entry["slug"] not in known:
            repo.add(Topic(updated=iso_time(now), **entry))


def find_topic(repo: Repository, slug: str) -> Topic | None:
    return next((t for t in repo.all(Topic) if t.slug == slug), None)


def get_topic(repo: Repository, slug: str) -> Topic:
    topic = find_topic(repo, check_slug(slug))
    if topic is None:
        raise NotFoundError(f"Topic {slug!r} does not exist; see cdt topic list.")
    return topic


def ensure_topic(repo: Repository, slug: str, now: dt.datetime) -> Topic:
    """The topic with this slug, created on first use with its slug as a name."""
    slug = check_slug(slug)
    topic = find_topic(repo, slug)
    if topic is None:
        name = slug.replace("-", " ").capitalize()
        topic = repo.add(Topic(slug=slug, name_es=name, name_en=name, updated=iso_time(now)))
    return topic


def edit_topic(
    repo: Repository,
    slug: str,
    *,
    now: dt.datetime,
    name_es: str | None = None,
    name_en: str | None = None,
) -> Topic:
    topic = get_topic(repo, slug)
    before = topic.to_record()
    if name_es is not None:
        topic.name_es = require_text(name_es, "Spanish name", max_length=200)
    if name_en is not None:
        topic.name_en = require_text(name_en, "English name", max_length=200)
    if topic.touch(before, now):
        repo.update(topic)
    return topic


def topic_counts(repo: Repository) -> list[tuple[Topic, int, int]]:
    """Each topic with its number of agenda items and of open actions.

    Only an item's topic and an open action's item are read: neither finished actions
    nor any model of the 100,000 actions a ministry may hold are built.
    """
    topics = dict(repo.select_as(AgendaItem, item_topic, every, lines=True))
    agenda: dict[str, int] = {}
    for slug in topics.values():
        if slug:
            agenda[slug] = agenda.get(slug, 0) + 1
    open_actions: dict[str, int] = {}
    unfinished = repo.unfinished_lines(Action.stored_unfinished)
    for action in unfinished:
        topic = topics.get(action.item_id) if action.item_id else None
        if topic:
            open_actions[topic] = open_actions.get(topic, 0) + 1
    return [
        (t, agenda.get(t.slug, 0), open_actions.get(t.slug, 0))
        for t in sorted(repo.all(Topic), key=lambda t: t.slug)
    ]
