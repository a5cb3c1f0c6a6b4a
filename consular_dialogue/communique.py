"""Read an SRE communiqué or a State Department media note into a meeting draft.

Pure: text in, draft out. Nothing here reads files, prints or touches the data file;
the caller decides what to do with the draft.

Every inferred value keeps the sentence it came from, and a value the text does not
give is left ``None`` and named in ``missing``: a clerk must be able to check each
field against the communiqué, so nothing is guessed to make the draft look complete.

Matching runs on an accent-folded copy of each sentence ("reunión" -> "reunion") that
has exactly the same length as the original, so every span found in the folded text
is cut from the original and keeps the communiqué's own wording and accents.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .dates import PartialDate
from .errors import InputError

__all__ = [
    "AgendaDraft",
    "CommuniqueDraft",
    "DelegationDraft",
    "MeetingDraft",
    "Sourced",
    "html_to_text",
    "read_communique",
]

MEXICO = "MX"
UNITED_STATES = "US"
DIALOGUE_NAME = {
    "es": "Diálogo Consular México-Estados Unidos",
    "en": "U.S.-Mexico Consular Dialogue",
}


# --------------------------------------------------------------------------- drafts


@dataclass(frozen=True)
class Sourced:
    """An inferred value and the sentence it came from."""

    value: str
    source: str


@dataclass
class DelegationDraft:
    party: str
    head: str | None
    title: str | None
    source: str


@dataclass
class AgendaDraft:
    title: str
    topic: str | None
    source: str


@dataclass
class MeetingDraft:
    title: str
    kind: str | None
    date: PartialDate | None
    end_date: PartialDate | None
    location: str | None
    host: str | None
    status: str
    ref: str | None
    source_date: PartialDate | None
    delegations: list[DelegationDraft] = field(default_factory=list)
    agenda: list[AgendaDraft] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


@dataclass
class CommuniqueDraft:
    meeting: MeetingDraft
    announced: list[MeetingDraft]
    ref: str | None
    source_date: PartialDate | None
    language: str


# --------------------------------------------------------------------------- text model


@dataclass(frozen=True)
class _Sentence:
    text: str
    folded: str
    block: str  # "heading" (no closing punctuation), "bullet" or "paragraph"
    position: int  # order in the document, so equal sentences stay distinct

    def cut(self, match: re.Match[str], group: int | str = 0) -> str:
        """The original wording of a span matched in the folded text."""
        start, end = match.span(group)
        return self.text[start:end]


def _fold(text: str) -> str:
    # One character in, one character out: offsets in the folded text are offsets in the text.
    return "".join(unicodedata.normalize("NFD", char)[0] for char in text)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")


_BULLET = re.compile(r"^(?:[-•*–·]|\d{1,2}[.)])\s+")
_CLOSING_PUNCTUATION = (".", "!", "?", "…", ":", ";", '"', "”", ")")
# A full stop followed by a capital starts a new sentence...
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[¿¡\"“(]?[A-ZÁÉÍÓÚÑ])")
# ...unless it closes an abbreviation ("U.S. Embassy", "D.C. The", "Sr. Pérez").
_ABBREVIATION_END = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Sr|Sra|Dr|Dra|Lic|Mtro|Mtra|Ing|No|Núm|Mr|Mrs|Ms|St|Amb)\.)$"
)


def _chunks(text: str) -> list[tuple[str, str]]:
    """(block, text) pairs: wrapped lines joined, each bullet on its own."""
    chunks: list[tuple[str, str]] = []
    pending: list[str] = []
    for raw_line in [*text.split("\n"), ""]:
        line = " ".join(raw_line.split())
        bullet = _BULLET.match(line)
        if (not line or bullet) and pending:
            joined = " ".join(pending)
            chunks.append(
                ("paragraph" if joined.endswith(_CLOSING_PUNCTUATION) else "heading", joined)
            )
            pending = []
        if bullet:
            chunks.append(("bullet", line[bullet.end() :]))
        elif line:
            pending.append(line)
    return chunks


def _split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for piece in _SENTENCE_BREAK.split(text):
        if sentences and _ABBREVIATION_END.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _sentences(text: str) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    for block, chunk in _chunks(text):
        pieces = [chunk] if block == "heading" else _split_sentences(chunk)
        for piece in pieces:
            sentences.append(_Sentence(piece, _fold(piece), block, len(sentences)))
    return sentences


def _body(sentences: Iterable[_Sentence]) -> list[_Sentence]:
    return [s for s in sentences if s.block != "heading"]


# --------------------------------------------------------------------------- header

_REF = re.compile(r"\bcomunicado\s+(?:no\.?|num\.?|numero|nro\.?)\s*(?P<number>\d+)", re.I)
_SPANISH_WORDS = _words("de la el los las del se y en por que con una para su fue")
_ENGLISH_WORDS = _words("the and of was were to in with for on by their is")
# A dateline is a line that is mostly its date ("Secretaría ... | 24 de abril de 2023 | ...").
_DATELINE_MAX_OTHER_WORDS = 6


@dataclass(frozen=True)
class _Header:
    language: str
    ref: Sourced | None
    source_date: PartialDate | None
    source_date_line: str | None


def _read_header(sentences: list[_Sentence]) -> _Header:
    ref = next(
        (
            Sourced(f"Comunicado No. {match['number']}", s.text)
            for s in sentences
            if s.block == "heading" and (match := _REF.search(s.folded))
        ),
        None,
    )
    source_date, line = _find_dateline(sentences)
    return _Header(_detect_language(sentences), ref, source_date, line)


def _find_dateline(sentences: list[_Sentence]) -> tuple[PartialDate | None, str | None]:
    for sentence in sentences:
        if sentence.block == "bullet":
            continue
        for pattern in _FULL_DATES:
            match = pattern.search(sentence.folded)
            if match is None:
                continue
            rest = sentence.folded[: match.start()] + sentence.folded[match.end() :]
            span = _explicit_date(match, None)
            if span and len(re.findall(r"\w+", rest)) <= _DATELINE_MAX_OTHER_WORDS:
                return span[0], sentence.text
    return None, None


def _detect_language(sentences: list[_Sentence]) -> str:
    words = re.findall(r"[a-z]+", " ".join(s.folded for s in sentences).lower())
    spanish = sum(word in _SPANISH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    return "es" if spanish >= english else "en"


# --------------------------------------------------------------------------- dates

_MESES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
_MONTHS: dict[str, int] = {
    name: number
    for names in (_MESES, _MONTH_NAMES)
    for number, name in enumerate(names.split(), start=1)
} | {"setiembre": 9}
_MES = "(?:" + "|".join([*_MESES.split(), "setiembre"]) + ")"
_MONTH = "(?:" + "|".join(_MONTH_NAMES.split()) + ")"
_D1, _D2 = r"(?P<d1>\d{1,2})", r"(?P<d2>\d{1,2})"
# "de 2023", "de este año", "del próximo año" (folded: "ano").
_YEAR_ES = r"(?P<year>\d{4}|(?:este|el\s+presente)\s+ano|(?:el\s+)?proximo\s+ano|ano\s+proximo)"
_YEAR_EN = r"(?P<year>\d{4}|(?:of\s+)?(?:this|next)\s+year)"
_OF_YEAR_ES = rf"(?:\s+del?\s+{_YEAR_ES})?"
_OF_YEAR_EN = rf"(?:,?\s+{_YEAR_EN})?"

_Span = tuple[PartialDate, PartialDate | None]
_DateBuilder = Callable[[re.Match[str], PartialDate | None], _Span | None]


def _resolve_year(token: str | None, source: PartialDate | None) -> int | None:
    """A year the text gives, or the communiqué's own year for "este año" / a bare date."""
    if token is not None and token.isdigit():
        return int(token)
    if source is None:
        return None
    if token is not None and re.search(r"proximo|next", token, re.I):
        return source.year + 1
    return source.year


