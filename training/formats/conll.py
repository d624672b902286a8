"""CoNLL/IOB: one ``token ... TAG`` line per token, blank line between sentences.

Read contract: columns are split on whitespace; the first is the token, the last the tag
(``O``, ``B-X``, ``I-X``). Corpora as distributed are read as they are (ANERcorp: one
space-separated ``token tag`` per line):

- an *empty token* (a line holding only a tag after leading whitespace, or a token made only
  of invisible format characters such as U+200F) is skipped with a note; when it opened a span
  (``B-X``) the next ``I-X`` opens it instead;
- punctuation glued to a token at a span's edge (``لأفغانستان؛`` tagged ``B-GPE``) stays in the
  text but is left out of the span, with a note; a span of punctuation only is dropped, noted;
- documents: ``-DOCSTART-`` lines end one; a file without any is cut every
  :data:`SENTENCES_PER_DOC` sentences (noted; ``--sentences-per-doc N`` sets N, and also cuts
  files that have -DOCSTART-). A file with no blank line at all is cut into sentences after
  sentence-final punctuation tokens (noted).

A document's text is rebuilt by joining its tokens with one space and its sentences with a
newline, so every span has exact character offsets. Spans never cross a sentence break.
Each sentence is checked on its own (:func:`read` yields one source per sentence and
:func:`assemble` joins the clean ones back into their documents), so a problem drops only the
sentence it is in, never its document or file; the counts are summed up at the end.

Schemes: IOB2 (every span opens with B-) and IOB1 (a span opens with I-; B- only separates
two adjacent spans of one label). ``auto`` picks IOB1 when some I-X follows neither B-X nor
I-X, else IOB2. Under an explicit ``iob2`` such an I- is a problem, not silently repaired.

Write contract: per record and one schema layer, words from :func:`model.words.word_spans`
tagged IOB2; a sentence break wherever the text has a line break between two words, except
inside a span. So a document read from CoNLL is written back token for token (when every
token is one word) and reads back to the same text and spans.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from model.alignment import spans_to_tags
from model.schema import Schema
from model.words import is_word_char, word_spans
from training.formats.common import (
    ImportResult,
    RawSpan,
    ReadOptions,
    Source,
    read_text_exact,
    spans_by_layer,
    write_text,
)
from training.validate import Problem

DOCSTART = "-DOCSTART-"
SENTENCES_PER_DOC = 20  # documents cut from a file without -DOCSTART- (about one news article)
SENTENCE_END = frozenset({".", "!", "?", "؟", "…", "..."})


@dataclass
class _Token:
    text: str
    tag: str
    line: int


@dataclass
class _Sentence:
    tokens: list[_Token]
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, note) found while reading


def _is_tag(value: str) -> bool:
    return value == "O" or (value[:2] in ("B-", "I-") and len(value) > 2)


def _is_empty(token: str) -> bool:
    """A token with nothing visible in it: only format characters (RLM, ZWJ, BOM...)."""
    return all(unicodedata.category(char) == "Cf" for char in token)


def _sentences(lines: list[str]) -> Iterator[_Sentence | None]:
    """The sentences of the file in order, None at each -DOCSTART-; empty tokens skipped."""
    sentence = _Sentence([])
    promote: str | None = None  # the label of a B- carried by a skipped empty token
    for number, line in enumerate(lines, start=1):
        columns = line.split()
        if not columns or columns[0] == DOCSTART:
            if sentence.tokens:
                yield sentence
            sentence, promote = _Sentence([]), None
            if columns:
                yield None
            continue
        empty_line = len(columns) == 1 and line[:1].isspace() and _is_tag(columns[0])
        if empty_line or _is_empty(columns[0]):
            tag = columns[-1] if len(columns) > 1 or empty_line else ""
            shown = "" if empty_line else f" {columns[0]!r}"
            sentence.notes.append((number, f"empty token{shown} (tag {tag or 'none'}) skipped"))
            promote = tag[2:] if tag.startswith("B-") else None
            continue
        token = _Token(columns[0], columns[-1] if len(columns) > 1 else "", number)
        if promote is not None and token.tag == f"I-{promote}":
            sentence.notes.append((number, (f"{token.tag} of {token.text!r} opens the span the skipped empty "
                                           f"token opened (read as B-{promote})")))
            token.tag = f"B-{promote}"
        promote = None
        sentence.tokens.append(token)
    if sentence.tokens:
        yield sentence


def _split_at_sentence_ends(sentence: _Sentence) -> list[_Sentence]:
    pieces, current = [], _Sentence([], sentence.notes)
    for token in sentence.tokens:
        current.tokens.append(token)
        if token.text in SENTENCE_END and token.tag == "O":
            pieces.append(current)
            current = _Sentence([])
    return pieces + ([current] if current.tokens else [])


def _documents(lines: list[str], path: str, per_doc: int | None, notes: list[Problem]) -> list[list[_Sentence]]:
    """Sentences grouped into documents; ``notes`` gets how the file was cut."""
    items = list(_sentences(lines))
    has_docstart = any(item is None for item in items)
    sentences = [item for item in items if item is not None]
    if len(sentences) == 1:  # no blank line between any two tokens
        split = _split_at_sentence_ends(sentences[0])
        if len(split) > 1:
            notes.append(Problem(path, 1, f"no blank line between sentences: cut into {len(split)} sentences "
                                          "after sentence-final punctuation"))
            items = sentences = split
    if per_doc is None:
        per_doc = 0 if has_docstart else SENTENCES_PER_DOC
        if not has_docstart and len(sentences) > per_doc:
            notes.append(Problem(path, 1, f"no {DOCSTART} lines: documents cut every {per_doc} sentences "
                                          "(--sentences-per-doc N to choose)"))
    documents: list[list[_Sentence]] = []
    document: list[_Sentence] = []
    for item in items:
        if item is None or (per_doc and len(document) >= per_doc):
            if document:
                documents.append(document)
            document = []
        if item is not None:
            document.append(item)
    if document:
        documents.append(document)
    return documents


def _opens_iob1(previous: str, tag: str) -> bool:
    return tag.startswith("I-") and previous[2:] != tag[2:]


def detect_scheme(sentences: Iterator[list[_Token]]) -> str:
    """'iob1' when some I-X opens a span (follows neither B-X nor I-X), else 'iob2'."""
    for sentence in sentences:
        tags = ["O", *(token.tag for token in sentence)]
        if any(_opens_iob1(previous, tag) for previous, tag in pairwise(tags)):
            return "iob1"
    return "iob2"


def _decode(source: Source, sentence: list[_Token], offsets: list[tuple[int, int]], scheme: str) -> None:
    """Append the sentence's spans to ``source``; bad tags become problems at their line."""
    current: RawSpan | None = None
    previous = "O"
    for token, (start, end) in zip(sentence, offsets):
        prefix, _, label = token.tag.partition("-")
        if token.tag != "O" and (prefix not in ("B", "I") or not label):
            reason = (f"tag {token.tag!r} of {token.text!r} is neither O nor B-LABEL/I-LABEL" if token.tag
                      else f"line has no tag column: {token.text!r}")
            source.problems.append(Problem(source.path, token.line, reason))
            current, previous = None, "O"
            continue
        if prefix == "I" and current is not None and current.label == label:
            current.end = end
        elif token.tag != "O":
            if prefix == "I" and scheme == "iob2":
                source.problems.append(Problem(source.path, token.line, f"{token.tag} of {token.text!r} follows "
                                               f"{previous} (IOB2 opens a span with B-; use --scheme iob1 if the "
                                               "file is IOB1)"))
            current = RawSpan(start, end, label, None, token.line)
            source.spans.append(current)
        else:
            current = None
        previous = token.tag


