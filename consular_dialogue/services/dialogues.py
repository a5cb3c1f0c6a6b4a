"""Dialogue mechanisms: the bilateral frameworks that meetings belong to."""

from __future__ import annotations

import datetime as dt
import re

from ..dates import PartialDate
from ..errors import InputError, NotFoundError
from ..models import JOINT, Dialogue, iso_time, optional_text, require_text
from ..storage import Repository

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
PARTY_PATTERN = re.compile(r"[A-Z]{2}")


def parse_parties(text: str) -> list[str]:
    """``MX,US`` -> ``["MX", "US"]``: exactly two distinct ISO country codes."""
    parties = [p.strip().upper() for p in text.split(",") if p.strip()]
    if len(parties) != 2 or parties[0] == parties[1]:
        raise InputError(f"--parties {text!r} must name two different countries, e.g. MX,US.")
    for party in parties:
        if not PARTY_PATTERN.fullmatch(party):
            raise InputError(f"{party!r} is not a two-letter ISO country code such as MX or US.")
    return parties


def check_key(key: str) -> str:
    key = key.strip().lower()
    if not KEY_PATTERN.fullmatch(key):
        raise InputError(
            f"Dialogue key {key!r} must be lower-case letters, digits and dashes (e.g. consular)."
        )
    return key


def find_dialogue(repo: Repository, key: str) -> Dialogue | None:
    return next((d for d in repo.all(Dialogue) if d.key == key), None)


def get_dialogue(repo: Repository, key: str) -> Dialogue:
    dialogue = find_dialogue(repo, key.strip().lower())
    if dialogue is None:
        known = ", ".join(d.key for d in repo.all(Dialogue)) or "none yet"
        raise NotFoundError(f"Dialogue {key!r} does not exist (known: {known}).")
    return dialogue


def resolve_dialogue(repo: Repository, key: str | None) -> Dialogue:
    """The dialogue a new record belongs to: the one named, or the only one there is."""
    if key:
        return get_dialogue(repo, key)
    dialogues = repo.all(Dialogue)
    if len(dialogues) == 1:
        return dialogues[0]
    if not dialogues:
        raise InputError(
            'No dialogue exists yet; add one first: cdt dialogue add "NAME" --key KEY '
            "--parties MX,US"
        )
    keys = ", ".join(d.key for d in dialogues)
    raise InputError(f"Several dialogues exist ({keys}); choose one with --dialogue KEY.")


def add_dialogue(
    repo: Repository,
    *,
    name: str,
    key: str,
    parties: list[str],
    established: PartialDate | None,
    notes: str | None,
    now: dt.datetime,
) -> Dialogue:
    key = check_key(key)
    if find_dialogue(repo, key) is not None:
        raise InputError(f"Dialogue {key!r} exists already; choose another --key.")
    dialogue = Dialogue(
        key=key,
        name=require_text(name, "dialogue name", max_length=300),
        parties=parties,
        established=established,
        notes=optional_text(notes, "notes"),
        updated=iso_time(now),
    )
    return repo.add(dialogue)


def parties_in_use(repo: Repository, dialogue: Dialogue) -> set[str]:
    """Every party a record of this dialogue names: delegations, hosts, leads, actions."""
    from ..models import JOINT, Action, AgendaItem, Meeting

    meetings = {m.id: m for m in repo.all(Meeting) if m.dialogue == dialogue.key}
    used = {d.party for m in meetings.values() for d in m.delegations}
    used.update(m.host for m in meetings.values() if m.host)
    used.update(i.lead for i in repo.all(AgendaItem) if i.meeting_id in meetings and i.lead)
    used.update(a.party for a in repo.all(Action) if a.meeting_id in meetings)
    used.discard(JOINT)
    return used


def edit_dialogue(
    repo: Repository,
    key: str,
    *,
    now: dt.datetime,
    name: str | None = None,
    parties: list[str] | None = None,
    established: PartialDate | None = None,
    notes: str | None = None,
) -> Dialogue:
    dialogue = get_dialogue(repo, key)
    before = dialogue.to_record()
    if name is not None:
        dialogue.name = require_text(name, "dialogue name", max_length=300)
    if parties is not None:
        dropped = parties_in_use(repo, dialogue) - set(parties)
        if dropped:
            raise InputError(
                f"Records of {dialogue.key!r} (delegations, hosts, agenda leads or actions) "
                f"name {', '.join(sorted(dropped))}; keep those parties."
            )
        dialogue.parties = parties
    if established is not None:
        dialogue.established = established
    if notes is not None:
        dialogue.notes = optional_text(notes, "notes")
    if dialogue.touch(before, now):
        repo.update(dialogue)
    return dialogue


def check_side(repo: Repository, dialogue_key: str | None, value: str, what: str) -> str:
    """Who leads or owns something: one of the dialogue's parties, or ``joint``.

    Without a dialogue (a filter), any dialogue's party will do.
    """
    side = value.strip()
    if side.lower() == JOINT:
        return JOINT
    if dialogue_key is None:
        parties = sorted({p for d in repo.all(Dialogue) for p in d.parties})
        where = "any dialogue"
    else:
        parties = get_dialogue(repo, dialogue_key).parties
        where = "this dialogue"
    if side.upper() not in parties:
        raise InputError(
            f"{what} {side!r} is not a party of {where}; use {', '.join(parties)} or joint."
        )
    return side.upper()
