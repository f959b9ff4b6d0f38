"""The experiment registry: id -> course lecture, purpose and the module that implements it.

The catalog below is static, so ``dudl list`` answers without importing torch, sympy or matplotlib.
An experiment module (``dudl.lectures.<section>.<name>``, one per lecture; the package is not called
``experiments`` so that it cannot shadow the function ``dudl.experiments()``) is imported only when it is
shown or run. Each module provides:

* ``Params``: a frozen dataclass subclassing :class:`dudl.params.Params` (course defaults, docs, bounds);
* ``run(params)`` (numpy experiments) or ``run(params, device)`` (torch experiments) -> metrics dict;
* ``figures(result) -> dict[str, matplotlib.figure.Figure]``, drawn from the Result alone;
* ``printed(result) -> list[str]``: the lines the course printed, with our values (plus a summary
  over repetitions when reps > 1);
* ``COURSE_OUTPUT``: what the course printed, as the spec quotes it (shown next to ours in the report);
* optionally ``NOTES``: what a quirk parameter shows, for the report;
* ``LOOK_FOR``: what the lecture shows and what to look for, in a learner's words (notebook, report);
* ``CAPTIONS``: figure name -> one line saying what to look for in it (where it draws figures);
* ``REPORT_REPS``: the repetitions the report runs (where it has ``reps``): enough to see the spread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import importlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from dudl import budget
from dudl.params import ParamError

if TYPE_CHECKING:
    from dudl.budget import Limits
    from dudl.result import Result


@dataclass(frozen=True)
class Entry:
    """One experiment in the catalog."""

    id: str
    module: str  # dotted module path under dudl.lectures
    lecture: str  # the course notebook (or lecture) it reproduces
    purpose: str  # one line
    uses_torch: bool  # torch experiments take a device

    def load(self) -> ModuleType:
        """Import the experiment's module."""
        return importlib.import_module(f"dudl.lectures.{self.module}")


