"""``python -m coprod_sim``: the command line."""

from .cli import app

app(prog_name="coprod")
