"""A model's numbers are the same bits however the sweep is split: alone, in any sub-sweep, in blocks of any
size, with one or two threads, as repetition r of any number of repetitions; progress, cancel and the cache."""

from __future__ import annotations

import errno
import math
import os
import threading
import time

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dudl
from dudl.cache import BlockCache
from dudl.core import blocks, data, engine, models, seeding
from dudl.lectures.ann import qwerty

EPOCHS = 12


def breadth_vs_depth() -> dict:
    """ann.breadth-vs-depth's 165 models (5 depths x 33 widths), as the lecture builds them."""
    features, labels = data.iris()
    cells = [(d, w) for d in range(5) for w in range(33)]
    return dict(architectures=[models.breadth_depth_net(4 + 3 * w, d + 1) for d, w in cells],
                inputs=torch.from_numpy(features), targets=torch.from_numpy(labels),
                learning_rates=[0.01] * len(cells), keys=[seeding.key(0, seeding.MODEL, 0, *c) for c in cells],
                record=("losses", "accuracy"))


def hidden_units() -> dict:
    """ann.hidden-units' 128 models (widths 1-128)."""
    features, labels = data.iris()
    return dict(architectures=[models.iris_net(width) for width in range(1, 129)],
                inputs=torch.from_numpy(features), targets=torch.from_numpy(labels),
                learning_rates=[0.01] * 128, keys=[seeding.key(0, seeding.MODEL, 0, i) for i in range(128)],
                record=("losses",))


def learning_rates() -> dict:
    """ann.learning-rates' meta-experiment: 2 repetitions x 40 learning rates on one qwerty data set."""
    inputs, labels = qwerty.qwerties_for_reps(0, 1, ((1, 1), (5, 1)), 100, 1.0)
    rates = np.linspace(0.001, 0.1, 40)
    cells = [(rep, i) for rep in range(2) for i in range(40)]
    return dict(architectures=[models.qwerty_logit_net()] * len(cells), inputs=inputs[0],
                targets=qwerty.binary_targets(labels[0]), learning_rates=[rates[i] for _, i in cells],
                keys=[seeding.key(0, seeding.MODEL, *c) for c in cells], record=("losses", "accuracy"))


def multilayer() -> dict:
    """ann.linear-vs-nonlinear's models: 2-16-1-1 with and without hidden ReLUs, 5 learning rates, each of 3
    repetitions on its own qwerty data (per-model inputs)."""
    inputs, labels = qwerty.qwerties_for_reps(0, 3, ((1, 3), (1, -2)), 100, 1.0)
    cells = [(rep, linear, i) for rep in range(3) for linear in (False, True) for i in range(5)]
    rows = torch.tensor([rep for rep, _, _ in cells])
    return dict(architectures=[models.multilayer_net(linear=linear) for _, linear, _ in cells],
                inputs=inputs[rows], targets=qwerty.binary_targets(labels[rows]),
                learning_rates=[0.01 * (i + 1) for _, _, i in cells],
                keys=[seeding.key(0, seeding.MODEL, rep, int(linear), i) for rep, linear, i in cells],
                record=("losses", "accuracy"))


SWEEPS = {"breadth-vs-depth": breadth_vs_depth, "hidden-units": hidden_units, "learning-rates": learning_rates,
          "multilayer": multilayer}


def train(sweep: dict, models_: list[int] | None = None, **options) -> engine.TrainResult:
    """The sweep's models ``models_`` (all if None, in that order) trained in one call."""
    chosen = list(range(len(sweep["keys"]))) if models_ is None else models_
    picked = {name: [sweep[name][k] for k in chosen] for name in ("architectures", "learning_rates", "keys")}
    per_model = sweep["inputs"].dim() == 3
    inputs = sweep["inputs"][chosen] if per_model else sweep["inputs"]
    targets = sweep["targets"][chosen] if per_model else sweep["targets"]
    return engine.train(picked["architectures"], inputs, targets, learning_rates=picked["learning_rates"],
                        keys=picked["keys"], epochs=EPOCHS, record=sweep["record"], **options)


