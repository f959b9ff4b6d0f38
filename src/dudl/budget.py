"""The run-size budget: every run's memory and computation estimated from its resolved parameters, and
refused before anything is allocated when it is over the limits.

Each experiment has one estimate function below (:data:`ESTIMATES`), a few lines of arithmetic on its
parameters: how many models of which layer sizes train for how many epochs on how many rows, how long its
descents and grids are, how many numbers its Result holds. The building blocks (:func:`training`,
:func:`descent`, :func:`arrays`, :func:`result`) turn those sizes into an :class:`Estimate` with one cost
model: the batched engine's own cost of a training step (``dudl.core.engine``), a fixed cost per numpy loop
step and per trained model, and the bytes and time of writing the Result as JSON and drawing it.

The rule: a run is refused when its estimated peak memory is above ``max_memory`` (default: a quarter of
the machine's physical memory) or its estimated computation time is above ``max_seconds`` (default 30 min).
The estimates are deliberately on the high side (every model padded to its sweep's largest shape in time,
every record kept in memory at once); they are meant to refuse runs that would take minutes or exhaust the
memory, not to predict a run's time to the second. The refusal names the parameter that made the run too
big (the one whose return to its default shrinks the estimate most) and the estimate.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dudl.params import ParamError, plain_value

DEFAULT_MAX_SECONDS = 1800.0
"""Default limit of a run's estimated computation time, in seconds (above the 10 minutes at which a run asks
for confirmation on a terminal: this limit is for the runs nobody meant to start)."""

# Cost model (measured on a laptop-class CPU core, rounded up)
_SECONDS_PER_MODEL = 2e-4  # one trained model's key, torch generator and initial weights
_SECONDS_PER_LOOP_STEP = 2e-5  # one step of a Python loop over numpy arrays (a descent update)
_SECONDS_PER_GENERATOR = 2e-4  # a repetition's seeded numpy generator (SeedSequence, default_rng) and its draw
_SECONDS_PER_ELEMENT = 2e-9  # one elementwise numpy operation on one float64
_SECONDS_PER_RESULT_NUMBER = 3e-6  # one number of the Result: to a Python float, to JSON text, drawn
_BYTES_PER_RESULT_NUMBER = 64  # its float64, its Python float (tolist) and its JSON text, at once
_JSON_BYTES_PER_NUMBER = 20  # a float64 written as JSON text, with its separator
_FLOAT32 = 4
_FLOAT64 = 8


@dataclass(frozen=True)
class Estimate:
    """The estimated size of one run.

    * ``memory_bytes``: peak memory of its arrays (data, models, records, the Result and its JSON text);
    * ``seconds``: computation time on one CPU core, saving and drawing the Result included;
    * ``result_bytes``: the size of its ``result.json``.
    """

    memory_bytes: float = 0.0
    seconds: float = 0.0
    result_bytes: float = 0.0

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.memory_bytes + other.memory_bytes, self.seconds + other.seconds,
                        self.result_bytes + other.result_bytes)


def physical_memory() -> int:
    """The machine's physical memory in bytes (8 GiB where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 8 * 2**30


@dataclass(frozen=True)
class Limits:
    """The budget of one run: ``max_memory`` bytes (default a quarter of physical memory) and
    ``max_seconds`` of estimated computation (default :data:`DEFAULT_MAX_SECONDS`)."""

    max_memory: float = dataclasses.field(default_factory=lambda: physical_memory() / 4)
    max_seconds: float = DEFAULT_MAX_SECONDS

    @classmethod
    def from_options(cls, max_memory: int | float | str | None = None, max_seconds: float | None = None) -> Limits:
        """Limits from the CLI options or ``dudl.run`` keywords; None keeps a default. ``max_memory`` is
        bytes or text such as ``"8G"`` (:func:`parse_memory`). Raises ParamError for a bad value."""
        defaults = cls()
        memory = defaults.max_memory if max_memory is None else parse_memory(max_memory)
        if max_seconds is None:
            seconds = defaults.max_seconds
        elif isinstance(max_seconds, int | float) and not isinstance(max_seconds, bool) and max_seconds > 0 \
                and not math.isnan(max_seconds):
            seconds = float(max_seconds)
        else:
            raise ParamError(f"--max-seconds must be a number > 0, got {max_seconds!r}")
        return cls(memory, seconds)


