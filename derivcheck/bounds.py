"""Every bound derivcheck puts on work and input, with what it limits.

Files are untrusted input: each of these numbers ends work that could
otherwise grow without end (a huge literal, a deep nesting, a slow
simplification) in a clear error or an ``unknown`` verdict. They live here,
in one place, so that a maintainer sees them all and no two modules give one
name two meanings. Modules import them by these names (some under a shorter
local alias). The defaults of the command line's options are here too.

Each constant is followed by a string that says what it bounds;
``tests/test_architecture.py`` checks that every one has it and that no other
module defines a ``MAX_*`` or ``MIN_*`` constant of its own.
"""

from __future__ import annotations

# --- Run defaults (command-line options and [tool.derivcheck] override them) ---

DEFAULT_TIMEOUT_SECONDS = 10.0
"""Seconds allowed per check (``--timeout``); a check that runs out is ``unknown``."""

DEFAULT_SAMPLES = 24
"""Numeric sample points per step (``--samples``)."""

DEFAULT_MAX_SIZE = 4
"""Largest size instantiated for sums over a symbolic range (``--max-size``): ``proved for sizes`` up to it."""

MAX_SIZE_LIMIT = 12
"""Largest value ``--max-size`` accepts (instances grow quickly with the size)."""

DEFAULT_MEMORY_LIMIT_MB = 512
"""Address-space limit of each worker process, in MiB (``--memory-limit``; 0: none)."""

DEFAULT_MAX_FILE_BYTES = 1_000_000
"""Larger input files are refused before they are read (``--max-file-size``)."""

# --- Loading (YAML and Markdown) ---

MAX_YAML_DOCUMENTS = 500
"""YAML documents (``---``) in one file."""

MAX_YAML_NODES = 200_000
"""YAML nodes one document may expand to, aliases counted each time they are used (alias bombs)."""

MAX_YAML_DEPTH = 64
"""Nesting depth of YAML lists and mappings."""

# --- Parsing expressions ---

MAX_EXPRESSION_TEXT = 2_000_000
"""Characters in one expression text."""

MAX_SYNTAX_DEPTH = 150
"""Nesting depth of the syntax tree of one expression as written."""

MAX_INT_DIGITS = 1000
"""Digits of one integer literal."""

MAX_NUMBER_BITS = 40_000
"""Bits of an exact number built from literals (a power, a product of numbers, a decimal exponent)."""

MAX_DIFF_ORDER = 50
"""Order ``n`` of ``diff(f, v, n)``."""

MAX_CALL_DEPTH = 64
"""Depth of function definitions calling one another while an expression is expanded."""

MAX_TREE_NODES = 500_000
"""Nodes of one expression once its function definitions are expanded."""

MAX_TREE_DEPTH = 200
"""Depth of one expression once its function definitions are expanded."""

# --- Checking ---

MAX_SPLIT_DEPTH = 4
"""Nested sign case splits the prover tries for one step."""

MAX_SCENARIOS = 64
"""Sign scenarios (combinations of condition signs) examined for one step."""

MAX_KEPT_SIGNS = 8
"""Signs of replaced symbols kept as conditions in one scenario."""

MAX_WRITTEN_OUT_TERMS = 2000
"""Terms a finite sum or product may have to be written out term by term."""

MAX_WRITTEN_OUT_EXTREMA = 2000
"""Elements a ``max``/``min`` over an index range may have to be written out element by element."""

MAX_ERROR_CONTROLLED_TERMS = 200_000
"""Terms of a long sum or product a number claim evaluates term by term with error control."""

ACCURATE_BASE_DIGITS = 30
"""Decimal digits of the first level of a number claim's evaluation with an error bound."""

MAX_PRECISION_LEVELS = 3
"""Levels of doubling digits before a number claim's value that does not settle is ``unknown``."""

MAX_SUM_ROUNDS = 5
"""Rounds of normalising and replacing closed sums when proving a step with sums in general."""

MAX_EXPAND_TERMS = 400
"""Terms an expansion inside a sum may produce before the general proof gives up on it."""

MAX_EXCHANGED_SUMS = 5
"""Nested sums whose orders are all tried (5! = 120 orders) to put a nest in one canonical order;
also the largest power of a sum written as a product of sums inside a nest."""

MAX_NEST_FORMS = 720
"""Ways of writing one nest of sums (orders, triangles from either side) tried to find its canonical form."""

