"""Stability claims: is an expression, evaluated as written in IEEE float64, accurate over a range?

The expression is walked operation by operation from its ``ast`` (the same
whitelist as the parser; declared functions are expanded, nothing is
simplified or reordered), once in float64 with numpy's rules (overflow gives
``inf``, an invalid operation ``nan``, never an exception) and once in
mpmath at 60 digits or more (the reference; the precision is raised until
two runs agree to 40 digits). At each sampled point the relative error of
the float64 result is ``|f - t| / max(|t|, 2**-1022)``: values below the
smallest normal float64 count absolutely, since float64 cannot hold them.

The verdict is evidence, never a proof: a confirmed claim gets ``numeric``
(it passes also under ``--strict``, since sampling is the only evidence a
float64 claim can have), a claim the points contradict gets ``wrong`` with
the point, and too few evaluable points give ``unknown``.
"""

from __future__ import annotations

import ast
import contextlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mpmath

from derivcheck.bounds import (
    MAX_MAGNITUDE_BITS as MAX_MAGNITUDE,
    MAX_STABILITY_BISECTIONS as MAX_BISECTIONS,
    MAX_STABILITY_OPERATIONS as MAX_OPERATIONS,
    MAX_STABILITY_POINTS as MAX_POINTS,
    MAX_STABILITY_TRANSITIONS as MAX_TRANSITIONS,
    MIN_STABILITY_POINTS as MIN_POINTS,
    STABILITY_LOG_DRAWS,
    STABILITY_LOG_RANDOM_POINTS as LOG_RANDOM_POINTS,
    STABILITY_PLOT_POINTS as PLOT_POINTS,
    STABILITY_RANDOM_POINTS as RANDOM_POINTS,
    STABILITY_REFERENCE_DIGITS as REFERENCE_DPS,
)
from derivcheck.builtins import BUILTINS
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.errors import FormatError
from derivcheck.parse.expressions import _parse_ast, _prepare

if TYPE_CHECKING:
    from derivcheck.config import CheckConfig
    from derivcheck.parse.document import ParsedStability

TINY = 2.2250738585072014e-308  # the smallest normal float64
FLOAT_MAX = 1.7976931348623157e308
AGREEMENT = mpmath.mpf("1e-40")
# The built-ins a stability claim can evaluate: each is a method of both arithmetics.
SCALAR_BUILTINS = frozenset(b.name for b in BUILTINS if b.scalar)


@dataclass(frozen=True)
class StabilityTask:
    """One stability claim as plain data: expression text, definitions, float64 ranges and values."""

    expr: str
    functions: tuple[tuple[str, tuple[str, ...], str], ...]
    over: tuple[tuple[str, float, float], ...]
    at: tuple[tuple[str, float], ...]
    stable: bool
    rtol: float
    nonzero: tuple[str, ...] = ()
    line: int = 0

    @classmethod
    def from_parsed(cls, parsed: ParsedStability) -> StabilityTask:
        """Build the task from a ``ParsedStability``."""
        return cls(
            parsed.expr_text,
            parsed.functions,
            parsed.over,
            parsed.at,
            parsed.claim.stable,
            parsed.rtol,
            parsed.nonzero,
            parsed.claim.expr.line,
        )


class _Undefined(Exception):
    """The exact value is not a real number at this point (outside the expression's domain)."""


class _OutOfRange(_Undefined):
    """An intermediate value far beyond float64 (|log2| over MAX_MAGNITUDE): not worth computing exactly."""


class _TooLarge(Exception):
    """The expression needs more operations than MAX_OPERATIONS at one point."""


@dataclass
class Operation:
    """One evaluated operation: what it is (source text) and its value."""

    label: str
    value: Any  # a float, or an mpmath number for the reference
    operands: tuple[int, ...]  # positions of the operations it used, in the trace