_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_MEMORY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.I)


def parse_memory(value: int | float | str) -> float:
    """A memory size in bytes: a number of bytes, or text with a binary unit, e.g. ``"512M"``, ``"8GB"``,
    ``"1.5GiB"`` (K, M, G, T are powers of 1024). Raises ParamError unless it is finite and > 0."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        match = _MEMORY.match(str(value))
        if not match:
            raise ParamError(f"--max-memory takes a size such as 4G, 512M or a number of bytes, got {value!r}")
        number = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not (number > 0 and math.isfinite(number)):
        raise ParamError(f"--max-memory must be a size > 0, got {value!r}")
    return number


# ---------------------------------------------------------------------------------------------------
# Building blocks


def result(numbers: float) -> Estimate:
    """A Result holding ``numbers`` numbers: converted, written as JSON and drawn."""
    return Estimate(numbers * _BYTES_PER_RESULT_NUMBER, numbers * _SECONDS_PER_RESULT_NUMBER,
                    numbers * _JSON_BYTES_PER_NUMBER)


def arrays(elements: float, operations: float = 1, copies: float = 1) -> Estimate:
    """numpy work on ``elements`` float64 values: ``operations`` elementwise passes, ``copies`` arrays alive."""
    return Estimate(elements * copies * _FLOAT64, elements * operations * _SECONDS_PER_ELEMENT)


def loop(steps: float) -> Estimate:
    """``steps`` iterations of a Python-level loop (e.g. one per repetition), each a few small numpy calls."""
    return Estimate(0.0, steps * _SECONDS_PER_LOOP_STEP)


def generators(count: float) -> Estimate:
    """``count`` seeded generators, e.g. one per repetition for its data or its random start."""
    return Estimate(0.0, count * _SECONDS_PER_GENERATOR)


def descent(batch: float, epochs: float, point: int = 1) -> Estimate:
    """:func:`dudl.core.descent.descend` of ``batch`` descents of ``point``-coordinate points: a loop of
    ``epochs`` steps over the batch; trajectory, gradients and rates recorded, then copied once."""
    records = batch * epochs * (2 * point + 1)
    return loop(epochs) + Estimate(2 * records * _FLOAT64, records * 10 * _SECONDS_PER_ELEMENT)


def training(architectures: Iterable[tuple[tuple[int, ...], int]], epochs: float, rows: int, *,
             records: int = 0, batches: int = 1, rows_per_step: int | None = None, data_per_model: bool = False,
             mask_per_epoch: bool = False) -> Estimate:
    """One ``engine.train`` call: ``architectures`` is a list of (layer sizes, number of models of that
    shape); every model trains ``epochs`` epochs of ``batches`` steps on ``rows_per_step`` rows (default
    ``rows``: full batch), keeps ``records`` per-epoch records, and may have its own data [rows, inputs] and
    a train mask per epoch [epochs, rows]. Time is the engine's cost of a step per shape (no padding)."""
    from dudl.core.engine import _step_cost  # the engine's cost model, so both agree

    step_rows = rows if rows_per_step is None else rows_per_step
    total = Estimate()
    for sizes, models in architectures:
        n_params = sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
        floats = models * (
            epochs * records * (1 + batches * (records > 0))  # float32 records, the batch records
            + 4 * n_params  # weights, gradients, the initial copy, the padded group
            + 6 * rows * sum(sizes)  # activations and their gradients, the final outputs
            + rows * sizes[0] * data_per_model
        )
        masks = models * rows * (epochs if mask_per_epoch else 2)  # bool train and test masks
        numbers = models * (epochs * records + rows * sizes[-1])  # the records and outputs, as float64 metrics
        total += Estimate(floats * _FLOAT32 + masks + numbers * _FLOAT64,
                          models * _SECONDS_PER_MODEL + epochs * batches * _step_cost(sizes, models, step_rows))
    return total


