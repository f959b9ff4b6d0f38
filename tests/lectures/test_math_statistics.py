"""math.argmin, math.mean-variance, math.sampling, math.random-seed and math.t-test: the spec's printed lines
exactly, the course's seeded numbers, the random lectures as distributions over many seeds (batched via reps),
seeding, bad input from the CLI (through the API: test_every_experiment.py) and figures from the JSON round
trip."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

import dudl
from dudl.core import seeding


def z_bound(sd: float, n: int = 1) -> float:
    """Four standard errors of a mean of ``n`` draws with standard deviation ``sd``: a bound the tests' seeded
    draws pass and a wrong distribution fails."""
    return 4 * sd / np.sqrt(n)


def bad_cli_input(cli, tmp_path: Path, *args: str) -> str:
    """Run `dudl run ARGS...` with bad input: exit status 2, one stderr line, nothing written; the line."""
    proc = cli("run", *args)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dudl: error: ")
    assert list(tmp_path.iterdir()) == []
    return lines[0]


# ---------------------------------------------------------------------------------------------------
# math.argmin


def test_argmin_prints_the_course_output_and_its_values(spec_output, draw) -> None:
    result = dudl.run("math.argmin")
    assert result.printed() == spec_output("math.argmin")[0]
    m = draw(result, set()).metrics  # no figures; the metrics after the JSON round trip
    assert (m["min_value"], m["max_value"], m["argmin"], m["argmax"]) == (-3, 40, 3, 1)
    assert all(isinstance(m[name], int) for name in ("min_value", "max_value", "argmin", "argmax", "matrix_min"))
    assert m["matrix_min"] == 0 and m["matrix_argmin"] == 0
    for name, expected in [("matrix_min_by_column", [0, 1, 5]), ("matrix_min_by_row", [0, 5]),
                           ("matrix_argmin_by_column", [0, 0, 1]), ("matrix_argmin_by_row", [0, 2])]:
        assert m[name].dtype == np.int64 and m[name].tolist() == expected, name
    assert m["torch_matches_numpy"] is True


def test_argmin_flat_index_axes_ties_and_floats() -> None:
    m = dudl.run("math.argmin", vector=[2, 1, 1, 5, 5], matrix=[[3, 2, 9], [1, 4, 1]]).metrics
    assert (m["argmin"], m["argmax"]) == (1, 3)  # ties: the first occurrence, in both libraries
    assert m["matrix_argmin"] == 3  # row-major: row 1, column 0
    assert m["matrix_argmin_by_column"].tolist() == [1, 0, 1] and m["matrix_argmin_by_row"].tolist() == [1, 0]
    assert m["torch_matches_numpy"] is True
    # a float list: float64 in numpy, float32 in PyTorch (docs/spec/math-section.md#data-types), and each library
    # prints its own values
    result = dudl.run("math.argmin", vector=[0.1, 2, -0.3], matrix=[[1.5, 2], [0.5, 3]])
    m, lines = result.metrics, result.printed()
    assert (m["min_value"], m["max_value"], m["matrix_min"]) == (-0.3, 2.0, 0.5)
    assert m["matrix_min_by_column"].tolist() == [0.5, 2.0] and m["torch_matches_numpy"] is True
    assert lines[3] == "Min val is -0.3, max val is 2.0"
    assert lines[19] == "Min val is -0.30000001192092896, max val is 2.0"  # float32 -0.3
    assert lines[:2] == lines[16:18] == ["Min,max: -0.3,2", "Min,max indices: 2,1"]
    assert lines[-2:] == ["tensor([0.5000, 2.0000])", "tensor([1, 0])"]


def test_argmin_ragged_matrix_from_the_cli(cli, tmp_path: Path) -> None:
    line = bad_cli_input(cli, tmp_path, "math.argmin", "--param", "matrix=[[1,2],[3]]")
    assert "rows of equal length" in line


# ---------------------------------------------------------------------------------------------------
# math.mean-variance


def test_mean_variance_prints_the_course_values(spec_output, draw) -> None:
    result = dudl.run("math.mean-variance")
    lines, m = result.printed(), result.metrics
    assert draw(result, set()).printed() == lines  # no figures; the same lines from the JSON round trip
    assert lines[:6] == spec_output("math.mean-variance")[0]
    assert m["mean"] == m["mean_manual"] == np.mean([1, 2, 4, 6, 5, 4, 0]) == 22 / 7
    assert m["var_ddof0"] == 4.122448979591836 and m["var_manual"] == m["var_ddof1"] == 4.809523809523809
    # the large sample: two variances of repetition 0, the second N/(N-1) times the first
    large = seeding.numpy_rng(seeding.key(0, seeding.DATA, 0)).integers(0, 20, size=10000)
    assert lines[6:] == [str(np.var(large)), str(np.var(large, ddof=1))]
    np.testing.assert_allclose(m["large_ratio"], [10000 / 9999], rtol=1e-13)


@pytest.mark.slow
def test_mean_variance_large_sample_is_unbiased_over_seeds() -> None:
    """ddof 1 is unbiased: over 400 repetitions of N = 500 integers 0..19 its mean is near (20² − 1)/12."""
    n, reps = 500, 400
    result = dudl.run("math.mean-variance", n_large=n, reps=reps, seed=3)
    var1 = result.metrics["large_var_ddof1"]
    k = np.arange(20)
    sigma2, mu4 = np.var(k), np.mean((k - k.mean()) ** 4)  # 33.25 and the fourth central moment
    sd_of_s2 = np.sqrt((mu4 - sigma2**2 * (n - 3) / (n - 1)) / n)
    assert sigma2 == 33.25 and abs(var1.mean() - sigma2) < z_bound(sd_of_s2, reps)
    assert abs(var1.std() / sd_of_s2 - 1) < 0.15
    np.testing.assert_allclose(result.metrics["large_ratio"], n / (n - 1), rtol=1e-13)
    assert result.printed()[-1].startswith(f"Large-sample variance (ddof 0) over {reps} reps: mean 33.")


def test_mean_variance_seeds() -> None:
    three = dudl.run("math.mean-variance", reps=3, seed=5).metrics["large_var_ddof0"]
    five = dudl.run("math.mean-variance", reps=5, seed=5).metrics["large_var_ddof0"]
    np.testing.assert_array_equal(five[:3], three)  # repetition r whatever reps is
    assert len(np.unique(five)) == 5
    assert not np.array_equal(dudl.run("math.mean-variance", reps=3, seed=6).metrics["large_var_ddof0"], three)


# ---------------------------------------------------------------------------------------------------
# math.sampling

POPULATION = [1, 2, 4, 6, 5, 4, 0, -4, 5, -2, 6, 10, -9, 1, 3, -6]


def test_sampling_means_pile_up_around_the_population_mean(draw) -> None:
    """The course's 10000 experiments: the mean of the sample means is within 4 standard errors (of that mean)
    of the population mean, and their sd is the theory's σ/√15."""
    result = dudl.run("math.sampling", seed=2)
    m = result.metrics
    assert m["population_mean"] == 1.625 and m["population_sd"] == np.std(POPULATION)
    assert f"{m['population_sd']:.4f} {m['standard_error']:.4f}" == "4.7681 1.2311"  # the spec's values
    means = m["sample_means"]
    assert means.shape == (10000,) and m["mean_of_sample_means"] == means.mean()
    assert abs(means.mean() - 1.625) < z_bound(m["standard_error"], means.size)
    assert abs(m["sd_of_sample_means"] / m["standard_error"] - 1) < z_bound(1 / np.sqrt(2 * (means.size - 1)))
    assert np.allclose(means * 15, np.round(means * 15))  # sums of 15 integers
    # the demonstration: 5 members of the population, its mean a multiple of .2
    assert np.isin(m["demo_sample"], POPULATION).all() and m["demo_sample_mean"] == np.mean(m["demo_sample"])
    assert result.printed() == [
        "1.625", str(m["demo_sample_mean"]),
        f"Mean of 10000 sample means: {means.mean():.4f} (sd {means.std():.4f}, expected 1.2311)"]
    figure = draw(result, {"sample_means"}).figures()["sample_means"]
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Sample mean", "Count")
    bars = ax.patches
    assert len(bars) == 40 and np.isclose(sum(b.get_height() * b.get_width() for b in bars), 1)  # a density
    line = ax.lines[0]
    assert line.get_xdata().tolist() == [1.625, 1.625] and line.get_ydata().tolist() == [0, 0.3]
    assert (line.get_color(), line.get_linestyle()) == ("m", "--")


