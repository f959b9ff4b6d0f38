"""What ``dudl serve`` shows of a run's training beyond its Result, from the engine calls the run made
(:func:`dudl.core.engine.keep_trained`): the trained models as state_dicts that load into the course's
``nn.Sequential`` (export), and the decision surface of a 2-D classifier at saved epochs (the scrubber).

Both run in the worker process, after the experiment. The scrubber replays model 0 of the run's first 2-D
classifier call for fewer epochs (full batch: frame by frame, each from the last one's weights): a model's
numbers do not depend on the other models of a call, so its weights after ``e`` epochs are those the full run
had at epoch ``e`` (the last frame is the run's own model).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

MAX_EXPORT_NUMBERS = 2_000_000  # weights of all the models of one call, kept for export
MAX_EXPORT_MODELS = 1000
SCRUB_FRAMES = 11  # epochs 0, E/10, ..., E
MAX_SCRUB_EPOCHS = 200_000  # replayed model-epochs of the scrubber (all frames together)


def architecture_text(architecture: Any) -> str:
    """``2-1-1 relu,none bce_logits``: the layer sizes, activations and loss of an engine Architecture."""
    sizes = "-".join(str(size) for size in architecture.sizes)
    softmax = " +softmax" if architecture.softmax_output else ""
    return f"{sizes} ({', '.join(architecture.activations)}{softmax}; {architecture.loss})"


def exports(kept: list[Any]) -> list[dict[str, Any]]:
    """Per engine call: {architecture, models, files}; ``files`` holds each model's ``torch.save`` of its
    state_dict (keys as in ``architecture.sequential()``), or is None when the call is too big to keep."""
    import torch

    out = []
    for call in kept:
        trained = call.trained
        n_models = len(trained.architectures)
        numbers = sum(architecture.n_params for architecture in trained.architectures)
        files = None
        if n_models <= MAX_EXPORT_MODELS and numbers <= MAX_EXPORT_NUMBERS:
            files = []
            for k in range(n_models):
                buffer = io.BytesIO()
                torch.save(trained.state_dict(k), buffer)
                files.append(buffer.getvalue())
        out.append({"architecture": [architecture_text(a) for a in trained.architectures],
                    "models": n_models, "files": files})
    return out


def _model_zero(arguments: dict[str, Any], epochs: int) -> dict[str, Any]:
    """The keyword arguments of :func:`engine.train` for model 0 of a kept call, trained ``epochs`` epochs."""
    from dudl.core import engine

    one = dict(arguments)
    architectures = arguments["architectures"]
    one["architectures"] = architectures if isinstance(architectures, engine.Architecture) else [architectures[0]]
    if arguments["inputs"].ndim == 3:
        one["inputs"] = arguments["inputs"][:1]
    if _per_model_targets(arguments):
        one["targets"] = arguments["targets"][:1]
    one["learning_rates"] = np.asarray(arguments["learning_rates"], dtype=float).reshape(-1)[:1]
    one["keys"] = list(arguments["keys"])[:1]
    for name in ("initial_weights", "train_mask", "test_mask"):
        if arguments.get(name) is not None:
            one[name] = arguments[name][:1]
    one.update(epochs=epochs, record=(), progress=None, cancel=None, executor=None)
    return one


def _per_model_targets(arguments: dict[str, Any]) -> bool:
    """Whether a call's targets are per model ([M, N] labels or [M, N, out]) rather than shared."""
    from dudl.core.functions import LOSSES

    return arguments["targets"].ndim == (2 if LOSSES[_first(arguments["architectures"]).loss].labels else 3)


def _first(architectures: Any) -> Any:
    from dudl.core import engine

    return architectures if isinstance(architectures, engine.Architecture) else architectures[0]


def scrub(kept: list[Any]) -> dict[str, Any] | None:
    """The decision surface of model 0 of the run's first 2-D classifier call at :data:`SCRUB_FRAMES` epochs
    from 0 to the call's last, for the page to draw: {call, epochs [F], surfaces [F, R, R] (predicted class,
    rows = y; :func:`dudl.lectures.ann.decision_surface.decision_surface`), extent [4] (x_min, x_max, y_min, y_max),
    points [N, 2], labels [N]}; None if the run has no such call (or it would take more than
    :data:`MAX_SCRUB_EPOCHS` model-epochs to replay)."""
    import torch

    from dudl.core import engine
    from dudl.core.functions import LOSSES
    from dudl.lectures.ann.decision_surface import decision_surface

    for index, call in enumerate(kept):
        arguments = call.arguments
        architecture = _first(arguments["architectures"])
        loss = LOSSES[architecture.loss]
        if architecture.sizes[0] != 2 or loss.regression:
            continue
        last = int(arguments["epochs"])
        epochs = sorted({int(e) for e in np.linspace(0, last, SCRUB_FRAMES).round()})
        if (last if arguments.get("batch_size") is None else sum(epochs)) > MAX_SCRUB_EPOCHS:
            return None
        inputs = torch.as_tensor(arguments["inputs"])
        data = (inputs[0] if inputs.ndim == 3 else inputs).numpy()
        targets = torch.as_tensor(arguments["targets"])
        target = targets[0] if _per_model_targets(arguments) else targets
        labels = (target if loss.labels else target[..., 0].round()).long().numpy()
        frames, state, done = [], None, 0
        for epoch in epochs:
            if arguments.get("batch_size") is None and state is not None:
                # full batch: no draw after the initial weights, so training on from the last frame's weights
                # gives the same bits as training from the start
                replay = _model_zero(arguments, epoch - done)
                replay["initial_weights"] = [state]
            else:
                replay = _model_zero(arguments, epoch)
            trained = engine.train(**replay)
            state, done = trained.state_dict(0), epoch
            surface = decision_surface(trained.module(0), architecture, data)
            frames.append(surface["decision_surface"].tolist())
        return {"call": index, "epochs": epochs, "surfaces": frames,
                "extent": np.asarray(surface["decision_surface_extent"], dtype=float).tolist(),
                "points": np.round(data.astype(float), 4).tolist(), "labels": labels.tolist()}
    return None