def _iris_net(n_hidden: int) -> tuple[int, ...]:
    return (4, n_hidden, n_hidden, 3)


IRIS_ROWS = 150
SURFACE_POINTS = 80 * 80  # the decision surface of the qwerty lectures (ann.decision_surface.SURFACE_RESOLUTION**2)


# ---------------------------------------------------------------------------------------------------
# One estimate per experiment


def _math_derivatives(p: Any) -> Estimate:
    # six expressions evaluated on the grid (a lambdified sympy expression: tens of passes each), drawn
    return arrays(p.n_points, operations=6 * 50, copies=12) + result(7 * p.n_points)


def _count(value: Any) -> int:
    """How many numbers a list (or nested list) parameter holds."""
    return sum(_count(v) for v in value) if isinstance(value, tuple) else 1


def _math_lists(*names: str) -> Callable[[Any], Estimate]:
    """The math lectures that show small lists: numpy and PyTorch copies of the list parameters ``names``."""
    def size(p: Any) -> Estimate:
        numbers = sum(_count(getattr(p, name)) for name in names)
        return arrays(numbers, operations=20, copies=6) + loop(numbers / 100) + result(4 * numbers + 20)
    return size


def _math_derivatives2(p: Any) -> Estimate:
    return loop(100) + result(sum(len(getattr(p, name)) for name in ("f", "g", "inner", "outer")))


def _math_matrix_multiplication(p: Any) -> Estimate:
    shapes = (p.shape_a, p.shape_b, p.shape_c, p.shape_c1)
    side = max(max(shape) for shape in shapes)
    per_rep = 2 * sum(rows * cols for rows, cols in shapes) + 8 * side**2  # matrices, copies, products
    return (arrays(p.reps * per_rep, copies=2) + arrays(p.reps * 8 * side**3, copies=0)  # the 8 products' work
            + generators(p.reps) + result(p.reps * per_rep))


def _math_softmax(p: Any) -> Estimate:
    numbers = p.reps * p.n_random
    return arrays(numbers, 30, 8) + generators(2 * p.reps) + result(5 * numbers + len(p.z) + 2 * p.reps)


def _math_log(p: Any) -> Estimate:
    numbers = p.n_points + p.n_points_inverse
    return arrays(numbers, 30, 6) + result(3 * numbers)


def _math_mean_variance(p: Any) -> Estimate:
    numbers = p.reps * p.n_large
    return arrays(numbers, 10, 3) + arrays(len(p.x), 10, 3) + generators(p.reps) + result(3 * p.reps + 10)


def _math_sampling(p: Any) -> Estimate:
    numbers = p.reps * p.sample_size
    return (arrays(numbers, 10, 3) + arrays(len(p.x) + p.demo_sample_size, 10, 3) + generators(p.reps)
            + result(p.reps + p.demo_sample_size + p.bins + 10))


def _math_random_seed(p: Any) -> Estimate:
    numbers = (2 * p.reps + 12) * p.n_numbers
    return arrays(numbers, 10, 2) + generators(2 * p.reps) + result(numbers)


def _math_t_test(p: Any) -> Estimate:
    numbers = 2 * p.reps * (p.n1 + p.n2)  # both groups and their jitters
    return arrays(numbers, 20, 2) + generators(p.reps) + result(numbers + 3 * p.reps)


def _gd_1d(p: Any) -> Estimate:
    return (arrays(p.n_grid, 20, 4) + descent(p.reps, p.epochs) + generators(p.reps)
            + result(p.reps * (2 * p.epochs + 4) + 2 * p.n_grid))


def _gd_2d(p: Any) -> Estimate:
    # the landscape figure evaluates peaks on an n_grid x n_grid grid and draws it
    return (arrays(p.n_grid**2, 200, 8) + descent(p.reps, p.epochs, point=2) + generators(p.reps)
            + result(p.reps * (4 * p.epochs + 6)))


def _gd_dynamic_lr(p: Any) -> Estimate:
    batch = p.reps * len(p.schedules)
    return (arrays(p.n_grid, 20, 4) + descent(batch, p.epochs) + generators(p.reps)
            + result(batch * (3 * p.epochs + 2) + 2 * p.n_grid))