@pytest.mark.slow
def test_sampling_demo_means_spread_over_seeds() -> None:
    """The demonstration mean of 5 draws: mean 1.625 and sd σ/√5 = 2.13 over seeds (one run per seed)."""
    demo = np.array([dudl.run("math.sampling", reps=1, seed=seed).metrics["demo_sample_mean"] for seed in range(300)])
    sd = np.std(POPULATION) / np.sqrt(5)
    assert f"{sd:.2f}" == "2.13" and abs(demo.mean() - 1.625) < z_bound(sd, demo.size)
    assert np.allclose(demo * 5, np.round(demo * 5)) and demo.min() >= -9 and demo.max() <= 10


def test_sampling_without_replacement_and_seeds() -> None:
    whole = dudl.run("math.sampling", replace=False, sample_size=16, demo_sample_size=16, reps=20).metrics
    assert (whole["sample_means"] == 1.625).all() and whole["sd_of_sample_means"] == 0  # every sample: all of x
    assert sorted(whole["demo_sample"].tolist()) == sorted(POPULATION)
    five = dudl.run("math.sampling", reps=5, seed=9).metrics
    eight = dudl.run("math.sampling", reps=8, seed=9).metrics
    np.testing.assert_array_equal(eight["sample_means"][:5], five["sample_means"])
    np.testing.assert_array_equal(eight["demo_sample"], five["demo_sample"])
    assert not np.array_equal(dudl.run("math.sampling", reps=5, seed=10).metrics["sample_means"],
                              five["sample_means"])


