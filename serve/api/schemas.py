"""Request and response bodies of the HTTP API, with the Arabic examples shown in OpenAPI.

Offsets are Python string indices: Unicode code points into the exact text sent, end
exclusive, so ``text[start:end] == span.text`` (JavaScript callers index ``Array.from(text)``,
not the UTF-16 string, when the text holds emoji or other astral characters).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from model.quantities import QUALIFIERS
from serve.api.examples import EXAMPLE_DATE, EXAMPLE_DATES, EXAMPLE_TEXT, EXAMPLE_TEXTS, example_document

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_FORMAT = 'an ISO date, "YYYY-MM-DD" (e.g. "2015-10-07")'


def _one_of_text_or_texts(schema: dict) -> None:
    """Publish the real contract: exactly one of two non-null fields, ``date`` only beside
    ``text`` and ``dates`` only beside ``texts``, so that generated clients and fuzzers send what
    the API accepts (the Python fields are Optional only to tell them apart)."""
    for name in ("text", "texts"):
        field = schema["properties"][name]
        field.update(next(option for option in field.pop("anyOf") if option.get("type") != "null"))
        field.pop("default", None)
    schema["oneOf"] = [{"required": ["text"], "not": {"required": ["dates"]}},
                       {"required": ["texts"], "not": {"required": ["date"]}}]
    schema["examples"] = [{"text": EXAMPLE_TEXT, "date": EXAMPLE_DATE.isoformat()},
                          {"texts": EXAMPLE_TEXTS, "dates": EXAMPLE_DATES}]


def _check_unicode(text: str) -> str:
    # A lone surrogate ("\ud800" in JSON) decodes to a Python str but is not Unicode text:
    # the tokenizer and the UTF-8 response encoder would both fail on it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"contains an unpaired surrogate at character {error.start}; send valid Unicode") from None
    return text


def _iso_date(value):
    """Only ``YYYY-MM-DD`` strings: pydantic alone would also take numbers (as Unix times) and
    datetimes, which a caller sending the wrong field should hear about, not have guessed."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(f"expected {DATE_FORMAT}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not a calendar date; expected {DATE_FORMAT}") from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class PredictRequest(BaseModel):
    """Exactly one of ``text`` (one document) or ``texts`` (several, answered in order), each
    optionally with the article's publication date: ``date`` beside ``text``, ``dates`` (one
    date or null per text) beside ``texts``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda schema: _one_of_text_or_texts(schema))

    text: str | None = Field(None, description="one document, raw Arabic text", examples=[EXAMPLE_TEXT])
    texts: list[str] | None = Field(None, description="several documents", examples=[EXAMPLE_TEXTS])
    date: IsoDate | None = Field(
        None, description="the article's publication date (YYYY-MM-DD), with `text`: relative dates in the "
        "claims' event records (أمس، الثلاثاء الماضي، الشهر الماضي) are resolved against it; without it "
        "only absolute dates resolve", examples=[EXAMPLE_DATE.isoformat()])
    dates: list[IsoDate | None] | None = Field(
        None, description="with `texts`: one publication date (YYYY-MM-DD) or null per text, in order",
        examples=[EXAMPLE_DATES])

    @field_validator("text")
    @classmethod
    def _text_is_unicode(cls, value: str | None) -> str | None:
        return None if value is None else _check_unicode(value)

    @field_validator("texts")
    @classmethod
    def _texts_are_unicode(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for index, text in enumerate(value):
                try:
                    _check_unicode(text)
                except ValueError as error:
                    raise ValueError(f"texts[{index}] {error}") from None
        return value

    # Fields validate in declaration order, so `texts` is in info.data here unless it failed.
    @field_validator("date")
    @classmethod
    def _date_goes_with_text(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is not None and info.data.get("texts") is not None:
            raise ValueError('goes with "text"; with "texts" send "dates", one date (or null) per text')
        return value

    @field_validator("dates")
    @classmethod
    def _dates_match_texts(cls, value: list[dt.date | None] | None, info: ValidationInfo):
        if value is None or "texts" not in info.data:
            return value
        texts = info.data["texts"]
        if texts is None:
            raise ValueError('goes with "texts"; with "text" send "date"')
        if len(value) != len(texts):
            raise ValueError(f'has {len(value)} dates for {len(texts)} texts; send one date (or null) per text')
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> PredictRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError('send exactly one of "text" (a string) or "texts" (a list of strings)')
        return self

    def as_list(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts)

    def as_dates(self) -> list[dt.date | None]:
        """One publication date (or None) per text of :meth:`as_list`."""
        if self.text is not None:
            return [self.date]
        return list(self.dates) if self.dates is not None else [None] * len(self.texts)


class SpanOut(BaseModel):
    start: int = Field(description="first code point of the span in the input text", examples=[4])
    end: int = Field(description="one past the last code point (exclusive)", examples=[31])
    label: str = Field(examples=["ORG"])
    text: str = Field(description="always input[start:end]", examples=["المرصد السوري لحقوق الإنسان"])
    score: float = Field(ge=0, le=1, description="mean per-word confidence", examples=[0.91])


class ClaimTypeOut(BaseModel):
    label: str = Field(description="a claims label of the schema", examples=["AIRSTRIKE"])
    score: float = Field(ge=0, le=1, description="the sentence's probability of this type; only types over "
                         "their threshold (stored with the model) are listed", examples=[0.94])


class MentionOut(BaseModel):
    """An entity of the claim sentence, as its event record cites it (offsets into the input)."""

    text: str = Field(examples=["طائرات حربية روسية"])
    label: str = Field(examples=["WEAPON"])
    start: int = Field(examples=[35])
    end: int = Field(examples=[53])


class DateOut(MentionOut):
    value: str | None = Field(description="ISO 8601 at its precision: 2015-10-06 (day), 2015-W41 (week), "
                              "2015-10 (month), 2015 (year); null when it cannot be resolved (e.g. a "
                              "relative date sent without the article's `date`)", examples=["2015-10-06"])
    precision: Literal["day", "week", "month", "year"] | None = Field(examples=["day"])


class QuantityOut(MentionOut):
    value: int | float | None = Field(description="the number counted; null for a vague count (عشرات)",
                                      examples=[12])
    qualifier: Literal[QUALIFIERS] = Field(description="exact, or how the count is hedged (نحو، أكثر من، عشرات)",
                                           examples=["exact"])
    unit: str = Field(description="what is counted", examples=["غارة"])


class EventOut(BaseModel):
    """Who, where, when, how many, with what, says who: the claim sentence's entities by role."""

    actors: list[MentionOut] = Field(description="MIL, ORG and PER entities in the sentence")
    places: list[MentionOut] = Field(description="GPE, LOC and FAC entities")
    dates: list[DateOut] = Field(description="DATE entities, resolved against the request's date")
    quantities: list[QuantityOut] = Field(description="QUANTITY entities with their parsed count")
    weapons: list[MentionOut] = Field(description="WEAPON entities")
    source: str | None = Field(description="the text of the claim's source, if any",
                               examples=["المرصد السوري لحقوق الإنسان"])
    source_kind: Literal["named", "anonymous"] | None = Field(examples=["named"])