def _gd_parametric(p: Any) -> Estimate:
    epochs = max(p.epochs, max(p.epoch_counts))
    batch = p.reps + len(p.start_values) + len(p.learning_rates)
    counts = len(p.learning_rates) * len(p.epoch_counts)
    return (arrays(p.n_grid, 20, 4) + descent(batch, epochs) + arrays(batch * (epochs + len(p.epoch_counts)), 2, 2)
            + generators(p.reps) + result(p.reps * (p.epochs + 3) + counts + 2 * batch + 2 * p.n_grid))


def _ann_regression(p: Any) -> Estimate:
    return (training([((1, 1, 1), p.reps)], p.epochs, p.n, records=1, data_per_model=True)
            + result(p.reps * (p.epochs + 4 * p.n + 4)))


def _ann_regression_slope(p: Any) -> Estimate:
    models = 1 + p.reps * len(p.slopes)
    return (training([((1, 1, 1), models)], p.epochs, p.n, records=1, data_per_model=True)
            + loop(models) + result(p.epochs + 3 * p.n + 4 * models))


def _qwerty_rows(p: Any) -> int:
    return len(p.centers) * p.n_per_cluster


def _ann_qwerties(p: Any) -> Estimate:
    rows = _qwerty_rows(p)
    return (training([((2, 1, 1), p.reps)], p.epochs, rows, records=1, data_per_model=True)
            + result(p.reps * (p.epochs + rows + 3) + SURFACE_POINTS + 3 * rows))


def _ann_learning_rates(p: Any) -> Estimate:
    rows, n_rates = _qwerty_rows(p), len(p.learning_rates)
    total = (training([((2, 1, 1), 1 + n_rates)], p.epochs, rows, records=1)
             + result((1 + n_rates) * (p.epochs + 2) + 3 * rows))
    if p.meta_experiment:
        models = p.reps * n_rates
        total += (training([((2, 1, 1), models)], p.meta_epochs, rows, data_per_model=p.new_data_each_rep)
                  + result(2 * models + 3 * n_rates))
    return total


def _multilayer_sweep(p: Any, variants: int, n_hidden: int) -> Estimate:
    """The demo and every (rep, learning rate) model of ann.multilayer's batch, for each variant."""
    rows, models = _qwerty_rows(p), variants * (1 + p.reps * len(p.learning_rates))
    return (training([((2, n_hidden, 1, 1), models)], p.epochs, rows, records=1, data_per_model=True)
            + result(models * (p.epochs + 3) + 3 * rows * p.reps))


def _ann_multilayer(p: Any) -> Estimate:
    return _multilayer_sweep(p, 1, p.n_hidden)


def _ann_linear_vs_nonlinear(p: Any) -> Estimate:
    return _multilayer_sweep(p, len(p.models), p.n_hidden) + result(len(p.models) * SURFACE_POINTS)


def _ann_seq2class(p: Any) -> Estimate:
    return _multilayer_sweep(p, len(p.definitions), 16)


def _ann_iris(p: Any) -> Estimate:
    return (training([(_iris_net(p.n_hidden), p.reps)], p.epochs, IRIS_ROWS, records=2)
            + result(p.reps * (2 * p.epochs + 9 * IRIS_ROWS + 20)))


def _ann_qwerties_3class(p: Any) -> Estimate:
    rows = _qwerty_rows(p)
    return (training([((2, p.n_hidden, 3), p.reps)], p.epochs, rows, records=2, data_per_model=True)
            + result(p.reps * (2 * p.epochs + 3 * rows + 6) + SURFACE_POINTS + 3 * rows))


def _ann_hidden_units(p: Any) -> Estimate:
    return (training([(_iris_net(width), p.reps) for width in p.n_hidden], p.epochs, IRIS_ROWS, records=1)
            + result(p.reps * len(p.n_hidden) * (p.epochs + 3)))


def _ann_num_parameters(p: Any) -> Estimate:
    weights = sum(i * o + o for layers in (p.wide_layers, p.deep_layers)
                  for i, o in zip(layers[:-1], layers[1:], strict=True))
    return Estimate(3 * weights * _FLOAT32, weights * 10 * _SECONDS_PER_ELEMENT) + result(
        len(p.wide_layers) + len(p.deep_layers) + 20)