# -- the two arithmetics ----------------------------------------------------------------------
#
# Each arithmetic has one method per scalar built-in of derivcheck/builtins.py, named as the
# built-in (tests/test_builtins.py checks that none is missing), and the operators.


def _odd(b: float) -> bool:
    return float(b).is_integer() and int(b) % 2 == 1


def _finite_only(function: Callable[[float], float]) -> Callable[[float], float]:
    """A float64 function that is nan at nan and at ±inf (sin, cos, tan)."""

    def apply(a: float) -> float:
        if math.isnan(a) or math.isinf(a):
            return math.nan
        return function(a)

    return apply


def _in_domain(function: Callable[[float], float]) -> Callable[[float], float]:
    """A float64 function that is nan where Python's math refuses the argument (asin(2))."""

    def apply(a: float) -> float:
        if math.isnan(a):
            return math.nan
        try:
            return function(a)
        except ValueError:
            return math.nan

    return apply


def _overflowing(function: Callable[[float], float], negative: Callable[[float], bool]) -> Callable[[float], float]:
    """A float64 function that gives ±inf where Python's math overflows (-inf where ``negative``)."""

    def apply(a: float) -> float:
        try:
            return function(a)
        except OverflowError:
            return -math.inf if negative(a) else math.inf

    return apply


def _reciprocal(function: Callable[[float], float]) -> Callable[[float], float]:
    """``1/function(a)`` as one float64 operation (sech, csch, coth), ±inf at a zero."""

    def apply(a: float) -> float:
        return Float64.div(1.0, function(a))

    return apply


def _whole(function: Callable[[float], int]) -> Callable[[float], float]:
    """floor or ceiling in float64: nan and ±inf stay as they are."""

    def apply(a: float) -> float:
        if math.isnan(a) or math.isinf(a):
            return a
        return float(function(a))

    return apply


class Float64:
    """IEEE float64 with numpy's results: inf on overflow, nan on invalid operations, no exceptions."""

    @staticmethod
    def number(value: Any) -> float:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf

    pi = math.pi
    e = math.e

    @staticmethod
    def add(a: float, b: float) -> float:
        return a + b

    @staticmethod
    def sub(a: float, b: float) -> float:
        return a - b

    @staticmethod
    def mul(a: float, b: float) -> float:
        return a * b

    @staticmethod
    def div(a: float, b: float) -> float:
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        try:
            return a / b
        except OverflowError:
            return math.copysign(math.inf, a) * math.copysign(1.0, b)

    @staticmethod
    def pow(a: float, b: float) -> float:
        try:
            result = a**b
        except ZeroDivisionError:
            return math.copysign(math.inf, a) if _odd(b) else math.inf
        except OverflowError:
            return -math.inf if (a < 0 and _odd(b)) else math.inf
        if isinstance(result, complex):
            return math.nan
        return result

    @staticmethod
    def neg(a: float) -> float:
        return -a

    @staticmethod
    def exp(a: float) -> float:
        try:
            return math.exp(a)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(a: float, base: float | None = None) -> float:
        if math.isnan(a) or a < 0:
            return math.nan
        value = -math.inf if a == 0 else math.log(a)
        return value if base is None else Float64.div(value, Float64.log(base))

    @staticmethod
    def sqrt(a: float) -> float:
        if math.isnan(a) or a < 0:
            return math.nan
        return math.sqrt(a)

    @staticmethod
    def abs(a: float) -> float:
        return abs(a)

    @staticmethod
    def sign(a: float) -> float:
        if math.isnan(a):
            return math.nan
        return float((a > 0) - (a < 0))

    sin = staticmethod(_finite_only(math.sin))
    cos = staticmethod(_finite_only(math.cos))
    tan = staticmethod(_finite_only(math.tan))
    sinh = staticmethod(_overflowing(math.sinh, lambda a: a < 0))
    cosh = staticmethod(_overflowing(math.cosh, lambda a: False))
    tanh = staticmethod(math.tanh)
    sech = staticmethod(_reciprocal(cosh))
    csch = staticmethod(_reciprocal(sinh))
    coth = staticmethod(_reciprocal(tanh))
    atan = staticmethod(math.atan)
    asin = staticmethod(_in_domain(math.asin))
    acos = staticmethod(_in_domain(math.acos))
    erf = staticmethod(math.erf)
    erfc = staticmethod(math.erfc)
    floor = staticmethod(_whole(math.floor))
    ceiling = staticmethod(_whole(math.ceil))
    log1p = staticmethod(_in_domain(lambda a: -math.inf if a == -1 else math.log1p(a)))
    expm1 = staticmethod(_overflowing(math.expm1, lambda a: False))

    @staticmethod
    def max(*values: float) -> float:
        if any(math.isnan(v) for v in values):
            return math.nan
        return max(values)

    @staticmethod
    def min(*values: float) -> float:
        if any(math.isnan(v) for v in values):
            return math.nan
        return min(values)

    @staticmethod
    def KroneckerDelta(a: float, b: float) -> float:  # noqa: N802 - the built-in's name
        return 1.0 if a == b else 0.0