def _explicit_date(match: re.Match[str], source: PartialDate | None) -> _Span | None:
    groups = match.groupdict()
    year = _resolve_year(groups.get("year"), source)
    if year is None:
        return None
    first_month = _MONTHS[groups["m1"].lower()]
    last_month = _MONTHS[(groups.get("m2") or groups["m1"]).lower()]
    try:
        if groups.get("d1") is None:
            return PartialDate(year, first_month), None
        start = PartialDate(year, first_month, int(groups["d1"]))
        end = PartialDate(year, last_month, int(groups["d2"])) if groups.get("d2") else None
    except ValueError:  # "31 de junio": not a date, so not a meeting date either
        return None
    if end is not None and end <= start:
        return None
    return start, end


def _source_day(source: PartialDate | None) -> dt.date | None:
    return source.first_day() if source is not None and source.day is not None else None


def _days_from_source(offset: int) -> _DateBuilder:
    def build(_: re.Match[str], source: PartialDate | None) -> _Span | None:
        day = _source_day(source)
        return None if day is None else (PartialDate.from_date(day + dt.timedelta(offset)), None)

    return build


def _working_week(offset: int) -> _DateBuilder:
    # The dialogue meets on working days, so "la semana pasada" is Monday to Friday; the
    # draft keeps the whole week because the communiqué does not say which day.
    def build(_: re.Match[str], source: PartialDate | None) -> _Span | None:
        day = _source_day(source)
        if day is None:
            return None
        monday = day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=offset)
        return PartialDate.from_date(monday), PartialDate.from_date(monday + dt.timedelta(4))

    return build