MAX_ROOT_DEGREE = 4
"""Degree of a polynomial condition whose numeric roots are split into cases."""

MAX_BREAK_POINTS = 8
"""Points where a sign changes that the numeric screen samples around, per step."""

MAX_INSTANCES = 400
"""Size and index assignments tried for one step with sums or indices."""

MAX_GROWTH = 10**7
"""Largest size of an exp/trig/power argument at a sampled point; larger points are not evaluated."""

MIN_AGREEING_POINTS = 3
"""Sampled points at which both sides must agree before a step can be ``numeric``."""

SCREEN_PRECISION = 30
"""Decimal digits of the numeric screen."""

CONFIRM_PRECISION = 60
"""Decimal digits at which a difference is confirmed before a counterexample is reported."""

MAX_EXACT_BITS = 40_000
"""Bits of an exact number the screen may build by substituting a point (``2**(2 + x)`` at a far ``x``);
larger ones are evaluated at bounded working precision with an error bound instead."""

ROUGH_POWER_SHARE = 16
"""A power whose rough size (every part of its base raised) stays below 1/ROUGH_POWER_SHARE of
MAX_EXACT_BITS is not looked at closer; a larger one is sized on the parts SymPy really raises."""

SCREEN_SHARE = 0.25
"""Fraction of a check's time limit the numeric screen may use; the symbolic proof gets the rest."""

POINT_SHARE = 0.25
"""Fraction of the screen's share one sample point may use; a slower point is skipped."""

PROOF_RESERVE_SHARE = 0.1
"""Fraction of a check's time limit kept after the symbolic proof (high-precision refutation, evidence)."""

CONSTANT_DIGITS = 110
"""Decimal digits to which two constants must agree, with a certified error bound, to be ``numeric``."""

MAX_KEY_NODES = 2_000_000
"""Distinct subexpressions hashed for one cache key; a larger task is checked without the cache."""

WORKER_BACKSTOP_FACTOR = 5.0
"""A worker's check is killed after this many times its CPU budget in wall time (plus the grace below)."""

WORKER_BACKSTOP_GRACE_SECONDS = 10.0
"""Extra wall-clock seconds before the backstop kills a worker's check."""

PARSE_CPU_SECONDS = 60.0
"""Least CPU seconds allowed to parse one document (the run's ``--timeout`` if larger)."""

MAX_TIMER_SECONDS = 1e8
"""Longest time limit passed to the timer (larger values overflow the kernel's timeval)."""

# --- Inequality steps and stability claims ---

MAX_INEQUALITY_SPLIT_DEPTH = 4
"""Nested sign case splits tried to prove one inequality step."""

MAX_EXTREMUM_CHOICES = 16
"""Lower bounds tried for one sign goal by replacing each max/min by one of its elements."""

MAX_BOUNDARY_POINTS = 96
"""Extra points near the boundaries of the conditions sampled for one inequality step."""

MAX_FAR_POINTS = 48
"""Far points (magnitudes 10 to 10**6, growing) an inequality step's search tries, per size assignment."""

MAX_SCAN_POINTS = 96
"""Points of the moderate-range scan (magnitudes 1/2 to 24 in steps of 1/2) an inequality step's search
tries, per size assignment: a relation can fail on a bounded interval away from 0 that random values miss."""

MAX_EARLY_PROOF_SECONDS = 0.5
"""CPU seconds of the proof an inequality step's search tries once its near points found nothing,
before its far and sampled points (at most half of what is left of the search's share)."""

MIN_HOLDING_POINTS = 3
"""Sampled points at which an inequality must hold before the step can be ``numeric``."""

MAX_SOLVES = 6
"""Equations solved to find boundary points of one inequality step."""

MAX_METHOD_TEXT = 240
"""Characters of an inequality proof's method text; longer ones are shortened."""

MAX_STABILITY_OPERATIONS = 20_000
"""Operations of one float64 evaluation of a stability claim's expression at one point."""

MAX_STABILITY_POINTS = 400
"""Points at which a stability claim is evaluated."""

MIN_STABILITY_POINTS = 3
"""Points a stability claim must be evaluated at to be decided."""

MAX_STABILITY_TRANSITIONS = 8
"""Places where float64 changes regime (overflow, flush to 0, nan) located and sampled on both sides, one range."""

MAX_STABILITY_BISECTIONS = 80
"""Float64 halvings to locate one such place (enough to reach neighbouring floats across the whole float range)."""

