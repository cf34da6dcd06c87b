"""capacity(): engram's measured-capacity protocol, through Python."""

import pytest

import engram


def test_hebbian_capacity_is_near_the_classical_value():
    r = engram.capacity("hopfield", rule="hebbian", dim=100, seed=1)
    assert set(r) == {
        "model", "dim", "capacity", "capacity_ratio", "theory", "theory_source", "probes", "options"
    }
    assert r["model"] == "hopfield-hebbian" and r["dim"] == 100
    assert abs(r["theory"] - 13.8) < 0.5 and "Amit" in r["theory_source"]
    assert 5 <= r["capacity"] <= 25
    assert r["capacity_ratio"] == r["capacity"] / 100
    passed = [p["patterns"] for p in r["probes"] if p["passed"]]
    failed = [p["patterns"] for p in r["probes"] if not p["passed"]]
    assert max(passed) == r["capacity"] and min(failed) == r["capacity"] + 1
    for p in r["probes"]:
        assert set(p) == {"patterns", "mean_overlap", "exact_fraction", "recalled_fraction", "passed"}
        assert 0.0 <= p["exact_fraction"] <= p["recalled_fraction"] <= 1.0
    assert set(r["options"]) == {
        "trials", "flip_fraction", "probes_per_trial", "max_steps", "criterion", "max_patterns", "seed"
    }
    assert r["options"]["seed"] == 1


def test_dense_memory_beats_hebbian_and_options_are_used():
    hebb = engram.capacity("hopfield", dim=64, trials=1, seed=2)
    dense = engram.capacity("dense", separation="power:3", dim=64, trials=1, probes_per_trial=20, seed=2)
    assert dense["model"] == "dam-x^3"
    assert dense["capacity"] > 2 * hebb["capacity"]
    assert dense["options"]["trials"] == 1 and dense["options"]["probes_per_trial"] == 20
    strict = engram.capacity("hopfield", dim=64, trials=1, criterion="exact:1.0", flip_fraction=0.1, seed=2)
    assert strict["options"]["criterion"] == "exact:1" and strict["options"]["flip_fraction"] == 0.1
    assert strict["capacity"] <= hebb["capacity"]


@pytest.mark.parametrize(
    "criterion, written", [("overlap:0.95", "overlap:0.95"), ("exact:0.9", "exact:0.9"), ("recalled:0.8:0.5", "recalled:0.8:0.5")]
)
def test_criterion_strings_round_trip(criterion, written):
    r = engram.capacity("hopfield", dim=32, trials=1, criterion=criterion, seed=4)
    assert r["options"]["criterion"] == written


def test_max_patterns_caps_the_search():
    r = engram.capacity("dense", separation="exp:1", dim=32, trials=1, probes_per_trial=10, max_patterns=40, seed=5)
    assert r["options"]["max_patterns"] == 40
    assert max(p["patterns"] for p in r["probes"]) <= 40
    assert r["capacity"] <= 40


def test_capacity_is_seeded():
    a = engram.capacity("hopfield", rule="storkey", dim=40, trials=1, seed=3)
    b = engram.capacity("hopfield", rule="storkey", dim=40, trials=1, seed=3)
    assert a == b