def _trim_edges(source: Source) -> None:
    """Leave punctuation glued to a span's first or last token out of the span (noted)."""
    kept = []
    for span in source.spans:
        start, end = span.start, span.end
        while start < end and not is_word_char(source.text[start]):
            start += 1
        while end > start and not is_word_char(source.text[end - 1]):
            end -= 1
        original = source.text[span.start:span.end]
        if start == end:
            source.notes.append(Problem(source.path, span.line, f"{span.label} span {original!r} is only "
                                        "punctuation: dropped"))
            continue
        if (start, end) != (span.start, span.end):
            source.notes.append(Problem(source.path, span.line, f"punctuation glued to {span.label} span "
                                        f"{original!r} left out of it: {source.text[start:end]!r}"))
            span.start, span.end = start, end
        kept.append(span)
    source.spans = kept


def read(path: Path, options: ReadOptions) -> Iterator[Source]:
    """Parse a CoNLL file into one source per sentence (see :func:`assemble`); positions are
    line numbers. A sentence's ``meta`` names its document."""
    lines = [line.rstrip("\r") for line in read_text_exact(path).split("\n")]
    file_notes: list[Problem] = []
    documents = _documents(lines, str(path), options.sentences_per_doc, file_notes)
    scheme = options.scheme
    if scheme == "auto":
        scheme = detect_scheme(sentence.tokens for document in documents for sentence in document)
    for number, document in enumerate(documents, start=1):
        doc_id = f"{Path(path).stem}-{number:04d}"
        for index, sentence in enumerate(document, start=1):
            tokens = sentence.tokens
            source = Source(str(path), tokens[0].line, f"{doc_id}:{index}", " ".join(token.text for token in tokens),
                            meta={"document": doc_id, "scheme": scheme})
            if file_notes:
                source.notes, file_notes = file_notes, []
            source.notes += [Problem(str(path), line, note) for line, note in sentence.notes]
            offsets, position = [], 0
            for token in tokens:
                offsets.append((position, position + len(token.text)))
                position += len(token.text) + 1
            _decode(source, tokens, offsets, scheme)
            _trim_edges(source)
            yield source


