"""The course's models, in both forms the lectures teach.

Every model the ann section trains is an :class:`~dudl.core.engine.Architecture` (what the batched engine
trains; ``arch.sequential()`` is the course's ``nn.Sequential`` form). Where a lecture defines the model as
an ``nn.Module`` class with ``__init__`` and ``forward``, the class is here too, and

* :func:`build_seeded` builds any module with its weights drawn from a seeding key, exactly as the
  engine draws the weights of that key (``nn.Linear``'s default initialisation, layer by layer); such a
  module can be handed to ``engine.train(..., initial_weights=[module])`` as it is (the engine reads its
  ``parameters()`` in order), so the class's own weights are the ones trained;
* :func:`sequential_state` turns a module's weights into the state dict of the architecture's Sequential
  form (e.g. to load a class's weights into ``arch.sequential()`` with :func:`load_trained`);
* :func:`load_trained` loads an engine-trained state dict (``TrainResult.state_dict(k)``) into the class.

What the course prints of a model (``print(model)``, torchsummary's table) is made by the lectures
(:mod:`dudl.lectures.ann.model_print`) from these.

Layers are matched by order: the k-th ``nn.Linear`` of a module is the k-th Linear of the architecture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (the course's spelling)
from torch import nn

from dudl.core import seeding
from dudl.core.engine import Architecture

ModuleT = TypeVar("ModuleT", bound=nn.Module)


# ---------------------------------------------------------------------------------------------------
# Architectures (what the engine trains)


def regression_net() -> Architecture:
    """The regression net: ``Linear(1,1) -> ReLU -> Linear(1,1)``, MSELoss (ann.regression, ann.regression-slope)."""
    return Architecture(sizes=(1, 1, 1), activations=("relu", "none"), loss="mse")


def qwerty_net() -> Architecture:
    """ann.qwerties / ann.seq-vs-class: ``Linear(2,1) -> ReLU -> Linear(1,1) -> Sigmoid``, BCELoss."""
    return Architecture(sizes=(2, 1, 1), activations=("relu", "sigmoid"), loss="bce")


def qwerty_logit_net() -> Architecture:
    """ann.learning-rates: ``Linear(2,1) -> ReLU -> Linear(1,1)`` (no sigmoid), BCEWithLogitsLoss."""
    return Architecture(sizes=(2, 1, 1), activations=("relu", "none"), loss="bce_logits")


def multilayer_net(n_hidden: int = 16, *, linear: bool = False) -> Architecture:
    """ann.multilayer: ``Linear(2,h) -> ReLU -> Linear(h,1) -> ReLU -> Linear(1,1) -> Sigmoid``, BCELoss.

    ``linear=True`` removes the two ReLUs (ann.linear-vs-nonlinear's "linear" variant); the layers, and
    so the weight draws, are the same.
    """
    hidden = "none" if linear else "relu"
    return Architecture(sizes=(2, n_hidden, 1, 1), activations=(hidden, hidden, "sigmoid"), loss="bce")


def iris_net(n_hidden: int = 64) -> Architecture:
    """The iris net: ``Linear(4,h) -> ReLU -> Linear(h,h) -> ReLU -> Linear(h,3)``, CrossEntropyLoss on the logits."""
    return Architecture(sizes=(4, n_hidden, n_hidden, 3), activations=("relu", "relu", "none"),
                        loss="cross_entropy")


# ---------------------------------------------------------------------------------------------------
# The course's nn.Module classes


class theClass4ANN(nn.Module):  # noqa: N801  (the course's class name, ANN/DUDL_ANN_seqVsClass)
    """ann.seq-vs-class: the qwerty classifier as a class; the same model as :func:`qwerty_net`."""

    def __init__(self) -> None:
        super().__init__()
        self.input = nn.Linear(2, 1)  # input layer
        self.output = nn.Linear(1, 1)  # output layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 2] qwerties -> [N, 1] probability of class 1."""
        x = self.input(x)
        x = F.relu(x)
        x = self.output(x)
        return torch.sigmoid(x)


# ---------------------------------------------------------------------------------------------------
# Modules and the engine: weights in Sequential naming, printing, building from a seeding key


def linear_layers(module: nn.Module) -> list[nn.Linear]:
    """The module's ``nn.Linear`` layers in definition order (``__init__`` order for a class)."""
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def _sequential_linear_names(state: dict[str, torch.Tensor]) -> list[str]:
    """Prefixes of the Linear layers in a Sequential state dict ("0", "2", ...), in layer order."""
    prefixes = {name.rsplit(".", 1)[0] for name in state if name.endswith(".weight")}
    return sorted(prefixes, key=lambda p: [int(part) if part.isdigit() else part for part in p.split(".")])


def sequential_state(architecture: Architecture, module: nn.Module) -> dict[str, torch.Tensor]:
    """``module``'s weights under the names of ``architecture.sequential()`` (a state dict of its Sequential form)."""
    layers = linear_layers(module)
    if len(layers) != architecture.n_layers:
        raise ValueError(f"module has {len(layers)} Linear layers, the architecture {architecture.n_layers}")
    state: dict[str, torch.Tensor] = {}
    for index, layer, fan_in, fan_out in zip(architecture.linear_indices, layers, architecture.sizes[:-1],
                                             architecture.sizes[1:], strict=True):
        if layer.weight.shape != (fan_out, fan_in):
            raise ValueError(f"layer {index}: shape {tuple(layer.weight.shape)} != {(fan_out, fan_in)}")
        state[f"{index}.weight"] = layer.weight.detach().clone()
        state[f"{index}.bias"] = layer.bias.detach().clone()
    return state


def load_trained(module: ModuleT, state: dict[str, torch.Tensor]) -> ModuleT:
    """Copy an engine state dict (Sequential naming, e.g. ``TrainResult.state_dict(k)``) into ``module``.

    The k-th Linear of the state goes into the k-th ``nn.Linear`` of ``module``; returns ``module``.
    """
    names = _sequential_linear_names(state)
    layers = linear_layers(module)
    if len(names) != len(layers):
        raise ValueError(f"state has {len(names)} Linear layers, the module {len(layers)}")
    with torch.no_grad():
        for name, layer in zip(names, layers, strict=True):
            layer.weight.copy_(state[f"{name}.weight"])
            layer.bias.copy_(state[f"{name}.bias"])
    return module


def build_seeded(factory: Callable[[], ModuleT], key: np.random.SeedSequence) -> ModuleT:
    """``factory()`` with its initial weights drawn from ``key`` (like ``torch.manual_seed`` before it).

    The draw uses the same seed as ``seeding.torch_generator(key)``, i.e. the same weights the engine
    draws for that key. The global torch RNG is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seeding.torch_seed(key))
        return factory()


# ---------------------------------------------------------------------------------------------------
# More architectures (ann.qwerties-3class, ann.breadth-vs-depth)


def qwerty_3class_net(n_hidden: int = 4, *, double_softmax: bool = True) -> Architecture:
    """ann.qwerties-3class: ``Linear(2,h) -> ReLU -> Linear(h,3)`` [``-> Softmax(dim=1)``], CrossEntropyLoss.

    ``double_softmax`` is the course's code: the model ends in ``Softmax(dim=1)`` and CrossEntropyLoss
    applies log-softmax again, so the loss never goes below ``-log(e/(e+2))``.
    """
    return Architecture(sizes=(2, n_hidden, 3), activations=("relu", "none"), loss="cross_entropy",
                        softmax_output=double_softmax)


def breadth_depth_net(n_units: int, n_layers: int, *, relu_after_input: bool = True) -> Architecture:
    """ann.breadth-vs-depth: :class:`ANNiris` ``(n_units, n_layers)`` as an Architecture.

    ``Linear(4,n) [-> ReLU] -> (Linear(n,n) -> ReLU) x n_layers -> Linear(n,3)``, CrossEntropyLoss;
    ``n_layers * n**2 + (8 + n_layers) * n + 3`` trainable parameters.
    """
    first = "relu" if relu_after_input else "none"
    return Architecture(sizes=(4, *([n_units] * (n_layers + 1)), 3),
                        activations=(first, *(["relu"] * n_layers), "none"), loss="cross_entropy")


# ---------------------------------------------------------------------------------------------------
# More of the course's nn.Module classes (ann.seq2class, ann.breadth-vs-depth)


class ANNirisMultilayer(nn.Module):
    """ann.seq2class: ann.multilayer's 2-16-1-1 qwerty model as a class; the same model as
    ``multilayer_net(16)``. The course calls this class ``ANNiris`` (a leftover name), and so does its print.
    """

    def __init__(self) -> None:
        super().__init__()
        self.input = nn.Linear(2, 16)  # input layer
        self.hidden = nn.Linear(16, 1)  # hidden layer
        self.output = nn.Linear(1, 1)  # output layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 2] qwerties -> [N, 1] probability of class 1."""
        x = F.relu(self.input(x))
        x = F.relu(self.hidden(x))
        return torch.sigmoid(self.output(x))

    def _get_name(self) -> str:  # the name nn.Module's print shows: the course's class name
        return "ANNiris"


class ANNiris(nn.Module):  # the course's class name (ANN/DUDL_ANN_breadthVsDepth)
    """ann.breadth-vs-depth: ``nUnits`` units in each of ``nLayers`` hidden layers, in an ``nn.ModuleDict``.

    Forward: ``relu(input(x))`` (no ReLU when ``relu_after_input`` is false), ``relu(hidden_i(x))`` for
    each hidden layer, then ``output(x)``: [N, 4] -> [N, 3] logits. The same model as
    ``breadth_depth_net(nUnits, nLayers)``. (The published notebook's fixed ``self.nLayers = nLayers``.)
    """

    def __init__(self, nUnits: int, nLayers: int, relu_after_input: bool = True) -> None:  # noqa: N803
        super().__init__()
        self.layers = nn.ModuleDict()  # a dictionary to store the layers
        self.nLayers = nLayers  # noqa: N815
        self.relu_after_input = relu_after_input
        self.layers["input"] = nn.Linear(4, nUnits)
        for i in range(nLayers):
            self.layers[f"hidden{i}"] = nn.Linear(nUnits, nUnits)
        self.layers["output"] = nn.Linear(nUnits, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 4] iris features -> [N, 3] logits."""
        x = self.layers["input"](x)
        if self.relu_after_input:
            x = F.relu(x)
        for i in range(self.nLayers):
            x = F.relu(self.layers[f"hidden{i}"](x))
        return self.layers["output"](x)


# ---------------------------------------------------------------------------------------------------
# Counting parameters and summarising layers (ann.breadth-vs-depth, ann.num-parameters)


def n_trainable(module: nn.Module) -> int:
    """The course's count: the sum of ``numel()`` over the parameters with ``requires_grad``."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


def linear_stack(sizes: tuple[int, ...] | list[int]) -> nn.Sequential:
    """ann.num-parameters: ``nn.Sequential(Linear(sizes[0], sizes[1]), Linear(sizes[1], sizes[2]), ...)``."""
    return nn.Sequential(*(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)))