def numbers(result: engine.TrainResult, k: int) -> list[np.ndarray]:
    """Every number of model k: its records, outputs and trained weights."""
    values = [result.outputs[k].numpy()]
    values += [getattr(result, name)[k].numpy() for name in engine.RECORDS if getattr(result, name) is not None]
    values += [tensor.numpy() for layer in result.parameters(k) for tensor in layer]
    return values


def assert_same_bits(result: engine.TrainResult, k: int, full: engine.TrainResult, j: int) -> None:
    for ours, theirs in zip(numbers(result, k), numbers(full, j), strict=True):
        assert ours.dtype == np.float32 and np.array_equal(ours, theirs, equal_nan=True), (k, j)


@pytest.fixture(scope="module")
def full() -> dict[str, tuple[dict, engine.TrainResult]]:
    """Each sweep and its models trained in one call with the default plan."""
    return {name: (build(), train(build())) for name, build in SWEEPS.items()}


def test_padding_is_a_function_of_the_architecture() -> None:
    assert [engine.padded_width(w) for w in (1, 2, 3, 4, 5, 12, 16, 17, 32, 33, 43, 54, 64, 65, 100, 129)] == [
        1, 2, 3, 4, 16, 16, 16, 32, 32, 48, 48, 64, 64, 80, 112, 144]
    architecture = models.breadth_depth_net(25, 3)
    assert engine.padded_architecture(architecture).sizes == (4, 32, 32, 32, 32, 3)
    assert engine.padded_architecture(models.iris_net(64)) == models.iris_net(64)  # course widths are steps


@pytest.mark.slow
@pytest.mark.parametrize("name", SWEEPS)
@pytest.mark.parametrize(("block_models", "threads"), [(1, 1), (7, 1), (7, 2), (10_000, 1)])
def test_block_size_and_thread_count_do_not_change_a_bit(full, monkeypatch, name, block_models, threads) -> None:
    """The reference is one thread in the default plan; blocks of 7 models give the same bits in one thread
    and in two (the thread pool's path: asserted taken)."""
    sweep, reference = full[name]
    monkeypatch.setattr(engine, "_LOCAL_BLOCK_MODELS", block_models)
    monkeypatch.setattr(engine, "_BLOCK_SECONDS", math.inf)
    pools, pool = [], blocks.ThreadPoolExecutor

    def counted_pool(max_workers: int) -> blocks.ThreadPoolExecutor:
        pools.append(max_workers)
        return pool(max_workers=max_workers)

    monkeypatch.setattr(blocks, "ThreadPoolExecutor", counted_pool)
    result = train(sweep, threads=threads)
    assert pools == ([2] * len(pools) if threads == 2 else []) and bool(pools) == (threads == 2)
    if block_models == 1:
        assert len(result.groups) == len(sweep["keys"])
    for k in range(len(sweep["keys"])):
        assert_same_bits(result, k, reference, k)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_sub_sweep_gives_each_model_the_same_bits(full, data_) -> None:
    """Random sub-sweeps (random models, random order) of breadth-vs-depth, hidden-units, learning-rates and
    linear-vs-nonlinear."""
    name = data_.draw(st.sampled_from(sorted(SWEEPS)))
    sweep, reference = full[name]
    chosen = data_.draw(st.lists(st.integers(0, len(sweep["keys"]) - 1), min_size=1, max_size=12, unique=True))
    result = train(sweep, chosen)
    for position, k in enumerate(chosen):
        assert_same_bits(result, position, reference, k)


