"""Safe YAML reading into a small tree of nodes that remember their lines.

PyYAML's safe composer builds the node graph without constructing any Python
object; we walk that graph ourselves, so tags, aliases and duplicate keys are
checked before anything is built, and the walk is bounded in size and depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from derivcheck.bounds import MAX_YAML_DEPTH as MAX_DEPTH, MAX_YAML_NODES as MAX_NODES
from derivcheck.errors import FormatError

_STR = "tag:yaml.org,2002:str"
_ALLOWED_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_UNPRINTABLE = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Scalar:
    """A scalar as written (``raw``), its resolved YAML tag, and its line."""

    raw: str
    tag: str
    line: int

    @property
    def is_null(self) -> bool:
        return self.tag == "tag:yaml.org,2002:null"

    @property
    def is_string(self) -> bool:
        return self.tag == _STR


@dataclass(frozen=True)
class Mapping:
    """A mapping with string keys, in file order; ``key_lines`` gives each key's line."""

    items: tuple[tuple[str, Node], ...]
    key_lines: tuple[int, ...]
    line: int

    def get(self, key: str) -> Node | None:
        for k, v in self.items:
            if k == key:
                return v
        return None

    def keys(self) -> list[str]:
        return [k for k, _ in self.items]

    def key_line(self, key: str) -> int:
        for (k, _), line in zip(self.items, self.key_lines):
            if k == key:
                return line
        return self.line


@dataclass(frozen=True)
class Sequence:
    """A list of nodes."""

    items: tuple[Node, ...]
    line: int


Node = Scalar | Mapping | Sequence


class _Budget:
    """Counts nodes visited so that alias expansion cannot blow up; knows the lists and maps being read."""

    def __init__(self) -> None:
        self.nodes = 0
        self.open: set[int] = set()

    def spend(self, line: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormatError(
                f"the YAML expands to more than {MAX_NODES} nodes "
                "(nested anchors/aliases?); a derivation is far smaller",
                line,
            )


def read_yaml_documents(text: str, line_offset: int = 0) -> Iterator[Node | None]:
    """Yield each YAML document of ``text`` as a node tree (None for an empty one).

    ``line_offset`` is added to every line (used for blocks inside Markdown).
    Raises FormatError for YAML syntax errors, unknown tags, duplicate keys and
    oversized alias expansions.
    """
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise FormatError(_reader_message(exc), text.count("\n", 0, exc.position) + 1 + line_offset) from None
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                root = loader.get_node()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                line = mark.line + 1 + line_offset if mark else None
                problem = exc.problem or "invalid YAML"
                raise FormatError(f"YAML syntax: {problem}", line) from None
            except yaml.YAMLError as exc:
                raise FormatError(f"YAML: {exc}", None) from None
            except RecursionError:
                raise FormatError("YAML nested too deeply", None) from None
            if root is None:
                yield None
            else:
                yield _convert(root, _Budget(), 0, line_offset)
    finally:
        loader.dispose()


def _convert(node: yaml.Node, budget: _Budget, depth: int, offset: int) -> Node:
    line = node.start_mark.line + 1 + offset
    budget.spend(line)
    if depth > MAX_DEPTH:
        raise FormatError(f"YAML nested deeper than {MAX_DEPTH} levels", line)
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in _ALLOWED_SCALAR_TAGS:
            raise FormatError(_tag_message(node.tag), line)
        _check_characters(node.value, line)
        return Scalar(node.value, node.tag, line)
    if not isinstance(node, yaml.CollectionNode):
        raise FormatError("unsupported YAML node", line)  # pragma: no cover
    if id(node) in budget.open:
        raise FormatError(
            "an alias refers to the list or mapping that contains it (a recursive anchor)", line
        )
    budget.open.add(id(node))
    try:
        return _convert_collection(node, budget, depth, offset, line)
    finally:
        budget.open.discard(id(node))


def _convert_collection(
    node: yaml.CollectionNode, budget: _Budget, depth: int, offset: int, line: int
) -> Node:
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise FormatError(_tag_message(node.tag), line)
        return Sequence(
            tuple(_convert(child, budget, depth + 1, offset) for child in node.value), line
        )
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise FormatError(_tag_message(node.tag), line)
        items: list[tuple[str, Node]] = []
        key_lines: list[int] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1 + offset
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<":
                raise FormatError("YAML merge keys (<<) are not supported", key_line)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _ALLOWED_SCALAR_TAGS:
                raise FormatError("a mapping key must be a plain name", key_line)
            key = key_node.value
            _check_characters(key, key_line)
            if key in seen:
                raise FormatError(
                    f"duplicate key '{key}' (first at line {seen[key]}); each key may appear once",
                    key_line,
                )
            seen[key] = key_line
            items.append((key, _convert(value_node, budget, depth + 1, offset)))
            key_lines.append(key_line)
        return Mapping(tuple(items), tuple(key_lines), line)
    raise FormatError("unsupported YAML node", line)  # pragma: no cover


def _check_characters(value: str, line: int) -> None:
    # Escapes in double-quoted scalars ("\0", "\ud800") can smuggle in what
    # the file itself may not hold: NUL and lone surrogates cannot be printed.
    bad = _UNPRINTABLE.search(value)
    if bad:
        raise FormatError(
            f"text holds the character U+{ord(bad.group()):04X}, which a derivation cannot use", line
        )


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    char = exc.character
    code = f"U+{char:04X}" if isinstance(char, int) else f"U+{ord(char):04X}"
    return f"file holds the character {code} (a control character), which YAML does not allow"


def _tag_message(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    if tag.startswith(prefix + "python/"):
        return (
            f"YAML tag '!!{tag[len(prefix):]}' is not allowed: "
            "derivation files are data, Python tags are refused"
        )
    return f"YAML tag '{tag}' is not allowed; use plain strings, numbers, lists and mappings"
