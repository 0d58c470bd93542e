"""The automatic mutator of ``tests.mutation_score`` on small functions (no grading: that is the command's job)."""
import ast

from tests.automutants import mutations
from tests.mutation_score import cell_mutants, solution_lines, without_markers

SOURCE = '''\
def log_mean_exp(a, b, scale=2.0):
    """Docstrings and defaults outside the solution are never mutated."""
    ### BEGIN SOLUTION
    top = torch.max(a - b, dim=1).values  # a comment survives
    s = (torch.exp(a - b - top[:, None]).sum(1) / a.shape[1]).log()
    return -s.T + top if scale > 0 else s
    ### END SOLUTION
'''


def described(found):
    return {(m.kind, m.description) for m in found}


def test_every_kind_of_single_point_mutation_is_found():
    found = described(mutations(SOURCE))
    for expected in [
        ("operator", "a - b -> a + b"),
        ("operator", "scale > 0 -> scale >= 0"),
        ("argument_swap", "a - b -> b - a"),
        ("axis", "torch.max(a - b, dim=1) -> torch.max(a - b, dim=0)"),
        ("axis", "torch.exp(a - b - top[:, None]).sum(1) -> torch.exp(a - b - top[:, None]).sum(0)"),
        ("dropped_reduction", "torch.exp(a - b - top[:, None]).sum(1) -> torch.exp(a - b - top[:, None])"),
        ("dropped_reduction", "s.T -> s"),
        ("sign", "-s.T -> s.T"),
        ("constant", "2.0 -> 4.0"),
        ("sign", "2.0 -> -2.0"),
        ("constant", "1 -> 2"),  # the index a.shape[1], not an axis
    ]:
        assert expected in found, expected
    # the literal of dim=1 (line 4) is changed as an axis only, and a docstring is never touched
    assert not [m for m in mutations(SOURCE) if m.line == 4 and m.kind in ("constant", "sign")]
    assert not any("Docstrings" in d for _, d in found)


def test_a_mutation_changes_one_expression_and_keeps_the_rest():
    for mutation in mutations(SOURCE):
        tree = ast.parse(mutation.source)
        assert ast.dump(tree) != ast.dump(ast.parse(SOURCE)), mutation
        assert "# a comment survives" in mutation.source and "### END SOLUTION" in mutation.source
        changed = [i for i, (a, b) in enumerate(zip(SOURCE.split("\n"), mutation.source.split("\n"))) if a != b]
        assert changed == [mutation.line - 1], mutation


def test_only_the_solution_lines_are_mutated():
    lines = solution_lines(SOURCE)
    assert lines == {4, 5, 6}
    inside = mutations(SOURCE, lines)
    assert inside and {m.line for m in inside} <= lines
    assert ("constant", "2.0 -> 4.0") not in described(inside)  # the default scale=2.0 is given code


def test_cell_mutants_are_capped_seeded_and_numbered_as_the_student_sees_the_cell():
    first = cell_mutants("cell", SOURCE, cap=5, seed=0)
    assert len(first) == 5 and first == cell_mutants("cell", SOURCE, cap=5, seed=0)
    assert {m.description for m in first} != {m.description for m in cell_mutants("cell", SOURCE, cap=5, seed=1)}
    stripped, numbers = without_markers(SOURCE)
    assert numbers[3] == 3 and "BEGIN SOLUTION" not in stripped
    for mutant in first:
        assert "SOLUTION" not in mutant.answer
        assert mutant.answer.split("\n")[mutant.line - 1] != stripped.split("\n")[mutant.line - 1]