def _month_from_source(offset: int) -> _DateBuilder:
    def build(_: re.Match[str], source: PartialDate | None) -> _Span | None:
        if source is None or source.month is None:
            return None
        index = source.year * 12 + source.month - 1 + offset
        return PartialDate(index // 12, index % 12 + 1), None

    return build


def _year_from_source(offset: int) -> _DateBuilder:
    def build(_: re.Match[str], source: PartialDate | None) -> _Span | None:
        return None if source is None else (PartialDate(source.year + offset), None)

    return build


def _rule(
    pattern: str, build: _DateBuilder = _explicit_date
) -> tuple[re.Pattern[str], _DateBuilder]:
    return re.compile(pattern, re.I), build


# Most precise first: a day beats a relative phrase, which beats a month or a year.
_DATE_RULES: tuple[tuple[re.Pattern[str], _DateBuilder], ...] = (
    _rule(rf"\bdel\s+{_D1}\s+de\s+(?P<m1>{_MES})\s+al\s+{_D2}\s+de\s+(?P<m2>{_MES}){_OF_YEAR_ES}"),
    _rule(rf"\b{_D1}\s+(?:al|y|a)\s+{_D2}\s+de\s+(?P<m1>{_MES}){_OF_YEAR_ES}"),
    _rule(rf"\b{_D1}[oº°]?\s+de\s+(?P<m1>{_MES}){_OF_YEAR_ES}"),
    _rule(rf"\b(?P<m1>{_MONTH})\s+{_D1}\s*(?:-|–|and|to|through)\s*{_D2}{_OF_YEAR_EN}"),
    _rule(rf"\b(?P<m1>{_MONTH})\s+{_D1}(?:st|nd|rd|th)?\b{_OF_YEAR_EN}"),
    _rule(rf"\b{_D1}\s+(?P<m1>{_MONTH}){_OF_YEAR_EN}"),
    _rule(r"\bla\s+semana\s+pasada\b|\blast\s+week\b", _working_week(-1)),
    _rule(r"\besta\s+semana\b|\bthis\s+week\b", _working_week(0)),
    _rule(r"\bla\s+(?:proxima\s+semana|semana\s+proxima)\b|\bnext\s+week\b", _working_week(1)),
    _rule(r"\banteayer\b|\bthe\s+day\s+before\s+yesterday\b", _days_from_source(-2)),
    _rule(r"\b(?:el\s+dia\s+de\s+)?ayer\b|\byesterday\b", _days_from_source(-1)),
    _rule(r"\b(?:el\s+dia\s+de\s+)?hoy\b|\besta\s+manana\b|\btoday\b", _days_from_source(0)),
    _rule(r"\btomorrow\b", _days_from_source(1)),
    _rule(rf"\b(?:en|durante|para)\s+(?:el\s+mes\s+de\s+)?(?P<m1>{_MES})\b{_OF_YEAR_ES}"),
    _rule(rf"\b(?:in|during)\s+(?:early\s+|mid-?|late\s+)?(?P<m1>{_MONTH})\b{_OF_YEAR_EN}"),
    _rule(r"\beste\s+mes\b|\bthis\s+month\b", _month_from_source(0)),
    _rule(r"\bel\s+mes\s+pasado\b|\blast\s+month\b", _month_from_source(-1)),
    _rule(r"\b(?:este|el\s+presente)\s+ano\b|\bthis\s+year\b", _year_from_source(0)),
    _rule(r"\b(?:el\s+)?proximo\s+ano\b|\bnext\s+year\b", _year_from_source(1)),
)

# The communiqué's own date: a full date only.
_FULL_DATES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        rf"\b{_D1}\s+de\s+(?P<m1>{_MES})\s+del?\s+(?P<year>\d{{4}})",
        rf"\b(?P<m1>{_MONTH})\s+{_D1},\s+(?P<year>\d{{4}})",
        rf"\b{_D1}\s+(?P<m1>{_MONTH})\s+(?P<year>\d{{4}})",
    )
)


def _find_date(sentence: _Sentence, source: PartialDate | None) -> _Span | None:
    for pattern, build in _DATE_RULES:
        match = pattern.search(sentence.folded)
        if match is not None and (span := build(match, source)) is not None:
            return span
    return None