def _ann_seq_vs_class(p: Any) -> Estimate:
    rows, models = _qwerty_rows(p), p.reps * len(p.definitions)
    return (training([((2, 1, 1), models)], p.epochs, rows, records=1, data_per_model=True)
            + result(models * (p.epochs + 2) + p.reps * rows))


def _ann_breadth_vs_depth(p: Any) -> Estimate:
    def net(units: int, layers: int) -> tuple[int, ...]:
        return (4, *([units] * (layers + 1)), 3)

    sweep = [(net(units, layers), p.reps) for layers in p.n_layers for units in p.n_units]
    return (training(sweep, p.epochs, IRIS_ROWS)
            + training([(net(p.demo_units, p.demo_layers), 1)], p.demo_epochs, IRIS_ROWS, records=1)
            + result(2 * p.reps * len(sweep) + p.demo_epochs + IRIS_ROWS * 5))


def _overfit_manual(p: Any) -> Estimate:
    return (training([(_iris_net(p.n_hidden), p.reps)], p.epochs, IRIS_ROWS, records=2) + generators(p.reps)
            + result(p.reps * (2 * p.epochs + IRIS_ROWS + 10)))


def _overfit_sklearn(p: Any) -> Estimate:
    n_proportions = len(p.train_proportions)
    models = 1 + p.reps * n_proportions
    return (training([(_iris_net(p.n_hidden), models)], p.epochs, IRIS_ROWS, records=2,
                     mask_per_epoch=p.resplit_every_epoch)
            + loop(models * (p.epochs if p.resplit_every_epoch else 1) * 5)  # a scikit-learn split per mask
            + result(2 * p.epochs * (1 + n_proportions) + 3 * models))


def _overfit_dataloader(p: Any) -> Estimate:
    batches = math.ceil(IRIS_ROWS * p.train_proportion / p.batch_size)
    return (training([(_iris_net(p.n_hidden), p.reps)], p.epochs, IRIS_ROWS, records=3, batches=batches,
                     rows_per_step=min(p.batch_size, IRIS_ROWS), data_per_model=True)
            + generators(p.reps) + result(p.reps * (3 * p.epochs + 10) + 50))


def _overfit_train_dev_test(p: Any) -> Estimate:
    return loop(p.reps * 100) + result(p.reps * (IRIS_ROWS + 10))  # scikit-learn splits per repetition


def _overfit_regression(p: Any) -> Estimate:
    return (training([((1, 1, 1), p.reps)], p.epochs, p.n, records=2, data_per_model=True)
            + result(p.reps * (2 * p.epochs + 4 * p.n + 4)))


def _overfit_kfold(p: Any) -> Estimate:
    models = p.reps * p.k
    return (training([(_iris_net(p.n_hidden), models)], p.epochs, IRIS_ROWS, records=3) + generators(p.reps)
            + result(models * (3 * p.epochs + 4)))


ESTIMATES: dict[str, Callable[[Any], Estimate]] = {
    "math.derivatives": _math_derivatives,
    "math.transpose": _math_lists("vector", "matrix"),
    "math.dot-product": _math_lists("v1", "v2"),
    "math.matrix-multiplication": _math_matrix_multiplication,
    "math.softmax": _math_softmax,
    "math.log": _math_log,
    "math.entropy": _math_lists("probabilities", "p", "q"),
    "math.argmin": _math_lists("vector", "matrix"),
    "math.mean-variance": _math_mean_variance,
    "math.sampling": _math_sampling,
    "math.random-seed": _math_random_seed,
    "math.t-test": _math_t_test,
    "math.derivatives2": _math_derivatives2,
    "gd.1d": _gd_1d,
    "gd.2d": _gd_2d,
    "gd.start-value": _gd_1d,  # the same sizes: a grid, one descent per repetition
    "gd.dynamic-lr": _gd_dynamic_lr,
    "gd.parametric": _gd_parametric,
    "ann.regression": _ann_regression,
    "ann.regression-slope": _ann_regression_slope,
    "ann.qwerties": _ann_qwerties,
    "ann.learning-rates": _ann_learning_rates,
    "ann.multilayer": _ann_multilayer,
    "ann.linear-vs-nonlinear": _ann_linear_vs_nonlinear,
    "ann.iris": _ann_iris,
    "ann.qwerties-3class": _ann_qwerties_3class,
    "ann.hidden-units": _ann_hidden_units,
    "ann.num-parameters": _ann_num_parameters,
    "ann.seq-vs-class": _ann_seq_vs_class,
    "ann.seq2class": _ann_seq2class,
    "ann.breadth-vs-depth": _ann_breadth_vs_depth,
    "overfit.manual": _overfit_manual,
    "overfit.sklearn": _overfit_sklearn,
    "overfit.dataloader": _overfit_dataloader,
    "overfit.train-dev-test": _overfit_train_dev_test,
    "overfit.regression": _overfit_regression,
    "overfit.kfold": _overfit_kfold,
}
"""Experiment id -> its estimate from resolved parameters (every id of the catalog has one)."""


