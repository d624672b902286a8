"""``python -m serve <command>``: api (the FastAPI server), score (batch scoring), bench."""

from serve.cli import app

app(prog_name="python -m serve")
