"""Symbol declarations (``x: real``, ``z: real vector``, ``i, j: index 1..C``) as SymPy objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_MATRIX_DIMENSION
from derivcheck.errors import FormatError
from derivcheck.hints import suggest
from derivcheck.model import SymbolDecl

WORDS = (
    "real",
    "complex",
    "positive",
    "negative",
    "nonnegative",
    "nonpositive",
    "nonzero",
    "integer",
    "vector",
    "vector SIZE",
    "matrix ROWS COLS",
    "constant",
    "index LO..HI",
    "support LO..HI",
)
_SIGN_WORDS = {"positive", "negative", "nonnegative", "nonpositive", "nonzero"}
_INDEX = re.compile(r"index\s+(\S+?)\s*\.\.\s*(\S+)")
_SUPPORT = re.compile(r"support\s+(\S+?)\s*\.\.\s*(\S+)")
_SUPPORT_BOUND = re.compile(r"-?(?:oo|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)\Z")
_SIZE = re.compile(r"(?:\d+|[A-Za-z_][A-Za-z0-9_]*)\Z")
_PLAIN_WORDS = frozenset(word for word in WORDS if " " not in word)
_BOUND = re.compile(r"-?\d+\Z|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<offset>[+-]\d+)?\Z")


def bound_parts(text: str) -> tuple[str | None, int]:
    """An index bound as written (``3``, ``C``, ``C-1``): the size it names (or None) and the offset."""
    match = _BOUND.match(text)
    if match is None or match.group("name") is None:
        return None, int(text)
    return match.group("name"), int(match.group("offset") or 0)


def bound_value(text: str, size: Callable[[str], sympy.Expr]) -> sympy.Expr:
    """An index bound as a SymPy expression, the named size looked up by ``size``."""
    name, offset = bound_parts(text)
    return sympy.Integer(offset) if name is None else size(name) + offset


@dataclass(frozen=True)
class SymbolSpec:
    """What a declaration means: the SymPy object and the facts sampling needs."""

    name: str
    obj: sympy.Symbol | sympy.IndexedBase
    is_vector: bool
    is_complex: bool
    is_integer: bool
    index_range: tuple[str, str] | None
    line: int
    is_constant: bool = False  # 'constant': depends on no other name, so a derivative of it alone is 0
    shape: tuple[str, ...] | None = None  # sizes as written: ('n',) for 'vector n', ('n', 'd') for 'matrix n d'
    support: tuple[str, str] | None = None  # 'support LO..HI': the range integrals over this variable take

    @property
    def is_matrix(self) -> bool:
        """Whether it is a vector or matrix with a declared size (a matrix expression, not only a family)."""
        return self.shape is not None

    @property
    def is_index(self) -> bool:
        return self.index_range is not None


def read_symbol(decl: SymbolDecl) -> SymbolSpec:
    """Return the SymbolSpec of one declaration; FormatError on a malformed word."""
    words = decl.words
    index_range = None
    match = _INDEX.search(words)
    if match:
        lo, hi = match.group(1), match.group(2)
        for bound in (lo, hi):
            if not _BOUND.match(bound) or bound.startswith("__"):
                raise FormatError(
                    f"index bound '{bound}' of '{decl.name}' must be a whole number, a name, or a name "
                    "plus or minus a whole number (e.g. 0..C-1)",
                    decl.line,
                )
        index_range = (lo, hi)
        words = words[: match.start()] + " " + words[match.end() :]
    support, words = _take_support(decl, words)
    tokens = words.replace(",", " ").split()
    tokens, shape = _take_shape(decl, tokens)
    allowed = set(_PLAIN_WORDS)
    for token in tokens:
        if token not in allowed:
            hint = suggest(token, allowed | {"index"})
            if token == "index":
                raise FormatError(
                    f"'index' of '{decl.name}' needs a range written LO..HI, e.g. 'index 1..C'",
                    decl.line,
                )
            raise FormatError(
                f"unknown word '{token}' for symbol '{decl.name}'{hint}; words: " + ", ".join(WORDS),
                decl.line,
            )
    flags = set(tokens)
    is_vector = "vector" in flags or shape is not None
    is_constant = "constant" in flags
    flags -= {"vector", "constant"}
    is_complex = "complex" in flags
    if is_complex and (flags & (_SIGN_WORDS - {"nonzero"}) or "real" in flags):
        raise FormatError(
            f"symbol '{decl.name}' cannot be both complex and real-signed; pick one", decl.line
        )
    if support is not None and (is_vector or is_complex or index_range is not None):
        raise FormatError(
            f"'support' gives a real variable its range of integration; '{decl.name}' is a vector, "
            "an index or complex",
            decl.line,
        )
    assumptions: dict[str, bool] = {}
    if index_range is not None:
        if is_vector or is_complex:
            raise FormatError(f"an index ('{decl.name}') cannot be a vector or complex", decl.line)
        flags.add("integer")
        lo = index_range[0]
        if lo.lstrip("-").isdigit():
            if int(lo) >= 1:
                flags.add("positive")
            elif int(lo) >= 0:
                flags.add("nonnegative")
    if is_complex:
        assumptions["complex"] = True
    else:
        assumptions["real"] = True
    for word in sorted(flags - {"real", "complex"}):  # sorted: the same srepr in every process
        assumptions[word] = True
    try:
        if is_vector:
            obj = sympy.IndexedBase(decl.name, **assumptions)
        else:
            obj = sympy.Symbol(decl.name, **assumptions)
    except MemoryError:
        raise
    except Exception:  # InconsistentAssumptions and friends
        raise FormatError(
            f"the words '{decl.words}' of '{decl.name}' contradict each other", decl.line
        ) from None
    return SymbolSpec(
        name=decl.name,
        obj=obj,
        is_vector=is_vector,
        is_complex=is_complex,
        is_integer="integer" in flags,
        index_range=index_range,
        line=decl.line,
        is_constant=is_constant,
        shape=shape,
        support=support,
    )


def _take_support(decl: SymbolDecl, words: str) -> tuple[tuple[str, str] | None, str]:
    """``support LO..HI`` taken out of the words: the bounds as written (or None), and the other words."""
    match = _SUPPORT.search(words)
    if match is None:
        if "support" in words.replace(",", " ").split():
            raise FormatError(
                f"'support' of '{decl.name}' needs a range written LO..HI, e.g. 'support 0..oo'", decl.line
            )
        return None, words
    lo, hi = match.group(1), match.group(2)
    for bound in (lo, hi):
        if not _SUPPORT_BOUND.match(bound) or bound.lstrip("-").startswith("__"):
            raise FormatError(
                f"support bound '{bound}' of '{decl.name}' must be a number, a declared symbol, oo or -oo "
                "(e.g. 'support -oo..oo', 'support 0..1', 'support a..b')",
                decl.line,
            )
    return (lo, hi), words[: match.start()] + " " + words[match.end() :]


def _take_shape(decl: SymbolDecl, tokens: list[str]) -> tuple[list[str], tuple[str, ...] | None]:
    """The words without the sizes of 'vector n' / 'matrix n d', and those sizes (None: no size given)."""
    kinds = [t for t in tokens if t in ("vector", "matrix")]
    if not kinds:
        return tokens, None
    if len(kinds) > 1:
        raise FormatError(f"'{decl.name}' is declared a vector or matrix more than once", decl.line)
    at = tokens.index(kinds[0])
    wanted = 1 if kinds[0] == "vector" else 2
    sizes = []
    for token in tokens[at + 1 : at + 1 + wanted]:
        if token in _PLAIN_WORDS or token in ("index", "matrix"):
            break
        sizes.append(_checked_size(decl, token))
    if kinds[0] == "vector" and not sizes:
        return tokens, None  # an indexed family without a size, as in version 1
    if len(sizes) != wanted:
        raise FormatError(
            f"'matrix' of '{decl.name}' needs two sizes, rows and columns, e.g. '{decl.name}: matrix n d'",
            decl.line,
        )
    rest = tokens[:at] + tokens[at + 1 + wanted :]
    return rest, tuple(sizes)


def _checked_size(decl: SymbolDecl, token: str) -> str:
    if not _SIZE.match(token) or token.startswith("__"):
        raise FormatError(
            f"size '{token}' of '{decl.name}' must be a whole number or a name, e.g. 'vector n' or 'vector 3'",
            decl.line,
        )
    if token.isdigit() and not 1 <= int(token) <= MAX_MATRIX_DIMENSION:
        raise FormatError(
            f"size {token} of '{decl.name}' must be from 1 to {MAX_MATRIX_DIMENSION} (write a name for a "
            "symbolic size)",
            decl.line,
        )
    return token
