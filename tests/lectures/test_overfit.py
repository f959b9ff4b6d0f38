"""The overfit.* experiments: the course's exact facts, statistical checks over seeds (the
small runs, the CLI and bad input of every experiment: test_every_experiment.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import dudl
from dudl.core import data, engine, models, seeding, splits
from dudl.lectures.overfit import dataloader

# --- overfit.manual ------------------------------------------------------------------------------


def test_manual_first_rows_split_gives_the_course_label_means() -> None:
    result = dudl.run("overfit.manual", split_method="first", epochs=2, reps=2)
    m = result.metrics
    assert (m["n_train"], m["n_test"]) == (120, 30)
    assert m["label_mean_full"] == 1.0
    assert m["label_mean_train"].tolist() == [0.75, 0.75] and m["label_mean_test"].tolist() == [2.0, 2.0]
    assert np.isnan(m["test_class_accuracy"][:, :2]).all() and np.isfinite(m["test_class_accuracy"][:, 2]).all()
    lines = result.printed()
    assert lines[-14:-7] == ["Average of full data:", "tensor(1.)", "", "Average of training data:",
                             "tensor(0.7500)", "", "Average of test data:"]
    assert lines[-7:-3] == ["tensor(2.)", "torch.Size([150, 4])", "torch.Size([120, 4])", "torch.Size([30, 4])"]
    assert lines[-3].startswith("Final TRAIN accuracy: ") and lines[-2].startswith("Final TEST accuracy:  ")
    assert lines[-1].startswith("Final TEST accuracy over 2 reps")


def test_manual_random_split_shapes_and_repetition_independence() -> None:
    one = dudl.run("overfit.manual", epochs=3).metrics
    three = dudl.run("overfit.manual", epochs=3, reps=3).metrics
    assert three["train_mask"].shape == (3, 150) and (three["train_mask"].sum(axis=1) == 120).all()
    assert three["losses"].shape == three["train_accuracy_by_epoch"].shape == (3, 3)
    assert three["test_class_accuracy"].shape == (3, 3)
    for name in ("train_mask", "losses", "train_accuracy", "test_accuracy", "label_mean_test"):
        assert np.array_equal(one[name][0], three[name][0]), name
    assert not np.array_equal(three["train_mask"][0], three["train_mask"][1])


def test_manual_stratified_split_balances_every_species() -> None:
    m = dudl.run("overfit.manual", split_method="stratified", epochs=1, reps=4).metrics
    labels = data.iris()[1]
    assert all(np.bincount(labels[mask]).tolist() == [40, 40, 40] for mask in m["train_mask"])
    assert (m["label_mean_train"] == 1).all() and (m["label_mean_test"] == 1).all()


@pytest.mark.slow
def test_manual_accuracies_over_seeds() -> None:
    """Random splits generalise (test close to train); the first-rows split tests on one species only."""
    m = dudl.run("overfit.manual", reps=12, seed=1).metrics
    assert m["train_accuracy"].mean() > 95 and m["test_accuracy"].mean() > 92
    assert np.nanmean(m["test_class_accuracy"][:, 0]) > 95  # setosa is separable
    first = dudl.run("overfit.manual", split_method="first", reps=2, seed=1).metrics
    assert first["test_accuracy"].mean() < 85  # 30 virginica after seeing only 20 (course: ~73%)


# --- overfit.sklearn -----------------------------------------------------------------------------


def test_sklearn_split_sizes_and_shapes() -> None:
    result = dudl.run("overfit.sklearn", epochs=3, reps=2)
    m = result.metrics
    assert m["fake_train_shape"].tolist() == [8, 4] and m["fake_test_shape"].tolist() == [2, 4]
    assert sorted([*m["fake_train_rows"], *m["fake_test_rows"]]) == list(range(10))
    assert (m["n_train"], m["n_test"]) == (120, 30)
    assert m["train_sizes"].tolist() == [30, 42, 55, 67, 80, 92, 105, 117, 130, 142]
    assert np.allclose(m["train_proportions"], np.linspace(0.2, 0.95, 10))
    assert m["train_accuracy_by_epoch"].shape == m["test_accuracy_by_epoch"].shape == (2, 10, 3)
    assert m["train_accuracy"].shape == (2, 10) and m["demo_test_accuracy_by_epoch"].shape == (3,)
    lines = result.printed()
    assert "Training data size: (8, 4)" in lines and "Test data size: (2, 4)" in lines
    one = dudl.run("overfit.sklearn", epochs=3).metrics
    assert np.array_equal(one["test_accuracy_by_epoch"][0], m["test_accuracy_by_epoch"][0])
    assert np.array_equal(one["demo_test_accuracy_by_epoch"], m["demo_test_accuracy_by_epoch"])


@pytest.mark.slow
def test_sklearn_resplitting_every_epoch_leaks_the_test_set() -> None:
    """Trained on 30 fixed rows, the model is tested on 120 unseen rows; re-split every epoch, it has trained
    on nearly all rows by the end, so its "test" accuracy is no longer held out and comes out higher."""
    common = dict(train_proportions=[0.2], epochs=200, reps=60, seed=5)
    fixed = dudl.run("overfit.sklearn", **common).metrics
    resplit = dudl.run("overfit.sklearn", resplit_every_epoch=True, **common).metrics
    assert fixed["train_accuracy"].mean() - fixed["test_accuracy"].mean() > 0.5  # a generalisation gap
    assert resplit["test_accuracy"].mean() - fixed["test_accuracy"].mean() > 3  # 50 reps: 92.6 vs 85.8


# --- overfit.dataloader --------------------------------------------------------------------------


def test_dataloader_toy_facts_and_batches() -> None:
    toy = dataloader.toy_loaders(0)
    assert toy["fake_default_batch_size"] == 1 and toy["single_row_shapes"] == [(1, 4)] * 10
    m = dudl.run("overfit.dataloader", epochs=2).metrics
    assert m["fake_default_batch_size"] == 1
    assert m["fake_train_batch_sizes"].tolist() == [4, 4] and m["fake_test_batch_sizes"].tolist() == [1, 1]
    assert (m["n_train"], m["n_test"], m["n_batches"]) == (120, 30, 10)
    assert m["losses"].shape == m["test_accuracy_by_epoch"].shape == (1, 2)
    assert dudl.run("overfit.dataloader", epochs=1, batch_size=7).metrics["n_batches"] == 18


@pytest.mark.parametrize("shuffle", [True, False])
def test_dataloader_matches_a_course_loop_over_a_real_dataloader(shuffle: bool) -> None:
    """The engine's mini-batches equal a real DataLoader(shuffle=..., generator=g) over the model's
    train_test_split rows, g being the model's generator after its weights, in both shuffle modes."""
    epochs = 3
    result = dudl.run("overfit.dataloader", epochs=epochs, shuffle=shuffle, seed=2).metrics
    features, labels = (torch.from_numpy(a) for a in data.iris())
    key = seeding.key(2, seeding.MODEL, 0)
    train, test = splits.train_test_indices(150, train_size=0.8, random_state=seeding.sklearn_state(key))
    architecture = models.iris_net(64)
    generator = seeding.torch_generator(key)
    model = architecture.sequential()
    weights = engine.draw_initial_weights(architecture, generator)
    model.load_state_dict({f"{i}.{name}": tensor for i, pair in zip(architecture.linear_indices, weights,
                                                                       strict=True)
                           for name, tensor in zip(("weight", "bias"), pair, strict=True)})
    train_set = TensorDataset(features[train], labels[train])
    loader = DataLoader(train_set, batch_size=12, shuffle=shuffle, generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    lossfun = torch.nn.CrossEntropyLoss()
    losses, test_accuracy = [], []
    for _ in range(epochs):
        batch_losses = []
        for X, y in loader:
            loss = lossfun(model(X), y)
            batch_losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(np.mean(batch_losses))
        with torch.no_grad():
            test_accuracy.append(100 * (model(features[test]).argmax(1) == labels[test]).float().mean().item())
    assert np.allclose(result["losses"][0], losses, rtol=1e-4, atol=1e-6)
    assert np.allclose(result["test_accuracy_by_epoch"][0], test_accuracy, atol=1e-3)


@pytest.mark.slow
def test_dataloader_learns_iris_over_seeds() -> None:
    m = dudl.run("overfit.dataloader", reps=6, epochs=250, seed=3).metrics
    assert m["train_accuracy"].mean() > 93 and m["test_accuracy"].mean() > 88
    assert m["losses"][:, -1].mean() < m["losses"][:, 0].mean() / 4


# --- overfit.train-dev-test ----------------------------------------------------------------------


def test_train_dev_test_sizes_boundaries_and_disjoint_sets() -> None:
    result = dudl.run("overfit.train-dev-test", reps=30)
    m = result.metrics
    assert m["sklearn_shapes"].tolist() == [[8, 4], [1, 4], [1, 4]]
    assert m["numpy_shapes"].tolist() == [[8, 4], [1, 4], [1, 4]]
    assert m["partition_boundaries"].tolist() == [8, 9, 10] and m["sklearn_error"] is None
    assert m["random_indices"].shape == (30, 10)
    for sklearn_sets, numpy_sets, permutation in zip(m["sklearn_rows"], m["numpy_rows"], m["random_indices"],
                                                     strict=True):
        for sets in (sklearn_sets, numpy_sets):
            assert [len(s) for s in sets] == [8, 1, 1]
            assert sorted(sum(sets, [])) == list(range(10))
        assert sum(numpy_sets, []) == permutation.tolist()
    lines = result.printed()
    assert lines[:3] == ["Training data size: (8, 4)", "Devset data size: (1, 4)", "Test data size: (1, 4)"]
    assert "[0.8 0.1 0.1]" in lines and "[ 8  9 10]" in lines


def test_train_dev_test_original_second_split_records_sklearns_error() -> None:
    m = dudl.run("overfit.train-dev-test", second_split="original").metrics
    assert "train set will be empty" in m["sklearn_error"]
    assert m["sklearn_shapes"] is None and m["sklearn_rows"] is None
    assert m["numpy_shapes"].tolist() == [[8, 4], [1, 4], [1, 4]]


@pytest.mark.slow
def test_train_dev_test_permutations_are_uniform() -> None:
    m = dudl.run("overfit.train-dev-test", reps=400, seed=9).metrics
    test_rows = np.bincount([sets[2][0] for sets in m["numpy_rows"]], minlength=10)  # expected 40 each
    assert test_rows.min() >= 18 and test_rows.max() <= 66
    sklearn_test = np.bincount([sets[2][0] for sets in m["sklearn_rows"]], minlength=10)
    assert sklearn_test.min() >= 18 and sklearn_test.max() <= 66


# --- overfit.regression --------------------------------------------------------------------------


def test_regression_split_and_shapes() -> None:
    result = dudl.run("overfit.regression", epochs=5, reps=2)
    m = result.metrics
    assert (m["n_train"], m["n_test"]) == (80, 20)
    assert (m["train_mask"].sum(axis=1) == 80).all()
    for name in ("x", "y", "predictions", "train_mask"):
        assert m[name].shape == (2, 100), name
    assert m["losses"].shape == m["test_loss_by_epoch"].shape == (2, 5)
    assert result.printed()[:2] == ["torch.Size([80, 1])", "torch.Size([20, 1])"]
    assert dudl.run("overfit.regression", train_proportion=0.55, epochs=1).metrics["n_train"] == 55


@pytest.mark.slow
def test_regression_train_and_test_mse_sit_near_the_noise_variance() -> None:
    for noise_sd in (1.0, 0.5):
        m = dudl.run("overfit.regression", reps=60, noise_sd=noise_sd, seed=4).metrics
        variance = noise_sd**2
        # the ReLU's flat side (dead in some repetitions) adds error above the noise: compare medians
        assert 0.75 * variance < np.median(m["train_loss"]) < 1.5 * variance
        assert 0.7 * variance < np.median(m["test_loss"]) < 1.6 * variance
        assert np.allclose(m["test_loss_by_epoch"][:, -1], m["test_loss"], rtol=1e-4)
        # the losses are the MSE of the final predictions on exactly the training and the held-out points
        squared_errors = (m["predictions"] - m["y"]) ** 2
        train = m["train_mask"]
        assert np.allclose(m["train_loss"], [e[t].mean() for e, t in zip(squared_errors, train, strict=True)],
                           rtol=1e-4)
        assert np.allclose(m["test_loss"], [e[~t].mean() for e, t in zip(squared_errors, train, strict=True)],
                           rtol=1e-4)


# --- overfit.kfold -------------------------------------------------------------------------------


def test_kfold_tests_every_row_exactly_once() -> None:
    m = dudl.run("overfit.kfold", epochs=2, reps=3).metrics
    assert m["fold_test_sizes"].tolist() == [30] * 5
    counts = m["fold_class_counts"]  # [reps, k, 3]
    assert counts.shape == (3, 5, 3)
    assert (counts.sum(axis=1) == 50).all() and (counts.sum(axis=2) == 30).all()
    assert m["test_accuracy_by_epoch"].shape == (3, 5, 2) and m["train_accuracy"].shape == (3, 5)
    assert np.allclose(m["mean_test_accuracy"], m["test_accuracy"].mean(axis=1))
    assert np.allclose(m["std_test_accuracy"], m["test_accuracy"].std(axis=1))
    stratified = dudl.run("overfit.kfold", epochs=1, stratified=True).metrics
    assert (stratified["fold_class_counts"] == 10).all()
    unshuffled = dudl.run("overfit.kfold", epochs=1, shuffle=False).metrics
    assert unshuffled["fold_class_counts"][0].tolist() == [[30, 0, 0], [20, 10, 0], [0, 30, 0], [0, 10, 20],
                                                           [0, 0, 30]]


def test_kfold_printed_lines() -> None:
    result = dudl.run("overfit.kfold", epochs=2, k=3, reps=2)
    lines = result.printed()
    assert len(lines) == 5 and lines[0].startswith("Fold 1: TRAIN accuracy ") and ", TEST accuracy " in lines[0]
    assert lines[3].startswith("Mean TEST accuracy: ") and "(sd " in lines[3]
    assert lines[4].startswith("Mean TEST accuracy over 2 reps")


@pytest.mark.slow
def test_kfold_accuracy_over_seeds_and_the_unshuffled_mistake() -> None:
    m = dudl.run("overfit.kfold", reps=3, seed=6).metrics
    assert m["mean_test_accuracy"].mean() > 93 and m["mean_train_accuracy"].mean() > 96
    assert m["std_test_accuracy"].mean() > 0.5  # the folds differ: one split is one sample
    # k = 3 unshuffled: each test fold is the species its model never saw
    unseen = dudl.run("overfit.kfold", k=3, shuffle=False, epochs=300, seed=6).metrics
    assert (unseen["test_accuracy"] < 10).all() and (unseen["train_accuracy"] > 90).all()
