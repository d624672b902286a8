"""Generate scraped-looking articles from the seed sentences, for scoring tests and acceptance.

``python -m tests.serve.batch.make_articles OUT_DIR N [--seed S]`` writes ``OUT_DIR/article_00000.txt``
… : each a headline, a few paragraphs recombined from the seed paragraphs, and the page
chrome the seeds carry (share buttons, font-size controls, "read also" teasers, footers),
so the output looks like a real dump to the scorer. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from model.paths import SEEDS_DIR as SEEDS

CHROME_BLOCKS = [
    "Facebook\nWhatsApp\nTelegram",
    "+A\nحجم الخط\n-A",
    "recent\nأخبار ساخنة",
    "الرابط المختصر:",
    "مقالات ذات صلة",
    "زر الذهاب إلى الأعلى",
    "google-playkhamsatmostaqltradent",
]


def seed_paragraphs() -> tuple[list[str], list[str]]:
    """(headlines, paragraphs): the seeds' non-empty lines, split by length."""
    lines = [line.strip() for path in sorted(SEEDS.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    headlines = [line for line in lines if 40 <= len(line) < 150]
    paragraphs = [line for line in lines if 150 <= len(line) <= 900]
    return headlines, paragraphs


def make_article(rng: random.Random, headlines: list[str], paragraphs: list[str], max_paragraphs: int = 6) -> str:
    parts = [rng.choice(CHROME_BLOCKS), rng.choice(headlines), rng.choice(CHROME_BLOCKS)]
    parts.extend(rng.sample(paragraphs, rng.randint(2, max_paragraphs)))
    parts.append("إقرأ أيضا.." + rng.choice(headlines))
    parts.append(rng.choice(CHROME_BLOCKS))
    return "\n\n".join(parts) + "\n"


def write_articles(folder: Path, count: int, seed: int = 0, max_paragraphs: int = 6) -> list[Path]:
    """Write ``count`` articles into ``folder``; return their paths (ids are the file stems)."""
    rng = random.Random(seed)
    headlines, paragraphs = seed_paragraphs()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"article_{index:05d}.txt"
        path.write_text(make_article(rng, headlines, paragraphs, max_paragraphs), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python -m tests.serve.batch.make_articles OUT_DIR N [--seed S]")
    seed_value = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
    written = write_articles(Path(sys.argv[1]), int(sys.argv[2]), seed_value)
    print(f"wrote {len(written)} articles to {sys.argv[1]}")
