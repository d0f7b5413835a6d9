"""What derivcheck must answer for every hostile file: exit code, message fragment, verdicts.

Committed files are small; the large or binary cases are written by
``write_generated`` into a temporary folder at test time.

``at`` locates the offending token: the reported line must be the first
line of the file (comments aside) that contains it. A ``verdicts`` entry
lists the verdicts allowed for each checked step or number, in file order
(``"unknown|wrong"``: either). ``fragment`` must appear in the file's error
message, or in a result's method, detail or verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Outcomes of checks that a limit stopped: the soft time limit, the hard
# kill, or the worker's memory limit.
STOPPED = "time limit|memory limit|worker stopped"


@dataclass(frozen=True)
class Expect:
    """The answer expected for one hostile file."""

    exit: int
    fragment: str
    at: str | None = None
    verdicts: tuple[str, ...] = ()


def refused(fragment: str, at: str | None = None) -> Expect:
    """The file cannot be read: exit 2 with this message, pointing at ``at``."""
    return Expect(2, fragment, at)


def checked(exit: int, fragment: str, *verdicts: str) -> Expect:
    """The file is read and checked: these verdicts, in order."""
    return Expect(exit, fragment, None, verdicts)


PYTHON_TAG = "derivation files are data, Python tags are refused"
ATTRIBUTE = "attribute access ('.') is not allowed in an expression"
DUNDER = "names starting with '__' are not allowed"

EXPECTED: dict[str, Expect] = {
    # -- code execution: expressions, keys, names ------------------------------------------
    "code_execution/import_call.yaml": refused(ATTRIBUTE, at="__import__"),
    "code_execution/import_name.yaml": refused("unknown function '__import__': " + DUNDER, at="__import__"),
    "code_execution/attribute.yaml": refused(ATTRIBUTE + ": 'x.__class__.__mro__'", at="__class__"),
    "code_execution/subscript.yaml": refused("only a declared vector can be subscripted", at="('os'"),
    "code_execution/subscript_symbol.yaml": refused("'x' is not a declared vector", at="x[0]"),
    "code_execution/lambda.yaml": refused("a lambda is not allowed", at="lambda"),
    "code_execution/comprehension.yaml": refused("a comprehension is not allowed", at="for _ in"),
    "code_execution/generator.yaml": refused("a generator expression is not allowed", at="for _ in"),
    "code_execution/string.yaml": refused("strings and bytes are not expressions: ''touch MARKER''", at="touch"),
    "code_execution/fstring.yaml": refused("an f-string is not allowed", at="f'"),
    "code_execution/walrus.yaml": refused(
        "an assignment expression (':=') is not allowed in an expression: 'y := 3'", at=":="
    ),
    "code_execution/starred.yaml": refused("starred arguments ('*') are not allowed: '*x'", at="*x"),
    "code_execution/keyword_argument.yaml": refused("keyword arguments are not allowed: 'base=2'", at="base=2"),
    "code_execution/conditional.yaml": refused("a conditional expression ('if … else') is not allowed", at=" if "),
    "code_execution/statement.yaml": refused("cannot parse 'x; import os'", at="import os"),
    "code_execution/exec_call.yaml": refused("unknown function 'exec'", at="exec("),
    "code_execution/dict_literal.yaml": refused("a dict is not allowed", at="{'a'"),
    "code_execution/sum_variable.yaml": refused(
        DUNDER + " (a derivation never refers to Python): '__class__'", at="Sum("
    ),
    "code_execution/function_body.yaml": refused(ATTRIBUTE, at="__import__"),
    "code_execution/condition.yaml": refused(ATTRIBUTE, at="__globals__"),
    "code_execution/case_when.yaml": refused(ATTRIBUTE, at="__import__"),
    "code_execution/at_value.yaml": refused(ATTRIBUTE, at="__import__"),
    "code_execution/is_value.yaml": refused("only a declared vector can be subscripted", at="__bases__"),
    "code_execution/tol_value.yaml": refused("unknown function 'eval'", at="eval("),
    "code_execution/symbol_name.yaml": refused("is not a valid symbol name", at="os.system"),
    "code_execution/symbol_dunder.yaml": refused("'__import__': " + DUNDER, at="__import__: real"),
    "code_execution/function_name.yaml": refused("'__import__': " + DUNDER, at="__import__(name)"),
    "code_execution/function_head.yaml": refused("is not a function head", at="f(t="),
    "code_execution/parameter_name.yaml": refused("'__class__': " + DUNDER, at="f(__class__)"),
    "code_execution/index_bound.yaml": refused("index bound '__import__' of 'i'", at="index 1..__import__"),
    # -- YAML --------------------------------------------------------------------------------
    "yaml/python_object_apply.yaml": refused(
        "'!!python/object/apply:os.system' is not allowed: " + PYTHON_TAG, at="!!python"
    ),
    "yaml/python_name.yaml": refused("'!!python/name:os.system' is not allowed: " + PYTHON_TAG, at="!!python"),
    "yaml/python_object_new.yaml": refused("'!!python/object/new:subprocess.Popen' is not allowed", at="!!python"),
    "yaml/python_module.yaml": refused("'!!python/module:os' is not allowed", at="!!python"),
    "yaml/tag_directive.yaml": refused("'!!python/object/apply:os.system' is not allowed", at="!py!object"),
    "yaml/verbatim_tag.yaml": refused("'!!python/object/apply:os.system' is not allowed", at="!<tag"),
    "yaml/local_tag.yaml": refused("YAML tag '!shell' is not allowed", at="!shell"),
    "yaml/set_tag.yaml": refused("YAML tag 'tag:yaml.org,2002:set' is not allowed", at="!!set"),
    "yaml/binary_tag.yaml": refused("YAML tag 'tag:yaml.org,2002:binary' is not allowed", at="!!binary"),
    "yaml/alias_bomb.yaml": refused("the YAML expands to more than 200000 nodes"),
    "yaml/alias_in_steps.yaml": refused("the YAML expands to more than 200000 nodes"),
    "yaml/recursive_alias.yaml": refused("a recursive anchor", at="&loop"),
    "yaml/duplicate_key.yaml": refused("duplicate key 'steps' (first at line 4)", at="steps: [x, x]"),
    "yaml/duplicate_nested_key.yaml": refused("duplicate key 'expr' (first at line 6)", at="expr: x\n"),
    "yaml/duplicate_symbol.yaml": refused("duplicate key 'x' (first at line 4)", at="x: negative"),
    "yaml/merge_key.yaml": refused("YAML merge keys (<<) are not supported", at="<<"),
    "yaml/complex_key.yaml": refused("a mapping key must be a plain name", at="? [x, y]"),
    "yaml/empty.yaml": refused("no derivation in the file (it is empty)"),
    "yaml/comments_only.yaml": refused("no derivation in the file (it is empty)"),
    "yaml/empty_documents.yaml": refused("no derivation in the file (it is empty)"),
    "yaml/null_document.yaml": refused("a derivation is a mapping with keys title", at="~"),
    "yaml/scalar_document.yaml": refused("a derivation is a mapping with keys title", at="import os"),
    "yaml/list_document.yaml": refused("a derivation is a mapping with keys title", at="- title"),
    "yaml/control_character.yaml": refused("U+0007 (a control character), which YAML does not allow", at="\x07"),
    "yaml/nul_escape.yaml": refused("the character U+0000, which a derivation cannot use", at="\\0"),
    "yaml/surrogate_escape.yaml": refused("the character U+D800, which a derivation cannot use", at="\\ud800"),
    "yaml/deep_nesting.yaml": refused("YAML nested deeper than 64 levels", at="[[["),
    "yaml/very_deep_nesting.yaml": refused("YAML nested too deeply"),
    "yaml/syntax_error.yaml": refused("YAML syntax: expected ',' or ']'"),
    "yaml/unknown_key.yaml": refused("unknown top-level key 'run'", at="run:"),
    # -- arithmetic bombs --------------------------------------------------------------------
    "arithmetic/power_tower.yaml": refused("number too large: this power has about", at="2**2**2"),
    "arithmetic/ten_ten_ten.yaml": refused(
        "number too large: this power has about 12012012012 digits", at="10**10**10"
    ),
    "arithmetic/long_integer.yaml": refused("an integer literal is far too long", at="1111"),
    "arithmetic/huge_exponent_literal.yaml": refused("number literal too large: '1e999999999'", at="1e999999999"),
    "arithmetic/radical_power.yaml": refused("number too large", at="sqrt(2)"),
    "arithmetic/coefficient_power.yaml": refused("number too large", at="(3*x)"),
    "arithmetic/number_product.yaml": refused("product of numbers too large", at="9**9000"),
    "arithmetic/diff_order.yaml": refused("the order of diff must be a whole number from 1 to 50: '10**6'", at="diff("),
    "arithmetic/sum_astronomic.yaml": checked(1, STOPPED, "unknown"),
    "arithmetic/product_factorial.yaml": checked(1, STOPPED, "unknown"),
    "arithmetic/product_powers.yaml": checked(1, STOPPED, "unknown"),
    "arithmetic/symbolic_huge_power.yaml": checked(1, "numeric screen|" + STOPPED, "wrong|unknown"),
    "arithmetic/exp_huge.yaml": checked(1, STOPPED, "unknown"),
    "arithmetic/binomial_power.yaml": checked(1, "numeric screen|" + STOPPED, "wrong|unknown"),
    "arithmetic/number_claim.yaml": checked(1, "longer than the 200000 terms evaluated with error control", "unknown"),
    # -- structure bombs ---------------------------------------------------------------------
    "structure/deep_parentheses.yaml": refused("too many nested parentheses", at="((("),
    "structure/deep_calls.yaml": refused("expression nested deeper than 150 levels", at="exp(exp("),
    "structure/deep_unary.yaml": refused("expression nested too deeply to parse", at="---"),
    "structure/deep_powers.yaml": refused("expression nested too deeply to parse", at="x**x"),
    "structure/function_cycle.yaml": refused("functions call each other in a cycle: f -> g -> h -> f", at="f(t)"),
    "structure/function_self.yaml": refused("calls itself: f -> f", at="f(t)"),
    "structure/function_exponential.yaml": refused("expression too large: more than 500000 nodes"),
    "structure/function_composition.yaml": refused("expression nested too deeply: more than 200 levels"),
    "structure/function_chain.yaml": refused(
        "function definitions nest more than 64 calls deep: f0 -> f1", at="f64(t):"
    ),
    # -- names -------------------------------------------------------------------------------
    "names/python_names_as_symbols.yaml": checked(0, "proved", "proved"),
    "names/imaginary_unit.yaml": checked(1, "numeric screen", "wrong"),
    "names/python_names_as_functions.yaml": checked(0, "proved", "proved"),
    "names/dunder_symbol.yaml": refused("'__class__': " + DUNDER, at="__class__"),
    "names/dunder_in_expression.yaml": refused("undeclared name '__builtins__': " + DUNDER, at="__builtins__"),
    "names/keyword_symbol.yaml": refused("'lambda' is a reserved word", at="lambda"),
    "names/builtin_redefined.yaml": refused("'exp' is built in", at="exp(t)"),
    "names/constant_redeclared.yaml": refused("'E' is built in", at="E: real"),
    "names/undeclared_python_function.yaml": refused("unknown function 'open'", at="open(x)"),
    # -- LaTeX sources: Markdown posts, notebooks, latex: steps -------------------------------
    "latex/def_macro.md": refused("\\def is not allowed", at="\\def"),
    "latex/newcommand.md": refused("\\newcommand is not allowed", at="\\newcommand"),
    "latex/input_file.md": refused("\\input is not allowed", at="\\input"),
    "latex/include_file.md": refused("\\include is not allowed", at="\\include"),
    "latex/write18.md": refused("\\immediate is not allowed", at="\\immediate"),
    "latex/unknown_macro.md": refused("column 5: unknown macro '\\foo'", at="\\foo"),
    "latex/dunder_name.md": refused("\\operatorname{__import__} is not a name", at="__import__"),
    "latex/text_code.md": refused("is not a name", at="os.system"),
    "latex/deep_braces.md": refused("LaTeX nested deeper than 150 levels", at="{{{"),
    "latex/deep_fractions.md": refused("LaTeX nested deeper than 150 levels", at="\\frac{\\frac"),
    "latex/deep_unary.md": refused("LaTeX nested deeper than 150 levels", at="---"),
    "latex/power_tower.md": refused("number too large", at="2^{2^{"),
    "latex/letter_run.md": refused("a run of more than 200 letters", at="xxxx"),
    "latex/ambiguous_argument.md": refused("'\\sin … x' is ambiguous", at="\\sin"),
    "latex/unclosed_comment.md": refused("never closed (add -->)", at="<!-- derivcheck"),
    "latex/unclosed_paren.md": refused("'(' is never closed", at="(x + 1"),
    "latex/yaml_latex_input.yaml": refused("\\input is not allowed", at="\\input"),
    "latex/code_cell.ipynb": checked(0, "proved", "proved"),
    "latex/not_json.ipynb": refused("not a Jupyter notebook: the file is not valid JSON"),
    # -- limits of the workers ---------------------------------------------------------------
    "limits/memory_bomb.yaml": checked(1, STOPPED, "unknown", "proved"),
    "limits/time_bomb.yaml": checked(1, STOPPED + "|numeric screen", "unknown|wrong", "proved"),
}

# -- generated cases ------------------------------------------------------------------------

MANY_TERMS = 20_000
MANY_STEPS = 3_000
BIG_FILE_BYTES = 2_000_000

# The cases written by write_generated, under the folder it is given.
GENERATED: dict[str, Expect] = {
    "yaml/binary.yaml": refused("file holds binary data (a NUL byte)"),
    "yaml/latin1.yaml": refused("file is not valid UTF-8 text", at="title"),
    "yaml/utf16.yaml": refused("file holds binary data"),
    "yaml/bom.yaml": checked(0, "proved", "proved"),
    "yaml/huge_file.yaml": refused("over the limit of 1000000 bytes (raise it with --max-file-size"),
    "yaml/many_documents.yaml": refused("more than 500 YAML documents in one file"),
    "yaml/many_empty_documents.yaml": refused("more than 500 YAML documents in one file"),
    "structure/many_terms.yaml": checked(0, "proved", "proved"),
    "structure/many_steps.yaml": checked(0, "proved", *["proved"] * (MANY_STEPS - 1)),
    "structure/many_symbols.yaml": checked(0, "proved", "proved"),
}

VALID = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"


def long_sum(terms: int) -> str:
    """A sum of ``terms`` products over 50 symbols and nine powers of x."""
    return " + ".join(f"{k % 7 + 1}*y{k % 50}*x**{k % 9}" for k in range(terms))


def write_generated(folder: Path) -> dict[str, Path]:
    """Write every case of GENERATED under ``folder``; return their paths by relative name."""
    names = ", ".join(f"y{k}" for k in range(50))
    terms = long_sum(MANY_TERMS)
    contents: dict[str, bytes | str] = {
        "yaml/binary.yaml": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8,
        "yaml/latin1.yaml": VALID.replace("title: t", "title: café").encode("latin-1"),
        "yaml/utf16.yaml": VALID.encode("utf-16"),
        "yaml/bom.yaml": VALID.encode("utf-8-sig"),
        "yaml/huge_file.yaml": VALID + "# " + "a" * BIG_FILE_BYTES + "\n",
        "yaml/many_documents.yaml": "---\ntitle: t\nsymbols: {}\nsteps: [1, 1]\n" * 600,
        "yaml/many_empty_documents.yaml": "---\n" * 100_000,
        "structure/many_terms.yaml": (
            f"title: t\nsymbols: {{x: real, {names}: real}}\n"
            f"steps:\n  - \"{terms}\"\n  - \"{terms} + x - x\"\n"
        ),
        "structure/many_steps.yaml": "title: t\nsymbols: {x: real}\nsteps:\n"
        + "".join(f"  - x + {k} - {k}\n" for k in range(MANY_STEPS)),
        "structure/many_symbols.yaml": "title: t\nsymbols:\n"
        + "".join(f"  s{k}: real\n" for k in range(20_000))
        + "steps: [s1 + s2, s2 + s1]\n",
    }
    paths = {}
    for relative, data in contents.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        paths[relative] = path
    return paths
