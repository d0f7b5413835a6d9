"""SymPy expressions written back in the format's syntax, for evidence people read."""

from __future__ import annotations

import re

import sympy
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter


class _FormatPrinter(StrPrinter):
    """SymPy's str form, written in the format's syntax: abs, max, min, names as written."""

    def __init__(self, decimals: bool = False) -> None:
        super().__init__({"order": None})
        self.decimals = decimals

    def _print_Abs(self, expr: sympy.Abs) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_Max(self, expr: sympy.Max) -> str:
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr: sympy.Min) -> str:
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Dummy(self, expr: sympy.Dummy) -> str:
        return expr.name

    def _print_Rational(self, expr: sympy.Rational) -> str:
        text = decimal_text(expr) if self.decimals else None
        return text if text is not None else super()._print_Rational(expr)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        if self.decimals:
            coeff, rest = expr.as_coeff_Mul()
            text = decimal_text(abs(coeff)) if coeff.is_Rational and not coeff.is_Integer else None
            if text is not None and rest != 1:
                body = self.parenthesize(rest, PRECEDENCE["Mul"])
                return f"{'-' if coeff < 0 else ''}{text}*{body}"
        return super()._print_Mul(expr)


def decimal_text(number: sympy.Rational) -> str | None:
    """``943/200000`` -> ``0.004715``: the exact decimal of a fraction whose denominator is 2^a*5^b, else None."""
    q = int(number.q)
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1 or number.q == 1:
        return None
    places = max(twos, fives)
    if places > 30:
        return None
    digits = str(abs(int(number.p)) * (10**places // int(number.q)))
    digits = digits.rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")
    return ("-" if number.p < 0 else "") + text


def writes_decimals(*texts: str) -> bool:
    """Whether the author wrote a decimal number (``0.5``, ``.25``, ``1e-3``) in any of ``texts``."""
    return any(_DECIMAL.search(text) for text in texts)


_DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d*|\.\d+|\d+[eE][-+]?\d+)")


def readable(expr: sympy.Expr, decimals: bool = False) -> str:
    """Return ``expr`` as text in the format's syntax, bound variables shown by their names.

    With ``decimals``, fractions that are exact decimals are written as decimals.
    """
    return _FormatPrinter(decimals).doprint(expr)


def plain_number(value: sympy.Expr | complex, digits: int = 15) -> str:
    """A number with ``digits`` significant digits, trailing zeros dropped (``0.25``, not
    ``0.250000``); ``a + b*I`` when it has an imaginary part."""
    if isinstance(value, complex):
        re, im = sympy.Float(value.real, digits), sympy.Float(value.imag, digits)
    else:
        re, im = (sympy.Float(part, digits) for part in value.as_real_imag())
    if im.is_zero:
        return _trimmed(re)
    return f"{_trimmed(re)} {'-' if im < 0 else '+'} {_trimmed(abs(im))}*I"


def _trimmed(number: sympy.Float) -> str:
    text = sympy.sstr(number)
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