def assemble(sources: list[Source], result: ImportResult) -> ImportResult:
    """Join the clean sentences of each document back into one record (sentences with problems
    are left out, their problems already reported) and sum the counts up in ``result.summary``."""
    clean = {record["id"]: record for record in result.records}
    documents: dict[str, list[Source]] = {}
    for source in sources:
        documents.setdefault(source.meta["document"], []).append(source)
    records, dropped = [], 0
    for doc_id, sentences in documents.items():
        kept = [clean[source.id] for source in sentences if source.id in clean]
        dropped += sum(1 for source in sentences if source.id not in clean)
        if not kept:
            continue
        pieces, spans, position = [], [], 0
        for record in kept:
            spans += [{**span, "start": span["start"] + position, "end": span["end"] + position}
                      for span in record["spans"]]
            pieces.append(record["text"])
            position += len(record["text"]) + 1
        meta = {"imported_from": sentences[0].path, "scheme": sentences[0].meta["scheme"], "sentences": len(kept)}
        if len(kept) < len(sentences):
            meta["sentences_dropped"] = len(sentences) - len(kept)
        records.append({"id": doc_id, "text": "\n".join(pieces), "spans": spans, "meta": meta})
    kinds = Counter("empty" if note.reason.startswith("empty token") else
                    "glued" if note.reason.startswith("punctuation glued") else "other" for note in result.notes)
    result.records = records
    result.summary.append(
        f"conll: {len(sources)} sentence(s) in {len(documents)} document(s) read; {len(sources) - dropped} "
        f"imported into {len(records)} document(s), {dropped} dropped for the problems listed; "
        f"{kinds['empty']} empty token(s) skipped, {kinds['glued']} span edge(s) of glued punctuation left out")
    return result


def _lines(record: dict, spans: list[dict]) -> list[str]:
    text, words = record["text"], word_spans(record["text"])
    tags = spans_to_tags(words, spans)
    lines = [f"{DOCSTART} O\n", "\n"]
    for index, ((start, end), tag) in enumerate(zip(words, tags)):
        if index and "\n" in text[words[index - 1][1]:start] and not tag.startswith("I-"):
            lines.append("\n")
        lines.append(f"{text[start:end]} {tag}\n")
    if words:
        lines.append("\n")
    return lines


def write(records: list[dict], out: Path, schema: Schema, layer: str | None = None) -> None:
    """Records as IOB2 CoNLL for one ``layer`` (default: the schema's first). Raises
    ValueError when spans of the layer overlap (two claim types on one sentence): one tag per
    word cannot hold them."""
    layer = layer or schema.layer_names[0]
    if layer not in schema.layer_names:
        raise ValueError(f"layer {layer!r} is not in the schema (layers: {', '.join(schema.layer_names)})")
    lines = []
    for record in records:
        spans = spans_by_layer(record, schema)[layer]
        clash = next(((a, b) for a, b in pairwise(spans) if b["start"] < a["end"]), None)
        if clash:
            raise ValueError(f"{record['id']}: {layer} spans overlap at [{clash[1]['start']}:{clash[0]['end']}] "
                             f"({clash[0]['label']}, {clash[1]['label']}); CoNLL holds one tag per word: "
                             "export this layer to labelstudio, doccano or brat")
        lines += _lines(record, spans)
    write_text(out, "".join(lines))