def test_sampling_too_large_a_sample_from_the_cli(cli, tmp_path: Path) -> None:
    line = bad_cli_input(cli, tmp_path, "math.sampling", "--param", "replace=false", "--param", "sample_size=20")
    assert "sample_size (20) must be <= len(x) (16)" in line


# ---------------------------------------------------------------------------------------------------
# math.random-seed


def global_states() -> tuple[tuple, torch.Tensor]:
    """numpy's and torch's global random states."""
    return np.random.get_state(), torch.random.get_rng_state()


def assert_same_states(before: tuple[tuple, torch.Tensor], after: tuple[tuple, torch.Tensor]) -> None:
    (numpy_before, torch_before), (numpy_after, torch_after) = before, after
    assert numpy_before[0] == numpy_after[0] and numpy_before[2:] == numpy_after[2:]
    np.testing.assert_array_equal(numpy_before[1], numpy_after[1])
    assert torch.equal(torch_before, torch_after)


def test_random_seed_reproduces_the_course_numbers_without_touching_global_state(spec_output, draw) -> None:
    np.random.seed(123)  # some global state, which the run must leave as it is
    torch.manual_seed(456)
    before = global_states()
    default, published = dudl.run("math.random-seed"), dudl.run("math.random-seed", seed_global=False, reps=3)
    assert_same_states(before, global_states())
    published_block, seeded_block, torch_block = spec_output("math.random-seed")
    lines = default.printed()
    assert draw(default, set()).printed() == lines  # no figures; the same lines from the JSON round trip
    assert len(lines) == 11 and lines[0].startswith("array([") and lines[8].startswith("tensor([")
    assert lines[1:8] == seeded_block and lines[9:] == torch_block
    m = default.metrics
    assert m["local_repeats_global"] is True
    np.testing.assert_array_equal(m["local_draws"][[0, 2]], m["global_draws"])
    # the published run: no np.random.seed(17), so its fifth line is unseeded
    lines = published.printed()
    assert lines[1:5] == published_block[:4] and lines[5] != seeded_block[-1]
    m = published.metrics
    assert m["global_draws"] is None and m["local_repeats_global"] is None
    # unseeded, step 4 and step 6 continue each repetition's stream after step 1
    stream = seeding.numpy_rng(seeding.key(0, seeding.DATA, 1)).standard_normal(15).reshape(3, 5)
    for row, name in zip(stream, ("unseeded_numpy", "global_next", "numpy_after_torch_seed"), strict=True):
        np.testing.assert_array_equal(m[name][1], row)


