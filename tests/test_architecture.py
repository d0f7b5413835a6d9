"""The layers of docs/architecture.md import only what they may, and every bound lives in derivcheck/bounds.py.

Imports are read from each module's ``ast`` (imports inside functions
included), so a forbidden import fails here even when it is made lazily.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import derivcheck

PACKAGE = Path(derivcheck.__file__).parent

# Modules that are a layer of their own although they sit in another layer's folder.
LAYER_OF = {
    "derivcheck": "cli",
    "derivcheck.__main__": "cli",
    "derivcheck.cli": "cli",
    "derivcheck.errors": "foundation",
    "derivcheck.hints": "foundation",
    "derivcheck.bounds": "foundation",
    "derivcheck.builtins": "foundation",
    "derivcheck.version": "foundation",
    "derivcheck.config": "foundation",
    "derivcheck.settings": "foundation",
    "derivcheck.printable": "foundation",
    "derivcheck.model": "model",
    # The LaTeX reader reads LaTeX math into the Python syntax's tree; the loader uses it
    # to split display math into rows and steps (docs/architecture.md, "LaTeX").
    "derivcheck.parse.latex": "latex",
    "derivcheck.check.outcome": "verdicts",
    "derivcheck.load": "load",
    "derivcheck.parse": "parse",
    "derivcheck.check": "check",
    "derivcheck.results": "results",
    "derivcheck.api": "api",
    "derivcheck.report": "report",
    "derivcheck.render": "render",
    "derivcheck.publish": "publish",
    "derivcheck.authoring": "authoring",
}
# What each layer may import besides itself (docs/architecture.md, "Layers").
MAY_IMPORT = {
    "foundation": set(),
    "model": set(),
    "verdicts": set(),
    "latex": {"foundation", "model", "parse"},
    "load": {"foundation", "model", "latex"},
    "parse": {"foundation", "model"},
    "check": {"foundation", "model", "verdicts", "parse"},
    "results": {"foundation", "verdicts"},
    "api": {"foundation", "model", "verdicts", "load", "latex", "parse", "check", "results"},
    "report": {"foundation", "verdicts", "results"},
    "render": {"foundation", "model", "verdicts", "load", "results", "api"},
    "publish": {"foundation", "model", "verdicts", "load", "results", "api", "report", "render"},
    "authoring": {"foundation", "model", "load", "latex", "parse"},
    "cli": set(LAYER_OF.values()),
}
BOUND_NAME = re.compile(r"_?(MAX|MIN)_[A-Z0-9_]+\Z")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    """The layer of a module: its own entry, else the entry of the nearest package above it."""
    name = module
    while name not in LAYER_OF:
        if "." not in name:
            raise AssertionError(f"{module} belongs to no layer; add it to LAYER_OF and docs/architecture.md")
        name = name.rsplit(".", 1)[0]
    return LAYER_OF[name]


def imported_modules(source: str, importer: str, known: set[str]) -> list[tuple[int, str]]:
    """The derivcheck modules ``source`` imports (anywhere in it), with their lines."""
    is_package = (PACKAGE.joinpath(*importer.split(".")[1:]) / "__init__.py").is_file()
    package = importer if is_package else importer.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "derivcheck"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "derivcheck":
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((node.lineno, submodule if submodule in known else base))
    return found


def violations(importer: str, source: str, known: set[str]) -> list[str]:
    """Imports of ``source`` (module ``importer``) that its layer may not make."""
    mine = layer(importer)
    allowed = MAY_IMPORT[mine] | {mine}
    out = []
    for line, target in imported_modules(source, importer, known):
        if layer(target) not in allowed:
            out.append(f"{importer}:{line} imports {target} ({mine} may not import {layer(target)})")
    return out


def test_every_module_imports_only_what_its_layer_may():
    known = set(modules())
    problems = [
        problem
        for name, path in modules().items()
        for problem in violations(name, path.read_text(encoding="utf-8"), known)
    ]
    assert problems == []


@pytest.mark.parametrize(
    "importer, source",
    [
        ("derivcheck.parse.document", "from derivcheck.load.documents import suggest\n"),
        ("derivcheck.check.run.cache", "def key():\n    from derivcheck import cli\n"),
        ("derivcheck.report.text", "import derivcheck.check.ladder.engine\n"),
        ("derivcheck.results", "from derivcheck.report import fields\n"),
        ("derivcheck.load.documents", "from derivcheck.parse.expressions import parse_expression\n"),
        ("derivcheck.check.ladder.engine", "from ...api import verify_paths\n"),
    ],
)
def test_a_forbidden_import_is_found(importer, source):
    assert violations(importer, source, set(modules())), source


def test_allowed_imports_pass():
    known = set(modules())
    assert violations("derivcheck.parse.document", "from derivcheck.model import Text\n", known) == []
    assert violations("derivcheck.report.text", "from derivcheck.results import Report\n", known) == []


# The concerns of check/, lowest first: a module may import its own group and the groups before it
# (docs/architecture.md, "The verdict ladder"). outcome, limits and printing are the groups' common base.
CHECK_GROUPS = ["base", "prove", "screen", "ladder", "evidence", "run"]


def check_group(module: str) -> str | None:
    """The group of a module of check/ (None outside check/)."""
    parts = module.split(".")
    if parts[:2] != ["derivcheck", "check"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in CHECK_GROUPS else "base"


def check_violations(importer: str, source: str, known: set[str]) -> list[str]:
    """Imports of a check/ module that reach a group above its own."""
    mine = check_group(importer)
    if mine is None:
        return []
    out = []
    for line, target in imported_modules(source, importer, known):
        theirs = check_group(target)
        if theirs is not None and CHECK_GROUPS.index(theirs) > CHECK_GROUPS.index(mine):
            out.append(f"{importer}:{line} imports {target} ({mine} may not import {theirs})")
    return out


def test_every_check_module_imports_only_its_group_and_those_below():
    known = set(modules())
    problems = [
        problem
        for name, path in modules().items()
        for problem in check_violations(name, path.read_text(encoding="utf-8"), known)
    ]
    assert problems == []


def test_every_check_module_sits_in_a_group():
    loose = [
        name
        for name in modules()
        if check_group(name) == "base" and name.count(".") > 2
    ]
    assert loose == []


@pytest.mark.parametrize(
    "importer, source",
    [
        ("derivcheck.check.prove.equality", "from derivcheck.check.screen.sampling import screen\n"),
        ("derivcheck.check.screen.sampling", "def f():\n    from derivcheck.check.ladder.engine import run_task\n"),
        ("derivcheck.check.limits", "from derivcheck.check.prove.assume import truth\n"),
        ("derivcheck.check.evidence.diagnose", "from derivcheck.check.run.runner import run_tasks\n"),
    ],
)
def test_an_import_up_the_ladder_is_found(importer, source):
    assert check_violations(importer, source, set(modules())), source


def module_level_assignments(source: str) -> list[tuple[str, int, ast.expr | None]]:
    """The names a module binds at its top level, with their lines and values (``a, b = …`` gives both)."""
    found: list[tuple[str, int, ast.expr | None]] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            found += [(n.id, node.lineno, value) for n in names if isinstance(n, ast.Name)]
    return found


def module_level_names(path: Path) -> list[tuple[str, int]]:
    return [(name, line) for name, line, _ in module_level_assignments(path.read_text(encoding="utf-8"))]


def test_bounds_are_defined_only_in_the_bounds_module():
    elsewhere = [
        f"{name}:{line} {bound}"
        for name, path in modules().items()
        if name != "derivcheck.bounds"
        for bound, line in module_level_names(path)
        if BOUND_NAME.match(bound)
    ]
    assert elsewhere == [], "move these to derivcheck/bounds.py"


def test_every_bound_says_what_it_bounds_and_is_used():
    tree = ast.parse((PACKAGE / "bounds.py").read_text(encoding="utf-8"))
    body = tree.body
    sources = {name: path.read_text(encoding="utf-8") for name, path in modules().items()}
    del sources["derivcheck.bounds"]
    bounds = []
    for index, node in enumerate(body):
        if not isinstance(node, ast.Assign):
            continue
        (target,) = node.targets
        assert isinstance(target, ast.Name) and target.id.isupper(), ast.dump(target)
        following = body[index + 1] if index + 1 < len(body) else None
        documented = (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
            and following.value.value.strip()
        )
        assert documented, f"bounds.{target.id} needs a docstring saying what it bounds"
        bounds.append(target.id)
    assert len(bounds) >= 20
    unused = [b for b in bounds if not any(re.search(rf"\b{b}\b", text) for text in sources.values())]
    assert unused == []


# Import cycles still to break (none: keep it so). Remove an entry when its cycle is gone (the test says so).
KNOWN_CYCLES: list[list[str]] = []


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another (strongly connected components of two or more)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(cycles)


def test_a_cycle_is_found():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_new_import_cycles():
    known = set(modules())
    graph = {
        name: {target for _, target in imported_modules(path.read_text(encoding="utf-8"), name, known)} - {name}
        for name, path in modules().items()
    }
    cycles = import_cycles(graph)
    assert [c for c in cycles if c not in KNOWN_CYCLES] == [], "modules that import one another"
    assert [c for c in KNOWN_CYCLES if c not in cycles] == [], "this cycle is gone: remove it from KNOWN_CYCLES"


# Third-party readers of files: only the loader (and the layers above it) may import them, so that
# parsing an expression never loads YAML or a Markdown parser.
FILE_READERS = {"yaml", "markdown_it"}
WITHOUT_FILE_READERS = {"foundation", "model", "latex", "parse", "verdicts", "check", "results"}


def third_party_imports(source: str) -> set[str]:
    """The top-level names of the modules ``source`` imports that are not derivcheck's (relative ones left out)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found - {"derivcheck"}