@pytest.mark.parametrize(("experiment", "params", "metrics"), [
    ("ann.breadth-vs-depth", dict(n_layers=(1, 3), n_units=(4, 25, 64), epochs=10, demo_epochs=1),
     ("accuracy", "final_loss")),
    ("ann.hidden-units", dict(n_hidden=(1, 5, 40, 100), epochs=10), ("accuracy", "losses", "final_loss")),
    ("ann.learning-rates", dict(learning_rates=(0.001, 0.05, 0.1), epochs=5, meta_epochs=20),
     ("accuracy", "final_loss")),
    ("ann.regression", dict(epochs=30), ("losses", "predictions", "final_loss")),
    ("ann.qwerties", dict(epochs=30), ("losses", "final_loss")),
    ("overfit.regression", dict(epochs=30), ("losses", "predictions", "test_loss_by_epoch")),
    ("overfit.dataloader", dict(epochs=5), ("losses", "train_accuracy_by_epoch")),
])
def test_repetition_r_is_the_same_bits_whatever_reps(experiment, params, metrics) -> None:
    runs = {reps: dudl.run(experiment, reps=reps, **params) for reps in (1, 3, 7)}
    for name in metrics:
        for reps in (1, 3):
            ours, theirs = runs[reps].metrics[name], runs[7].metrics[name][:reps]
            assert np.array_equal(ours, theirs, equal_nan=True), (name, reps)


def test_progress_counts_model_epochs_and_cancel_stops() -> None:
    sweep = hidden_units()
    calls = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "INTERVAL", 0.0)  # report every epoch
        train(sweep, progress=lambda done, total: calls.append((done, total)))
        assert calls[-1] == (128 * EPOCHS, 128 * EPOCHS)
        assert all(total == 128 * EPOCHS for _, total in calls)
        assert [done for done, _ in calls] == sorted(done for done, _ in calls)
        with pytest.raises(blocks.Cancelled):
            train(sweep, cancel=lambda: True)


def test_a_cancel_on_two_threads_stops_both_and_runs_no_more_blocks(monkeypatch) -> None:
    """Two threads (one from each end of the blocks): the cancel stops the block that saw it, the other thread's
    block at its next epoch, and no thread takes another block."""
    sweep = hidden_units()
    monkeypatch.setattr(blocks, "INTERVAL", 0.0)
    monkeypatch.setattr(engine, "_LOCAL_BLOCK_MODELS", 4)  # 32 blocks
    started, progress = [], []
    block = engine.train_block

    def counted(task, hooks=None):
        started.append(len(task.architectures))
        return block(task, hooks)

    monkeypatch.setattr(engine, "train_block", counted)
    with pytest.raises(blocks.Cancelled):
        train(sweep, threads=2, progress=lambda done, total: progress.append(done),
              cancel=lambda: len(progress) >= 3)
    assert 1 <= len(started) <= 4 and max(progress) < 128 * EPOCHS / 4


def test_a_failed_block_stops_the_other_thread_at_its_next_epoch(monkeypatch) -> None:
    """No progress or cancel listens (engine.train's defaults): when one thread's block fails, as when Ctrl-C
    reaches the main thread, the block the other thread is training stops at its next epoch, and no thread
    takes another block."""
    sweep = hidden_units()
    monkeypatch.setattr(engine, "_LOCAL_BLOCK_MODELS", 4)  # 32 blocks
    trained_an_epoch = threading.Event()
    started, finished = [], []
    block, advance = engine.train_block, blocks.Hooks.advance

    lock = threading.Lock()

    def first_fails(task, hooks=None):
        with lock:
            started.append(task)
            first = len(started) == 1
        if first:
            assert trained_an_epoch.wait(20)  # the other thread's block is in flight
            raise RuntimeError("a failed block")
        finished.append(block(task, hooks))
        return finished[-1]

    def after_an_epoch(hooks, model_epochs, *, force=False):
        if model_epochs:
            trained_an_epoch.set()
            for _ in range(200):  # until the failure is seen (at most 20 s), so that the block is still running
                if hooks.stopped:
                    break
                time.sleep(0.1)
        advance(hooks, model_epochs, force=force)

    monkeypatch.setattr(engine, "train_block", first_fails)
    monkeypatch.setattr(blocks.Hooks, "advance", after_an_epoch)
    with pytest.raises(RuntimeError, match="a failed block"):
        train(sweep, threads=2)
    assert len(started) == 2 and finished == []


