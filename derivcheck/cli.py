"""The command line: options in, library calls, exit code out. Nothing else lives here."""

from __future__ import annotations

import sys
from enum import Enum
from typing import List, Optional

import typer

from derivcheck import __version__
from derivcheck.config import CheckConfig

app = typer.Typer(
    name="derivcheck",
    help=(
        "Check hand-written mathematical derivations step by step.\n\n"
        "A derivation is a YAML file (or a ```derivation block in Markdown): a chain of "
        "expressions, each equal to the one before it. derivcheck proves each step with "
        "SymPy or shows a counterexample.\n\n"
        "Example: derivcheck verify derivations/"
    ),
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"derivcheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Check hand-written mathematical derivations step by step."""


@app.command()
def verify(
    paths: List[str] = typer.Argument(
        None,
        help="Files (.yaml, .yml, .md) or directories, searched recursively. "
        "Default: 'paths' from [tool.derivcheck] in pyproject.toml, else derivations/.",
        show_default=False,
    ),
    format: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="Output format: text (for people), json (FORMAT.md), junit (JUnit XML test report), "
        "github (GitHub Actions annotations), sarif (SARIF 2.1.0 for code scanning). "
        "Example: --format sarif > derivcheck.sarif",
    ),
    strict: Optional[bool] = typer.Option(
        None, "--strict/--no-strict", help="Fail on 'numeric' verdicts too (no proof, only sampled agreement)."
    ),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds allowed per check [default: 10]."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Worker processes [default: CPUs]; 1 checks in this process."
    ),
    cache_dir: Optional[str] = typer.Option(
        None, "--cache-dir", help="Result cache directory [default: .derivcheck_cache, or $DERIVCHECK_CACHE_DIR]."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Numeric sample points per step [default: 24]."),
    max_size: Optional[int] = typer.Option(
        None, "--max-size", help="Largest size tried for sums over a symbolic range [default: 4]."
    ),
    memory_limit: Optional[int] = typer.Option(
        None, "--memory-limit", help="Memory limit of each worker process, in MiB [default: 512]."
    ),
    max_file_size: Optional[int] = typer.Option(
        None, "--max-file-size", help="Refuse files larger than this many bytes [default: 1000000]."
    ),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colors on or off."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the evidence of passing steps too."),
) -> None:
    """Check every step and number claim; exit 0 if all pass, 1 if any fails, 2 if a file cannot be read.

    Example: derivcheck verify derivations/ --format json --strict
    """
    from derivcheck.settings import default_paths

    settings, config = _configure(
        strict=strict, timeout=timeout, jobs=jobs, samples=samples, max_size=max_size,
        memory_limit=memory_limit, max_file_size=max_file_size, cache_dir=cache_dir, no_cache=no_cache,
    )
    targets = list(paths) if paths else default_paths(settings)
    from derivcheck.api import verify_paths
    from derivcheck.report import REPORTERS

    with _progress(format is Format.text and sys.stdout.isatty() and color is not False) as progress:
        report = verify_paths(targets, config, progress)
    REPORTERS[format.value](report, sys.stdout, color=color, verbose=verbose)
    raise typer.Exit(report.exit_code)


def _configure(
    *,
    strict=None, timeout=None, jobs=None, samples=None, max_size=None,
    memory_limit=None, max_file_size=None, cache_dir=None, no_cache=False,
):
    """Return (project settings, CheckConfig): options over [tool.derivcheck] over defaults; exit 2 if invalid."""
    from derivcheck.settings import SettingsError, cache_directory, read_project_settings

    try:
        settings = read_project_settings()
    except SettingsError as exc:
        typer.echo(f"derivcheck: {exc}", err=True)
        raise typer.Exit(2)
    base = CheckConfig()
    config = base.with_(
        strict=_pick(strict, settings.strict, base.strict),
        timeout=_pick(timeout, settings.timeout, base.timeout),
        jobs=_pick(jobs, settings.jobs, base.jobs),
        samples=_pick(samples, settings.samples, base.samples),
        max_size=_pick(max_size, settings.max_size, base.max_size),
        memory_limit_mb=_pick(memory_limit, settings.memory_limit, base.memory_limit_mb),
        max_file_bytes=_pick(max_file_size, settings.max_file_size, base.max_file_bytes),
        cache_dir=cache_directory(cache_dir, no_cache, settings),
    )
    problem = _invalid(config)
    if problem:
        typer.echo(f"derivcheck: {problem}", err=True)
        raise typer.Exit(2)
    return settings, config


def _pick(option, configured, default):
    if option is not None:
        return option
    return configured if configured is not None else default


