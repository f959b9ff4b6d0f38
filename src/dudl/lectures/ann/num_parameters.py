"""ann.num-parameters: depth vs. breadth, number of parameters (ANN/DUDL_ANN_numParameters).

A wide net (2-4-3) and a deep net (2-2-2-3) have the same number of nodes (7 biases) but different
numbers of trainable parameters (27 and 21). Counts come from PyTorch (``numel`` over the parameters with
``requires_grad``), and the model summary is torchsummary's table, made with forward hooks.
Deterministic: ``seed`` only fixes the printed random weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from torch import nn

from dudl.core import models, seeding
from dudl.lectures.ann.model_print import summary_lines
from dudl.params import ParamError, param, seed_param
from dudl.params import Params as BaseParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
Sequential(
  (0): Linear(in_features=2, out_features=4, bias=True)
  (1): Linear(in_features=4, out_features=3, bias=True)
)

Sequential(
  (0): Linear(in_features=2, out_features=2, bias=True)
  (1): Linear(in_features=2, out_features=2, bias=True)
  (2): Linear(in_features=2, out_features=3, bias=True)
)
(named_parameters of deepnet: 0.weight 2x2, 0.bias 2, 1.weight 2x2, 1.bias 2, 2.weight 3x2, 2.bias 3)
There are 7 nodes in the wide network.
There are 7 nodes in the deep network.
This piece has 8 parameters
This piece has 4 parameters
This piece has 12 parameters
This piece has 3 parameters


Total of 27 parameters
Widenet has 27 parameters
Deepnet has 21 parameters
----------------------------------------------------------------
        Layer (type)               Output Shape         Param #
================================================================
            Linear-1                 [-1, 1, 4]              12
            Linear-2                 [-1, 1, 3]              15
================================================================
Total params: 27
Trainable params: 27
Non-trainable params: 0"""

NOTES = ("The notebook's stray line `widenet.` (a syntax error) is left out, as in the published run. "
         "The summary table is torchsummary's summary(widenet, (1,2)), built with forward hooks.")


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Two networks with the same 7 nodes: a wide one with 27 parameters and a deep one with 21. The number of "
    "parameters depends on how the nodes are connected, not just on how many there are."
)


@dataclass(frozen=True)
class Params(BaseParams):
    wide_layers: tuple[int, ...] = param((2, 4, 3), "layer sizes of the wide net: Linear(2,4), Linear(4,3)", ge=1)
    deep_layers: tuple[int, ...] = param((2, 2, 2, 3), "layer sizes of the deep net: Linear(2,2), Linear(2,2), "
                                         "Linear(2,3)", ge=1)
    seed: int = seed_param()

    def check(self) -> None:
        for name in ("wide_layers", "deep_layers"):
            sizes = getattr(self, name)
            if len(sizes) < 2:
                raise ParamError(f"parameter {name!r} must list at least 2 layer sizes (input, output), "
                                 f"got {list(sizes)}")


def build_nets(wide_layers: tuple[int, ...] | list[int], deep_layers: tuple[int, ...] | list[int],
               seed: int) -> tuple[nn.Sequential, nn.Sequential]:
    """The wide and the deep ``nn.Sequential`` of Linear layers, their weights drawn from (seed, stream 2, 0)."""
    pair = models.build_seeded(lambda: nn.ModuleList([models.linear_stack(wide_layers),
                                                      models.linear_stack(deep_layers)]),
                               seeding.key(seed, seeding.DEMO, 0))
    return pair[0], pair[1]


def counts(net: nn.Sequential) -> dict[str, Any]:
    """Nodes (total bias length), trainable parameters in total, per tensor and per Linear layer."""
    return {
        "nodes": int(sum(len(p) for name, p in net.named_parameters() if "bias" in name)),
        "params": models.n_trainable(net),
        "params_per_tensor": np.array([p.numel() for p in net.parameters() if p.requires_grad], dtype=np.int64),
        "params_per_layer": np.array([models.n_trainable(layer) for layer in models.linear_layers(net)],
                                     dtype=np.int64),
    }


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """Count nodes and parameters of both nets; output shapes of the wide net's summary for input (1, 2)."""
    wide, deep = build_nets(params.wide_layers, params.deep_layers, params.seed)
    metrics = {f"wide_{name}": value for name, value in counts(wide).items()}
    metrics.update({f"deep_{name}": value for name, value in counts(deep).items()})
    rows = models.layer_summary(wide, (1, params.wide_layers[0]))
    metrics["wide_output_shapes"] = np.array([shape for _, shape, _, _ in rows], dtype=np.int64)
    return metrics


def printed(result: Result) -> list[str]:
    """The course's prints: both nets, deepnet's named parameters, the counts, and the summary table."""
    params, metrics = result.params, result.metrics
    wide, deep = build_nets(params["wide_layers"], params["deep_layers"], params["seed"])
    lines = str(wide).splitlines() + [""] + str(deep).splitlines()
    for named_parameter in deep.named_parameters():
        lines += str(named_parameter).splitlines() + [""]
    lines += [f"There are {metrics['wide_nodes']} nodes in the wide network.",
              f"There are {metrics['deep_nodes']} nodes in the deep network."]
    lines += [f"This piece has {n} parameters" for n in np.asarray(metrics["wide_params_per_tensor"])]
    lines += ["", "", f"Total of {metrics['wide_params']} parameters",
              f"Widenet has {metrics['wide_params']} parameters", f"Deepnet has {metrics['deep_params']} parameters"]
    lines += summary_lines(models.layer_summary(wide, (1, params["wide_layers"][0])))
    return lines


def figures(result: Result) -> dict[str, Figure]:
    """No figures (the lecture counts parameters)."""
    return {}