CATALOG: tuple[Entry, ...] = (
    Entry("math.derivatives", "math.derivatives", "math/DUDL_math_derivatives1",
          "symbolic derivatives with sympy; ReLU, sigmoid and their derivatives", False),
    Entry("math.transpose", "math.transpose", "math/DUDL_math_transpose",
          ".T turns a row vector into a column and swaps a matrix's rows and columns, in numpy and PyTorch", False),
    Entry("math.dot-product", "math.dot_product", "math/DUDL_math_dotproduct",
          "the dot product four ways (np.dot, numpy sum of products, torch.dot, torch sum); all agree", False),
    Entry("math.matrix-multiplication", "math.matrix_multiplication", "math/DUDL_math_matrixMult",
          "a matrix product needs matching inner sizes and has the outer sizes; numpy and PyTorch", False),
    Entry("math.softmax", "math.softmax", "math/DUDL_math_softmax",
          "softmax by hand and with nn.Softmax: positive, order-keeping, sums to 1", False),
    Entry("math.log", "math.log", "math/DUDL_math_log",
          "the logarithm on (0, 1] stretches small numbers apart; log and exp undo each other", False),
    Entry("math.entropy", "math.entropy", "math/DUDL_math_entropy",
          "entropy and cross-entropy by hand and with PyTorch's binary cross-entropy", False),
    Entry("math.argmin", "math.argmin", "math/DUDL_math_argmin",
          "min/max and argmin/argmax of a vector and of a matrix per column and per row", False),
    Entry("math.mean-variance", "math.mean_variance", "math/DUDL_math_meanvar",
          "mean and variance with numpy and by formula; np.var divides by n unless ddof=1", False),
    Entry("math.sampling", "math.sampling", "math/DUDL_math_sampling",
          "one small sample's mean can miss; the means of many samples pile up around the population mean", False),
    Entry("math.random-seed", "math.random_seed", "math/DUDL_math_randomseed",
          "unseeded random numbers change; seeded ones repeat (numpy global, generators, torch)", False),
    Entry("math.t-test", "math.t_test", "math/DUDL_math_ttest",
          "an independent-samples t-test of two random groups with different means", False),
    Entry("math.derivatives2", "math.derivatives2", "math/DUDL_math_derivatives2",
          "the product rule and the chain rule with sympy; the product of derivatives is wrong", False),
    Entry("gd.1d", "gd.one_d", "gradientDescent/DUDL_GradientDescent_1D",
          "gradient descent walks downhill on 3x^2 - 3x + 4", False),
    Entry("gd.2d", "gd.two_d", "gradientDescent/DUDL_GradientDescent_2D",
          "gradient descent (or ascent) on the 2-D peaks function", False),
    Entry("gd.start-value", "gd.start_value", "gradientDescent/DUDL_GradientDescent_CodeChallengeStartValue",
          "the answer depends on the start; a start where the derivative is 0 never moves", False),
    Entry("gd.dynamic-lr", "gd.dynamic_lr", "gradientDescent/DUDL_GradientDescent_codeChallenge_lr",
          "fixed vs gradient-scaled vs time-decaying learning rates", False),
    Entry("gd.parametric", "gd.parametric", "gradientDescent/DUDL_GradientDescent_experiment",
          "parametric experiments: start value, learning rate, learning rate x epochs", False),
    Entry("ann.regression", "ann.regression", "ANN/DUDL_ANN_regression",
          "the smallest ANN (1-1-1 with a ReLU) predicts y from x", True),
    Entry("ann.regression-slope", "ann.regression_slope", "ANN/DUDL_ANN_codeChallenge_regression",
          "loss vs correlation as the true slope goes from -2 to 2", True),
    Entry("ann.qwerties", "ann.qwerties", "ANN/DUDL_ANN_classifyQwerties",
          "a binary classifier for two 2-D blobs, and how often it fails", True),
    Entry("ann.learning-rates", "ann.learning_rates", "ANN/DUDL_ANN_learningrates",
          "a learning-rate sweep and the meta-experiment that repeats it", True),
    Entry("ann.multilayer", "ann.multilayer", "ANN/DUDL_ANN_multilayer",
          "a 2-16-1-1 multilayer ANN and its learning-rate sweep", True),
    Entry("ann.linear-vs-nonlinear", "ann.linear_vs_nonlinear",
          'lecture "Linear solutions to linear problems"',
          "the multilayer net with and without hidden ReLUs; linear layers collapse into one", True),
    Entry("ann.iris", "ann.iris", "ANN/DUDL_ANN_multioutput",
          "a 4-64-64-3 net classifies the iris flowers; softmax outputs sum to 1", True),
    Entry("ann.qwerties-3class", "ann.qwerties_3class", "ANN/DUDL_ANN_codeChallengeQwerties",
          "three qwerty groups, a 2-4-3 net and its softmax outputs", True),
    Entry("ann.hidden-units", "ann.hidden_units", "ANN/DUDL_ANN_nHiddenUnits",
          "iris accuracy as the hidden width goes from 1 to 128", True),
    Entry("ann.num-parameters", "ann.num_parameters", "ANN/DUDL_ANN_numParameters",
          "same number of nodes, different number of parameters", True),
    Entry("ann.seq-vs-class", "ann.seq_vs_class", "ANN/DUDL_ANN_seqVsClass",
          "nn.Sequential and an nn.Module class define the same model", True),
    Entry("ann.seq2class", "ann.seq2class", "ANN/DUDL_ANN_codeChallengeSeq2class",
          "the multilayer model rewritten as a class, with its learning-rate sweep", True),
    Entry("ann.breadth-vs-depth", "ann.breadth_vs_depth", "ANN/DUDL_ANN_breadthVsDepth",
          "iris accuracy over 1-5 hidden layers x 4-100 units", True),
    Entry("overfit.manual", "overfit.manual", "overfitting/DUDL_overfitting_manual",
          "a train/test split by hand with numpy; why it must be random", True),
    Entry("overfit.sklearn", "overfit.sklearn_split", "overfitting/DUDL_overfitting_scikitlearn",
          "train_test_split, and accuracy over epochs and training proportions", True),
    Entry("overfit.dataloader", "overfit.dataloader", "overfitting/DUDL_overfitting_dataLoader",
          "TensorDataset and DataLoader; training iris in mini-batches", True),
    Entry("overfit.train-dev-test", "overfit.train_dev_test", "overfitting/DUDL_overfitting_trainDevsetTest",
          "train, devset and test partitions, with scikit-learn and with numpy", False),
    Entry("overfit.regression", "overfit.regression", "overfitting/DUDL_overfitting_regression",
          "train and test loss of the 1-1-1 regression model", True),
    Entry("overfit.kfold", "overfit.kfold", 'lecture "Cross-validation" (K-fold; no notebook)',
          "K-fold cross-validation of the iris model; the spread over folds", True),
)