class ClaimSentenceOut(BaseModel):
    """A sentence that carries at least one claim type, with everything said about it."""

    start: int = Field(description="first code point of the sentence", examples=[0])
    end: int = Field(description="one past its last code point", examples=[85])
    text: str = Field(description="always input[start:end]", examples=[EXAMPLE_TEXT])
    types: list[ClaimTypeOut] = Field(min_length=1, description="the claim types, highest score first")
    entities: list[SpanOut] = Field(description="entity spans inside the sentence")
    source: SpanOut | None = Field(description="the source the claim is attributed to: the first source "
                                   "span in the sentence, else the last one of the sentence before, else null")
    event: EventOut


class DocumentOut(BaseModel):
    """One text's predictions, per schema layer in schema order."""

    entities: list[SpanOut]
    claims: list[ClaimSentenceOut] = Field(description="one item per sentence with at least one claim type")
    sources: list[SpanOut]


class ModelRef(BaseModel):
    name: str = Field(examples=["20250101-120000"])
    version: str | None = Field(None, examples=["1"])

    @classmethod
    def from_info(cls, info: dict) -> ModelRef:
        """The reference of a model from its info (``rasd.json`` as loaded by the Predictor)."""
        version = info.get("version")
        return cls(name=str(info.get("name", "unknown")), version=str(version) if version else None)


class PredictResponse(BaseModel):
    """One document per input text, in order (a single ``text`` gives a list of one).

    Entities and sources are spans; claims are sentences, each with its claim types, the
    entities inside it, its source and its event record.
    """

    model: ModelRef
    documents: list[DocumentOut] = Field(examples=[[example_document().to_dict()]])


class ErrorOut(BaseModel):
    """Every error: a readable ``detail``; validation errors also list ``errors`` by field."""

    detail: str
    errors: list[dict] | None = None


class ReadyOut(BaseModel):
    ready: bool
    reloading: bool
    model: ModelRef | None = None
    last_reload_error: str | None = None


class ReloadOut(BaseModel):
    status: str = Field(description="'reloading' (started), 'reloaded' or 'failed' (with wait=true)")
    model: ModelRef | None = None
    error: str | None = None
