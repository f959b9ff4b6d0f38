"""The model library: the course's architectures, their printed structure, the nn.Module class forms, and
moving weights between them and the engine."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dudl.core import engine, models, reference, seeding
from dudl.lectures.ann.model_print import structure

REGRESSION_PRINT = """\
Sequential(
  (0): Linear(in_features=1, out_features=1, bias=True)
  (1): ReLU()
  (2): Linear(in_features=1, out_features=1, bias=True)
)"""

QWERTY_PRINT = """\
Sequential(
  (0): Linear(in_features=2, out_features=1, bias=True)
  (1): ReLU()
  (2): Linear(in_features=1, out_features=1, bias=True)
  (3): Sigmoid()
)"""

CLASS_PRINT = """\
theClass4ANN(
  (input): Linear(in_features=2, out_features=1, bias=True)
  (output): Linear(in_features=1, out_features=1, bias=True)
)"""


def n_trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_course_models_print_as_the_course_printed_them() -> None:
    assert str(models.regression_net().sequential()) == REGRESSION_PRINT
    assert str(models.qwerty_net().sequential()) == QWERTY_PRINT
    assert str(models.theClass4ANN()) == CLASS_PRINT


@pytest.mark.parametrize(("architecture", "n_params"), [
    (models.regression_net(), 4),
    (models.qwerty_net(), 5),
    (models.qwerty_logit_net(), 5),
    (models.multilayer_net(16), 2 * 16 + 16 + 16 + 1 + 1 + 1),
    (models.multilayer_net(16, linear=True), 67),
    (models.iris_net(64), 4 * 64 + 64 + 64 * 64 + 64 + 64 * 3 + 3),
    (models.iris_net(16), 4 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3),
])
def test_parameter_counts_come_from_pytorch(architecture: engine.Architecture, n_params: int) -> None:
    assert n_trainable(architecture.sequential()) == n_params == architecture.n_params


def test_architectures_have_the_course_layers_and_losses() -> None:
    assert models.iris_net().sizes == (4, 64, 64, 3)
    assert models.iris_net().activations == ("relu", "relu", "none")
    assert models.iris_net().loss == "cross_entropy"
    assert models.qwerty_logit_net().loss == "bce_logits"
    assert models.qwerty_net().activations[-1] == "sigmoid"
    linear = models.multilayer_net(8, linear=True).sequential()
    assert not any(isinstance(m, nn.ReLU) for m in linear)
    assert isinstance(linear[-1], nn.Sigmoid)


def test_class_and_sequential_from_one_key_have_identical_weights_equal_to_the_engine_draw() -> None:
    key = seeding.key(3, seeding.MODEL, 5)
    architecture = models.qwerty_net()
    sequential = models.build_seeded(architecture.sequential, key)
    cls = models.build_seeded(models.theClass4ANN, key)
    drawn = engine.draw_initial_weights(architecture, seeding.torch_generator(key))
    for (weight, bias), seq_layer, cls_layer in zip(drawn, models.linear_layers(sequential),
                                                    models.linear_layers(cls), strict=True):
        assert torch.equal(seq_layer.weight, cls_layer.weight) and torch.equal(seq_layer.bias, cls_layer.bias)
        assert torch.equal(seq_layer.weight.detach(), weight) and torch.equal(seq_layer.bias.detach(), bias)
    # and the engine, trained for zero epochs, still holds exactly those weights
    held = engine.train(architecture, torch.zeros(4, 2), torch.zeros(4, 1), learning_rates=[0.1], epochs=0,
                        keys=[key]).state_dict(0)
    assert set(held) == set(sequential.state_dict())
    assert all(torch.equal(held[name], value) for name, value in sequential.state_dict().items())


def test_build_seeded_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    models.build_seeded(models.theClass4ANN, seeding.key(0, seeding.MODEL, 0))
    assert structure(models.qwerty_net()) == QWERTY_PRINT  # ann.qwerties' print(model)
    assert torch.equal(torch.rand(3), expected)


def test_trained_engine_weights_load_into_the_class_and_give_the_engine_outputs() -> None:
    rng = seeding.numpy_rng(seeding.key(0, seeding.DATA, 0))
    data = torch.from_numpy(rng.standard_normal((40, 2)).astype(np.float32))
    targets = (data[:, :1] > 0).float()
    keys = [seeding.key(0, seeding.MODEL, k) for k in range(3)]
    out = engine.train(models.qwerty_net(), data, targets, learning_rates=[0.05] * 3, epochs=50, keys=keys)
    for k in range(3):
        cls = models.load_trained(models.theClass4ANN(), out.state_dict(k))
        with torch.no_grad():
            torch.testing.assert_close(cls(data), out.outputs[k], rtol=0, atol=1e-6)


def test_sequential_state_maps_class_weights_to_the_engine_names() -> None:
    architecture = models.qwerty_net()
    cls = models.build_seeded(models.theClass4ANN, seeding.key(1, seeding.MODEL, 0))
    state = models.sequential_state(architecture, cls)
    assert sorted(state) == sorted(architecture.sequential().state_dict())
    sequential = architecture.sequential()
    sequential.load_state_dict(state)
    x = torch.randn(10, 2)
    with torch.no_grad():
        assert torch.equal(sequential(x), cls(x))
    with pytest.raises(ValueError, match="Linear layers"):
        models.sequential_state(models.multilayer_net(), cls)
    with pytest.raises(ValueError, match="Linear layers"):
        models.load_trained(cls, models.multilayer_net().sequential().state_dict())


def test_class_and_sequential_train_identically_in_the_course_loop_and_in_the_engine() -> None:
    """The oracle: the course's own loop gives bit-identical losses for the two definitions, and the engine,
    started from the class module's weights, follows them."""
    rng = seeding.numpy_rng(seeding.key(0, seeding.DATA, 0))
    data = torch.from_numpy(np.vstack([rng.standard_normal((30, 2)) + [1, 1],
                                       rng.standard_normal((30, 2)) + [5, 1]]).astype(np.float32))
    targets = torch.cat([torch.zeros(30, 1), torch.ones(30, 1)])
    key = seeding.key(0, seeding.MODEL, 2)
    runs = {}
    for name, factory in (("sequential", models.qwerty_net().sequential), ("class", models.theClass4ANN)):
        module = models.build_seeded(factory, key)
        runs[name] = reference.train_reference(module, data, targets, "bce", 0.01, 300, output_activation="sigmoid")
    assert runs["sequential"]["losses"] == runs["class"]["losses"]
    cls = models.build_seeded(models.theClass4ANN, key)
    out = engine.train(models.qwerty_net(), data, targets, learning_rates=[0.01], epochs=300, keys=[key],
                       initial_weights=[cls])
    np.testing.assert_allclose(out.losses[0].numpy(), runs["class"]["losses"], rtol=0, atol=1e-5)
