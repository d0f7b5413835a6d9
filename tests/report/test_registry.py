"""The reporter registry: every reporter module is registered, the CLI's formats and options come from it."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from typer.testing import CliRunner

import derivcheck.cli
import derivcheck.report
from derivcheck.report import REPORTERS

REPORT_PACKAGE = Path(derivcheck.report.__file__).parent
FIXTURE = str(Path(__file__).parent / "fixtures" / "passing.yaml")


def writer_functions() -> set[tuple[str, str]]:
    """Every public ``write_*`` function defined in a module of derivcheck/report/."""
    found = set()
    for path in sorted(REPORT_PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("write_"):
                found.add((f"derivcheck.report.{path.stem}", node.name))
    return found


def test_every_writer_module_is_a_registered_format():
    registered = {(reporter.module, reporter.function) for reporter in REPORTERS.values()}
    assert writer_functions(), "no write_* function found: the scan is broken"
    assert writer_functions() == registered


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_reporter_takes_the_explicit_options(name):
    reporter = REPORTERS[name]
    writer = getattr(importlib.import_module(reporter.module), reporter.function)
    parameters = inspect.signature(writer).parameters
    for option in ("color", "verbose"):
        assert parameters[option].kind is inspect.Parameter.KEYWORD_ONLY, (name, option)
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()), name


class Spy:
    """A reporter that records how the CLI called it."""

    module = function = "spy"
    description = "records its call"

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, report, stream, *, color=None, verbose=False):
        self.calls.append({"results": len(report.results), "color": color, "verbose": verbose})
        stream.write("spy wrote\n")


@pytest.fixture
def cli_with_spy(monkeypatch):
    """The CLI module rebuilt with an extra reporter ``spy`` in the registry."""
    spy = Spy()
    monkeypatch.setitem(REPORTERS, "spy", spy)
    module = importlib.reload(derivcheck.cli)
    yield module, spy
    monkeypatch.undo()
    importlib.reload(derivcheck.cli)


@pytest.mark.parametrize("flags, color, verbose", [([], None, False), (["--verbose", "--no-color"], False, True)])
def test_cli_formats_and_options_come_from_the_registry(cli_with_spy, flags, color, verbose):
    module, spy = cli_with_spy
    result = CliRunner().invoke(
        module.app, ["verify", "--no-cache", "--jobs", "1", "--format", "spy", *flags, FIXTURE]
    )
    assert result.exit_code == 0, result.output
    assert "spy wrote" in result.output
    assert spy.calls == [{"results": 3, "color": color, "verbose": verbose}]
    assert "spy (records its call)" in " ".join(
        CliRunner().invoke(module.app, ["verify", "--help"]).output.split()
    )


def test_an_unregistered_format_is_refused():
    result = CliRunner().invoke(derivcheck.cli.app, ["verify", "--format", "spy", FIXTURE])
    assert result.exit_code == 2