MAX_MAGNITUDE_BITS = 2**24
"""Binary exponent beyond which an intermediate value of a stability claim is not computed exactly (10**5000000)."""

# --- Diagnosing a wrong step ---

MAX_DIAGNOSIS_CANDIDATES = 600
"""Single-edit variants of a wrong step tried when looking for the step that was meant."""

MAX_DIAGNOSIS_TEXT = 400
"""Longest step text for which parenthesis moves are tried."""

DIAGNOSIS_SAMPLES = 6
"""Sample points of the quick screen each candidate edit must pass."""

# --- Result cache ---

MAX_CACHE_WAIT_SECONDS = 10.0
"""Seconds a run waits for a cache database another process holds locked; then it goes on without the cache."""

MAX_CACHE_BYTES = 128 * 2**20
"""Bytes of rows the result cache keeps: past it, a write removes the least recently used rows (to 3/4 of it)."""

MAX_CACHE_ROW_BYTES = 1_000_000
"""Bytes of one cached outcome; a larger outcome is computed again rather than cached."""

MAX_CACHE_IDLE_DAYS = 30
"""Days a cached row may go unused; older rows are removed on write."""

# --- Rendering ---

MAX_RENDER_TEXT = 20_000
"""Characters of an expression typeset by ``derivcheck render`` (longer ones are shown as code)."""

MAX_RENDER_DEPTH = 200
"""Nesting depth typeset by ``derivcheck render`` (the writers recurse once per level)."""

# --- Evidence shown and slips placed ---

MAX_SCALED_PARTS = 80
"""Terms or factors of a step tried, one at a time, as the place of a dropped constant factor (suggestions)."""

MAX_SHOWN_FORM = 400
"""Characters of one intermediate form shown under --verbose."""

MAX_SHOWN_NODES = 3000
"""Expression-tree nodes above which a side is not printed as evidence under --verbose."""

MAX_SHOWN_POINTS = 3
"""Agreeing sample points shown under --verbose."""

MAX_SLIP_ROUNDS = 4
"""Rounds of re-checks after slips (each re-checks the steps after a wrong one against the last correct step)."""

# --- LaTeX sources ---

MAX_NOTEBOOK_CELLS = 10_000
"""Cells of a notebook read for derivations."""

MAX_LATEX_TEXT = 2_000_000
"""Characters of one LaTeX display block."""


MAX_LIMITS = 16
"""Limits (``Limit(expr, h, 0)``) and integrals evaluated in one step, both sides together."""

MAX_LIMIT_SIGN_PARAMETERS = 2
"""Parameters of a step's limits split into sign cases (each > 0, < 0, = 0) when a limit depends on their sign."""

EXACT_INTEGRATION_SHARE = 0.4
"""Share of a check's time SymPy may spend finding a step's integrals exactly (quadrature may follow)."""

MAX_QUADRATURE_POINTS = 4
"""Parameter points at which a step with an integral SymPy cannot find is compared by quadrature."""

MIN_QUADRATURE_POINTS = 2
"""Points that must agree by quadrature before such a step is ``numeric`` (never ``proved``)."""

QUADRATURE_DIGITS = 30
"""Working precision (decimal digits) of the quadrature; agreement means within 10**-(digits/2) of the scale."""

QUADRATURE_RECHECK_DIGITS = 50
"""Precision at which a difference found by quadrature is computed again before it is a counterexample."""

MAX_INTEGRAL_RANGES = 4
"""Ranges of one Integral (``Integral(f, (x, a, b), (y, c, d))``): integrals nested at most this deep."""

MAX_INTEGRAND_TERMS = 32
"""Terms of a multiplied-out integrand integrated one by one (with more, the integrand is integrated whole)."""


# --- Time-budget shares (fractions of a check's --timeout, with caps in seconds) ---

PROOF_SHARE_WITH_SUMS = 0.2
"""Share of a check's time the symbolic proof of a step with sums may use (the sizes need the rest)."""

MAX_PROOF_SECONDS_WITH_SUMS = 1.5
"""Cap in seconds on the symbolic proof of a step with sums, whatever the timeout."""

GENERAL_SUM_PROOF_SHARE = 0.4
"""Share of a check's time the general proof of a step with sums over a symbolic size may use."""

EXACT_PROOF_SECONDS = 2.0
"""CPU seconds a number claim's exact proof (value minus claim reduced to 0) may use."""