def test_layers_below_the_loader_read_no_files():
    offenders = [
        f"{name} imports {sorted(third_party_imports(path.read_text(encoding='utf-8')) & FILE_READERS)}"
        for name, path in modules().items()
        if layer(name) in WITHOUT_FILE_READERS
        and third_party_imports(path.read_text(encoding="utf-8")) & FILE_READERS
    ]
    assert offenders == []


def test_a_file_reader_import_is_found():
    assert third_party_imports("def f():\n    import yaml.constructor\n") == {"yaml"}
    assert third_party_imports("from markdown_it import MarkdownIt\nfrom . import x\n") == {"markdown_it"}


@pytest.mark.slow
def test_importing_the_parse_layer_loads_no_yaml_nor_markdown():
    import subprocess
    import sys

    parse_modules = sorted(name for name in modules() if layer(name) in {"parse", "latex"})
    program = (
        "import importlib, sys\n"
        f"for name in {parse_modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'markdown_it')"
        " or m.startswith('derivcheck.load')))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert len(parse_modules) >= 5
    assert done.stdout.strip() == "[]"


# Module-level numbers outside bounds.py that bound no work and no input: facts of float64 and of
# SQLite, a fixed identifier, a key size, precedence levels, digits shown, page layout.
# Every other module-level number is a bound.
NOT_BOUNDS = {
    "derivcheck.check.screen.stability": {"TINY", "FLOAT_MAX"},
    "derivcheck.check.ladder.relations": {"_BOUND_INDEX"},
    "derivcheck.check.run.cache": {
        "_SECRET_BYTES", "_DAY", "_BUSY_CODES", "_DAMAGED_CODES", "_INTERRUPTED_CODE", "_READONLY_CODE"
    },
    "derivcheck.check.screen.sampling": {"SHOWN_DIGITS"},
    "derivcheck.parse.expressions": {"LIMIT_DUMMY_INDEX"},  # a name for SymPy's dummy of a limit, not a limit
    "derivcheck.parse.syntax": {"_ADD", "_MUL", "_NEG", "_POW", "_ATOM"},
    "derivcheck.render.plot": {"WIDTH", "HEIGHT", "LEFT", "RIGHT", "TOP", "BOTTOM", "Y_LOW", "Y_HIGH", "_LINEAR"},
    "derivcheck.report.junit": {"_NAME_WIDTH"},
    "derivcheck.report.text": {"_WIDTH", "_EMPTY_NAMES"},
}


def is_number(node: ast.expr) -> bool:
    """Whether ``node`` is a number literal, arithmetic of them, or a tuple of them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return is_number(node.operand)
    if isinstance(node, ast.BinOp):
        return is_number(node.left) and is_number(node.right)
    if isinstance(node, ast.Tuple):
        return bool(node.elts) and all(is_number(e) for e in node.elts)
    return False


def module_level_numbers(source: str) -> list[tuple[str, int]]:
    """The names a module binds to numbers at its top level, with their lines."""
    assigned = module_level_assignments(source)
    return [(name, line) for name, line, value in assigned if value is not None and is_number(value)]


def test_every_number_at_module_level_is_a_bound_in_the_bounds_module():
    elsewhere = [
        f"{name}:{line} {constant}"
        for name, path in modules().items()
        if name != "derivcheck.bounds"
        for constant, line in module_level_numbers(path.read_text(encoding="utf-8"))
        if constant not in NOT_BOUNDS.get(name, set())
    ]
    assert elsewhere == [], "a limit belongs in derivcheck/bounds.py with a docstring (or in NOT_BOUNDS if it is none)"


def test_a_module_level_number_is_found():
    assert module_level_numbers("A = 3\nB: float = 0.5\nC, D = (1, 2)\nE = 'x'\nF = -2**3\n") == [
        ("A", 1), ("B", 2), ("C", 3), ("D", 3), ("F", 5)
    ]


# Handlers of every Exception that do not let MemoryError through first (CheckTimeout and
# KeyboardInterrupt are BaseExceptions and pass anyway). The CLI's last resort reports it; a worker
# reports nothing itself (its parent reports the missing outcome).
SWALLOWS_MEMORY_ERROR = {
    "derivcheck.cli": 1,
    "derivcheck.check.run.pool": 1,
}


def broad_handlers_without_memory_error(source: str) -> int:
    """How many ``except Exception``/``BaseException`` clauses follow no ``except MemoryError`` and do not re-raise."""
    count = 0
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Try):
            continue
        caught: list[str] = []
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            names = [ast.unparse(kind) if kind is not None else "BaseException" for kind in kinds]
            broad = {"Exception", "BaseException"} & set(names)
            reraises = any(isinstance(inner, ast.Raise) for inner in ast.walk(handler))
            if broad and "MemoryError" not in caught and not reraises:
                count += 1
            caught += names
    return count


def test_no_handler_swallows_memory_error():
    found = {
        name: count
        for name, path in modules().items()
        if (count := broad_handlers_without_memory_error(path.read_text(encoding="utf-8")))
    }
    assert found == SWALLOWS_MEMORY_ERROR


def test_a_handler_that_swallows_memory_error_is_found():
    assert broad_handlers_without_memory_error("try:\n    f()\nexcept Exception:\n    pass\n") == 1
    assert broad_handlers_without_memory_error("try:\n    f()\nexcept:\n    pass\n") == 1
    assert broad_handlers_without_memory_error(
        "try:\n    f()\nexcept MemoryError:\n    raise\nexcept Exception:\n    pass\n"
    ) == 0
    assert broad_handlers_without_memory_error("try:\n    f()\nexcept Exception:\n    raise ValueError()\n") == 0


def layer_table() -> dict[str, str]:
    """The rows of docs/architecture.md's layer table: layer name -> the row's text."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 4 and cells[0] in MAY_IMPORT:
            rows[cells[0]] = line
    return rows


def test_the_layer_table_of_the_docs_matches_the_code():
    rows = layer_table()
    assert set(rows) == set(MAY_IMPORT)
    for module, name in LAYER_OF.items():
        if name == "foundation":
            assert f"`{module.rsplit('.', 1)[1]}`" in rows["foundation"], module
    for group in CHECK_GROUPS[1:]:
        assert f"`{group}/`" in rows["check"], group
    for name, allowed in MAY_IMPORT.items():
        if name != "cli":
            documented = {part.strip() for part in rows[name].strip().strip("|").split("|")[-1].split(",")}
            assert documented - {"nothing", "nothing of derivcheck"} == allowed, name