def _real(value: Any) -> Any:
    """``value`` when it is a finite real mpmath number; _Undefined otherwise."""
    if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value):
        raise _Undefined()
    return value


def _bounded(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An mpmath function whose value beyond 2^MAX_MAGNITUDE is not worth computing (cosh, expm1, …)."""

    def apply(a: Any) -> Any:
        if abs(a) > MAX_MAGNITUDE:
            raise _OutOfRange()
        return _real(function(a))

    return apply


def _defined(function: Callable[[Any], Any], inside: Callable[[Any], bool]) -> Callable[[Any], Any]:
    """An mpmath function that is real only where ``inside`` holds (asin on [-1, 1], coth away from 0)."""

    def apply(a: Any) -> Any:
        if not inside(a):
            raise _Undefined()
        return _real(function(a))

    return apply


class Reference:
    """Exact-enough real arithmetic with mpmath at ``dps`` digits; leaving the reals raises _Undefined."""

    def __init__(self, dps: int):
        self.dps = dps
        self.pi = mpmath.pi
        self.e = mpmath.e

    @staticmethod
    def number(value: Any) -> Any:
        return mpmath.mpf(value)  # a float64 input, exactly

    def add(self, a: Any, b: Any) -> Any:
        return a + b

    def sub(self, a: Any, b: Any) -> Any:
        return a - b

    def mul(self, a: Any, b: Any) -> Any:
        return a * b

    def div(self, a: Any, b: Any) -> Any:
        if b == 0:
            raise _Undefined()
        return a / b

    def pow(self, a: Any, b: Any) -> Any:
        if a == 0 and b <= 0:
            raise _Undefined()
        if a < 0 and not mpmath.isint(b):
            raise _Undefined()
        if a != 0 and abs(mpmath.mag(a) * b) > MAX_MAGNITUDE:
            raise _OutOfRange()
        return _real(mpmath.power(a, b))

    def neg(self, a: Any) -> Any:
        return -a

    def exp(self, a: Any) -> Any:
        if a > MAX_MAGNITUDE:
            raise _OutOfRange()
        return mpmath.exp(a)

    def log(self, a: Any, base: Any = None) -> Any:
        if a <= 0:
            raise _Undefined()
        return mpmath.log(a) if base is None else self.div(mpmath.log(a), self.log(base))

    def sqrt(self, a: Any) -> Any:
        if a < 0:
            raise _Undefined()
        return mpmath.sqrt(a)

    def abs(self, a: Any) -> Any:
        return abs(a)

    def sign(self, a: Any) -> Any:
        return mpmath.sign(a)

    sin = staticmethod(lambda a: _real(mpmath.sin(a)))
    cos = staticmethod(lambda a: _real(mpmath.cos(a)))
    tan = staticmethod(lambda a: _real(mpmath.tan(a)))
    sinh = staticmethod(_bounded(mpmath.sinh))
    cosh = staticmethod(_bounded(mpmath.cosh))
    tanh = staticmethod(mpmath.tanh)
    sech = staticmethod(_bounded(mpmath.sech))
    csch = staticmethod(_defined(_bounded(mpmath.csch), lambda a: a != 0))
    coth = staticmethod(_defined(mpmath.coth, lambda a: a != 0))
    atan = staticmethod(mpmath.atan)
    asin = staticmethod(_defined(mpmath.asin, lambda a: -1 <= a <= 1))
    acos = staticmethod(_defined(mpmath.acos, lambda a: -1 <= a <= 1))
    erf = staticmethod(mpmath.erf)
    erfc = staticmethod(mpmath.erfc)
    floor = staticmethod(mpmath.floor)
    ceiling = staticmethod(mpmath.ceil)
    log1p = staticmethod(_defined(mpmath.log1p, lambda a: a > -1))
    expm1 = staticmethod(_bounded(mpmath.expm1))

    @staticmethod
    def max(*values: Any) -> Any:
        return max(values)

    @staticmethod
    def min(*values: Any) -> Any:
        return min(values)

    @staticmethod
    def KroneckerDelta(a: Any, b: Any) -> Any:  # noqa: N802 - the built-in's name
        return mpmath.mpf(1) if a == b else mpmath.mpf(0)


# Float64 (the class itself: its methods are static) or a Reference at some precision.
Arithmetic = type[Float64] | Reference


# -- the walk ---------------------------------------------------------------------------------


class Evaluator:
    """Evaluate the claim's expression as written in one arithmetic, recording every operation."""

    def __init__(self, task: StabilityTask):
        self.task = task
        self.tree = _parse_ast(_prepare(task.expr), task.line)
        self.source = _prepare(task.expr)
        self.point: dict = {}
        self.labels: dict[tuple[int, str], str] = {}  # (id of a node of the trees above, where) -> its label
        self.functions = {}
        for name, params, body in task.functions:
            prepared = _prepare(body)
            self.functions[name] = (params, _parse_ast(prepared, task.line), prepared)

    def run(self, arithmetic: Arithmetic, values: dict) -> list[Operation]:
        """Return the trace: every operation in evaluation order, the whole expression last."""
        trace: list[Operation] = []
        self.point = values
        dps = getattr(arithmetic, "dps", None)  # the reference's precision; float64 has none
        with mpmath.workdps(dps) if dps is not None else contextlib.nullcontext():
            self._node(self.tree, arithmetic, values, self.source, "", trace)
        return trace

    def _record(
        self, trace: list[Operation], node: ast.AST, source: str, where: str, value: Any, operands: Sequence[int]
    ) -> int:
        if len(trace) >= MAX_OPERATIONS:
            raise _TooLarge()
        trace.append(Operation(self._label(node, source, where), value, tuple(operands)))
        return len(trace) - 1

    def _label(self, node: ast.AST, source: str, where: str) -> str:
        """The operation's text as written (found once per node: every point and precision reuses it)."""
        key = (id(node), where)
        label = self.labels.get(key)
        if label is None:
            label = " ".join((ast.get_source_segment(source, node) or type(node).__name__).split())
            if where:
                label = f"{label} (in {where})"
            self.labels[key] = label
        return label

    def _node(self, node: ast.AST, ar: Arithmetic, env: dict, source: str, where: str, trace: list) -> int:
        """Evaluate ``node``; return its position in the trace."""
        if isinstance(node, ast.Constant):
            return self._record(trace, node, source, where, ar.number(node.value), ())
        if isinstance(node, ast.Name):
            if node.id in env:
                value = env[node.id]
            elif node.id == "pi":
                value = ar.pi
            elif node.id == "E":
                value = ar.e
            else:  # the parser has checked every name; this is a defect, not input
                raise FormatError(f"no value for '{node.id}'", self.task.line)
            return self._record(trace, node, source, where, value, ())
        if isinstance(node, ast.UnaryOp):
            inner = self._node(node.operand, ar, env, source, where, trace)
            value = trace[inner].value
            if isinstance(node.op, ast.USub):
                value = ar.neg(value)
            return self._record(trace, node, source, where, value, (inner,))
        if isinstance(node, ast.BinOp):
            left = self._node(node.left, ar, env, source, where, trace)
            right = self._node(node.right, ar, env, source, where, trace)
            a, b = trace[left].value, trace[right].value
            op = type(node.op)
            if op is ast.Add:
                value = ar.add(a, b)
            elif op is ast.Sub:
                value = ar.sub(a, b)
            elif op is ast.Mult:
                value = ar.mul(a, b)
            elif op is ast.Div:
                value = ar.div(a, b)
            elif op in (ast.Pow, ast.BitXor):
                value = ar.pow(a, b)
            else:
                raise FormatError("operator not allowed in a stability claim", self.task.line)
            return self._record(trace, node, source, where, value, (left, right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._call(node, ar, env, source, where, trace)
        raise FormatError(f"'{type(node).__name__}' cannot be evaluated in a stability claim", self.task.line)

    def _call(
        self, node: ast.Call, ar: Arithmetic, env: dict, source: str, where: str, trace: list[Operation]
    ) -> int:
        assert isinstance(node.func, ast.Name)  # the parser allows only named calls
        name = node.func.id
        args = [self._node(arg, ar, env, source, where, trace) for arg in node.args]
        values = [trace[i].value for i in args]
        if name in self.functions and name not in env:
            params, body, body_source = self.functions[name]
            # The body sees the claim's symbols (their values at this point) and its parameters.
            inner_env = {**self.point, **dict(zip(params, values))}
            result = self._node(body, ar, inner_env, body_source, name, trace)
            return self._record(trace, node, source, where, trace[result].value, (result,))
        if name not in SCALAR_BUILTINS:
            raise FormatError(f"'{name}' cannot be evaluated in a stability claim", self.task.line)
        value = getattr(ar, name)(*values)
        return self._record(trace, node, source, where, value, tuple(args))


def reference_trace(evaluator: Evaluator, values: dict) -> list[Operation] | None:
    """The exact trace at a point: precision raised until two runs agree; None outside the domain."""
    previous = None
    for dps in REFERENCE_DPS:
        arithmetic = Reference(dps)
        inputs = {k: mpmath.mpf(v) for k, v in values.items()}
        try:
            trace = evaluator.run(arithmetic, inputs)
        except _OutOfRange:
            return None
        except (_Undefined, ZeroDivisionError, ValueError, OverflowError):
            # Outside the domain, or a tiny difference (1 - sigma(1000)) rounded
            # to 0 at this precision: try more digits.
            previous = None
            continue
        if previous is not None and _agree(previous[-1].value, trace[-1].value):
            return trace
        previous = trace
    return None


def _agree(a: Any, b: Any) -> bool:
    with mpmath.workdps(60):
        return abs(a - b) <= AGREEMENT * max(abs(b), mpmath.mpf(TINY))


def relative_error(value: float, true: Any) -> float:
    """``|f - t| / max(|t|, smallest normal)``; inf when the float64 result is inf or nan."""
    if math.isnan(value) or math.isinf(value):
        return math.inf
    with mpmath.workdps(30):
        error = abs(mpmath.mpf(value) - true) / max(abs(true), mpmath.mpf(TINY))
        return float(error) if error < mpmath.mpf(FLOAT_MAX) else math.inf


# -- the points -------------------------------------------------------------------------------


def sample_points(task: StabilityTask, seed: int) -> list[dict[str, float]]:
    """The points to check, deterministic: both ends, zero, log-spaced magnitudes of both signs, random."""
    rng = random.Random(f"stability:{seed}:{task.expr}")
    axes = [(name, low, high, _axis_points(low, high, name in task.nonzero)) for name, low, high in task.over]
    fixed = dict(task.at)
    points: list[dict[str, float]] = []
    if len(axes) == 1:
        name, low, high, special = axes[0]
        grid = [{name: v} for v in special]
    else:
        small = [
            [v for v in special if v in (low, high, 0.0) or abs(v) in (1.0, 10.0, 100.0)]
            for _, low, high, special in axes
        ]
        grid = [dict(zip([a[0] for a in axes], combo)) for combo in _product(small, MAX_POINTS // 2, rng)]
    points.extend(grid)
    for _ in range(RANDOM_POINTS):
        points.append({name: rng.uniform(low, high) for name, low, high, _ in axes})
    for _ in range(LOG_RANDOM_POINTS):
        points.append({name: _log_uniform(rng, low, high) for name, low, high, _ in axes})
    out, seen = [], set()
    for point in points:
        point = {**point, **fixed}
        if any(point[n] == 0.0 for n in task.nonzero if n in point):
            continue
        key = tuple(sorted(point.items()))
        if key not in seen:
            seen.add(key)
            out.append(point)
    return out[:MAX_POINTS]


def _regimes(evaluator: Evaluator, point: dict[str, float]) -> tuple[str, ...]:
    """What float64 does at each operation: nan, inf, 0, subnormal or normal."""

    def regime(value: float) -> str:
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf"
        if value == 0:
            return "0"
        return "subnormal" if abs(value) < TINY else "normal"

    return tuple(regime(op.value) for op in evaluator.run(Float64, dict(point)))


def transition_points(evaluator: Evaluator, task: StabilityTask, results: list[PointResult]) -> list[dict[str, float]]:
    """Both sides of each place where float64 changes regime between two neighbouring points (one range).

    An operation that overflows, underflows to 0 or turns nan at some x does so
    on a band the sampled points may straddle without entering (``exp(-x)``
    overflows below x = -709.78, where ``1/(1 + exp(-x))`` is flushed to 0
    while the true value is still a normal or a large subnormal float). Such a
    change between two neighbours is located by bisection, in float64 only,
    and the two floats around it are checked like every other point.
    """
    if len(task.over) != 1:
        return []
    name = task.over[0][0]
    ordered = sorted(results, key=lambda r: r.point[name])
    extra: list[dict[str, float]] = []
    for left, right in zip(ordered, ordered[1:]):
        if len(extra) >= 2 * MAX_TRANSITIONS:
            break
        low, high = left.point[name], right.point[name]
        low_regimes = _regimes(evaluator, left.point)
        if low_regimes == _regimes(evaluator, right.point):
            continue
        for _ in range(MAX_BISECTIONS):
            middle = low + (high - low) / 2
            if middle in (low, high):
                break
            if _regimes(evaluator, {**left.point, name: middle}) == low_regimes:
                low = middle
            else:
                high = middle
        sides = (low, high)
        extra.extend({**left.point, name: v} for v in sides if v not in (left.point[name], right.point[name]))
    return extra


def _axis_points(low: float, high: float, nonzero: bool) -> list[float]:
    points = [low, high]
    if low < 0 < high and not nonzero:
        points.append(0.0)
    exponents = [-300, -100, -30, -16] + [k / 2 for k in range(-16, 2 * 308)]
    for sign in (1.0, -1.0):
        for exponent in exponents:
            value = sign * 10.0**exponent
            if low < value < high:
                points.append(value)
            elif (sign > 0 and value >= high) or (sign < 0 and value <= low):
                break
    return points


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    largest = max(abs(low), abs(high))
    for _ in range(STABILITY_LOG_DRAWS):
        magnitude = 10.0 ** rng.uniform(-12, math.log10(largest))
        value = magnitude if rng.random() < 0.5 else -magnitude
        if low <= value <= high:
            return value
    return rng.uniform(low, high)


def _product(lists: list[list[float]], limit: int, rng: random.Random) -> list[tuple]:
    total = 1
    for values in lists:
        total *= len(values)
    if total <= limit:
        import itertools

        return list(itertools.product(*lists))
    return [tuple(rng.choice(values) for values in lists) for _ in range(limit)]


# -- the check --------------------------------------------------------------------------------


@dataclass
class PointResult:
    """The float64 and true values at one point, the relative error, and the operation to blame."""

    point: dict[str, float]
    value: float
    true: object
    error: float
    culprit: str | None = None


def evaluate_point(evaluator: Evaluator, point: dict[str, float], rtol: float) -> PointResult | None:
    """Float64 against the reference at ``point``; None outside the domain of the exact expression."""
    exact = reference_trace(evaluator, point)
    if exact is None:
        return None
    floats = evaluator.run(Float64, dict(point))
    value, true = floats[-1].value, exact[-1].value
    error = relative_error(value, true)
    result = PointResult(point, value, true, error)
    if error > rtol:
        result.culprit = blame(floats, exact, rtol)
    return result


def blame(floats: list[Operation], exact: list[Operation], rtol: float) -> str:
    """The first operation that went wrong while its operands were still accurate, and how."""
    errors = [relative_error(f.value, t.value) for f, t in zip(floats, exact)]
    for position, (f, t) in enumerate(zip(floats, exact)):
        if errors[position] <= rtol or any(errors[i] > rtol for i in f.operands):
            continue
        shown = f"'{f.label}' gives {_float(f.value)} in float64, true value {_true(t.value)}"
        if math.isnan(f.value):
            return f"{shown}: invalid operation (nan)"
        if math.isinf(f.value):
            if abs(t.value) > FLOAT_MAX:
                return f"{shown}: overflow (beyond the largest float64, about 1.8e308)"
            return f"{shown}: an operand was rounded to 0 or to 1 before this operation"
        operands = [floats[i].value for i in f.operands]
        if f.label.startswith("log(") and len(operands) == 1 and 0.5 < operands[0] < 2:
            return (
                f"{shown}: log of a value near 1, whose small part was rounded away when it was "
                "added to 1 (log1p(u) keeps those digits)"
            )
        if len(operands) == 2 and _cancels(f.label, operands):
            return f"{shown}: cancellation (two nearly equal numbers subtracted; the leading digits cancel)"
        return f"{shown}: the operation magnifies the rounding of its operand (relative error {errors[position]:.2g})"
    last = floats[-1]
    return f"the rounding errors of several operations add up in '{last.label}' (no single operation is to blame)"


def _cancels(label: str, operands: list[float]) -> bool:
    a, b = operands
    if math.isinf(a) or math.isinf(b) or math.isnan(a) or math.isnan(b):
        return False
    total = max(abs(a), abs(b))
    return total > 0 and abs(abs(a) - abs(b)) < 0.5 * total


def check_stability(task: StabilityTask, config: CheckConfig) -> Outcome:
    """Check a stability claim at sampled points; the Outcome carries what was checked."""
    evaluator = Evaluator(task)
    points = sample_points(task, config.seed)
    results: list[PointResult] = []
    outside = 0
    try:
        for point in points:
            result = evaluate_point(evaluator, point, task.rtol)
            if result is None:
                outside += 1
                continue
            results.append(result)
        for point in transition_points(evaluator, task, results):
            result = evaluate_point(evaluator, point, task.rtol)
            if result is None:
                outside += 1
                continue
            results.append(result)
    except _TooLarge:
        return Outcome(
            Verdict.UNKNOWN,
            "float64 evaluation",
            f"the expression takes more than {MAX_OPERATIONS} operations at one point; not checked",
        )
    ranges = ", ".join(f"{name} in [{_float(low)}, {_float(high)}]" for name, low, high in task.over)
    fixed = ", ".join(f"{name} = {_float(value)}" for name, value in task.at)
    checked = f"{len(results)} points with {ranges}" + (f" and {fixed}" if fixed else "")
    if outside:
        checked += (
            f" ({outside} more could not be evaluated exactly: outside the expression's domain, "
            f"beyond {REFERENCE_DPS[-1]} digits, or with a value beyond 2^{MAX_MAGNITUDE})"
        )
    evidence = _evidence(task, results, outside)
    if len(results) < MIN_POINTS:
        return Outcome(
            Verdict.UNKNOWN, "float64 evaluation", f"only {len(results)} points could be evaluated; {checked}",
            stability=evidence,
        )
    failing = [r for r in results if r.error > task.rtol]
    worst = max(results, key=lambda r: r.error)
    if failing:
        first = failing[0]
        summary = (
            f"unstable: at {_point(first.point)} float64 gives {_float(first.value)}, true value "
            f"{_true(first.true)} (relative error {_error(first.error)} > rtol {task.rtol:g}); "
            f"{first.culprit}; {len(failing)} of {len(results)} points fail; checked {checked}"
        )
        shown = first
    else:
        summary = (
            f"stable: finite at every point, worst relative error {_error(worst.error)} <= rtol {task.rtol:g} "
            f"at {_point(worst.point)}; checked {checked} (sampled evidence, not a proof)"
        )
        shown = worst
    unstable = bool(failing)
    evidence["found"] = "unstable" if unstable else "stable"
    fields: dict[str, Any] = dict(
        counterexample={name: _float(value) for name, value in shown.point.items()},
        values=(_float(shown.value), _true(shown.true)),
        points=len(results),
        stability=evidence,
    )
    if unstable == (not task.stable):
        return Outcome(Verdict.NUMERIC, "float64 evaluation", summary, **fields)
    claimed = "stable" if task.stable else "unstable"
    return Outcome(
        Verdict.WRONG,
        "float64 evaluation",
        f"claimed {claimed}, but the evidence says otherwise: {summary}",
        hint="correct 'stable:' or rewrite the expression" if task.stable else "set 'stable: true'",
        **fields,
    )


def _evidence(task: StabilityTask, results: list[PointResult], outside: int) -> dict:
    """What was checked, as JSON-ready data (with a series of errors for a plot when there is one range)."""
    worst = max(results, key=lambda r: r.error) if results else None
    failing = [r for r in results if r.error > task.rtol]
    data: dict = {
        "claim": "stable" if task.stable else "unstable",
        "rtol": task.rtol,
        "points": len(results),
        "outside_domain": outside,
        "over": {name: [low, high] for name, low, high in task.over},
        "at": {name: value for name, value in task.at},
        "failing_points": len(failing),
    }
    if worst is not None:
        data["worst"] = _point_data(worst)
    if failing:
        data["first_failing"] = _point_data(failing[0])
    if len(task.over) == 1 and results:
        name = task.over[0][0]
        series = sorted((r.point[name], r.error) for r in results)
        step = max(1, len(series) // PLOT_POINTS)
        data["series"] = {
            "symbol": name,
            "x": [x for x, _ in series[::step]],
            "error": [e if math.isfinite(e) else None for _, e in series[::step]],
        }
    return data


def _point_data(result: PointResult) -> dict:
    return {
        "at": {k: _float(v) for k, v in result.point.items()},
        "float64": _float(result.value),
        "true": _true(result.true),
        "relative_error": _error(result.error),
        "operation": result.culprit,
    }


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _true(value: Any) -> str:
    return mpmath.nstr(value, 17)


def _error(error: float) -> str:
    return "inf" if math.isinf(error) else f"{error:.3g}"


def _point(point: dict[str, float]) -> str:
    return ", ".join(f"{name} = {_float(value)}" for name, value in point.items())