# --------------------------------------------------------------------------- meetings

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        (
            "intermediate",
            r"\breunion\s+intermedia\b|\bintermediate\s+meeting\b|\bmid-?year\s+meeting\b",
        ),
        ("annual", r"\breunion\s+anual\b|\bplenaria\s+anual\b|\bannual\s+(?:meeting|plenary)\b"),
        (
            "extraordinary",
            r"\b(?:reunion|sesion)\s+extraordinaria\b|\b(?:extraordinary|special)\s+meeting\b",
        ),
        ("working-group", r"\bgrupo\s+de\s+trabajo\b|\bworking\s+group\b"),
        ("other", r"\breunion\s+tecnica\b|\btechnical\s+meeting\b"),
    )
)
_DIALOGUE = re.compile(r"\bdialogo\s+consular\b|\bconsular\s+dialogue\b", re.I)
_MEETING_VERB = re.compile(
    r"\b(?:realizo|realizaron|se\s+realiza|celebro|celebraron|se\s+celebra|llevo\s+a\s+cabo"
    r"|llevaron\s+a\s+cabo|se\s+lleva\s+a\s+cabo|sostuvo|sostuvieron|reunio|reunieron|se\s+reune"
    r"|tuvo\s+lugar|efectuo|sesiono|fue\s+sede|concluyo|concluye|participo|participaron"
    r"|met|held|hosted|convened|took\s+place|gathered|concluded|participated)\b",
    re.I,
)
# A sentence about a meeting still to come: it feeds ``announced``, never the meeting held.
_ANNOUNCEMENT = re.compile(
    r"\bse\s+preve\b|\bse\s+(?:llevara|lleve)\s+a\s+cabo\b"
    r"|\bse\s+(?:realizara|realice|celebrara|celebre)\b"
    r"|\btendra\s+lugar\b|\bproxim[oa]\s+(?:reunion|encuentro|edicion)\b"
    r"|\b(?:se\s+acordo|acordaron)\s+(?:celebrar|realizar|llevar\s+a\s+cabo|sostener)\b"
    r"|\bwill\s+(?:hold|host|meet|convene|take\s+place|be\s+held)\b"
    r"|\bagreed\s+to\s+(?:hold|meet|convene)\b|\bnext\s+(?:annual|intermediate|meeting)\b"
    r"|\b(?:is|are)\s+(?:scheduled|expected|planned)\s+to\b",
    re.I,
)
_WORKING_GROUP_SUBJECT_ES = re.compile(
    r"\s+(?:de|sobre|para)\s+(?:la\s+|el\s+|los\s+|las\s+)?"
    # up to four words, stopping at "del Diálogo ...", "en Washington", "que ..."
    r"(?P<subject>[a-z0-9-]+"
    r"(?:\s+(?!(?:del?|en|se|que|y|con|el|la|los|las|al?|para|por)\b)[a-z0-9-]+){0,3})",
    re.I,
)
_WORKING_GROUP_SUBJECT_EN = re.compile(r"(?P<subject>(?:[A-Z][a-z]+\s+){1,3})$")
_NOT_A_SUBJECT = frozenset({"The", "A", "An", "Mexico", "Mexican", "United", "States", "Bilateral"})
_SMALL_WORDS = _words("de del la las los el y e en para sobre a al con of the on and for to in at")


def _find_kind(sentence: _Sentence) -> tuple[str, re.Match[str]] | None:
    """The kind named first in the sentence ("grupo de trabajo ... en la reunión anual")."""
    found = [(kind, m) for kind, pattern in _KINDS if (m := pattern.search(sentence.folded))]
    return min(found, key=lambda pair: pair[1].start(), default=None)


def _names_a_meeting(sentence: _Sentence, dialogue_named: bool) -> bool:
    # A "reunión anual" only counts when the communiqué is about the Consular Dialogue.
    if _DIALOGUE.search(sentence.folded):
        return True
    return dialogue_named and _find_kind(sentence) is not None


def _is_announcement(sentence: _Sentence, dialogue_named: bool) -> bool:
    return bool(_ANNOUNCEMENT.search(sentence.folded)) and _names_a_meeting(
        sentence, dialogue_named
    )


def _find_meeting_sentence(sentences: list[_Sentence], dialogue_named: bool) -> _Sentence | None:
    # Body text first: headlines and bullets repeat it in fewer words.
    for block in ("paragraph", "bullet", "heading"):
        for sentence in sentences:
            if (
                sentence.block == block
                and _names_a_meeting(sentence, dialogue_named)
                and _MEETING_VERB.search(sentence.folded)
                and not _ANNOUNCEMENT.search(sentence.folded)
            ):
                return sentence
    return None


def _title_case(words: str) -> str:
    """Capitalise every word but the small ones: "reunión anual" -> "Reunión Anual"."""
    parts = words.split()
    return " ".join(
        part if index and part.lower() in _SMALL_WORDS else part[:1].upper() + part[1:]
        for index, part in enumerate(parts)
    )


