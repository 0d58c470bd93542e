"""The trusted comparison of records, as they come from the runner's signed lines."""
import numpy as np

from autograder.verdict import Check, compare, judge
from dgm_utils.grading import encode, record


def test_record_outside_grading_only_checks_its_arguments():
    record("a", [1.0, 2.0], atol=0.1)  # no token: nothing is sent
    for bad in ("../x", "a b", ""):
        try:
            record(bad, 1.0)
        except ValueError:
            continue
        raise AssertionError(f"record name {bad!r} accepted")


def check(value, **spec):
    return Check("x", np.asarray(value, dtype=float), **{"rtol": 1e-4, "atol": 1e-6, "low": None, "high": None, **spec})


def records(value, name="x"):
    return {name: {"spec": {}, "npy": encode(np.asarray(value))}}


def test_close_values_pass_far_values_fail_without_revealing_the_answer():
    assert compare(check([1.0, 2.0]), records([1.0, 2.0])) is None
    why = compare(check([1.0, 2.5]), records([1.0, 2.0]))
    assert "differs" in why and "index (1,)" in why and "2.5" not in why


def test_shape_nan_missing_pickle_garbage_and_range():
    assert "shape" in compare(check([1.0, 2.0]), records([1.0]))
    assert "NaN" in compare(check([1.0]), records([np.nan]))
    assert "not recorded" in compare(check([1.0]), {})
    import base64
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    assert "unreadable" in compare(check([1.0]), {"x": {"npy": base64.b64encode(buffer.getvalue()).decode()}})
    assert "unreadable" in compare(check([1.0]), {"x": {"npy": "%%% not base64"}})
    assert "unreadable" in compare(check([1.0]), {"x": "a string, not a record"})
    assert compare(check(0.4, low=0.0, high=1.0), records(0.5)) is None
    assert "outside" in compare(check(0.4, low=0.6, high=1.0), records(0.5))


def test_a_name_recorded_twice_fails():
    assert "more than once" in compare(check(1.0), records(1.0), frozenset({"x"}))


def test_points_are_the_fraction_of_checks_passed_and_records_count_in_their_own_cell_only():
    reference = {"test": [Check("a", np.array(1.0), 1e-4, 1e-6, None, None),
                          Check("b", np.array(2.0), 1e-4, 1e-6, None, None)]}
    lines = [{"index": 3, "grade_id": "test", "records": {**records(1.0, "a"), **records(5.0, "b")}}]
    verdict = judge(reference, {"test": 3.0}, lines)["test"]
    assert verdict.points == 1.5 and list(verdict.failures) == ["b"]
    assert "1 of 2 checks passed" in verdict.summary()
    elsewhere = [{"index": 1, "grade_id": None, "records": records(1.0, "a")}, {"index": 3, "grade_id": "test"}]
    assert judge(reference, {"test": 3.0}, elsewhere)["test"].points == 0