def _invalid(config: CheckConfig) -> str | None:
    if config.timeout <= 0:
        return "--timeout must be positive"
    if config.jobs < 1:
        return "--jobs must be at least 1"
    if config.samples < 1:
        return "--samples must be at least 1"
    if not 1 <= config.max_size <= 12:
        return "--max-size must be from 1 to 12"
    if config.memory_limit_mb < 0:
        return "--memory-limit must be positive (0: no limit)"
    return None


class _progress:
    """A rich progress bar on a terminal for runs longer than about a second."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        import time

        started = time.monotonic()

        def update(done: int, total: int) -> None:
            if self.bar is None and time.monotonic() - started > 1.0 and done < total:
                from rich.progress import Progress

                self.bar = Progress(transient=True)
                self.bar.start()
                self.task = self.bar.add_task("checking", total=total)
            if self.bar is not None:
                self.bar.update(self.task, completed=done, total=total)

        return update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


@app.command()
def new(
    path: str = typer.Argument(..., help="The file to create (.yaml or .yml); its folder must exist."),
    title: Optional[str] = typer.Option(
        None, "--title", "-t", help="The derivation's title [default: made from the file name]."
    ),
) -> None:
    """Write a commented skeleton derivation that verifies as written and shows every key of the format.

    Refuses to overwrite an existing file (exit 2).

    Example: derivcheck new derivations/my_loss.yaml --title "My loss, gradient"
    """
    from pathlib import Path

    from derivcheck.authoring.skeleton import default_title, write_skeleton

    target = Path(path)
    try:
        write_skeleton(target, title if title is not None else default_title(target))
    except FileExistsError:
        typer.echo(f"derivcheck: {path} already exists; not overwriting it", err=True)
        raise typer.Exit(2)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"derivcheck: {exc}", err=True)
        raise typer.Exit(2)
    except OSError as exc:
        typer.echo(f"derivcheck: cannot write {path}: {exc.strerror}", err=True)
        raise typer.Exit(2)
    typer.echo(f"wrote {path}; check it with: derivcheck verify {path}", err=True)


@app.command()
def schema() -> None:
    """Print a JSON Schema (draft 2020-12) of the derivation format, for editors and validators.

    Save it, then name it on the first line of a derivation file (the path relative to that file):

    \b
    # yaml-language-server: $schema=derivcheck.schema.json

    Example: derivcheck schema > derivcheck.schema.json
    """
    import json

    from derivcheck.authoring.schema import derivation_schema

    typer.echo(json.dumps(derivation_schema(), indent=2, ensure_ascii=False))


class RenderTarget(str, Enum):
    markdown = "markdown"
    html = "html"
    latex = "latex"


@app.command()
def render(
    paths: List[str] = typer.Argument(..., help="Files (.yaml, .yml, .md) or directories, searched recursively."),
    to: RenderTarget = typer.Option(RenderTarget.markdown, "--to", "-t", help="Output format."),
    out: Optional[str] = typer.Option(
        None, "--output", "-o",
        help="A file ending in .md/.html/.tex (everything in one document), or a directory "
        "(a page per input, mirroring folders, plus an index). Default: standard output.",
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Check the steps and show verdict marks."),
    title: str = typer.Option("Derivations", "--title", help="Title of the index or combined page."),
    strict: Optional[bool] = typer.Option(None, "--strict/--no-strict", help="'numeric' counts as failing."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds allowed per check [default: 10]."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes [default: CPUs]."),
    cache_dir: Optional[str] = typer.Option(None, "--cache-dir", help="Result cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
) -> None:
    """Render derivations for readers: aligned math with each step's reason and verdict mark.

    Markdown uses $$\\begin{aligned}…$$ blocks (GitHub renders them); HTML is a standalone page
    with MathML (no script, works offline); LaTeX is a complete document with align*.
    Exit 0 when rendered, 2 when an input is missing or the output cannot be written.

    Example: derivcheck render derivations --to markdown -o docs/derivations/
    """
    from derivcheck.render import RenderError, render_paths
    _, config = _configure(strict=strict, timeout=timeout, jobs=jobs, cache_dir=cache_dir, no_cache=no_cache)
    try:
        run = render_paths(list(paths), to.value, out, config, check=check, title=title)
    except RenderError as exc:
        typer.echo(f"derivcheck: {exc}", err=True)
        raise typer.Exit(2)
    for path in run.missing:
        typer.echo(f"derivcheck: {path}: no such file or directory", err=True)
    if run.text is not None:
        sys.stdout.write(run.text)
    elif run.written:
        typer.echo(f"wrote {len(run.written)} file(s) under {out}", err=True)
    raise typer.Exit(2 if run.missing else 0)


def main() -> None:
    """Entry point of the ``derivcheck`` command."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("derivcheck: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # no traceback reaches a user
        sys.stderr.write(f"derivcheck: internal error: {type(exc).__name__}: {exc}\n")
        sys.stderr.write("please report this with the file that caused it\n")
        sys.exit(2)