# ---------------------------------------------------------------------------------------------------
# The check


def estimate(experiment_id: str, params: Any) -> Estimate:
    """The estimated size of running ``experiment_id`` with resolved ``params`` (its Params)."""
    try:
        function = ESTIMATES[experiment_id]
    except KeyError:
        raise LookupError(f"no run-size estimate for {experiment_id!r} (add one to dudl.budget.ESTIMATES)") from None
    return function(params)


def check(experiment_id: str, params: Any, limits: Limits | None = None) -> Estimate | None:
    """The estimate of the run, or ParamError (one line) if it is over ``limits`` (default :class:`Limits`):
    which parameter made it too big, the estimate, and how to raise the limit. None for an experiment
    without an estimate yet (tests/test_budget.py fails while any is missing)."""
    if experiment_id not in ESTIMATES:
        return None
    limits = limits or Limits()
    size = estimate(experiment_id, params)
    over = _over(size, limits)
    if over <= 1:
        return size
    name = _culprit(experiment_id, params, limits, over)
    option, limit = (("--max-memory", _bytes_text(limits.max_memory)) if size.memory_bytes > limits.max_memory
                     else ("--max-seconds", f"{limits.max_seconds:g} s"))
    keyword = option[2:].replace("-", "_")
    what, advice = ((f"{_shown(name, getattr(params, name))} makes", f"lower {name} or raise the limit") if name
                    else ("its parameters make", "raise the limit"))
    raise ParamError(
        f"{experiment_id}: {what} the run too big: about {_bytes_text(size.memory_bytes)} of memory and "
        f"{seconds_text(size.seconds)} of computation (estimated), above the limit {option} {limit} "
        f"({keyword}= in dudl.run); {advice}"
    )


def _over(size: Estimate, limits: Limits) -> float:
    """How far over the limits: the larger of memory / max_memory and seconds / max_seconds."""
    return max(size.memory_bytes / limits.max_memory, size.seconds / limits.max_seconds)


def _culprit(experiment_id: str, params: Any, limits: Limits, over: float) -> str:
    """The parameter whose return to its default shrinks the estimate most; "" if none does."""
    best, best_over = "", over
    for field in dataclasses.fields(params):
        if getattr(params, field.name) == field.default:
            continue
        changed = copy.copy(params)
        object.__setattr__(changed, field.name, field.default)  # no validation: estimates only read sizes
        try:
            reduced = _over(estimate(experiment_id, changed), limits)
        except (ValueError, TypeError, ZeroDivisionError):  # a default that does not fit the other values
            continue
        if reduced < best_over:
            best, best_over = field.name, reduced
    return best


def _shown(name: str, value: Any) -> str:
    """``name=value``, or ``name (N values)`` for a long list."""
    if isinstance(value, tuple) and len(value) > 3:
        return f"{name} ({len(value)} values)"
    return f"{name}={json.dumps(plain_value(value))}"


def _bytes_text(n: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def seconds_text(seconds: float) -> str:
    """``seconds`` for people: "3 min", "1.5 h", "22 s"."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s"
