"""The benchmark corpus: step pairs from the library, single-edit mutations and equivalent rewrites.

Every pair is ``(a, b, conditions)`` exactly as derivcheck parses it (same
SymPy objects, same symbol assumptions), with a ground-truth label decided
here by dense numeric evaluation, independently of derivcheck's verdict
ladder (only its parser and its size/index instantiation are reused).
"""

from __future__ import annotations

import io
import random
import signal
import tokenize
from dataclasses import dataclass, field

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivcheck.check.prove.assume import relations_of
from derivcheck.check.prove.sizes import assignments, instantiate, shape_of
from derivcheck.errors import FormatError
from derivcheck.load import discover, load_file
from derivcheck.model import LoadError, Text
from derivcheck.parse.document import parse_document
from derivcheck.parse.expressions import parse_expression

LABEL_POINTS = 40  # admissible points per pair
LABEL_DIGITS = 50  # working precision of the labelling
CONFIRM_DIGITS = 110  # a difference is confirmed at this precision
MIN_AGREEING = 12  # fewer agreeing points than this: the pair cannot be labelled
MAX_SHAPES = 12  # size/index assignments sampled per pair
MAX_SIZE = 4


class _Slow(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` in SymPy swallows it."""


def _on_alarm(signum, frame):  # pragma: no cover - signal handler
    raise _Slow()


def limited(seconds: float, fn, *args):
    """Return ``fn(*args)``, or None if it takes longer than ``seconds`` (main thread only)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    except _Slow:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Pair:
    """One step to check: ``a == b`` under ``conditions``, with its ground truth."""

    pid: int
    kind: str  # "library", "library-wrong", "mutation:<edit>", "rewrite:<how>"
    file: str
    title: str
    line: int
    a_text: str
    b_text: str
    a: sympy.Expr
    b: sympy.Expr
    conditions: tuple
    symbols: tuple
    truth: bool | None = None  # True: the step is right; False: wrong
    label_note: str = ""
    author_says: bool | None = None  # library pairs: the author's label (wrong: marks wrong)
    seed_base: int = 0

    @property
    def family(self) -> str:
        return self.kind.split(":")[0]


@dataclass
class Corpus:
    pairs: list[Pair] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped_docs: list[str] = field(default_factory=list)
    dropped: dict = field(default_factory=dict)  # reason -> count
    disagreements: list[str] = field(default_factory=list)  # library pairs whose numeric label differs from the author's

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


# --------------------------------------------------------------------------------------------
# numeric ground truth


def _concrete(exprs: list[sympy.Expr]) -> list[sympy.Expr]:
    """Replace undefined functions by fixed smooth functions (a family unlike derivcheck's)."""
    classes = {}
    for expr in exprs:
        for applied in expr.atoms(AppliedUndef):
            classes[applied.func] = len(applied.args)
    for number, (cls, nargs) in enumerate(sorted(classes.items(), key=lambda kv: str(kv[0]))):
        params = sympy.symbols(f"w0:{nargs}", real=True)
        body = sympy.sin(params[0] * (number + 2) / 3) + params[0] ** 3 / 7 + sympy.Rational(1, 3)
        for k, p in enumerate(params[1:], start=1):
            body += sympy.cos(p * (k + 1)) / (k + 2)
        exprs = [e.replace(cls, sympy.Lambda(params, body)) for e in exprs]
    return exprs


def _atoms(expr: sympy.Expr) -> set:
    out = set()
    for atom in expr.free_symbols:
        if isinstance(atom, sympy.Symbol):
            if any(isinstance(i, sympy.Indexed) and i.base.label == atom for i in expr.atoms(sympy.Indexed)):
                continue  # the label of an IndexedBase
            out.add(atom)
    for indexed in expr.atoms(sympy.Indexed):
        if all(i.is_Integer for i in indexed.indices):
            out.add(indexed)
    return out


def _draw(atom, rng: random.Random) -> sympy.Expr:
    is_integer = bool(atom.is_integer)
    for _ in range(100):
        roll = rng.random()
        if is_integer:
            value = sympy.Integer(rng.randint(-6, 6))
        elif roll < 0.15:
            value = sympy.Integer(rng.choice([-2, -1, 0, 1, 2]))
        elif roll < 0.75:
            value = sympy.Rational(rng.randint(-300, 300), 97)
        else:
            value = sympy.Rational(rng.randint(-2000, 2000), 131)
        if atom.is_positive and not value > 0:
            value = -value
        if atom.is_negative and not value < 0:
            value = -value
        if atom.is_nonnegative and value < 0:
            value = -value
        if atom.is_nonpositive and value > 0:
            value = -value
        if (atom.is_positive or atom.is_negative or atom.is_nonzero) and value == 0:
            continue
        if atom.is_real is not True and atom.is_complex:
            value = value + sympy.I * sympy.Rational(rng.randint(-300, 300), 97)
        return value
    return sympy.Integer(1)


def _linear_solution(expr: sympy.Expr, atoms: set):
    """``(atom, value)`` with expr == 0 <=> atom == value, for an atom expr is linear in; or None."""
    for atom in sorted(atoms, key=lambda a: (bool(a.is_integer), str(a))):
        if atom.is_integer:
            continue
        try:
            coeff = sympy.diff(expr, atom)
        except Exception:
            continue
        if coeff == 0 or coeff.has(atom):
            continue
        rest = sympy.expand(expr - coeff * atom)
        if rest.has(atom):
            continue
        if coeff.free_symbols and not coeff.is_nonzero:
            continue
        return atom, -rest / coeff
    return None


def _compile(exprs: list[sympy.Expr], atoms: list):
    """Return a function of the atoms' values giving every expression as mpmath numbers."""
    try:
        fn = sympy.lambdify(atoms, exprs, modules="mpmath", dummify=True)
    except Exception:
        fn = None

    def slow(values):
        mapping = dict(zip(atoms, values))
        out = []
        for expr in exprs:
            value = sympy.N(expr.xreplace(mapping), mpmath.mp.dps)
            out.append(mpmath.mpc(complex(value)) if value.has(sympy.I) else mpmath.mpf(value) if value.is_number and value.is_real else None)
        return out

    def call(values):
        if fn is not None:
            try:
                return list(fn(*[mpmath.mpf(v.p) / v.q if v.is_Rational else mpmath.mpmathify(complex(v)) for v in values]))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError, NameError, AttributeError):
                pass
        try:
            return slow(values)
        except Exception:
            return None

    return call


def _finite(value) -> bool:
    try:
        return value is not None and mpmath.isfinite(value)
    except TypeError:
        return False


def _differs(va, vb, digits: int) -> bool:
    scale = max(mpmath.mpf(1), abs(va), abs(vb))
    return abs(va - vb) > mpmath.mpf(10) ** (-(digits * 2 // 3)) * scale


def numeric_label(a, b, conditions, symbols, seed: int, points: int = LABEL_POINTS) -> tuple[bool | None, str]:
    """Decide ``a == b`` under ``conditions`` by evaluation at ``points`` admissible points.

    Returns (True, note) when every point agrees (at least MIN_AGREEING points),
    (False, note) when a point differs at LABEL_DIGITS and again at CONFIRM_DIGITS,
    (None, reason) when undecidable this way.
    """
    rng = random.Random(seed)
    relations = relations_of(conditions)
    shape = shape_of([a, b], relations, symbols)
    if shape.empty:
        shapes = [{}]
    else:
        shapes = []
        for mapping in assignments(shape, relations, MAX_SIZE):
            shapes.append(mapping)
            if len(shapes) > 5000:
                break
        if not shapes:
            return None, "no size/index assignment satisfies the conditions"
        rng.shuffle(shapes)
        shapes = shapes[:MAX_SHAPES]
    prepared = []
    for mapping in shapes:
        try:
            ai, bi = (instantiate(e, mapping) for e in (a, b))
            rels = [(r.op, instantiate(r.expr, mapping), tuple(instantiate(v, mapping) for v in r.values)) for r in relations]
            if ai.has(sympy.Sum, sympy.Product) or bi.has(sympy.Sum, sympy.Product):
                continue
            exprs = _concrete([ai, bi] + [e for _, e, _ in rels])
            exprs = [e.doit() if e.has(sympy.Derivative) else e for e in exprs]
        except Exception:
            continue
        ai, bi, rel_exprs = exprs[0], exprs[1], exprs[2:]
        rels = [(op, e, vals) for (op, _, vals), e in zip(rels, rel_exprs)]
        atoms = set().union(_atoms(ai), _atoms(bi), *[_atoms(e) for _, e, _ in rels])
        # Equalities: solve for an atom they are linear in; 'in' sets: choose among the values.
        solved, choices, checks = [], [], []
        for op, e, vals in rels:
            e = e.xreplace(dict(solved)) if solved else e
            if op == "==":
                found = _linear_solution(e, atoms - {s for s, _ in solved} - {c for c, _ in choices})
                if found is not None:
                    atom, value = found
                    solved = [(s, v.xreplace({atom: value})) for s, v in solved] + [found]
                    continue
            if op == "in" and e in atoms and not any(e == s for s, _ in solved):
                choices.append((e, vals))
                continue
            checks.append((op, e, vals))
        free = sorted(atoms - {s for s, _ in solved} - {c for c, _ in choices}, key=str)
        sub = dict(solved)
        ai, bi = ai.xreplace(sub), bi.xreplace(sub)
        checks = [(op, e.xreplace(sub), vals) for op, e, vals in checks]
        chosen = [c for c, _ in choices]
        args = free + chosen
        solved_exprs = [v for _, v in solved]
        compiled = _compile([ai, bi] + [e for _, e, _ in checks] + solved_exprs, args)
        prepared.append((mapping, free, choices, checks, solved, compiled))
    if not prepared:
        return None, "cannot instantiate the sums"
    agreed = tried = undefined = 0
    attempts = 0
    mpmath.mp.dps = LABEL_DIGITS
    while agreed < points and attempts < points * 10:
        attempts += 1
        mapping, free, choices, checks, solved, compiled = prepared[attempts % len(prepared)]
        values = [_draw(atom, rng) for atom in free] + [rng.choice(vals) for _, vals in choices]
        mpmath.mp.dps = LABEL_DIGITS
        out = compiled(values)
        if out is None:
            undefined += 1
            continue
        va, vb, rest = out[0], out[1], out[2:]
        rel_values, solved_values = rest[: len(checks)], rest[len(checks):]
        if not _admissible(checks, rel_values, solved, solved_values):
            continue
        tried += 1
        if not (_finite(va) and _finite(vb)):
            undefined += 1
            continue
        if _differs(va, vb, LABEL_DIGITS):
            mpmath.mp.dps = CONFIRM_DIGITS
            again = compiled(values)
            mpmath.mp.dps = LABEL_DIGITS
            if again is not None and _finite(again[0]) and _finite(again[1]) and _differs(again[0], again[1], CONFIRM_DIGITS):
                where = {str(k): str(v) for k, v in {**mapping, **dict(zip(free + [c for c, _ in choices], values))}.items()}
                return False, f"differ at {where}"
        agreed += 1
    mpmath.mp.dps = 15
    if agreed >= MIN_AGREEING:
        return True, f"agree at {agreed} points"
    return None, f"only {agreed} admissible points where both sides are defined ({tried} admissible, {undefined} undefined)"


def _admissible(checks, rel_values, solved, solved_values) -> bool:
    for (op, _, _vals), value in zip(checks, rel_values):
        if value is None or not _finite(value):
            return False
        if isinstance(value, mpmath.mpc):
            if abs(value.imag) > mpmath.mpf(10) ** -30:
                return False
            value = value.real
        tol = mpmath.mpf(10) ** -30 * max(1, abs(value))
        ok = {
            "==": abs(value) <= tol,
            "!=": abs(value) > tol,
            ">": value > tol,
            ">=": value >= -tol,
            "<": value < -tol,
            "<=": value <= tol,
        }.get(op)
        if op == "in":
            return False  # an 'in' over a compound expression: not handled by rejection
        if not ok:
            return False
    for (atom, _), value in zip(solved, solved_values):
        if value is None or not _finite(value):
            return False
        if isinstance(value, mpmath.mpc):
            if abs(value.imag) > mpmath.mpf(10) ** -30:
                if atom.is_real:
                    return False
                continue
            value = value.real
        tol = mpmath.mpf(10) ** -30
        if atom.is_positive and not value > tol or atom.is_negative and not value < -tol:
            return False
        if atom.is_nonnegative and value < -tol or atom.is_nonpositive and value > tol:
            return False
        if atom.is_nonzero and abs(value) <= tol:
            return False
    return True


# --------------------------------------------------------------------------------------------
# mutations: single text edits of the author's step


_SWAPS = {"max": "min", "min": "max", "sin": "cos", "cos": "sin", "sinh": "cosh", "cosh": "sinh"}


def _tokens(text: str):
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def _offsets(text: str) -> list[int]:
    offsets = [0]
    for piece in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(piece))
    return offsets


def mutations(text: str, symbols: dict) -> list[tuple[str, str]]:
    """Every single edit of ``text`` of the kinds below, as (kind, new text).

    sign: one '+' or '-' flipped; swap: two declared names of one kind swapped
    everywhere (indices i <-> j, vectors, scalars); index: one index name
    replaced by another declared index; factor: the step, or one factor, times 2;
    exponent: a numeric exponent n -> n + 1; constant: a number n -> n + 1;
    function: max <-> min, sin <-> cos, sinh <-> cosh; abs: abs(u) -> (u).
    """
    tokens = _tokens(text)
    if not tokens:
        return []
    offsets = _offsets(text)

    def pos(tok, end=False):
        row, col = tok.end if end else tok.start
        return offsets[row - 1] + col

    def replace(tok, new):
        return text[: pos(tok)] + new + text[pos(tok, True):]

    out: list[tuple[str, str]] = []
    for k, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in ("+", "-"):
            out.append(("sign", replace(tok, "-" if tok.string == "+" else "+")))
        if tok.type == tokenize.OP and tok.string in ("**", "^") and k + 1 < len(tokens):
            nxt = tokens[k + 1]
            if nxt.type == tokenize.NUMBER and nxt.string.isdigit():
                out.append(("exponent", replace(nxt, str(int(nxt.string) + 1))))
            elif nxt.string == "(" and k + 3 < len(tokens) and tokens[k + 2].type == tokenize.NUMBER and tokens[k + 3].string == ")":
                inner = tokens[k + 2]
                if inner.string.isdigit():
                    out.append(("exponent", replace(inner, str(int(inner.string) + 1))))
        elif tok.type == tokenize.NUMBER and tok.string.isdigit() and not (k and tokens[k - 1].string in ("**", "^")):
            in_limits = k + 1 < len(tokens) and tokens[k + 1].string == ")" and k >= 2 and tokens[k - 1].string == ","
            bracket = k and tokens[k - 1].string == "["
            if not in_limits and not bracket:
                out.append(("constant", replace(tok, str(int(tok.string) + 1))))
        if tok.type == tokenize.NAME and tok.string in _SWAPS and k + 1 < len(tokens) and tokens[k + 1].string == "(":
            out.append(("function", replace(tok, _SWAPS[tok.string])))
        if tok.type == tokenize.NAME and tok.string == "abs" and k + 1 < len(tokens) and tokens[k + 1].string == "(":
            out.append(("abs", replace(tok, "")))
        if tok.type == tokenize.NAME and (tok.string in symbols or (k + 1 < len(tokens) and tokens[k + 1].string == "(")):
            if tok.string not in ("Sum", "Product", "diff") and not (k and tokens[k - 1].string in ("(", ",") and _in_limits(tokens, k)):
                out.append(("factor", text[: pos(tok)] + "2*" + text[pos(tok):]))
    out.append(("factor", f"2*({text.strip()})"))
    present = {t.string for t in tokens if t.type == tokenize.NAME and t.string in symbols}
    groups: dict[str, list[str]] = {}
    for name in present:
        spec = symbols[name]
        kind = "index" if spec.index_range else "vector" if spec.is_vector else "integer" if spec.is_integer else "scalar"
        groups.setdefault(kind, []).append(name)
    for _kind, names in groups.items():
        names = sorted(names)
        for x in range(len(names)):
            for y in range(x + 1, len(names)):
                out.append(("swap", _rename(text, tokens, offsets, {names[x]: names[y], names[y]: names[x]})))
    declared_indices = sorted(n for n, s in symbols.items() if s.index_range)
    for name in sorted(groups.get("index", [])):
        for other in declared_indices:
            if other != name and other not in present and symbols[other].index_range == symbols[name].index_range:
                out.append(("index", _rename(text, tokens, offsets, {name: other})))
    return out


def _in_limits(tokens, k) -> bool:
    # the variable of Sum(f, (k, lo, hi)) directly after "(" of the limits tuple
    return k >= 2 and tokens[k - 1].string == "(" and tokens[k - 2].string == ","


def _rename(text, tokens, offsets, mapping) -> str:
    pieces, last = [], 0
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string in mapping:
            start = offsets[tok.start[0] - 1] + tok.start[1]
            end = offsets[tok.end[0] - 1] + tok.end[1]
            pieces.append(text[last:start] + mapping[tok.string])
            last = end
    pieces.append(text[last:])
    return "".join(pieces)


# --------------------------------------------------------------------------------------------
# equivalent rewrites printed back in the format's syntax


class _FormatPrinter(sympy.printing.str.StrPrinter):
    def _print_Dummy(self, expr):
        return expr.name

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Derivative(self, expr):
        inner = self._print(expr.expr)
        parts = []
        for var, count in expr.variable_count:
            parts.append(f"{self._print(var)}" + (f", {count}" if count != 1 else ""))
        if len(parts) != 1:
            raise ValueError("mixed derivative")
        return f"diff({inner}, {parts[0]})"

    def _print_Exp1(self, expr):
        return "E"

    def _print_ImaginaryUnit(self, expr):
        raise ValueError("no imaginary unit in the format")

    def _print_KroneckerDelta(self, expr):
        raise ValueError("no KroneckerDelta in the format")

    def _print_Piecewise(self, expr):
        raise ValueError("no Piecewise in the format")


def to_format(expr: sympy.Expr) -> str | None:
    try:
        return _FormatPrinter({"order": None}).doprint(expr)
    except (ValueError, TypeError, RecursionError):
        return None


REWRITES = (("expand", sympy.expand), ("together", sympy.together), ("factor", sympy.factor))


# --------------------------------------------------------------------------------------------
# building the corpus


def build(paths: list[str], mutations_per_step: int, rewrites_per_step: int, seed: int, log=print, jobs: int = 1) -> Corpus:
    corpus = Corpus()
    rng = random.Random(seed)
    for path in discover(paths):
        if isinstance(path, LoadError):
            continue
        loaded = load_file(path, 1_000_000)
        used = False
        for doc in loaded.items:
            if isinstance(doc, LoadError):
                corpus.skipped_docs.append(f"{doc.path}:{doc.line}: {doc.message}")
                continue
            try:
                parsed = limited(30, parse_document, doc)
            except FormatError as exc:
                corpus.skipped_docs.append(f"{doc.path}:{exc.line}: {exc.message}")
                continue
            if parsed is None:
                corpus.skipped_docs.append(f"{doc.path}: parsing took too long")
                continue
            if parsed.chains:
                used = True
            _add_document(corpus, parsed, rng, mutations_per_step, rewrites_per_step)
        if used:
            corpus.files.append(path)
    _label_all(corpus, seed, log, jobs)
    return corpus


def _add_document(corpus: Corpus, parsed, rng, mutations_per_step: int, rewrites_per_step: int) -> None:
    symbols = tuple(parsed.symbols.values())
    doc = parsed.document
    for chain in parsed.chains:
        if any(s.step.rel != "==" for s in chain.steps):
            corpus.drop("chain with inequality steps (this corpus is of equalities)")
            continue
        conditions = parsed.assume + chain.when
        anchor = chain.steps[0]
        for current in chain.steps[1:]:
            step = current.step
            common = dict(file=doc.path, title=doc.title, line=step.expr.line, a_text=anchor.step.expr.text.strip(),
                          a=anchor.expr, conditions=conditions, symbols=symbols)
            if step.wrong is not None:
                corpus.pairs.append(Pair(len(corpus.pairs), "library-wrong", b_text=step.expr.text.strip(), b=current.expr,
                                         author_says=False, **common))
                continue
            corpus.pairs.append(Pair(len(corpus.pairs), "library", b_text=step.expr.text.strip(), b=current.expr,
                                     author_says=True, **common))
            _add_mutations(corpus, parsed, step, current.expr, common, rng, mutations_per_step)
            _add_rewrites(corpus, parsed, step, current.expr, common, rewrites_per_step)
            anchor = current


def _add_mutations(corpus, parsed, step, original, common, rng, limit: int) -> None:
    candidates = mutations(step.expr.text, parsed.symbols)
    rng.shuffle(candidates)
    # one of each kind first, then the rest
    candidates.sort(key=lambda kv: 0 if kv[0] in ("sign", "swap", "index", "exponent", "abs", "function") else 1)
    seen_kinds: set[str] = set()
    ordered = [c for c in candidates if not (c[0] in seen_kinds or seen_kinds.add(c[0]))]
    ordered += [c for c in candidates if c not in ordered]
    taken, seen = 0, {original}
    for kind, text in ordered:
        if taken >= limit:
            break
        try:
            expr = limited(10, parse_expression, Text(text, step.expr.line), parsed.scope)
        except (FormatError, RecursionError):
            corpus.drop("mutation does not parse")
            continue
        if expr is None:
            corpus.drop("mutation too slow to parse")
            continue
        if expr in seen:
            corpus.drop("mutation parses to the same expression")
            continue
        seen.add(expr)
        corpus.pairs.append(Pair(len(corpus.pairs), f"mutation:{kind}", b_text=" ".join(text.split()), b=expr, **common))
        taken += 1


def _add_rewrites(corpus, parsed, step, original, common, limit: int) -> None:
    taken, seen = 0, {original}
    for how, fn in REWRITES:
        if taken >= limit:
            break
        rewritten = limited(5, fn, original)
        if rewritten is None:
            corpus.drop("rewrite too slow")
            continue
        text = to_format(rewritten)
        if text is None or len(text) > 3000:
            corpus.drop("rewrite cannot be printed in the format")
            continue
        try:
            expr = limited(10, parse_expression, Text(text, step.expr.line), parsed.scope)
        except (FormatError, RecursionError):
            corpus.drop("rewrite does not parse back")
            continue
        if expr is None or expr in seen:
            corpus.drop("rewrite is the same expression")
            continue
        seen.add(expr)
        corpus.pairs.append(Pair(len(corpus.pairs), f"rewrite:{how}", b_text=text, b=expr, **common))
        taken += 1


_TO_LABEL: list = []


def _label_one(index: int):
    pair = _TO_LABEL[index]
    result = limited(30, numeric_label, pair.a, pair.b, pair.conditions, pair.symbols, pair.seed_base + pair.pid)
    return index, result if result is not None else (None, "labelling took longer than 30 s")


def _label_all(corpus: Corpus, seed: int, log, jobs: int = 1) -> None:
    import multiprocessing

    _TO_LABEL[:] = corpus.pairs
    for pair in corpus.pairs:
        pair.seed_base = seed
    labels = {}
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for index, result in pool.imap_unordered(_label_one, range(len(corpus.pairs)), chunksize=4):
                labels[index] = result
    else:
        labels = dict(_label_one(i) for i in range(len(corpus.pairs)))
    kept = []
    for index, pair in enumerate(corpus.pairs):
        label, note = labels[index]
        pair.truth, pair.label_note = label, note
        if pair.family.startswith("library"):
            if label is not None and label != pair.author_says:
                corpus.disagreements.append(
                    f"{pair.file}:{pair.line}: author says {'right' if pair.author_says else 'wrong'}, numeric label says "
                    f"{'right' if label else 'wrong'} ({note})")
            if label is None:
                # keep the library's own label for a library step that cannot be evaluated densely
                pair.truth, pair.label_note = pair.author_says, f"author's label ({note})"
            kept.append(pair)
            continue
        if label is None:
            corpus.drop(f"{pair.family} cannot be labelled numerically")
            continue
        if pair.family == "rewrite" and label is False:
            corpus.drop("rewrite labelled wrong (printer round trip changed it)")
            continue
        kept.append(pair)
    for index, pair in enumerate(kept):
        pair.pid = index
    corpus.pairs = kept
