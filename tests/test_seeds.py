"""The seed articles are byte-identical to the originals: annotation offsets point into them."""

import hashlib
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
EXPECTED_SHA256 = {
    "000_311e08a0292f7c5c.txt": "cfbdecfc556da2043ad1941b13dc233a3053d5f3474f80f3e55b72148fce6ea1",
    "001_f960658a4d41156d.txt": "6e445f721ab5346e027ea6bcfadf0f6a068a0c5fdd8bde69a390d607f90f3a3b",
    "002_2b7e810d896de9c5.txt": "5552a2d46fc49a765401aa67232ca178098e801a117afed8bf6a8045ee972b98",
    "003_6bbd4a92bbfd7105.txt": "c5cfc2ff2746b75ebf7e708a468baa83c3fcd58fce6fefe0c8b44b2596b029ba",
    "004_f8ed744c1d3acfc0.txt": "a00629a252682558464a11dfa24070c5f5e657c4d7e61e5b40016e7b17db9e1a",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SHA256))
def test_seed_is_byte_identical(name):
    digest = hashlib.sha256((SEEDS / name).read_bytes()).hexdigest()
    assert digest == EXPECTED_SHA256[name], f"seeds/{name} was edited; restore it from ../shared/seeds"


def test_no_extra_or_missing_seeds():
    assert sorted(path.name for path in SEEDS.glob("*.txt")) == sorted(EXPECTED_SHA256)