def layer_summary(module: nn.Module, input_size: tuple[int, ...]) -> list[tuple[str, list[int], int, bool]]:
    """torchsummary's ``summary(module, input_size)`` rows, with forward hooks (no extra package).

    One row per leaf module in call order: (``"<Class>-<k>"``, output shape with the batch dimension
    written as -1, parameters of its weight and bias, whether they are trainable). Like torchsummary,
    a batch of 2 zero inputs of shape ``input_size`` is passed through.
    """
    rows: list[tuple[str, list[int], int, bool]] = []

    def record(layer: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        shape = [-1, *output.shape[1:]]
        n_params, trainable = 0, False
        for name in ("weight", "bias"):
            tensor = getattr(layer, name, None)
            if isinstance(tensor, torch.Tensor):
                n_params += tensor.numel()
                trainable = trainable or (name == "weight" and tensor.requires_grad)
        rows.append((f"{type(layer).__name__}-{len(rows) + 1}", shape, n_params, trainable))

    containers = (nn.Sequential, nn.ModuleList)
    leaves = [m for m in module.modules() if m is not module and not isinstance(m, containers)]
    hooks = [leaf.register_forward_hook(record) for leaf in leaves]
    try:
        with torch.no_grad():
            module(torch.zeros(2, *input_size))
    finally:
        for hook in hooks:
            hook.remove()
    return rows
