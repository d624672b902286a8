"""CoNLL/IOB: one ``token ... TAG`` line per token, blank line between sentences.

Read contract: columns are split on whitespace; the first is the token, the last the tag
(``O``, ``B-X``, ``I-X``). ``-DOCSTART-`` lines end a document; ``--sentences-per-doc N``
also cuts one every N sentences (a corpus without -DOCSTART- is otherwise one document).
A document's text is rebuilt by joining its tokens with one space and its sentences with a
newline, so every span has exact character offsets. Spans never cross a sentence break.

Schemes: IOB2 (every span opens with B-) and IOB1 (a span opens with I-; B- only separates
two adjacent spans of one label). ``auto`` picks IOB1 when some I-X follows neither B-X nor
I-X, else IOB2. Under an explicit ``iob2`` such an I- is a problem, not silently repaired.

Write contract: per record and one schema layer, words from :func:`model.words.word_spans`
tagged IOB2; a sentence break wherever the text has a line break between two words, except
inside a span. So a document read from CoNLL is written back token for token (when every
token is one word) and reads back to the same text and spans.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from model.alignment import spans_to_tags
from model.schema import Schema
from model.words import word_spans
from training.formats.common import (
    RawSpan,
    ReadOptions,
    Source,
    read_text_exact,
    spans_by_layer,
    write_text,
)
from training.validate import Problem

DOCSTART = "-DOCSTART-"


@dataclass
class _Token:
    text: str
    tag: str
    line: int


def _documents(lines: list[str], per_doc: int) -> Iterator[list[list[_Token]]]:
    """Sentences grouped into documents (each a list of sentences of tokens)."""
    document: list[list[_Token]] = []
    sentence: list[_Token] = []
    for number, line in enumerate(lines, start=1):
        columns = line.split()
        if columns and columns[0] != DOCSTART:
            sentence.append(_Token(columns[0], columns[-1] if len(columns) > 1 else "", number))
            continue
        if sentence:
            document.append(sentence)
            sentence = []
        if document and (columns or (per_doc and len(document) >= per_doc)):
            yield document
            document = []
    if sentence:
        document.append(sentence)
    if document:
        yield document


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


def read(path: Path, options: ReadOptions) -> Iterator[Source]:
    """Parse a CoNLL file into documents with rebuilt text; positions are line numbers."""
    lines = [line.rstrip("\r") for line in read_text_exact(path).split("\n")]
    documents = list(_documents(lines, options.sentences_per_doc))
    scheme = options.scheme
    if scheme == "auto":
        scheme = detect_scheme(sentence for document in documents for sentence in document)
    for number, document in enumerate(documents, start=1):
        first_line = document[0][0].line
        source = Source(str(path), first_line, f"{Path(path).stem}-{number:04d}", "", meta={"scheme": scheme})
        pieces, position = [], 0
        for index, sentence in enumerate(document):
            if index:
                pieces.append("\n")
                position += 1
            offsets = []
            for token_index, token in enumerate(sentence):
                if token_index:
                    pieces.append(" ")
                    position += 1
                offsets.append((position, position + len(token.text)))
                pieces.append(token.text)
                position += len(token.text)
            _decode(source, sentence, offsets, scheme)
        source.text = "".join(pieces)
        yield source


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
