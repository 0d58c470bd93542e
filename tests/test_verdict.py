"""The trusted comparison of records."""
import json

import numpy as np

from autograder.verdict import Check, compare, judge
from dgm_utils.grading import record


def test_record_writes_numbers_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_GRADER_RECORDS", str(tmp_path))
    record("a", [1.0, 2.0], atol=0.1)
    assert np.load(tmp_path / "a.npy", allow_pickle=False).tolist() == [1.0, 2.0]
    assert json.loads((tmp_path / "a.json").read_text())["atol"] == 0.1


def check(value, **spec):
    return Check("x", np.asarray(value, dtype=float), **{"rtol": 1e-4, "atol": 1e-6, "low": None, "high": None, **spec})


def save(folder, value):
    np.save(folder / "x.npy", np.asarray(value))


def test_close_values_pass_far_values_fail_without_revealing_the_answer(tmp_path):
    save(tmp_path, [1.0, 2.0])
    assert compare(check([1.0, 2.0]), tmp_path) is None
    why = compare(check([1.0, 2.5]), tmp_path)
    assert "differs" in why and "index (1,)" in why and "2.5" not in why


def test_shape_nan_missing_pickle_and_range(tmp_path):
    save(tmp_path, [1.0])
    assert "shape" in compare(check([1.0, 2.0]), tmp_path)
    save(tmp_path, [np.nan])
    assert "NaN" in compare(check([1.0]), tmp_path)
    (tmp_path / "x.npy").unlink()
    assert "not recorded" in compare(check([1.0]), tmp_path)
    np.save(tmp_path / "x.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    assert "unreadable" in compare(check([1.0]), tmp_path)
    save(tmp_path, 0.5)
    assert compare(check(0.4, low=0.0, high=1.0), tmp_path) is None
    assert "outside" in compare(check(0.4, low=0.6, high=1.0), tmp_path)


def test_points_are_the_fraction_of_checks_passed(tmp_path):
    np.save(tmp_path / "a.npy", np.array(1.0))
    np.save(tmp_path / "b.npy", np.array(5.0))
    reference = {"test": [Check("a", np.array(1.0), 1e-4, 1e-6, None, None),
                          Check("b", np.array(2.0), 1e-4, 1e-6, None, None)]}
    verdict = judge(reference, {"test": 3.0}, tmp_path)["test"]
    assert verdict.points == 1.5 and list(verdict.failures) == ["b"]
    assert "1 of 2 checks passed" in verdict.summary()