def test_random_seed_local_generators_and_torch() -> None:
    before = global_states()
    m = dudl.run("math.random-seed", local_generator="default_rng", numpy_seed=3, second_numpy_seed=4,
                 torch_seed=2**63 - 1, n_numbers=3).metrics
    assert_same_states(before, global_states())
    first, second = np.random.default_rng(3), np.random.default_rng(4)
    expected = [g.standard_normal(3) for g in (first, second, first, second)]
    np.testing.assert_array_equal(m["local_draws"], expected)
    assert m["local_repeats_global"] is False  # PCG64's numbers differ from the legacy MT19937's
    np.testing.assert_array_equal(m["global_draws"], np.random.RandomState(3).randn(6).reshape(2, 3))
    assert m["torch_draws"].tolist() == torch.randn(3, generator=torch.Generator().manual_seed(2**63 - 1)).tolist()


@pytest.mark.slow
def test_random_seed_unseeded_draws_are_standard_normal_and_seeded_ones_repeat() -> None:
    reps = 400
    result = dudl.run("math.random-seed", reps=reps, seed=7)
    m = result.metrics
    for name in ("unseeded_numpy", "unseeded_torch"):
        draws = m[name]
        assert draws.shape == (reps, 5) and len(np.unique(draws, axis=0)) == reps
        assert abs(draws.mean()) < z_bound(1, draws.size) and abs(draws.std() - 1) < z_bound(1 / np.sqrt(2), draws.size)
    # with seed_global, steps 4 and 6 are the seeded stream's third and fourth draws in every repetition
    legacy = np.random.RandomState(17).randn(20).reshape(4, 5)
    assert (m["global_next"] == legacy[2]).all() and (m["numpy_after_torch_seed"] == legacy[3]).all()
    assert result.printed()[-1] == (f"Unseeded draws over {reps} repetitions: {reps} different numpy draws and "
                                    f"{reps} different torch draws; the seeded draws are the same in every repetition")
    # repetition r whatever reps is; another seed changes only the unseeded draws
    three = dudl.run("math.random-seed", reps=3, seed=7).metrics
    other = dudl.run("math.random-seed", reps=3, seed=8).metrics
    for name in ("unseeded_numpy", "unseeded_torch"):
        np.testing.assert_array_equal(m[name][:3], three[name])
        assert not np.isin(other[name], three[name]).any()
    np.testing.assert_array_equal(other["local_draws"], three["local_draws"])
    np.testing.assert_array_equal(other["torch_draws"], three["torch_draws"])


# ---------------------------------------------------------------------------------------------------
# math.t-test