def _kind_phrase(sentence: _Sentence, kind: str, match: re.Match[str], language: str) -> str:
    phrase = _title_case(sentence.cut(match))
    if kind != "working-group":
        return phrase
    if language == "es":
        subject = _WORKING_GROUP_SUBJECT_ES.match(sentence.folded, match.end())
        if subject is None:
            return phrase
        return f"{phrase} de {_title_case(sentence.cut(subject, 'subject'))}"
    before = _WORKING_GROUP_SUBJECT_EN.search(sentence.folded[: match.start()])
    words = before["subject"].split() if before else []
    while words and words[0] in _NOT_A_SUBJECT:
        words.pop(0)
    return " ".join([*words, phrase])


def _meeting_title(
    sentence: _Sentence,
    kind: tuple[str, re.Match[str]] | None,
    language: str,
    date: PartialDate | None,
) -> str:
    dialogue = DIALOGUE_NAME[language]
    year = f" {date.year}" if date is not None else ""
    if kind is None:
        return f"{dialogue}{year}"
    phrase = _kind_phrase(sentence, kind[0], kind[1], language)
    joiner = "del" if language == "es" else "of the"
    return f"{phrase} {joiner} {dialogue}{year}"


def _status(date: PartialDate | None, source_date: PartialDate | None) -> str:
    # The meeting sentence is in the past tense; only a date after the communiqué overrides it.
    if date is not None and source_date is not None and date.first_day() > source_date.last_day():
        return "planned"
    return "held"


def _draft_meeting(sentence: _Sentence, header: _Header, *, announced: bool) -> MeetingDraft:
    kind = _find_kind(sentence)
    span = _find_date(sentence, header.source_date)
    date, end_date = span if span is not None else (None, None)
    location, host = _find_place(sentence)
    draft = MeetingDraft(
        title=_meeting_title(sentence, kind, header.language, date),
        kind=kind[0] if kind else None,
        date=date,
        end_date=end_date,
        location=location,
        host=host,
        status="planned" if announced else _status(date, header.source_date),
        ref=header.ref.value if header.ref else None,
        source_date=header.source_date,
    )
    found = {
        "title": True,
        "kind": draft.kind,
        "date": date,
        "end_date": end_date,
        "location": location,
        "host": host,
        "status": True,
    }
    draft.sources = {name: sentence.text for name, value in found.items() if value}
    if header.ref is not None:
        draft.sources["ref"] = header.ref.source
    if header.source_date_line is not None:
        draft.sources["source_date"] = header.source_date_line
    return draft


def _missing(draft: MeetingDraft) -> list[str]:
    missing = [
        name for name in ("kind", "date", "location", "host") if getattr(draft, name) is None
    ]
    if not draft.delegations:
        missing.append("delegations")
    else:
        parties = {d.party: d for d in draft.delegations}
        for party in (MEXICO, UNITED_STATES):
            delegation = parties.get(party)
            if delegation is None:
                missing.append(f"delegations.{party}")
                continue
            missing += [
                f"delegations.{party}.{name}"
                for name in ("head", "title")
                if getattr(delegation, name) is None
            ]
    if not draft.agenda:
        missing.append("agenda")
    missing += [name for name in ("ref", "source_date") if getattr(draft, name) is None]
    return missing


# --------------------------------------------------------------------------- places

_PLACE_PREFIX = (
    r"\b(?:en|in|at)\s+(?:las\s+instalaciones\s+de\s+|la\s+sede\s+de\s+|el\s+edificio\s+de\s+"
    r"|the\s+headquarters\s+of\s+)?(?:la\s+|el\s+|los\s+|the\s+)?"
)


def _places(*entries: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(_PLACE_PREFIX + rf"(?P<place>{pattern})(?!\w)", re.I), host)
        for pattern, host in entries
    )


_VENUES = _places(
    (r"secretaria\s+de\s+relaciones\s+exteriores(?:\s*\(sre\))?", MEXICO),
    (r"cancilleria(?:\s+mexicana)?", MEXICO),
    (r"(?:mexican\s+)?(?:ministry|secretariat)\s+of\s+foreign\s+affairs", MEXICO),
    (r"departamento\s+de\s+estado", UNITED_STATES),
    (r"(?:u\.s\.\s+)?department\s+of\s+state|state\s+department", UNITED_STATES),
    (r"embajada\s+de\s+(?:los\s+)?estados\s+unidos(?:\s+en\s+mexico)?", UNITED_STATES),
    (r"(?:u\.s\.\s+)?embassy\s+(?:in\s+mexico\s+city|in\s+mexico)", UNITED_STATES),
)
_CITIES = _places(
    (r"ciudad\s+de\s+mexico|cdmx|mexico\s+city", MEXICO),
    (r"tijuana|monterrey|guadalajara|ciudad\s+juarez|merida|cancun|oaxaca|puebla", MEXICO),
    (r"washington(?:,?\s*d\.\s?c\.?)?", UNITED_STATES),
    (r"san\s+antonio|houston|los\s+angeles|chicago|el\s+paso|san\s+diego|phoenix", UNITED_STATES),
    (r"nueva\s+york|new\s+york|miami|dallas|atlanta|denver", UNITED_STATES),
)
_VIRTUAL = re.compile(
    r"\b(?:de\s+(?:manera|forma)\s+virtual|en\s+formato\s+virtual|modalidad\s+virtual"
    r"|participacion\s+virtual|virtualmente|por\s+videoconferencia|virtual(?:ly)?"
    r"|(?:by|via)\s+video\s*conference)\b",
    re.I,
)


