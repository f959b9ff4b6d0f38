"""Write one notebook per experiment, ``notebooks/<id>.ipynb``, all from one template, without outputs.

Each notebook: what the lecture shows (the lecture module's ``LOOK_FOR``), a first cell that installs dudl where
it is missing (Colab), the run with the course's defaults (the Result shows itself: our printed lines next to the
course's, the metrics and every figure with what to look for), one "change this" cell that varies the parameter
the lecture is about, the spread over repetitions where the experiment is random, and a last cell tagged
``test`` that asserts the lecture's claim. ``make test`` runs every notebook (nbmake) and
``tests/test_notebooks.py`` checks that the committed files are exactly what this script writes.

    .venv/bin/python notebooks/build.py           # (re)write every notebook
    .venv/bin/python notebooks/build.py --check   # exit 1 and name the notebooks that differ
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dudl import registry

FOLDER = Path(__file__).resolve().parent

# Where dudl is missing (a fresh Colab runtime) the first cell installs it with pip under this name.
INSTALL_NAME = "dudl"


@dataclass(frozen=True)
class Lesson:
    """What one notebook adds to the template: the "change this" cell (``changed`` = a Result), the spread over
    repetitions (``repeated``; empty for a deterministic experiment) and the assertion of the lecture's claim
    (may use ``result``, ``changed`` and ``repeated``). ``*_text`` is the markdown above the cell."""

    change_text: str
    change: str
    test: str
    spread_text: str = ""
    spread: str = ""


def _lesson(change_text: str, change: str, test: str, spread_text: str = "", spread: str = "") -> Lesson:
    return Lesson(change_text.strip(), change.strip(), test.strip(), spread_text.strip(), spread.strip())


LESSONS: dict[str, Lesson] = {
    "math.derivatives": _lesson(
        "Give sympy another function: the derivative comes out as a formula.",
        'changed = dudl.run("math.derivatives", expression="x**3 - 2*x")\n'
        'print(changed.metrics["function"], "->", changed.metrics["derivative"])',
        'assert result.metrics["derivative"] == "4*x"\n'
        'assert changed.metrics["derivative"] == "3*x**2 - 2"\n'
        '# the sigmoid\'s slope is largest at x = 0, where it is 1/4\n'
        'assert abs(result.metric("d_sigmoid").max() - 0.25) < 1e-3',
    ),
    "math.transpose": _lesson(
        "Transpose a flat (1-D) vector instead of the course's 1x4 matrix: nothing changes.",
        'changed = dudl.run("math.transpose", vector=[1, 2, 3, 4])\n'
        'print(changed.metrics["vector_shape"], "->", changed.metrics["vector_transpose_shape"])',
        'assert list(result.metrics["matrix_shape"]) == [2, 4]\n'
        'assert list(result.metrics["matrix_transpose_shape"]) == [4, 2]\n'
        'assert result.metrics["double_transpose_equal"] and result.metrics["torch_matches_numpy"]\n'
        'assert list(changed.metrics["vector_transpose_shape"]) == [4]',
    ),
    "math.dot-product": _lesson(
        "Other vectors: 1*4 + 2*5 + 3*6 = 32, whichever way it is computed.",
        'changed = dudl.run("math.dot-product", v1=[1, 2, 3], v2=[4, 5, 6])\n'
        'print(changed.printed())',
        'assert int(result.metrics["numpy_dot"]) == -2 and result.metrics["all_equal"]\n'
        'assert int(changed.metrics["torch_dot"]) == 32 and changed.metrics["all_equal"]',
    ),
    "math.matrix-multiplication": _lesson(
        "Make C's rows match A's columns (4 instead of 3): now A@C is defined, with A's rows and C's columns.",
        'changed = dudl.run("math.matrix-multiplication", shape_c=[4, 7])\n'
        'print(dict(zip(changed.metrics["numpy_products"], changed.metrics["numpy_product_shapes"], strict=True)))',
        "def shapes(run):\n"
        '    return dict(zip(run.metrics["numpy_products"], run.metrics["numpy_product_shapes"], strict=True))\n\n\n'
        'assert shapes(result)["A@B"] == [3, 5] and shapes(result)["A@C"] is None\n'
        'assert shapes(changed)["A@C"] == [3, 7]\n'
        '# float32 times float64: the products differ only by float32 rounding, in every repetition\n'
        'assert repeated.metric("mixed_max_abs_diff").max() < 1e-5',
        "New random matrices in each of 20 repetitions: the float32 and float64 products always differ, "
        "but only in the seventh digit.",
        'repeated = dudl.run("math.matrix-multiplication", reps=20)\n'
        'print("largest difference per repetition:", repeated.metric("mixed_max_abs_diff").round(9))',
    ),
    "math.softmax": _lesson(
        "A bigger last number takes almost all of the probability: softmax exaggerates the largest input.",
        'changed = dudl.run("math.softmax", z=[1, 2, 10])\n'
        'print(changed.metric("sigma").round(4))',
        'assert abs(float(result.metrics["sigma_sum"]) - 1) < 1e-12\n'
        'assert changed.metric("sigma")[-1] > 0.99\n'
        '# in every repetition: sums to 1, PyTorch agrees, and the order of the inputs is kept\n'
        'assert abs(repeated.metric("random_sigma_sum") - 1).max() < 1e-9\n'
        'assert repeated.metric("max_abs_difference").max() < 1e-6\n'
        'assert repeated.metric("correlation").min() > 0.99',
        "Twenty sets of random numbers: the outputs always sum to 1 and PyTorch always agrees.",
        'repeated = dudl.run("math.softmax", reps=20)\n'
        'print("sums:", repeated.metric("random_sigma_sum").round(12))',
    ),
    "math.log": _lesson(
        "Use base 2 instead of e: the curve has the same shape, only stretched.",
        'changed = dudl.run("math.log", log_base=2)\n'
        'changed.figures()["log"]',
        'assert result.metrics["monotonic"]\n'
        'assert float(result.metrics["max_roundtrip_error"]) < 1e-12\n'
        'assert float(changed.metrics["max_roundtrip_error"]) < 1e-12',
    ),
    "math.entropy": _lesson(
        "An event with probability 0.5 is the most uncertain: its entropy is log(2), the largest for two "
        "outcomes.",
        'changed = dudl.run("math.entropy", p_event=0.5, probabilities=[0.5, 0.5])\n'
        'print(changed.metrics["entropy"])',
        "import math\n\n"
        'assert abs(result.metrics["entropy"] - 0.5623351446188083) < 1e-12\n'
        'assert abs(result.metrics["cross_entropy"] - math.log(4)) < 1e-12\n'
        'assert abs(result.metrics["torch_bce"] - math.log(4)) < 1e-6\n'
        'assert abs(changed.metrics["entropy"] - math.log(2)) < 1e-12',
    ),
    "math.argmin": _lesson(
        "A vector whose minimum appears twice: argmin gives the first place it appears.",
        'changed = dudl.run("math.argmin", vector=[5, -1, 7, -1])\n'
        'print(changed.printed()[:2])',
        'assert int(result.metrics["argmin"]) == 3 and int(result.metrics["argmax"]) == 1\n'
        'assert list(result.metrics["matrix_argmin_by_column"]) == [0, 0, 1]\n'
        'assert list(result.metrics["matrix_argmin_by_row"]) == [0, 2]\n'
        'assert int(changed.metrics["argmin"]) == 1',
    ),
    "math.mean-variance": _lesson(
        "A small sample of 10 numbers: dividing by n - 1 instead of n now makes a visible difference (10/9).",
        'changed = dudl.run("math.mean-variance", n_large=10)\n'
        'print(changed.metric("large_ratio"))',
        'assert abs(result.metrics["var_ddof1"] / result.metrics["var_ddof0"] - 7 / 6) < 1e-12\n'
        'assert abs(changed.metric("large_ratio")[0] - 10 / 9) < 1e-12\n'
        '# numbers 0..19 drawn uniformly have variance (20**2 - 1) / 12 = 33.25\n'
        'assert abs(repeated.metric("large_var_ddof1").mean() - 33.25) < 0.5',
        "Twenty large samples: their variances scatter around the population's, (20² - 1) / 12 = 33.25.",
        'repeated = dudl.run("math.mean-variance", reps=20)\n'
        'print(repeated.metric("large_var_ddof1").round(2))',
    ),
    "math.sampling": _lesson(
        "Samples of 5 instead of 15: their means scatter more widely around the population mean.",
        'changed = dudl.run("math.sampling", sample_size=5)\n'
        'changed.figures()["sample_means"]',
        'mean, sd = result.metrics["population_mean"], result.metrics["sd_of_sample_means"]\n'
        'assert abs(result.metrics["mean_of_sample_means"] - mean) < 0.05\n'
        'assert abs(sd / result.metrics["standard_error"] - 1) < 0.05\n'
        'assert changed.metrics["sd_of_sample_means"] > 1.5 * sd',
        "The figure above is already the spread: 10,000 repetitions of drawing a sample and taking its mean.",
        'repeated = result\n'
        'print(f"{repeated.params[\'reps\']} sample means, sd {repeated.metrics[\'sd_of_sample_means\']:.3f}")',
    ),
    "math.random-seed": _lesson(
        "Another seed gives other numbers, which again repeat every time the same seed is set.",
        'changed = dudl.run("math.random-seed", numpy_seed=18)\n'
        'print(changed.metric("global_draws").round(4))',
        "import numpy as np\n\n"
        'other = dudl.run("math.random-seed", seed=1)  # another session: the unseeded numbers change\n'
        'assert not np.array_equal(other.metric("unseeded_numpy"), result.metric("unseeded_numpy"))\n'
        'assert np.array_equal(other.metric("global_draws"), result.metric("global_draws"))  # the seeded repeat\n'
        'assert result.metrics["local_repeats_global"]\n'
        'assert not np.array_equal(changed.metric("global_draws"), result.metric("global_draws"))',
    ),
    "math.t-test": _lesson(
        "Bring the second group's mean close to the first's (1.2 instead of 2): t shrinks and p grows.",
        'changed = dudl.run("math.t-test", mu2=1.2)\n'
        'print(changed.printed())',
        'assert result.metric("t")[0] < 0 and result.metric("p")[0] < 0.05\n'
        'assert abs(changed.metric("t")[0]) < abs(result.metric("t")[0])\n'
        '# with means 1 apart and 30 and 40 people, almost every repetition finds the difference\n'
        'assert (repeated.metric("p") < 0.05).mean() > 0.9',
        "200 repetitions, each with new random groups: how often is p below 0.05?",
        'repeated = dudl.run("math.t-test", reps=200)\n'
        'print(f"p < 0.05 in {(repeated.metric(\'p\') < 0.05).mean():.0%} of the repetitions")\n'
        'repeated.figures()["t_spread"]',
    ),
    "math.derivatives2": _lesson(
        "Another pair of functions: the product rule still holds, multiplying the derivatives still does not.",
        'changed = dudl.run("math.derivatives2", f="x**3", g="x**2 + 1")\n'
        'print(changed.printed()[6:12])',
        'assert result.metrics["product_rule_holds"] and result.metrics["wrong_way_differs"]\n'
        'assert result.metrics["chain_rule_holds"]\n'
        'assert changed.metrics["product_rule_holds"] and changed.metrics["wrong_way_differs"]',
    ),
    "gd.1d": _lesson(
        "A learning rate ten times larger: the steps are bigger and the descent reaches the minimum much sooner.",
        'changed = dudl.run("gd.1d", learning_rate=0.1)\n'
        'changed.figures()["trajectory"]',
        'assert abs(result.metric("final_minimum")[0] - 0.5) < 0.01\n'
        'assert abs(changed.metric("final_minimum")[0] - 0.5) < 1e-6\n'
        '# from every random start, the descent ends within 0.01 of the minimum\n'
        'assert abs(repeated.metric("final_minimum") - 0.5).max() < 0.01',
        "Twenty random starting points: every one of them ends near x = 0.5.",
        'repeated = dudl.run("gd.1d", reps=20)\n'
        'repeated.figures()["final_spread"]',
    ),
    "gd.2d": _lesson(
        "Climb instead of descend (the code challenge): gradient ascent ends on a peak.",
        'changed = dudl.run("gd.2d", ascent=True)\n'
        'changed.figures()["trajectory"]',
        "import numpy as np\n\n"
        '# descent ends in a valley (below zero), ascent on a peak (above zero), where the slope is flat\n'
        'assert result.metric("final_value")[0] < 0 < changed.metric("final_value")[0]\n'
        'assert np.linalg.norm(result.metric("gradients")[0, -1]) < 0.01\n'
        'assert len(np.unique(repeated.metric("final_point").round(2), axis=0)) >= 2',
        "Twenty random starting points: they end in different valleys, depending on where they start.",
        'repeated = dudl.run("gd.2d", reps=20)\n'
        'repeated.figures()["final_spread"]',
    ),
    "gd.start-value": _lesson(
        "Start at exactly 0, where the slope is 0: gradient descent never moves.",
        'changed = dudl.run("gd.start-value", start=0)\n'
        'print(changed.metric("final_minimum"))',
        'assert changed.metric("final_minimum")[0] == 0\n'
        '# different starts end in different local minima\n'
        'assert len(set(repeated.metric("final_minimum").round(2))) >= 2',
        "Twenty random starts: the answer depends on where the descent starts.",
        'repeated = dudl.run("gd.start-value", reps=20)\n'
        'print(sorted(set(repeated.metric("final_minimum").round(3))))\n'
        'repeated.figures()["final_spread"]',
    ),
    "gd.dynamic-lr": _lesson(
        "Give all three schedules the same starting point, so they can be compared fairly.",
        'changed = dudl.run("gd.dynamic-lr", same_start=True)\n'
        'changed.figures()["schedules"]',
        'errors = abs(repeated.metric("final_minimum") - 0.5).mean(axis=0)  # [fixed, gradient, time]\n'
        '# the time-decaying rate, large at first and small at the end, gets closest to the minimum\n'
        'assert errors[2] < errors[0] and errors[2] < errors[1]',
        "Twenty common starting points: the mean distance from the minimum after 50 steps, per schedule.",
        'repeated = dudl.run("gd.dynamic-lr", reps=20, same_start=True)\n'
        'errors = abs(repeated.metric("final_minimum") - 0.5).mean(axis=0)\n'
        'for name, error in zip(repeated.metrics["schedules"], errors, strict=True):\n'
        '    print(f"{name:>9}: {error:.4f}")\n'
        'repeated.figures()["final_spread"]',
    ),
    "gd.parametric": _lesson(
        "Only 100 training epochs: now the small learning rates stop far from a minimum.",
        'changed = dudl.run("gd.parametric", epochs=100)\n'
        'changed.figures()["learning_rates"]',
        "import numpy as np\n\n"
        'finals = result.metric("final_by_start")\n'
        'assert len(np.unique(finals.round(1))) >= 3  # the start decides which minimum is found\n'
        'by_rate = result.metric("final_by_learning_rate")\n'
        'assert abs(by_rate[0]) < 1e-6 and abs(by_rate[-1] + 1.43) < 0.01  # a tiny rate does not move\n'
        '# after only 100 epochs a small learning rate is still far from the minimum\n'
        'assert abs(changed.metric("final_by_learning_rate")[5] - by_rate[5]) > 0.5',
    ),
    "ann.regression": _lesson(
        "Noisier data: the model still finds the trend, but the loss stays higher.",
        'changed = dudl.run("ann.regression", noise_sd=1.5)\n'
        'changed.figures()["predictions"]',
        'assert result.metric("final_loss")[0] < result.metric("losses")[0, 0]\n'
        'assert result.metric("correlation")[0] > 0.7\n'
        'assert changed.metric("final_loss")[0] > result.metric("final_loss")[0]\n'
        '# most repetitions learn; some end with a dead ReLU that predicts a constant\n'
        'assert 0.5 < 1 - repeated.metric("flat_prediction").mean()',
        "Twenty repetitions, each with new data and new starting weights.",
        'repeated = dudl.run("ann.regression", reps=20)\n'
        'print(f"constant predictions (dead ReLU): {repeated.metric(\'flat_prediction\').mean():.0%}")\n'
        'repeated.figures()["final_loss_spread"]',
    ),
    "ann.regression-slope": _lesson(
        "Noisier data (sd 1 instead of 0.5), with 10 repetitions to keep it quick.",
        'changed = dudl.run("ann.regression-slope", noise_sd=1.0, reps=10)\n'
        'changed.figures()["slope_sweep"]',
        "import numpy as np\n\n"
        'slopes, loss = result.metric("slopes"), result.metric("mean_final_loss")\n'
        'correlation = result.metric("mean_correlation")\n'
        'steep, flat = np.abs(slopes) >= 1.6, np.abs(slopes) <= 0.2\n'
        '# steeper slopes: larger loss, but also a stronger correlation between prediction and data\n'
        'assert loss[steep].mean() > loss[flat].mean()\n'
        'assert correlation[steep].mean() > correlation[flat].mean() + 0.2',
        "The default already repeats every slope 50 times; the figure above shows the spread over them.",
        'repeated = result\n'
        'print(f"constant predictions: {repeated.metric(\'flat_prediction\').mean():.0%} of the models")',
    ),
    "ann.qwerties": _lesson(
        "A ten times larger learning rate.",
        'changed = dudl.run("ann.qwerties", learning_rate=0.1)\n'
        'changed.figures()["losses"]',
        'assert result.metric("accuracy")[0] >= 85\n'
        'accuracy = repeated.metric("accuracy")\n'
        '# most models either learn (well above chance) or fail at chance (50%), and both happen often\n'
        'assert ((accuracy > 80) | (accuracy <= 51)).mean() >= 0.9\n'
        'assert 0.2 < (accuracy <= 51).mean() < 0.8',
        "The same experiment 20 times: count how often the model fails and stays at chance level.",
        'repeated = dudl.run("ann.qwerties", reps=20)\n'
        'print(f"failed (at chance): {(repeated.metric(\'accuracy\') <= 51).mean():.0%} of 20")\n'
        'repeated.figures()["accuracy_spread"]',
    ),
    "ann.learning-rates": _lesson(
        "Ten learning rates from 0.001 to 0.1, repeated 10 times (smaller than the default, to stay quick).",
        'changed = dudl.run("ann.learning-rates", learning_rates="linspace(.001,.1,10)", reps=10)\n'
        'changed.figures()["meta_accuracy"]',
        'mean = result.metric("mean_accuracy")\n'
        '# larger learning rates succeed more often, but even there some runs fail\n'
        'assert mean[-5:].mean() > mean[:5].mean() + 15\n'
        'assert 0.3 < result.metric("success_fraction").mean() < 0.95',
        "The default run already repeats the sweep 50 times: the meta-experiment figures above are its spread.",
        'repeated = result\n'
        'print(f"success fraction: {repeated.metric(\'success_fraction\').mean():.2f} on average over "\n'
        '      f"{repeated.params[\'reps\']} repetitions")',
    ),
    "ann.multilayer": _lesson(
        "Only 4 hidden units instead of 16.",
        'changed = dudl.run("ann.multilayer", n_hidden=4)\n'
        'changed.figures()["sweep"]',
        'assert result.metrics["demo_accuracy"] >= 95\n'
        'assert result.metric("success_fraction")[0] > 0.5\n'
        'assert repeated.metric("success_fraction").mean() > 0.5',
        "Five repetitions of a smaller sweep (10 learning rates), to see how much the success fraction varies.",
        'repeated = dudl.run("ann.multilayer", reps=5, learning_rates="linspace(.001,.1,10)")\n'
        'print("success fraction per repetition:", repeated.metric("success_fraction"))',
    ),
    "ann.linear-vs-nonlinear": _lesson(
        "Fewer learning rates and 3 repetitions: the linear model succeeds at least as often.",
        'changed = dudl.run("ann.linear-vs-nonlinear", learning_rates="linspace(.001,.1,10)", reps=3)\n'
        'changed.figures()["sweep"]',
        "import numpy as np\n\n"
        '# without nonlinearities, the three layers are one linear layer (up to float32 rounding)\n'
        'assert np.nanmax(result.metric("collapse_max_abs_diff")) < 1e-5\n'
        'success = changed.metric("success_fraction").mean(axis=0)  # [nonlinear, linear]\n'
        'assert success[1] >= success[0]',
    ),
    "ann.iris": _lesson(
        "A hundred times smaller learning rate: after 1000 epochs the model has not learned much yet.",
        'changed = dudl.run("ann.iris", learning_rate=0.0001)\n'
        'changed.figures()["training"]',
        "import numpy as np\n\n"
        'assert result.metric("accuracy")[0] >= 95\n'
        'assert np.allclose(result.metric("probabilities").sum(axis=-1), 1, atol=1e-6)  # softmax rows sum to 1\n'
        'assert changed.metric("accuracy")[0] < result.metric("accuracy")[0]\n'
        'assert repeated.metric("accuracy").min() > 90',
        "Five repetitions with new starting weights.",
        'repeated = dudl.run("ann.iris", reps=5)\n'
        'repeated.figures()["accuracy_spread"]',
    ),
    "ann.qwerties-3class": _lesson(
        "Remove the course's double softmax (2000 epochs here, to stay quick): the loss can now go lower.",
        'changed = dudl.run("ann.qwerties-3class", double_softmax=False, epochs=2000)\n'
        'changed.figures()["training"]',
        "import numpy as np\n\n"
        'assert result.metric("accuracy")[0] >= 85\n'
        'assert np.allclose(result.metric("probabilities").sum(axis=-1), 1, atol=1e-6)\n'
        '# with the double softmax the loss cannot go below about 0.551\n'
        'assert result.metric("final_loss")[0] > 0.55 > changed.metric("final_loss")[0]',
        "Five repetitions (2000 epochs each): how much the accuracy varies with the starting weights.",
        'repeated = dudl.run("ann.qwerties-3class", reps=5, epochs=2000)\n'
        'repeated.figures()["accuracy_spread"]',
    ),
    "ann.hidden-units": _lesson(
        "A coarser width sweep (every 16th width) trained for 500 epochs instead of 150.",
        'changed = dudl.run("ann.hidden-units", n_hidden="arange(1,129,16)", epochs=500)\n'
        'changed.figures()["accuracy_by_hidden_units"]',
        "import numpy as np\n\n"
        'width, accuracy = result.metric("n_hidden"), result.metric("accuracy")[0]\n'
        '# a few hidden units are not enough; wide layers do well\n'
        'assert accuracy[width >= 64].mean() > accuracy[width <= 4].mean() + 20\n'
        'assert np.nanmean(repeated.metric("accuracy")[:, -1]) > 80',
        "Three repetitions of a coarser sweep.",
        'repeated = dudl.run("ann.hidden-units", reps=3, n_hidden="arange(1,129,16)")\n'
        'repeated.figures()["accuracy_by_hidden_units"]',
    ),
    "ann.num-parameters": _lesson(
        "A deeper net of wider layers: more nodes and many more parameters.",
        'changed = dudl.run("ann.num-parameters", deep_layers=[2, 4, 4, 3])\n'
        'print(changed.metrics["deep_nodes"], "nodes,", changed.metrics["deep_params"], "parameters")',
        'assert result.metrics["wide_nodes"] == result.metrics["deep_nodes"] == 7\n'
        'assert (result.metrics["wide_params"], result.metrics["deep_params"]) == (27, 21)\n'
        'assert changed.metrics["deep_params"] == 12 + 20 + 15',
    ),
    "ann.seq-vs-class": _lesson(
        "Let the class start from its own random weights: the two models now differ, run by run.",
        'changed = dudl.run("ann.seq-vs-class", paired=False)\n'
        'changed.figures()["losses"]',
        'assert result.metric("max_abs_loss_difference")[0] == 0  # the same model, the same numbers\n'
        'assert changed.metric("max_abs_loss_difference")[0] > 0\n'
        'assert (repeated.metric("max_abs_loss_difference") == 0).all()',
        "Ten repetitions: in every one the two definitions give exactly the same losses.",
        'repeated = dudl.run("ann.seq-vs-class", reps=10)\n'
        'repeated.figures()["accuracy_spread"]',
    ),
    "ann.seq2class": _lesson(
        "A smaller sweep (10 learning rates), with the class given its own starting weights.",
        'changed = dudl.run("ann.seq2class", learning_rates="linspace(.001,.1,10)", paired=False)\n'
        'changed.figures()["sweep"]',
        'assert result.metric("max_abs_loss_difference")[0] == 0\n'
        'assert changed.metric("max_abs_loss_difference")[0] > 0\n'
        'assert result.metric("success_fraction").min() > 0.5',
    ),
    "ann.breadth-vs-depth": _lesson(
        "Fewer widths and the ReLU after the input layer left out, as in the video's code.",
        'changed = dudl.run("ann.breadth-vs-depth", n_units="arange(4,101,24)", relu_after_input=False)\n'
        'changed.figures()',
        'accuracy = result.metric("accuracy")[0]  # [layers, units]\n'
        'assert accuracy[0, -10:].mean() > 90  # one wide hidden layer is enough for iris\n'
        '# the number of parameters says little about the accuracy\n'
        'assert abs(result.metric("params_accuracy_correlation")[0]) < 0.5\n'
        'assert result.metrics["demo_accuracy"] > 90',
    ),
    "overfit.manual": _lesson(
        'Split by taking the first 80% of the rows instead of a random 80%: iris is sorted by species.',
        'changed = dudl.run("overfit.manual", split_method="first")\n'
        'print(changed.printed()[-1])',
        'assert result.metric("train_accuracy")[0] > 90 and result.metric("test_accuracy")[0] > 85\n'
        '# the test set of the unshuffled split holds only virginica, which training hardly saw\n'
        'assert float(changed.metric("label_mean_test")[0]) == 2\n'
        'assert changed.metric("test_accuracy")[0] < result.metric("test_accuracy")[0]',
        "Ten random splits: the test accuracy depends on which 30 flowers land in the test set.",
        'repeated = dudl.run("overfit.manual", reps=10)\n'
        'repeated.figures()["test_accuracy_spread"]',
    ),
    "overfit.sklearn": _lesson(
        "Split anew in every epoch, as the original notebook did: over the epochs the model sees every flower.",
        'changed = dudl.run("overfit.sklearn", resplit_every_epoch=True)\n'
        'changed.figures()',
        'assert list(result.metrics["fake_train_shape"]) == [8, 4]\n'
        'assert result.metric("demo_test_accuracy_by_epoch")[-1] > 80\n'
        'assert repeated.metric("test_accuracy").mean() > 70',
        "Five repetitions of the training-proportion sweep.",
        'repeated = dudl.run("overfit.sklearn", reps=5)\n'
        'repeated.figures()["test_accuracy_spread"]',
    ),
    "overfit.dataloader": _lesson(
        "Bigger mini-batches (30 flowers): fewer, smoother steps per epoch.",
        'changed = dudl.run("overfit.dataloader", batch_size=30)\n'
        'changed.figures()',
        'assert result.metrics["n_batches"] == 10  # 120 training flowers in batches of 12\n'
        'assert result.metric("test_accuracy")[0] > 85\n'
        'assert changed.metrics["n_batches"] == 4\n'
        'assert repeated.metric("test_accuracy").mean() > 85',
        "Five repetitions, each with its own split and starting weights.",
        'repeated = dudl.run("overfit.dataloader", reps=5)\n'
        'repeated.figures()["test_accuracy_spread"]',
    ),
    "overfit.train-dev-test": _lesson(
        "Other proportions: 60% train, 20% devset, 20% test.",
        'changed = dudl.run("overfit.train-dev-test", partitions=[0.6, 0.2, 0.2])\n'
        'print(changed.metrics["numpy_shapes"])',
        'assert [list(shape) for shape in result.metrics["numpy_shapes"]] == [[8, 4], [1, 4], [1, 4]]\n'
        'assert list(result.metrics["partition_boundaries"]) == [8, 9, 10]\n'
        'assert [list(shape) for shape in changed.metrics["numpy_shapes"]] == [[6, 4], [2, 4], [2, 4]]',
    ),
    "overfit.regression": _lesson(
        "Use only 20% of the points for training: the test loss moves away from the training loss.",
        'changed = dudl.run("overfit.regression", train_proportion=0.2)\n'
        'changed.figures()',
        'assert result.metric("train_loss")[0] < result.metric("losses")[0, 0]\n'
        'assert abs(result.metric("test_loss")[0] - result.metric("train_loss")[0]) < 0.5\n'
        'assert repeated.metric("test_loss").mean() > 0.5',
        "Twenty repetitions: the gap between test and training loss varies from split to split.",
        'repeated = dudl.run("overfit.regression", reps=20)\n'
        'print("test - train loss:", (repeated.metric("test_loss") - repeated.metric("train_loss")).round(2))\n'
        'repeated.figures()["test_loss_spread"]',
    ),
    "overfit.kfold": _lesson(
        "Ten folds instead of five: each test fold holds 15 flowers.",
        'changed = dudl.run("overfit.kfold", k=10)\n'
        'changed.figures()["fold_accuracy"]',
        'assert result.metric("mean_test_accuracy")[0] > 90\n'
        'assert list(changed.metrics["fold_test_sizes"]) == [15] * 10\n'
        'assert repeated.metric("mean_test_accuracy").min() > 85',
        "Five repetitions of the whole cross-validation, each with its own shuffle.",
        'repeated = dudl.run("overfit.kfold", reps=5)\n'
        'repeated.figures()["mean_accuracy_spread"]',
    ),
}


def notebook(experiment_id: str) -> nbformat.NotebookNode:
    """The notebook of one experiment (no outputs; cell ids fixed so the file is the same on every build)."""
    item = registry.entry(experiment_id)
    lesson = LESSONS[experiment_id]
    look_for = item.load().LOOK_FOR
    cells = [
        _markdown("about", f"# {experiment_id}: {item.purpose}\n\nReproduces {item.lecture}.\n\n{look_for}\n\n"
                  "Run the cells from the top. In Colab the first cell installs dudl."),
        _code("install", "# Install dudl where it is missing (a fresh Colab runtime); elsewhere this does nothing.\n"
              "import importlib.util\n\n"
              'if importlib.util.find_spec("dudl") is None:\n'
              f"    %pip install --quiet {INSTALL_NAME}"),
        _markdown("run-text", "## The lecture's run, with the course's defaults\n\n"
                  "What dudl printed next to what the course printed (the course's random numbers came from one "
                  "unseeded run, so those differ), the main numbers, and every figure with what to look for."),
        _code("run", f'import dudl\n\nresult = dudl.run("{experiment_id}")\nresult'),
        _markdown("change-text", f"## Change this\n\n{lesson.change_text}"),
        _code("change", lesson.change),
    ]
    if lesson.spread:
        cells += [_markdown("spread-text", f"## The spread over repetitions\n\n{lesson.spread_text}"),
                  _code("spread", lesson.spread)]
    cells += [_markdown("test-text", "## The lecture's claim\n\nThe last cell checks what the lecture shows; "
                        "`make test` runs every notebook and fails if an assertion does."),
              _code("test", lesson.test, tags=["test"])]
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "colab": {"provenance": []},
    }
    return book


def _markdown(cell_id: str, text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = cell_id
    return cell


def _code(cell_id: str, source: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    if tags:
        cell.metadata["tags"] = tags
    return cell


def text(experiment_id: str) -> str:
    """The notebook's file content, as written to ``notebooks/<id>.ipynb``."""
    return nbformat.writes(notebook(experiment_id)) + "\n"


def main(argv: list[str]) -> int:
    """Write every notebook whose content differs from the template (the JSON, not its formatting), or with
    ``--check`` name them and exit 1."""
    check = "--check" in argv
    stale = []
    for experiment_id in registry.experiments():
        path = FOLDER / f"{experiment_id}.ipynb"
        content = text(experiment_id)
        if path.exists() and json.loads(path.read_text(encoding="utf-8")) == json.loads(content):
            continue
        stale.append(path.name)
        if not check:
            path.write_text(content, encoding="utf-8")
    if check and stale:
        print(f"notebooks differ from notebooks/build.py: {', '.join(stale)}; run it to rewrite them")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
