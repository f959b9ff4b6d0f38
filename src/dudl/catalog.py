"""The catalog of experiments: id -> course lecture, purpose and the module that implements it, and the
experiment's parameters resolved from overrides.

The catalog is static, so ``dudl list`` answers without importing torch, sympy or matplotlib; an experiment's
module (what it provides: :class:`Lecture`) is imported only when it is shown or run. Both
:mod:`dudl.registry` (which runs an experiment into a Result) and :mod:`dudl.result` (which checks a saved
one) read the catalog from here, so neither imports the other. :mod:`dudl.registry` re-exports these names.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from dudl.errors import ParamError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.params import Params as BaseParams
    from dudl.result import Result


class Lecture(Protocol):
    """What an experiment module (``dudl.lectures.<section>.<name>``, one per lecture) provides, as the registry,
    :class:`~dudl.result.Result`, the display, the report and the notebooks use it.

    Optional, read with a default where a module lacks them: ``NOTES`` (str: what a quirk parameter shows, for the
    report; default none), ``CAPTIONS`` (dict: figure name -> one line saying what to look for in it; default the
    figure's name) and ``REPORT_REPS`` (int: the repetitions the report runs, enough to see the spread, where the
    experiment has ``reps``; default the ``reps`` parameter's default).
    """

    Params: type[BaseParams]
    """A frozen dataclass subclassing :class:`dudl.params.Params`: the course's defaults, a one-line doc and the
    bounds of every parameter."""

    COURSE_OUTPUT: str
    """What the course printed, as the spec quotes it (shown next to ours in the notebook and the report)."""

    LOOK_FOR: str
    """What the lecture shows and what to look for, in a learner's words (notebook, report, ``dudl serve``)."""

    def run(self, params: Any, device: str) -> dict[str, Any]:
        """The metrics (named as in the specification, the repetition axis first) of the experiment with
        ``params`` (an instance of ``Params``). ``device`` is "cpu" or "cuda[:N]", where the torch experiments
        train their models; the numpy experiments compute in float64 on the CPU and ignore it
        (:func:`dudl.registry.run` refuses a GPU for them)."""
        ...

    def figures(self, result: Result) -> dict[str, Figure]:
        """Figure name -> matplotlib Figure, drawn from the Result alone (so a Result loaded from JSON draws
        the same figures)."""
        ...

    def printed(self, result: Result) -> list[str]:
        """The lines the course printed, with our values (plus a summary over repetitions when reps > 1)."""
        ...


@dataclass(frozen=True)
class Entry:
    """One experiment in the catalog."""

    id: str
    module: str  # dotted module path under dudl.lectures
    lecture: str  # the course notebook (or lecture) it reproduces
    purpose: str  # one line
    uses_torch: bool  # trains torch models: the experiments --device cuda applies to

    def load(self) -> Lecture:
        """Import the experiment's module (what it provides: :class:`Lecture`)."""
        return cast("Lecture", importlib.import_module(f"dudl.lectures.{self.module}"))


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
