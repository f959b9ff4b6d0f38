"""ann.breadth-vs-depth: model depth vs. breadth (ANN/DUDL_ANN_breadthVsDepth).

``ANNiris(nUnits, nLayers)`` on iris with 1-5 hidden layers of 4-100 units. Deeper is not automatically
better (it needs more training), and accuracy is not simply a function of the number of parameters. The
165 sweep models of every repetition train in one engine call with per-model architectures; the demo
(12 units, 4 layers, 2500 epochs) is an ``ANNiris`` built from its key (stream 2, index (0,)) and trained
by the engine; its untrained test input ``randn(10,4)`` comes from stream 2, index (1,).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dudl.core import data as datasets
from dudl.core import engine, models, seeding
from dudl.lectures.ann.accuracy import chance_failed
from dudl.lectures.ann.sweeps import hidden_units_panel
from dudl.lectures.divergence import diverged_runs, divergence_lines, note_divergence_of
from dudl.lectures.figures import figure
from dudl.lectures.printing import tensor_lines, tensor_text
from dudl.lectures.repetition_figures import plot_spread
from dudl.lectures.summaries import correlation, summary_line
from dudl.params import Params as BaseParams
from dudl.params import param, reps_param, seed_param, sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dudl.result import Result

COURSE_OUTPUT = """\
ANNiris(
  (layers): ModuleDict(
    (input): Linear(in_features=4, out_features=12, bias=True)
    (hidden0): Linear(in_features=12, out_features=12, bias=True)
    (hidden1): Linear(in_features=12, out_features=12, bias=True)
    (hidden2): Linear(in_features=12, out_features=12, bias=True)
    (hidden3): Linear(in_features=12, out_features=12, bias=True)
    (output): Linear(in_features=12, out_features=3, bias=True)
  )
)
torch.Size([10, 3])
(the untrained 10x3 output tensor: random values)
(tensor(34.6667), 723)"""

NOTES = ("relu_after_input=false drops the ReLU after the input layer, as in the video's code (the notebook "
         "applies it). The original notebook's bug `self.nLayers = nUnits` is fixed, as in the published run.")


RUNS = ("demo_accuracy", "accuracy")  # metrics with one value per trained model (NaN: diverged)


# What a learner should look for (notebook, report), one line per figure, and the report's repetitions.
LOOK_FOR = (
    "Iris accuracy for networks of 1 to 5 hidden layers and 4 to 100 units per layer. Deeper is not automatically"
    " better: with the same training time, deep narrow networks often do worse, and the number of parameters says"
    " little about accuracy."
)
CAPTIONS = {
    "accuracy_by_units": "accuracy against units per layer, one line per number of layers",
    "accuracy_vs_params": "accuracy against the number of parameters: no clear trend",
}
REPORT_REPS = 1


@dataclass(frozen=True)
class Params(BaseParams):
    n_layers: tuple[int, ...] = param((1, 2, 3, 4, 5), "hidden layers (sweep axis 1)", ge=0)
    n_units: tuple[int, ...] = sweep("arange(4,101,3)", "units per layer (sweep axis 2; 33 values)", ge=1)
    learning_rate: float = param(0.01, "SGD learning rate", gt=0, allow_inf=True)
    epochs: int = param(500, "full-batch epochs per sweep model (course exercise 1: 1000)", ge=1)
    demo_units: int = param(12, "units per layer of the single test model", ge=1)
    demo_layers: int = param(4, "hidden layers of the single test model", ge=0)
    demo_epochs: int = param(2500, "epochs of the test model", ge=1)
    relu_after_input: bool = param(True, "apply a ReLU after the input layer (the notebook does; the video's "
                                         "code does not)")
    seed: int = seed_param()
    reps: int = reps_param(1)


def _demo(params: Params, inputs: torch.Tensor, targets: torch.Tensor, device: str) -> dict[str, Any]:
    """The course's test model: print it, pass ``randn(10,4)`` through it untrained, then train it."""
    demo_key = seeding.key(params.seed, seeding.DEMO, 0)
    model = models.build_seeded(
        lambda: models.ANNiris(params.demo_units, params.demo_layers, params.relu_after_input), demo_key)
    test_inputs = torch.randn(10, 4, generator=seeding.torch_generator(seeding.key(params.seed, seeding.DEMO, 1)))
    with torch.no_grad():
        untrained_output = model(test_inputs)
    architecture = models.breadth_depth_net(params.demo_units, params.demo_layers,
                                            relu_after_input=params.relu_after_input)
    trained = engine.train(architecture, inputs, targets, learning_rates=[params.learning_rate],
                           epochs=params.demo_epochs, keys=[demo_key],
                           initial_weights=[model], record=(), device=device)
    return {
        "demo_accuracy": float(engine.accuracy(trained.outputs, targets, architecture).numpy()[0]),
        "demo_n_params": models.n_trainable(model),
        "demo_untrained_output_shape": np.array(untrained_output.shape, dtype=np.int64),
        "demo_untrained_output": untrained_output.numpy().astype(float),
    }


