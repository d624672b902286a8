"""The architecture holds: the import contracts of pyproject.toml, and modules of at most 400 lines.

The contracts (``[tool.importlinter]``): ``model`` is the bottom layer and imports neither
``training`` nor ``serve``; those two never import each other; ``serve.api``, ``serve.batch``
and ``serve.bench`` are independent; and no package has an import cycle among its modules, at
any depth (imports inside functions count too). ``lint-imports`` runs the same check by hand.
"""

from __future__ import annotations

from model.paths import REPO_ROOT

PACKAGES = ("model", "training", "serve")
MAX_LINES = 400


def test_import_contracts_hold(capsys):
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(REPO_ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "3 kept, 0 broken" in report, report


def test_no_module_is_over_400_lines():
    sizes = {str(path.relative_to(REPO_ROOT)): len(path.read_text(encoding="utf-8").splitlines())
             for package in PACKAGES for path in (REPO_ROOT / package).rglob("*.py")}
    assert {path: lines for path, lines in sizes.items() if lines > MAX_LINES} == {}
