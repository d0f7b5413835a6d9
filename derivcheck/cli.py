"""The command line: options in, library calls, exit code out. Nothing else lives here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from derivcheck.report import REPORTERS
from derivcheck.version import __version__

if TYPE_CHECKING:
    from derivcheck.config import CheckConfig
    from derivcheck.settings import ProjectSettings

app = typer.Typer(
    name="derivcheck",
    help=(
        "Check hand-written mathematical derivations step by step.\n\n"
        "A derivation is a YAML file, a ```derivation block in Markdown, or LaTeX display math after a "
        "<!-- derivcheck --> comment in a Markdown post or a Jupyter notebook (.ipynb): a chain of "
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


# The --format choices: one per registered reporter (derivcheck.report.REPORTERS).
Format = Enum("Format", [(name, name) for name in REPORTERS], type=str)  # type: ignore[misc]
DEFAULT_FORMAT = Format("text")
FORMAT_HELP = (
    "Output format: "
    + ", ".join(f"{name} ({reporter.description})" for name, reporter in REPORTERS.items())
    + ". Example: --format sarif > derivcheck.sarif"
)


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
    paths: list[str] = typer.Argument(
        None,
        help="Files (.yaml, .yml, .md, .ipynb) or directories, searched recursively for all four. "
        "Default: 'paths' from [tool.derivcheck] in pyproject.toml, else derivations/.",
        show_default=False,
    ),
    format: Format = typer.Option(DEFAULT_FORMAT, "--format", "-f", help=FORMAT_HELP),
    strict: bool | None = typer.Option(
        None, "--strict/--no-strict", help="Fail on 'numeric' verdicts too (no proof, only sampled agreement)."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="CPU seconds allowed per check [default: 10, or $DERIVCHECK_TIMEOUT]."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", help="Worker processes [default: CPUs, or $DERIVCHECK_JOBS]; 1 checks in this process."
    ),
    cache_dir: str | None = typer.Option(
        None, "--cache-dir",
        help="Result cache directory [default: $DERIVCHECK_CACHE_DIR, else the user cache folder, "
        "e.g. ~/.cache/derivcheck/results]."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
    samples: int | None = typer.Option(None, "--samples", help="Numeric sample points per step [default: 24]."),
    max_size: int | None = typer.Option(
        None, "--max-size", help="Largest size tried for sums over a symbolic range [default: 4]."
    ),
    memory_limit: int | None = typer.Option(
        None, "--memory-limit",
        help="Memory limit of each worker process, in MiB, 0 for none [default: 512, or $DERIVCHECK_MEMORY_LIMIT]."
    ),
    max_file_size: int | None = typer.Option(
        None, "--max-file-size",
        help="Refuse files larger than this many bytes [default: 1000000, or $DERIVCHECK_MAX_FILE_SIZE]."
    ),
    color: bool | None = typer.Option(None, "--color/--no-color", help="Force colors on or off."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the evidence of passing steps too."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Text format: show only what does not pass (and warnings), then the summary."
    ),
    allow_empty: bool = typer.Option(
        False, "--allow-empty",
        help="Pass (exit 0, with a note) when the files hold no derivation, instead of failing: for a pre-commit "
        "hook, where a commit may touch only prose (a README next to the derivations).",
    ),
    shard: str | None = typer.Option(
        None, "--shard",
        help="Check only part I of N (e.g. 2/4): files are split by a hash of their path relative to the "
        "working directory, the same on every machine, so N CI jobs check every file once.",
    ),
) -> None:
    """Check every step and number claim; exit 0 if all pass, 1 if any fails, 2 if a file cannot be read.

    Example: derivcheck verify derivations/ --format json --strict
    """
    from derivcheck.api import Shard, verify_paths
    from derivcheck.settings import default_paths

    settings, config = _configure(
        strict=strict, timeout=timeout, jobs=jobs, samples=samples, max_size=max_size,
        memory_limit=memory_limit, max_file_size=max_file_size, cache_dir=cache_dir, no_cache=no_cache,
    )
    try:
        part = Shard.parse(shard) if shard is not None else None
    except ValueError as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None
    config = config.with_(evidence=verbose)
    targets = list(paths) if paths else default_paths(settings)
    with _progress(format.value == "text" and _is_terminal(sys.stdout) and color is not False) as progress:
        report = verify_paths(
            targets, config, progress.checking if progress else None, shard=part,
            stages=progress.update if progress else None, allow_empty=allow_empty,
        )
    _warn(report.warnings)
    if quiet and format.value == "text":
        from derivcheck.report.text import write_text

        _write_report(lambda out: write_text(report, out, color=color, verbose=verbose, quiet=True))
    else:
        _write_report(lambda out: REPORTERS[format.value](report, out, color=color, verbose=verbose))
    raise typer.Exit(report.exit_code)


def _warn(notes: Iterable[str]) -> None:
    """Print each note on stderr as one ``derivcheck:`` line, control characters escaped (a CI log reads it)."""
    from derivcheck.printable import printable

    try:
        for note in notes:
            typer.echo(f"derivcheck: {printable(note)}", err=True)
    except OSError:  # stderr itself cannot be written: nowhere left to say it
        pass


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError):
        return False


def _write_report(write: Callable[[TextIO], object]) -> None:
    """Write to stdout; a reader that went away (``| head -1``) ends the output quietly.

    A write that fails (a full disk) is one line on stderr saying so, and exit 2.
    """
    from derivcheck.report.encoding import OutputFailed, guarded_output

    try:
        with guarded_output(sys.stdout):
            write(sys.stdout)
            sys.stdout.flush()
    except OutputFailed as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None


def _configure(
    *, strict: bool | None = None, cache_dir: str | None = None, no_cache: bool = False, **numbers: Any
) -> tuple[ProjectSettings, CheckConfig]:
    """Return (project settings, CheckConfig): options over environment over [tool.derivcheck]; exit 2 if invalid."""
    from derivcheck.settings import SettingsError, build_config, read_project_settings

    options = {key.replace("_", "-"): value for key, value in numbers.items()}
    options.update({"strict": strict, "cache-dir": cache_dir, "no-cache": no_cache})
    try:
        settings = read_project_settings()
        return settings, build_config(options, settings)
    except SettingsError as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None


class _progress:
    """A rich progress bar on a terminal for runs longer than about a second: reading, parsing, checking."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None  # a rich Progress once started
        self.task: Any = None
        self.started = 0.0

    def __enter__(self) -> _progress | None:
        if not self.enabled:
            return None
        import time

        self.started = time.monotonic()
        return self

    def update(self, stage: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` for ``stage``; the bar appears once the run has taken a second."""
        import time

        if self.bar is None and time.monotonic() - self.started > 1.0 and done < total:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task(stage, total=total)
        if self.bar is not None:
            self.bar.update(self.task, description=stage, completed=done, total=total)

    def checking(self, done: int, total: int) -> None:
        self.update("checking", done, total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
def new(
    path: str = typer.Argument(..., help="The file to create (.yaml or .yml); its folder must exist."),
    title: str | None = typer.Option(
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
        raise typer.Exit(2) from None
    except (FileNotFoundError, ValueError) as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"derivcheck: cannot write {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
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

    _write_report(lambda out: out.write(json.dumps(derivation_schema(), indent=2, ensure_ascii=False) + "\n"))


class RenderTarget(str, Enum):
    markdown = "markdown"
    html = "html"
    latex = "latex"


class MathStyle(str, Enum):
    github = "github"
    dollars = "dollars"
    brackets = "brackets"


@app.command()
def render(
    paths: list[str] = typer.Argument(
        ..., help="Files (.yaml, .yml, .md, .ipynb) or directories, searched recursively."
    ),
    to: RenderTarget = typer.Option(RenderTarget.markdown, "--to", "-t", help="Output format."),
    out: str | None = typer.Option(
        None, "--output", "-o",
        help="A file ending in .md/.html/.tex (everything in one document), or a directory "
        "(a page per input, mirroring folders, plus an index). Default: standard output.",
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Check the steps and show verdict marks."),
    title: str = typer.Option("Derivations", "--title", help="Title of the index or combined page."),
    strict: bool | None = typer.Option(None, "--strict/--no-strict", help="'numeric' counts as failing."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds allowed per check [default: 10]."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Worker processes [default: CPUs]."),
    cache_dir: str | None = typer.Option(None, "--cache-dir", help="Result cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
    math: MathStyle | None = typer.Option(
        None, "--math",
        help="Math delimiters of Markdown pages: github ($`…`$, $$), dollars ($…$, $$: Jekyll, Hugo, Quarto) or "
        "brackets (\\(…\\), \\[…\\]: MkDocs with arithmatex) [default: brackets when -o is inside an "
        "MkDocs project (a mkdocs.yml above it), else github].",
    ),
    reader: bool = typer.Option(
        False, "--reader",
        help="A page for readers (Markdown): no source line numbers, counterexamples as math with short decimals.",
    ),
    source_url: str | None = typer.Option(
        None, "--source-url",
        help="Link each page's input to this URL; {path} is replaced by the input's path "
        "(e.g. https://github.com/OWNER/REPO/blob/main/{path}).",
    ),
    no_source_links: bool = typer.Option(
        False, "--no-source-links", help="Link no input (a published site that does not hold them)."
    ),
) -> None:
    """Render derivations for readers: aligned math with each step's reason and verdict mark.

    Markdown uses $$\\begin{aligned}…$$ blocks (GitHub renders them; --math chooses other delimiters);
    a post's or notebook's LaTeX derivation is kept as written, with a mark after each checked step
    (also in LaTeX output), and a notebook keeps its prose and code cells. HTML is a standalone page
    with MathML (no script, works offline); LaTeX is a complete document with align*.
    Exit 0 when rendered, 2 when an input is missing or the output cannot be written.

    Example: derivcheck render derivations --to markdown -o docs/derivations/
    """
    from derivcheck.printable import display_path
    from derivcheck.render import RenderError, default_math_style, render_paths
    from derivcheck.render.views import PageOptions

    _, config = _configure(strict=strict, timeout=timeout, jobs=jobs, cache_dir=cache_dir, no_cache=no_cache)
    if to is not RenderTarget.markdown and (math is not None or reader):
        typer.echo("derivcheck: --math and --reader apply to Markdown pages (--to markdown)", err=True)
        raise typer.Exit(2)
    options = PageOptions(
        math=math.value if math is not None else default_math_style(out),
        reader=reader,
        source_url=source_url,
        source_links=not no_source_links,
    )
    try:
        run = render_paths(list(paths), to.value, out, config, check=check, title=title, options=options)
    except RenderError as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None
    _warn([f"{display_path(path)}: no such file or directory" for path in run.missing])
    _warn([f"skipped {note}" for note in run.skipped])
    if run.text is not None:
        page = run.text
        _write_report(lambda out: out.write(page))
    elif run.written:
        typer.echo(f"wrote {len(run.written)} file(s) under {out}", err=True)
    raise typer.Exit(2 if run.missing else 0)


cache_app = typer.Typer(
    help="See or empty the result cache (the folder of --cache-dir, $DERIVCHECK_CACHE_DIR, "
    "'cache-dir' in [tool.derivcheck], else the user cache folder).",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")
CACHE_DIR_OPTION = typer.Option(None, "--cache-dir", help="The cache folder [default: as for verify].")


@cache_app.command("info")
def cache_info(cache_dir: str | None = CACHE_DIR_OPTION) -> None:
    """Print where the result cache is, how many rows it holds and its size on disk; it is not changed.

    Example: derivcheck cache info
    """
    from derivcheck.check.run.cache import cache_info as describe, describe_cache

    info = describe(_cache_folder(cache_dir))
    _write_report(lambda out: out.write(describe_cache(info) + "\n"))


@cache_app.command("clear")
def cache_clear(cache_dir: str | None = CACHE_DIR_OPTION) -> None:
    """Remove every cached result (the database file; the secret that signs rows stays).

    Example: derivcheck cache clear
    """
    from derivcheck.check.run.cache import CacheUnusable, clear_cache

    try:
        info = clear_cache(_cache_folder(cache_dir))
    except CacheUnusable as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None
    rows = "" if info.rows is None else f"{info.rows} rows, "
    done = f"removed {info.database} ({rows}{info.size} bytes)" if info.exists else f"no cache at {info.database}"
    _write_report(lambda out: out.write(done + "\n"))


def _cache_folder(option: str | None) -> Path:
    """The cache folder the run would use: the option, else $DERIVCHECK_CACHE_DIR, pyproject, the default."""
    from derivcheck.settings import SettingsError, cache_directory, read_project_settings

    try:
        folder = cache_directory(option, False, read_project_settings())
    except SettingsError as exc:
        _warn([str(exc)])
        raise typer.Exit(2) from None
    if folder is None:  # pragma: no cover - only --no-cache gives None
        raise typer.Exit(2)
    return folder


def main() -> None:
    """Entry point of the ``derivcheck`` command."""
    from derivcheck.check.limits import Stopped, stop_on_signals
    from derivcheck.report.encoding import use_ascii_fallback

    use_ascii_fallback(sys.stdout, sys.stderr)
    try:
        with stop_on_signals():
            app()
    except SystemExit:
        raise
    except Stopped as stop:
        sys.stderr.write(f"derivcheck: stopped by {stop.name}\n")
        sys.exit(stop.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("derivcheck: stopped by SIGINT\n")
        sys.exit(130)
    except Exception as exc:  # no traceback reaches a user
        from derivcheck.printable import printable

        sys.stderr.write(f"derivcheck: internal error: {type(exc).__name__}: {printable(str(exc))}\n")
        sys.stderr.write("please report this with the file that caused it\n")
        sys.exit(2)