def _first_place(
    sentence: _Sentence, table: tuple[tuple[re.Pattern[str], str], ...]
) -> tuple[str, str] | None:
    """(place as written, host) of the place named first in the sentence."""
    found = [(m, host) for pattern, host in table if (m := pattern.search(sentence.folded))]
    if not found:
        return None
    match, host = min(found, key=lambda pair: pair[0].start())
    return sentence.cut(match, "place"), host


def _find_place(sentence: _Sentence) -> tuple[str | None, str | None]:
    """(location, host). A named venue or city wins over a mention of virtual participation."""
    venue = _first_place(sentence, _VENUES)
    city = _first_place(sentence, _CITIES)
    if venue and city:
        return f"{venue[0]}, {city[0]}", venue[1]
    if place := venue or city:
        return place
    if _VIRTUAL.search(sentence.folded):
        return "Virtual", None  # who convened a virtual meeting is not said: left missing
    return None, None


# --------------------------------------------------------------------------- delegations

_HEADED_BY_ES = (
    r"(?:(?:estuvo|fue|quedo)\s+)?(?:encabezada|presidida|liderada|dirigida|coordinada)\s+por"
)
_DELEGATION_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?i:delegacion\s+"
            r"(?P<party>mexicana|estadounidense|de\s+mexico|de\s+(?:los\s+)?estados\s+unidos)"
            rf",?\s+{_HEADED_BY_ES})\s+(?=(?P<who>.+))"
        ),
        "es",
    ),
    (
        re.compile(
            r"(?i:(?P<party>u\.s\.|united\s+states|american|mexican|mexico's)\s+delegation"
            r",?\s+(?:was\s+)?(?:led|headed|chaired)\s+by)\s+(?=(?P<who>.+))"
        ),
        "en",
    ),
    (
        re.compile(
            r"(?i:delegation\s+of\s+(?P<party>mexico|the\s+united\s+states)"
            r",?\s+(?:was\s+)?(?:led|headed|chaired)\s+by)\s+(?=(?P<who>.+))"
        ),
        "en",
    ),
)
# Two to six capitalised words, Spanish particles allowed inside ("Juan Pérez de la Torre").
_NAME = re.compile(
    r"[A-Z][a-zA-Z'-]+(?:\s+(?:(?:de|del|de\s+la|de\s+los|y)\s+)?[A-Z][a-zA-Z'-]+){1,5}"
)
_ARTICLE = re.compile(r"(?i:(?:el|la|los|las|the)\s+)")
# English puts the title straight before the name; these words end a title, not begin a name.
_TITLE_WORDS = _words(
    """secretary assistant deputy under undersecretary director general minister counselor
    counsellor minister-counselor consul ambassador affairs consular protection planning strategic
    services service state foreign relations mexico states united embassy office bureau chief
    principal acting head department ministry north america american citizen citizens overseas visa
    policy mission charge d'affaires senior official advisor adviser coordinator executive sre
    special operations"""
)
_PARTICLES = frozenset({"de", "del", "la", "los", "y"})
# After a name that comes first: the end of the clause, or ", <title>".
_AFTER_NAME_ES = re.compile(r"\s*(?:[,.;]|$|quien\b|y\b)", re.I)
_TITLE_AFTER_NAME_ES = re.compile(r",\s+(?!quien\b|y\b)([^,;]+)", re.I)
_CLAUSE_END_EN = re.compile(r",\s+(?:and|while|who|which|whereas)\b|;|\s+and\s+the\b")


def _party(word: str) -> str:
    return MEXICO if word.lower().startswith("mex") else UNITED_STATES


def _clean_title(raw: str) -> str | None:
    """Capitalise the leading words of a job title ("directora general de ..." -> "Directora
    General de ..."), keeping the rest as written."""
    words = raw.strip(" .,;:").split()
    for index, word in enumerate(words):
        if word.lower() in _SMALL_WORDS:
            break
        words[index] = word[:1].upper() + word[1:]
    return " ".join(words) or None