def run(params: Params, device: str = "cpu") -> dict[str, Any]:
    """The demo, then every (repetition, depth, width) model in one engine call; correlation per rep."""
    features, labels = datasets.iris()
    inputs, targets = torch.from_numpy(features), torch.from_numpy(labels)
    depths, widths = params.n_layers, params.n_units
    cells = [(rep, d, w) for rep in range(params.reps) for d in range(len(depths)) for w in range(len(widths))]
    architectures = [models.breadth_depth_net(widths[w], depths[d], relu_after_input=params.relu_after_input)
                     for _, d, w in cells]
    trained = engine.train(architectures, inputs, targets, learning_rates=[params.learning_rate] * len(cells),
                           epochs=params.epochs, keys=[seeding.key(params.seed, seeding.MODEL, *c) for c in cells],
                           record=(), device=device)
    shape = (params.reps, len(depths), len(widths))
    accuracy = engine.accuracy(trained.outputs, targets, architectures[0]).numpy().reshape(shape)
    final_loss = engine.loss_values(trained.outputs, targets, architectures[0]).numpy().astype(float)
    # the sum of numel of each model's trainable tensors (the weights and biases it was trained with)
    n_params = np.array([architecture.n_params for architecture in architectures[:len(depths) * len(widths)]],
                        dtype=np.int64).reshape(len(depths), len(widths))
    return {
        "n_layers": np.asarray(depths, dtype=np.int64),
        "n_units": np.asarray(widths, dtype=np.int64),
        "accuracy": accuracy,
        "final_loss": final_loss.reshape(shape),
        "n_params": n_params,
        "params_accuracy_correlation": np.array([correlation(n_params, acc) for acc in accuracy]),
        **_demo(params, inputs, targets, device),
    }


def printed(result: Result) -> list[str]:
    """The test model, its untrained output's shape and values, and ``(tensor(accuracy), n_params)``."""
    params, metrics = result.params, result.metrics
    with torch.device("meta"):
        model = models.ANNiris(params["demo_units"], params["demo_layers"], params["relu_after_input"])
    lines = str(model).splitlines()
    lines.append(str(torch.Size(np.asarray(metrics["demo_untrained_output_shape"]).tolist())))
    lines += tensor_lines(np.asarray(metrics["demo_untrained_output"], dtype=np.float32))
    lines.append(f"({tensor_text(metrics['demo_accuracy'])}, {int(metrics['demo_n_params'])})")
    accuracy = np.asarray(metrics["accuracy"], dtype=float)
    if accuracy.shape[0] > 1:
        correlations = np.asarray(metrics["params_accuracy_correlation"], dtype=float)
        lines.append(summary_line("Parameters-accuracy correlation r", correlations,
                                  failed=chance_failed(accuracy, 3)) + " of the models at chance")
    lines += divergence_lines(diverged_runs(result, *RUNS))
    return lines


@note_divergence_of(RUNS)
def figures(result: Result) -> dict[str, Figure]:
    """``accuracy_by_units`` (one line per depth, mean over reps) and ``accuracy_vs_params`` (scatter)."""
    metrics = result.metrics
    depths = np.asarray(metrics["n_layers"])
    widths = np.asarray(metrics["n_units"], dtype=float)
    accuracy = np.asarray(metrics["accuracy"], dtype=float)  # [reps, n_depths, n_widths]
    n_params = np.asarray(metrics["n_params"], dtype=float)
    by_units, ax = figure(width=8)
    for d, depth in enumerate(depths):
        plot_spread(ax, widths, accuracy[:, d], fmt="o-", label=f"{depth}", markerfacecolor="w",
                    color=f"C{d % 10}")
    hidden_units_panel(ax, widths)
    ax.legend(title="hidden layers")
    vs_params, ax = figure()
    if accuracy.shape[0] > 1:  # every repetition faintly, the mean over repetitions on top
        for rep_accuracy in accuracy:
            ax.plot(n_params.ravel(), rep_accuracy.ravel(), "o", color="gray", alpha=0.2, markersize=3)
    mean_accuracy = accuracy.mean(axis=0)
    ax.plot(n_params.ravel(), mean_accuracy.ravel(), "o", markerfacecolor="w")
    r = correlation(n_params, mean_accuracy)
    ax.set_xlabel("Number of parameters")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Correlation: r={np.round(r, 3)}" + (" (mean over repetitions)" if accuracy.shape[0] > 1 else ""))
    return {"accuracy_by_units": by_units, "accuracy_vs_params": vs_params}
