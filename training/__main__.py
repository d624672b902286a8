"""``python -m training <command>``: validate, train, eval, pretrain, import, export, preannotate."""

from training.cli import app

app(prog_name="python -m training")