def test_an_interrupted_run_resumes_from_the_cache_with_the_same_bytes(tmp_path) -> None:
    params = dict(n_hidden=tuple(range(1, 129, 3)), epochs=20, reps=3)
    uninterrupted = dudl.run("ann.hidden-units", cache=False, **params)
    seen = []

    def stop_after_some_blocks() -> bool:
        context = blocks.current()
        seen.append(context.blocks_done)
        return context.blocks_done >= 3

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "INTERVAL", 0.0)
        with pytest.raises(blocks.Cancelled):
            dudl.run("ann.hidden-units", cache=tmp_path, cancel=stop_after_some_blocks, **params)
    stored = sorted(tmp_path.glob("*.block"))
    assert len(stored) >= 3
    cache = BlockCache(tmp_path)
    stored[0].write_bytes(stored[0].read_bytes()[:-10] + b"corrupted!")  # a damaged entry is recomputed
    stored[2].write_bytes(stored[1].read_bytes())  # so is an entry copied over another: whole, but not its block
    resumed = dudl.run("ann.hidden-units", cache=cache, **params)
    assert cache.hits == len(stored) - 2
    strip = {"elapsed_s": 0.0}
    assert dudl.Result(**{**vars(resumed), **strip}).to_json() == dudl.Result(**{**vars(uninterrupted),
                                                                                **strip}).to_json()


def test_a_full_disk_under_the_cache_names_the_cache_and_leaves_no_file(tmp_path, monkeypatch) -> None:
    cache, real_open = BlockCache(tmp_path), os.fdopen

    class FullDisk:
        def __init__(self, *args, **options) -> None:
            self.file = real_open(*args, **options)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *_) -> None:
            self.file.close()

        def write(self, _data: bytes) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(OSError) as error:
        cache.put("key", {"weight0": torch.zeros(3)})
    assert (error.value.errno, error.value.filename) == (errno.ENOSPC, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_makespan_gives_each_block_to_the_least_loaded_thread() -> None:
    assert engine._makespan([3, 5, 3, 4, 3], 2) == 10  # 5+3 | 4+3+3
    assert engine._makespan([3, 5, 3, 4, 3], 1) == 18
    assert engine._makespan([3, 5, 3, 4, 3], 8) == 5
    assert engine._makespan([], 2) == 0


def test_the_machine_speed_is_measured_outside_a_dry_run() -> None:
    """A dry run's engine calls only plan: the speed measurement must train for real, and plan nothing."""
    engine.machine_speed.cache_clear()
    try:
        with blocks.run_context(experiment_id="x", plan_only=True) as context:
            speed = engine.machine_speed()
        assert context.plans == [] and context.total == 0
        # 30 epochs of real training take milliseconds; a plan-only call would take microseconds
        assert 0.05 < speed < 20
    finally:
        engine.machine_speed.cache_clear()


def test_a_dry_run_estimate_is_the_plans_cost_times_the_machine_speed(monkeypatch, capsys) -> None:
    from dudl import cli

    printed = []
    for speed in (1.0, 3.0):
        monkeypatch.setattr(engine, "machine_speed", lambda speed=speed: speed)
        cli._print_plan("ann.hidden-units", {"reps": 2}, "cpu", 12.5, "local")
        printed.append(capsys.readouterr().out)
    epochs = dudl.registry.resolve("ann.hidden-units", {}).epochs
    plan = engine._plan_blocks(hidden_units()["architectures"] * 2, 150, epochs)
    costs = [epochs * engine._step_cost(padded.sizes, len(members), 150) for members, padded in plan]
    for speed, line in zip((1.0, 3.0), printed, strict=True):
        assert (f"training estimated at {engine._makespan(costs, torch.get_num_threads()) * speed:.1f} s on this "
                f"machine's CPU ({sum(costs) * speed:.1f} s of one core's work); run-size budget: at most 12 s") in line
