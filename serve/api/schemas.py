"""Request and response bodies of the HTTP API, with the Arabic examples shown in OpenAPI.

Offsets are Python string indices: Unicode code points into the exact text sent, end
exclusive, so ``text[start:end] == span.text`` (JavaScript callers index ``Array.from(text)``,
not the UTF-16 string, when the text holds emoji or other astral characters).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EXAMPLE_TEXT = (
    "وصلت اليوم الخميس تعزيزات عسكرية لقوات الأسد إلى مطار تدمر العسكري قادمة من مطار الـ T4، "
    "وفقاً لموقع تلفزيون سوريا."
)
EXAMPLE_TEXTS = [
    "شنّ سلاح الجو الروسي 55 غارة جوية على مواقع تنظيم داعش في البادية السورية.",
    "أفادت مصادر ميدانية متطابقة بانسحاب ميليشيا الدفاع الوطني من طريق تدمر – السخنة.",
]


def _example_span(label: str, phrase: str, score: float) -> dict:
    start = EXAMPLE_TEXT.index(phrase)
    return {"start": start, "end": start + len(phrase), "label": label, "text": phrase, "score": score}


def _example_document() -> dict:
    """The documented answer for EXAMPLE_TEXT, offsets computed so the example stays true."""
    airport = _example_span("FAC", "مطار تدمر العسكري", 0.93)
    source = _example_span("SRC_NAMED", "موقع تلفزيون سوريا", 0.77)
    claim = _example_span("MOVEMENT", EXAMPLE_TEXT[:EXAMPLE_TEXT.index("،")], 0.81)
    return {"entities": [airport], "claims": [{**claim, "entities": [airport], "source": source}],
            "sources": [source]}


def _one_of_text_or_texts(schema: dict) -> None:
    """Publish the real contract: exactly one of two non-null fields, so that generated clients
    and fuzzers send what the API accepts (the Python fields are Optional only to tell them apart)."""
    for name in ("text", "texts"):
        field = schema["properties"][name]
        field.update(next(option for option in field.pop("anyOf") if option.get("type") != "null"))
        field.pop("default", None)
    schema["oneOf"] = [{"required": ["text"]}, {"required": ["texts"]}]
    schema["examples"] = [{"text": EXAMPLE_TEXT}, {"texts": EXAMPLE_TEXTS}]


def _check_unicode(text: str) -> str:
    # A lone surrogate ("\ud800" in JSON) decodes to a Python str but is not Unicode text:
    # the tokenizer and the UTF-8 response encoder would both fail on it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"contains an unpaired surrogate at character {error.start}; send valid Unicode") from None
    return text


class PredictRequest(BaseModel):
    """Exactly one of ``text`` (one document) or ``texts`` (several, answered in order)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda schema: _one_of_text_or_texts(schema))

    text: str | None = Field(None, description="one document, raw Arabic text", examples=[EXAMPLE_TEXT])
    texts: list[str] | None = Field(None, description="several documents", examples=[EXAMPLE_TEXTS])

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

    @model_validator(mode="after")
    def _exactly_one(self) -> PredictRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError('send exactly one of "text" (a string) or "texts" (a list of strings)')
        return self

    def as_list(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts)


class SpanOut(BaseModel):
    start: int = Field(description="first code point of the span in the input text", examples=[45])
    end: int = Field(description="one past the last code point (exclusive)", examples=[67])
    label: str = Field(examples=["FAC"])
    text: str = Field(description="always input[start:end]", examples=["مطار تدمر العسكري"])
    score: float = Field(ge=0, le=1, description="mean per-word confidence", examples=[0.93])


class ClaimOut(SpanOut):
    entities: list[SpanOut] = Field(description="entity spans inside the claim")
    source: SpanOut | None = Field(description="the nearest source span in the same sentence, if any")


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

    Each document maps every schema layer (``entities``, ``claims``, ``sources``) to its spans;
    claim spans also carry ``entities`` and ``source``.
    """

    model: ModelRef
    documents: list[dict[str, list[ClaimOut | SpanOut]]] = Field(examples=[[_example_document()]])


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