SOLVE_SECONDS = 0.3
"""CPU seconds the numeric screen may spend solving a condition for a boundary point."""

DIAGNOSIS_SECONDS = 3.0
"""Cap in seconds on each part of a wrong step's diagnosis (also at most a third of the timeout)."""

TIMER_REARM_SECONDS = 0.001
"""Delay after which a spent outer time limit fires again when an inner limit ended first."""

TIMER_REPEAT_SECONDS = 0.1
"""Interval at which the CPU-time alarm fires again until the block ends (one alarm may be swallowed)."""

WORKER_POLL_SECONDS = 1.0
"""How often a worker checks that its parent process is still alive."""

# --- The checker's other limits ---

LARGE_SIZES = (5, 12)
"""Smallest and largest size at which a step with sums, proved for small sizes, is screened again."""

LARGE_SIZE_DRAWS = 3
"""Random sizes in ``LARGE_SIZES`` at which such a step is screened."""

COMPLEX_FLOAT_RANGE = 1e150
"""Largest magnitude of a complex value compared as a Python complex number (well inside float range)."""

TIE_PROOF_SECONDS = 0.5
"""CPU seconds to prove that two values at a sample point are exactly equal (a tie, or an argument at a jump)."""

TIE_DIGITS = 240
"""Decimal digits at which a possible tie at a point is evaluated before a proof that it is exact is tried."""

SPOT_CHECKS = 64
"""Terms of a long sum evaluated exactly to check the term-by-term evaluation."""

SIMPLE_VALUE_ATTEMPTS = 16
"""Sample attempts that use simple values (every pattern of signs) before random decimals."""

SAMPLE_ATTEMPTS = 50
"""Draws of one value allowed by a symbol's assumptions before the last draw is taken as it is."""

MAX_RATIO_DENOMINATOR = 1000
"""Largest denominator of a constant ratio the diagnosis offers as a missing factor."""

MAX_DIFFERENCE_TEXT = 240
"""Characters of the difference of a wrong step's sides shown in its diagnosis."""

# --- Stability claims ---

STABILITY_REFERENCE_DIGITS = (60, 120, 240, 480, 960)
"""Decimal digits of the reference evaluation, tried in turn until two agree."""

STABILITY_RANDOM_POINTS = 40
"""Uniformly random points per stability claim (besides the ends, zero and log-spaced magnitudes)."""

STABILITY_LOG_RANDOM_POINTS = 20
"""Log-uniformly random points per stability claim."""

STABILITY_LOG_DRAWS = 20
"""Draws of a log-uniform magnitude that must fall in the range before a uniform value is taken."""

STABILITY_PLOT_POINTS = 160
"""Points of the error plot kept in a stability claim's evidence."""

DEFAULT_STABILITY_RTOL = 1e-6
"""Relative error a stability claim allows when it gives no ``rtol``."""

# --- Expression text ---

CHUNK_TERMS = 400
"""Terms of a very long sum parsed per chunk (each chunk's syntax tree stays small)."""

CHUNKED_TEXT = 4000
"""Characters of an expression above which a long sum is parsed in chunks."""

MAX_SEGMENTED_NAME = 40
"""Letters of a run that is split into declared names (a longer run is not split)."""

MAX_LATEX_NUMBER_DIGITS = 1000
"""Digits of a number written in LaTeX."""

MAX_LATEX_LETTER_RUN = 200
"""Letters of a run of letters in LaTeX that is split into declared names."""

MAX_SHARDS = 10_000
"""Largest number of shards ``--shard I/N`` accepts."""

CACHE_PROGRESS_STEP = 1000
"""SQLite instructions between two checks of the cache's time limit."""

CACHE_PROGRESS_CALLS = 10_000
"""Checks of the cache's time limit before a cache operation is abandoned."""

MAX_MATRIX_DIMENSION = 64
"""Largest number accepted as a declared vector or matrix size (``w: vector 3``); larger sizes are symbolic."""

MAX_MATRIX_POWER = 8
"""Largest power ``A**k`` of a square matrix written element by element (SymPy merges ``A @ A`` into ``A**2``)."""

MAX_MATRIX_LITERAL_ENTRIES = 256
"""Most entries of a matrix literal (``Matrix([[1, x], [x, 1]])``, ``\\begin{pmatrix} … \\end{pmatrix}``)."""

MAX_CANCEL_OPS = 200
"""Largest summand (SymPy operation count) brought over one denominator in the normal form of a sum."""