_BY_ID = {entry.id: entry for entry in CATALOG}


def experiments() -> list[str]:
    """Every experiment id, in course order."""
    return [entry.id for entry in CATALOG]


def entry(experiment_id: str) -> Entry:
    """The catalog entry of ``experiment_id``; an unknown id raises ParamError naming the closest ids."""
    try:
        return _BY_ID[experiment_id]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(experiment_id), list(_BY_ID), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "run `dudl list` to see them"
        raise ParamError(f"unknown experiment {experiment_id!r}: {hint}") from None


def resolve(experiment_id: str, overrides: dict[str, Any]) -> Any:
    """The experiment's Params with ``overrides`` applied, validated (raises ParamError)."""
    params_type = entry(experiment_id).load().Params
    names = [f.name for f in dataclasses.fields(params_type)]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ParamError(
            f"unknown parameter {unknown[0]!r} for {experiment_id}; valid parameters: {', '.join(names)}"
        )
    return params_type(**overrides)


def run(experiment_id: str, overrides: dict[str, Any], device: str = "cpu", *, executor: Any = None,
        cache: Any = None, progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None, limits: Limits | None = None) -> Result:
    """Resolve the parameters, check the run's size against ``limits`` (default :class:`dudl.budget.Limits`;
    ParamError if over), run the experiment and wrap its metrics in a Result.

    The experiment's engine calls get, through a run context (:mod:`dudl.core.blocks`): ``executor``
    ("local", "processes[:N]", "dask[:ADDRESS]" or a ``concurrent.futures.Executor``), ``cache`` (a folder,
    True for the user's cache folder, False for none; finished blocks are kept there and reused),
    ``progress(done, total)`` in model-epochs and ``cancel()`` (True stops the run with
    :class:`dudl.core.blocks.Cancelled`). Those not given come from the enclosing :func:`blocks.session`.
    """
    from dudl import __version__
    from dudl.cache import open_cache
    from dudl.core import blocks
    from dudl.executors import open_executor
    from dudl.result import Result

    item = entry(experiment_id)
    params = resolve(experiment_id, overrides)
    budget.check(experiment_id, params, limits)
    check_device(device, experiment_id)
    defaults = blocks.settings()
    block_cache = defaults.cache if cache is None else open_cache(cache)
    module = item.load()
    with (open_executor(executor) if executor is not None else contextlib.nullcontext(defaults.executor)) as pool, \
            blocks.run_context(experiment_id=experiment_id, params=params.to_dict(), executor=pool,
                               cache=block_cache, progress=progress or defaults.progress,
                               cancel=cancel or defaults.cancel):
        start = time.perf_counter()
        metrics = module.run(params, device) if item.uses_torch else module.run(params)
        elapsed = time.perf_counter() - start
    return Result(id=experiment_id, params=params.to_dict(), metrics=metrics, elapsed_s=elapsed,
                  dudl_version=__version__)


def check_device(device: str, experiment_id: str | None = None) -> None:
    """Reject a device name other than cpu/cuda[:N], a GPU this machine lacks, or a GPU for a numpy experiment."""
    if device == "cpu":
        return
    if not isinstance(device, str) or not re.fullmatch(r"cuda(:\d+)?", device):
        raise ParamError(f'--device must be "cpu" or "cuda" (or "cuda:N"), got {device!r}')
    if experiment_id is not None and not entry(experiment_id).uses_torch:
        raise ParamError(f"{experiment_id} runs in numpy float64; --device applies to the experiments that "
                         "train torch models")
    import torch

    if not torch.cuda.is_available():
        raise ParamError(f"--device {device}: no CUDA device is available on this machine; use --device cpu")
    count = torch.cuda.device_count()
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        raise ParamError(f"--device {device}: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
