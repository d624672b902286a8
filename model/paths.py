"""Where the repository's files live: the one place library code gets a path from.

Every default path (the annotation schema, annotations, seeds, trained models, reports)
hangs off :data:`REPO_ROOT`, the checkout rasd is installed from (``pip install -e .``).
Paths given on the command line are used as given, relative to the working directory.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS_DIR = REPO_ROOT / "annotations"
ANNOTATIONS_GLOB = "*.jsonl"  # annotation files inside ANNOTATIONS_DIR
SCHEMA_PATH = ANNOTATIONS_DIR / "schema.yaml"
SEEDS_DIR = REPO_ROOT / "seeds"
MODELS_DIR = REPO_ROOT / "models"
REPORTS_DIR = REPO_ROOT / "reports"