def test_t_test_follows_the_course_and_scipy(draw) -> None:
    result = dudl.run("math.t-test")
    m = result.metrics
    rng = seeding.numpy_rng(seeding.key(0, seeding.DATA, 0))  # the course's order of draws
    data1, data2 = 1 + rng.standard_normal(30), 2 + rng.standard_normal(40)
    jitter1, jitter2 = rng.standard_normal(30) / 15, rng.standard_normal(40) / 15
    for name, expected in [("data1", data1), ("data2", data2), ("jitter1", jitter1), ("jitter2", jitter2)]:
        np.testing.assert_array_equal(m[name], [expected])
    t, p = stats.ttest_ind(data1, data2)
    assert m["t"].tolist() == [t] and m["p"].tolist() == [p] and m["df"].tolist() == [68.0]
    assert result.printed() == [str(t), str(p)]
    loaded = draw(result, {"data", "t_test"})
    assert loaded.printed() == result.printed()
    figures = loaded.figures()
    plain, jittered = figures["data"].axes[0], figures["t_test"].axes[0]
    for ax, x1, x2 in [(plain, np.zeros(30), np.ones(40)), (jittered, jitter1, 1 + jitter2)]:
        red, blue = ax.lines
        np.testing.assert_array_equal(red.get_xdata(), x1)
        np.testing.assert_array_equal(blue.get_xdata(), x2)
        np.testing.assert_array_equal(blue.get_ydata(), data2)
        assert (red.get_color(), red.get_marker(), blue.get_color(), blue.get_marker()) == ("r", "o", "b", "s")
        assert red.get_markerfacecolor() == "w" and red.get_markersize() == 14
        assert ax.get_xlim() == (-1, 2) and [t.get_text() for t in ax.get_xticklabels()] == ["Group 1", "Group 2"]
    assert plain.get_title() == "" and jittered.get_title() == f"t = {t:.2f}, p=0.000"
    assert tuple(figures["t_test"].get_size_inches()) == (10, 4)
    assert jittered.title.get_fontsize() == 12 and jittered.get_xticklabels()[0].get_fontsize() == 12


@pytest.mark.slow
def test_t_test_rejects_at_alpha_under_the_null() -> None:
    """Equal means: p < .05 in 5% of 1000 repetitions, within 4 binomial standard deviations, for Student's and
    Welch's test; and p is uniform (its mean near 1/2)."""
    reps = 1000
    for equal_var in (True, False):
        result = dudl.run("math.t-test", mu2=1, reps=reps, seed=11, equal_var=equal_var)
        p = result.metrics["p"]
        assert abs(np.mean(p < 0.05) - 0.05) < z_bound(np.sqrt(0.05 * 0.95), reps)
        assert abs(p.mean() - 0.5) < z_bound(np.sqrt(1 / 12), reps)
        assert result.printed()[-1] == (f"Median t over {reps} repetitions: {np.median(result.metrics['t']):.2f}; "
                                        f"p < .05 in {np.sum(p < 0.05)} of {reps}")
    welch_df = result.metrics["df"]
    assert (welch_df < 68).all() and (welch_df > 29).all() and len(np.unique(welch_df)) == reps


@pytest.mark.slow
def test_t_test_power_when_the_means_differ() -> None:
    """The defaults: t is noncentral t (68 df, noncentrality −1/√(1/30 + 1/40) = −4.14); power about 98%."""
    reps = 1000
    m = dudl.run("math.t-test", reps=reps, seed=12).metrics
    nc, critical = -1 / np.sqrt(1 / 30 + 1 / 40), stats.t.ppf(0.975, 68)
    power = stats.nct.cdf(-critical, 68, nc) + stats.nct.sf(critical, 68, nc)
    assert f"{nc:.2f}" == "-4.14" and round(power, 2) == 0.98
    assert abs(np.mean(m["p"] < 0.05) - power) < z_bound(np.sqrt(power * (1 - power)), reps)
    assert abs(np.median(m["t"]) - stats.nct.median(68, nc)) < 0.15


def test_t_test_seeds() -> None:
    four = dudl.run("math.t-test", reps=4, seed=3).metrics
    two = dudl.run("math.t-test", reps=2, seed=3).metrics
    for name in ("data1", "data2", "t", "p", "jitter1", "jitter2"):
        np.testing.assert_array_equal(four[name][:2], two[name])
    assert len(np.unique(four["t"])) == 4
    assert not np.isin(dudl.run("math.t-test", reps=2, seed=4).metrics["t"], two["t"]).any()


def test_t_test_extreme_values_are_data_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        identical = dudl.run("math.t-test", sd1=1e-30, sd2=1e-30).metrics  # scipy: catastrophic cancellation
        far = dudl.run("math.t-test", jitter_divisor=1e-320).metrics  # the jitter overflows
    assert identical["t"][0] == -np.inf and identical["p"][0] == 0
    assert np.isinf(far["jitter1"]).any() and np.isfinite(far["t"]).all()