def _head_es(who: str) -> tuple[str | None, str | None]:
    """(head, title) from "la directora general de ..., Vanessa Calva Ruiz, quien ..." or from
    "Vanessa Calva Ruiz, directora general de ..."."""
    folded = _fold(who)
    article = _ARTICLE.match(folded)
    name = _NAME.match(folded)
    if article is None and name is not None and _AFTER_NAME_ES.match(folded, name.end()):
        title = _TITLE_AFTER_NAME_ES.match(folded, name.end())
        title_text = who[title.start(1) : title.end(1)] if title else ""
        return who[: name.end()], _clean_title(title_text)
    rest = who[article.end() :] if article else who
    title_text, _, after = rest.partition(",")
    after = after.lstrip()
    name = _NAME.match(_fold(after))
    return (after[: name.end()] if name else None), _clean_title(title_text)


def _head_en(who: str) -> tuple[str | None, str | None]:
    """(head, title) from "Assistant Secretary for Consular Affairs Jane Roe, and ..."."""
    clause = _CLAUSE_END_EN.split(who, maxsplit=1)[0].strip(" .")
    article = _ARTICLE.match(clause)
    clause = clause[article.end() :] if article else clause
    title_part, comma, name_part = clause.partition(", ")
    if comma and _NAME.fullmatch(_fold(name_part)):
        return name_part, _clean_title(title_part)
    if comma and _NAME.fullmatch(_fold(title_part)):
        return title_part, _clean_title(name_part)
    words = clause.split()
    cut = len(words)
    while cut > 0:
        word = words[cut - 1]
        bare = _fold(word).strip(".,").lower()
        if bare in _TITLE_WORDS or not (word[:1].isupper() or bare in _PARTICLES):
            break
        cut -= 1
    while cut < len(words) and words[cut].lower() in _PARTICLES:
        cut += 1
    name_words = words[cut:]
    if len(name_words) < 2:  # one capitalised word is too little to call it a name
        return None, _clean_title(clause)
    return " ".join(name_words), _clean_title(" ".join(words[:cut]))


def _find_delegations(sentences: list[_Sentence]) -> tuple[list[DelegationDraft], set[int]]:
    """One delegation per party, in order of first mention, and the positions of their sentences."""
    found: list[tuple[int, int, DelegationDraft]] = []
    for sentence in _body(sentences):
        for pattern, language in _DELEGATION_PATTERNS:
            for match in pattern.finditer(sentence.folded):
                who = sentence.cut(match, "who")
                head, title = _head_es(who) if language == "es" else _head_en(who)
                party = _party(re.sub(r"(?i)^(?:de|the)\s+", "", match["party"]))
                draft = DelegationDraft(party, head, title, sentence.text)
                found.append((sentence.position, match.start(), draft))
    delegations: dict[str, DelegationDraft] = {}
    for _, _, draft in sorted(found, key=lambda item: item[:2]):
        delegations.setdefault(draft.party, draft)
    return list(delegations.values()), {position for position, _, _ in found}


# --------------------------------------------------------------------------- agenda

_TOPICS: tuple[tuple[str | None, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.I))
    for topic, pattern in (
        ("consular-access", r"\bacceso\s+consular\b|\bconsular\s+access\b"),
        (
            "consular-notification",
            r"\bnotificacion(?:es)?\s+consular(?:es)?\b|\bconsular\s+notifications?\b",
        ),
        ("natural-disasters", r"\bdesastres?\s+naturales?\b|\bnatural\s+disasters?\b"),
        (
            "child-abduction",
            r"\bsustraccion\s+(?:internacional\s+)?(?:parental\s+)?de\s+"
            r"(?:menores|ninas\s+y\s+ninos)\b"
            r"|\b(?:international\s+)?(?:parental\s+)?child\s+abductions?\b",
        ),
        ("child-support", r"\bpension(?:es)?\s+aliment(?:icias?|arias?)\b|\bchild\s+support\b"),
        (
            "international-adoption",
            r"\badopcion(?:es)?\s+internacional(?:es)?\b"
            r"|\b(?:international|intercountry)\s+adoptions?\b",
        ),
        ("h2-visas", r"\bvisas?\s+H-?2(?:A|B)?\b|\bH-?2(?:A|B)?\s+visas?\b|\bH-2(?:A|B)\b"),
        ("labor-mobility", r"\bmovilidad\s+laboral\b|\blabou?r\s+mobility\b"),
        (
            "dual-nationality",
            r"\bdoble\s+nacionalidad\b|\bdual\s+(?:nationals?|nationality|citizenship)\b",
        ),
        ("training", r"\bcapacitacion(?:es)?\b|\btraining\b"),
        # Named as a theme by the communiqué but outside the catalog: kept, without a topic.
        (None, r"\basuntos\s+de\s+(?:la\s+)?(?:infancia|ninez)\b|\bchildren'?s\s+issues\b"),
    )
)


