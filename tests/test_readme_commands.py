"""The README's command-line blocks can be pasted twice: every command succeeds
when its outputs already exist, and no output folder is nested inside another one's.

The commands run as written, on smaller sizes so that the test is quick: runs and comparisons
get ``--set n_citizens=...``, sweeps run in this process on copies of their experiment files
with fewer citizens, months and samples, and ``coprod validate`` runs two replications.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.validation import document
from tests.stand_ins import empty_svgs

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

SMALLER = {  # experiment-file settings -> the test's values
    r"^n_citizens = \d+": "n_citizens = 60",
    r"^steps = \d+": "steps = 12",
    r"^samples = \d+": "samples = 2",
    r"^replications = \d+": "replications = 1",
    r"^last = \d+": "last = 6",
}


def readme_commands() -> list[list[str]]:
    """The shell lines of the ```bash blocks of the README's 'Command line' section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    lines = [line for block in blocks for line in block.splitlines() if line.strip()]
    return [shlex.split(line, comments=True) for line in lines]


def _smaller(words: list[str], cwd: Path) -> list[str]:
    """``coprod ARGS`` as the test runs it (arguments after the command name)."""
    command, args = words[1], words[2:]
    if command in ("run", "compare"):
        return [command, *args, "--set", "n_citizens=120"]
    if command == "sweep":
        source = ROOT / args[0]
        copy = cwd / args[0]
        copy.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        for pattern, value in SMALLER.items():
            text = re.sub(pattern, value, text, flags=re.MULTILINE)
        copy.write_text(text, encoding="utf-8")
        return [command, *args, "--workers", "0"]
    if command == "validate":
        return [command, *args, "--replications", "2", "--citizens", "100"]
    return [command, *args]


def _outputs(commands: list[list[str]]) -> list[Path]:
    return [Path(words[words.index("--out") + 1]) for words in commands if "--out" in words]


def test_the_block_has_the_commands_and_their_folders_are_apart():
    commands = readme_commands()
    assert {w[1] for w in commands if w[0] == "coprod"} >= {"run", "compare", "sweep", "analyze"}
    assert all(w[0] in ("coprod", "source", "rm") for w in commands), commands
    folders = _outputs(commands)
    for a in folders:
        for b in folders:
            assert a == b or a not in b.parents, f"{b} is inside {a}: --force on {a} removes it"


def test_every_command_succeeds_when_pasted_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # What is checked is that each command succeeds again, not how validate draws figures.
    monkeypatch.setattr(document, "_export", empty_svgs)
    for _ in range(2):  # the second paste finds every output folder there already
        for words in readme_commands():
            if words[0] == "source":
                continue
            if words[0] == "rm":
                assert words[1] == "-rf"
                shutil.rmtree(tmp_path / words[2], ignore_errors=True)
                continue
            args = _smaller(words, tmp_path)
            result = runner.invoke(app, args)
            # validate exits 1 when a pattern fails, as it may at these sizes: not an error
            allowed = (0, 1) if args[0] == "validate" else (0,)
            assert result.exit_code in allowed, f"{shlex.join(words)}:\n{result.output}"
    for folder in _outputs(readme_commands()):
        assert (tmp_path / folder).is_dir()
