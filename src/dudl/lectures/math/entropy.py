"""math.entropy: entropy and cross-entropy (math/DUDL_math_entropy).

The entropy of a two-event distribution, first with a formula that forgets a term, then correctly; the
cross-entropy H(p, q) = −Σ pᵢ·log(qᵢ) of a true distribution p and a model's q by hand, and with PyTorch's binary
cross-entropy, whose argument order is the course's quirk (``bce_call``). Deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the course's name

from dudl.lectures.math.common import Vector, check_log_base, log
from dudl.lectures.printing import tensor_text
from dudl.params import ParamError, param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
Correct entropy: 0.5623351446188083
Correct entropy: 0.5623351446188083
Cross entropy: 1.3862943611198906
Correct entropy: 1.3862943611198906
Manually simplified: 1.3862943611198906
"""

NOTES = ('bce_call: the course calls binary_cross_entropy(p, q) with Python lists, which PyTorch rejects '
         '("original" records the error). The call needs tensors, with the model\'s q as input and the true p as '
         'target ("fixed", 1.3863 as by hand); the course\'s order with tensors ("swapped") gives 75.0, because '
         "PyTorch clamps log(0) to -100: a wrong order gives a silently wrong number. The published run did not "
         "execute the wrong formula or the PyTorch cell.")

SUM_TOLERANCE = 1e-9


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Entropy measures how uncertain an outcome is; cross-entropy measures how far a model's probabilities q are "
    "from the true p. Look at the wrong one-term entropy next to the correct two-term one, and at PyTorch's "
    "binary cross-entropy matching the formula."
)


@dataclass(frozen=True)
class Params(BaseParams):
    p_event: float = param(0.25, "probability of one event, for the incomplete one-term formula (in (0, 1))",
                           gt=0, lt=1)
    probabilities: Vector = param((0.25, 0.75), "the distribution whose entropy is computed (>= 2 entries in "
                                                "(0, 1], summing to 1)")
    p: Vector = param((1, 0), "the true distribution of the cross-entropy (>= 2 entries in [0, 1], summing to 1)")
    q: Vector = param((0.25, 0.75), "the model's distribution (entries in (0, 1], as many as p, summing to 1)")
    log_base: float | None = param(None, "null = natural log (the course; nats); 2 gives bits (> 0 and != 1)",
                                   gt=0)
    bce_call: Literal["fixed", "swapped", "original"] = param(
        "fixed", "quirk: binary_cross_entropy(q, p) with tensors (fixed), (p, q) with tensors (swapped), or the "
                 "course's literal call with lists (original), which raises")

    def check(self) -> None:
        check_distribution("probabilities", self.probabilities, zero_allowed=False)
        check_distribution("p", self.p, zero_allowed=True)
        check_distribution("q", self.q, zero_allowed=False)
        if len(self.q) != len(self.p):
            raise ParamError(f"p and q must have the same length, got {len(self.p)} and {len(self.q)}")
        check_log_base(self.log_base)


def check_distribution(name: str, values: Sequence[float], *, zero_allowed: bool) -> None:
    """Raise ParamError unless ``values`` are >= 2 probabilities in [0, 1] (or (0, 1]) that sum to 1 (±1e-9)."""
    interval = "[0, 1]" if zero_allowed else "(0, 1]"
    if len(values) < 2:
        raise ParamError(f"parameter {name!r} must have at least 2 entries, got {list(values)}")
    for value in values:
        if not (0 <= value <= 1) or (value == 0 and not zero_allowed):
            raise ParamError(f"parameter {name!r} must hold probabilities in {interval}, got {value:g}")
    if abs(math.fsum(values) - 1) > SUM_TOLERANCE:
        raise ParamError(f"parameter {name!r} must sum to 1, got {list(values)} (sum {math.fsum(values):.10g})")


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The course's entropies and cross-entropies by hand (floats, in units of ``log_base``), and PyTorch's
    binary cross-entropy (float32, or its error)."""
    base = params.log_base
    wrong_entropy = -(params.p_event * log(params.p_event, base))
    entropy = 0.0
    for probability in params.probabilities:  # the course's loop, in list order
        entropy -= probability * log(probability, base)
    entropy_two_event = None
    if len(params.probabilities) == 2:
        last = params.probabilities[-1]  # the course's loop variable, still the last entry
        with np.errstate(invalid="ignore"):
            entropy_two_event = -(last * log(last, base) + (1 - last) * log(1 - last, base))
    p, q = params.p, params.q
    cross_entropy = 0.0
    for p_i, q_i in zip(p, q, strict=True):
        cross_entropy -= p_i * log(q_i, base)
    one_hot = [k for k, p_k in enumerate(p) if p_k == 1]
    torch_bce, bce_error = binary_cross_entropy(p, q, params.bce_call)
    return {
        "wrong_entropy": float(wrong_entropy),
        "entropy": float(entropy),
        "entropy_two_event": None if entropy_two_event is None else float(entropy_two_event),
        "cross_entropy": float(cross_entropy),
        "cross_entropy_two_event": float(-sum(p_i * log(q_i, base) for p_i, q_i in zip(p, q, strict=True))),
        "cross_entropy_simplified": float(-log(q[one_hot[0]], base)) if one_hot else None,
        "torch_bce": None if torch_bce is None else torch_bce / (1.0 if base is None else math.log(base)),
        "bce_error": bce_error,
    }


def binary_cross_entropy(p: Sequence[float], q: Sequence[float], call: str) -> tuple[float | None, str | None]:
    """PyTorch's mean binary cross-entropy in nats (a float32 value) as ``call`` makes it, or None and the
    error (``"ExceptionType: message"``) of the course's literal call with lists."""
    q_tensor, p_tensor = torch.Tensor(q), torch.Tensor(p)
    if call == "fixed":
        return F.binary_cross_entropy(q_tensor, p_tensor).item(), None
    if call == "swapped":
        return F.binary_cross_entropy(p_tensor, q_tensor).item(), None
    try:
        return F.binary_cross_entropy(list(p), list(q)).item(), None
    except (AttributeError, TypeError) as error:
        return None, f"{type(error).__name__}: {error}"


def figures(result: Result) -> dict[str, Figure]:
    return {}


def printed(result: Result) -> list[str]:
    m, base = result.metrics, result.params["log_base"]

    def line(label: str, name: str) -> list[str]:
        """``label`` + ``str(H)`` as the course prints it, or nothing where the metric is null."""
        return [] if m[name] is None else [f"{label}{np.float64(m[name])}"]

    bce = [m["bce_error"]] if m["torch_bce"] is None else \
        [tensor_text(m["torch_bce"] * (1.0 if base is None else math.log(base)))]
    return [*line("Wrong entropy: ", "wrong_entropy"), *line("Correct entropy: ", "entropy"),
            *line("Correct entropy: ", "entropy_two_event"), *line("Cross entropy: ", "cross_entropy"),
            *line("Correct entropy: ", "cross_entropy_two_event"),
            *line("Manually simplified: ", "cross_entropy_simplified"), *bce]