def _agenda_title(phrase: str) -> str:
    """Sentence case, codes kept: "visas H2" -> "Visas H2", "capacitación" -> "Capacitación"."""
    words = [
        w if any(c.isdigit() for c in w) or (w.isupper() and len(w) > 1) else w.lower()
        for w in phrase.split()
    ]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _find_agenda(sentences: Iterable[_Sentence]) -> list[AgendaDraft]:
    agenda: list[AgendaDraft] = []
    seen: set[str] = set()
    for sentence in sentences:
        found = sorted(
            (
                (m.start(), topic, sentence.cut(m))
                for topic, pattern in _TOPICS
                for m in pattern.finditer(sentence.folded)
            ),
            key=lambda item: item[0],
        )
        for _, topic, phrase in found:
            title = _agenda_title(phrase)
            key = topic or title.lower()
            if key not in seen:
                seen.add(key)
                agenda.append(AgendaDraft(title, topic, sentence.text))
    return agenda


# --------------------------------------------------------------------------- entry points

_HTML = re.compile(r"<(?:!doctype\s+html|html|head|body|p|div|article|br|li)\b[^>]*>", re.I)


def read_communique(text: str) -> CommuniqueDraft:
    """Draft the meeting a communiqué reports, and the meetings it announces."""
    if _HTML.search(text):
        text = html_to_text(text)
    sentences = _sentences(_normalise(text))
    if not sentences:
        raise InputError("The communiqué is empty: there is no text to read.")
    header = _read_header(sentences)
    dialogue_named = any(_DIALOGUE.search(s.folded) for s in sentences)

    announcements = [s for s in _body(sentences) if _is_announcement(s, dialogue_named)]
    announced = _unique([_draft_meeting(s, header, announced=True) for s in announcements])
    for draft in announced:
        draft.missing = _missing(draft)

    meeting_sentence = _find_meeting_sentence(sentences, dialogue_named)
    if meeting_sentence is None:
        if not announced:
            raise InputError(
                "This text does not describe a meeting of a dialogue: no meeting sentence found; "
                "a meeting sentence says that a meeting of the Consular Dialogue took place, e.g. "
                "'se realizó la Reunión Intermedia del Diálogo Consular México-Estados Unidos' or "
                "'the delegations met for the Annual Meeting of the U.S.-Mexico Consular Dialogue'."
            )
        # Only a coming meeting is announced: that is the meeting of this communiqué.
        meeting, announced = announced[0], announced[1:]
    else:
        meeting = _draft_meeting(meeting_sentence, header, announced=False)
        meeting.delegations, delegation_positions = _find_delegations(sentences)
        # A head's job title is not a topic, and a coming meeting's plans are not this agenda.
        skipped = delegation_positions | {s.position for s in announcements}
        meeting.agenda = _find_agenda(s for s in _body(sentences) if s.position not in skipped)
        meeting.missing = _missing(meeting)

    return CommuniqueDraft(
        meeting=meeting,
        announced=announced,
        ref=header.ref.value if header.ref else None,
        source_date=header.source_date,
        language=header.language,
    )


def _unique(drafts: list[MeetingDraft]) -> list[MeetingDraft]:
    """A headline bullet and the body often announce the same meeting twice."""
    seen: set[tuple[str | None, PartialDate | None, str | None]] = set()
    unique: list[MeetingDraft] = []
    for draft in drafts:
        key = (draft.kind, draft.date, draft.location)
        if key not in seen:
            seen.add(key)
            unique.append(draft)
    return unique


class _TextCollector(HTMLParser):
    """Visible text of a saved web page, one paragraph per block and one line per list item."""

    _SKIPPED = _words("script style head noscript template svg nav footer aside form")
    _BLOCKS = _words(
        "p div section article main header h1 h2 h3 h4 h5 h6 ul ol table tr blockquote figure "
        "figcaption dl dt dd pre hr"
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._in_item = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a page without </head> must not hide its body
            self._skipping = 0
        if tag in self._SKIPPED:
            self._skipping += 1
        elif self._skipping:
            return
        elif tag == "li":
            self._in_item += 1
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append(" " if self._in_item else "\n")
        elif tag in self._BLOCKS and not self._in_item:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self._SKIPPED:  # <script/> opens nothing to close
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif self._skipping:
            return
        elif tag == "li":  # the next item or the end of the list breaks the line
            self._in_item = max(0, self._in_item - 1)
        elif tag in self._BLOCKS and not self._in_item:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML page: scripts, styles and navigation dropped, paragraphs
    separated by a blank line, list items as "- " lines."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines: list[str] = []
    for raw in "".join(collector.parts).split("\n"):
        line = " ".join(raw.split())
        if line == "-":  # an empty list item
            continue
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()
