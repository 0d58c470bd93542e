"""No assignment gives away another's answer (``autograder.leaks``): syntax trees, not text."""
import json
import textwrap
import tomllib
from pathlib import Path

import nbformat
import pytest

from autograder.bundle import build, leaks
from autograder.course import Course
from autograder.leaks import KNOWN, check_source, course_leaks, graded_tasks

COURSE = Course()
TASKS = graded_tasks(COURSE)
BEFORE_FIX = json.loads((Path(__file__).parent / "data" / "leaks_before_fix.json").read_text())
A04, A05, A06 = "04_latent_variable_models", "05_elbo_em", "06_amortized_inference"


def found(source, owner=A06, where="cell"):
    """``{(kind, task)}`` of the leaks in ``source``, public code of ``owner`` (or a module at ``where``)."""
    return {(leak.kind, leak.task.name if leak.task else "") for leak in check_source(where, source, TASKS, owner, COURSE)}


def old_cell(assignment, index):
    """A public cell of the release before the fix (``tests/data/leaks_before_fix.json``, from git)."""
    return next(c["source"] for c in BEFORE_FIX["cells"] if c["assignment"] == assignment and c["cell"] == index)


def test_course_gives_away_no_answer():
    new = [str(leak) for leak in course_leaks(COURSE) if not leak.known]
    assert not new, "\n".join(new)


def test_known_leaks_are_still_there():
    """KNOWN lists leaks that code outside this change holds; once fixed, the entry goes."""
    fixed = set(KNOWN) - {leak.key for leak in course_leaks(COURSE)}
    assert not fixed, f"fixed, remove from autograder.leaks.KNOWN: {fixed}"


def test_the_leaks_before_the_fix_are_caught():
    """The release of commit 5b95942: 06's given code shipped 05's graded ppca_closed_form; a visible test of 05
    built 04's PPCA posterior from 04's graded marginal covariance W W^T + sigma^2 I; others computed 05's E-step."""
    assert {("name", "ppca_closed_form"), ("fragment", "ppca_closed_form")} <= found(old_cell(A06, 3), A06)
    assert ("fragment", "elbo_estimate") in found(old_cell(A06, 6), A06)  # its reparameterization: elbo_estimate's now
    assert ("fragment", "ppca_marginal") in found(old_cell(A05, 7), A05)
    assert ("fragment", "ppca_marginal") in found(old_cell(A05, 16), A05)
    for index in (5, 10, 11):  # log pi_k + log N(x | mu_k, Sigma_k): the mixture's joint, inside 05's ELBO and E-step
        assert {("fragment", "mixture_log_joint"), ("fragment", "mixture_elbo"), ("fragment", "e_step")} \
            <= found(old_cell(A05, index), A05), index
    assert ("fragment", "e_step") in found(old_cell(A05, 11), A05)


def test_a_renamed_copy_is_caught_and_an_idiom_is_not():
    renamed = textwrap.dedent('''
        def pca_fit(data, k):
            """Tipping and Bishop."""
            centre = data.mean(0)
            dev = data - centre
            S = dev.T @ dev / data.shape[0]
            lam, V = torch.linalg.eigh(S)
            lam, V = lam.flip(0), V.flip(1)
            noise = lam[k:].mean()
            W = V[:, :k] * torch.sqrt(lam[:k] - noise)
            return W, centre, noise
    ''')
    assert ("body", "ppca_closed_form") in found(renamed)
    inline = "C = W_test @ W_test.T + noise * torch.eye(5, dtype=torch.float32, device='cpu')\n"
    assert found(inline, A05) == {("fragment", "ppca_marginal")}
    idioms = textwrap.dedent('''
        def log_base(z):
            return torch.zeros(z.shape[0], dtype=z.dtype) - 0.5 * d * math.log(2 * math.pi)
        halves = (x[:, :1], x[:, 1:])
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        centres = z @ W.T + mu
    ''')
    assert found(idioms) == set()


def test_released_answers_follow_the_release_order():
    imports = "from dgm_utils.released.a05_elbo_em import ppca_closed_form\n"
    assert found(imports, A06) == set()
    assert ("order", "") in found(imports, A05) and ("order", "") in found(imports, A04)
    answer = "def ppca_closed_form(x, d):\n    return x.mean(0)\n"
    assert found(answer, where="dgm_utils/released/a05_elbo_em.py", owner=None) == set()
    assert ("name", "ppca_closed_form") in found(answer, where="dgm_utils/released/a04_latent_variable_models.py",
                                                 owner=None)
    assert ("name", "ppca_closed_form") in found(answer, where="dgm_utils/lvm.py", owner=None)


@pytest.mark.parametrize("bundled, released", [
    ([A06], {"a04_latent_variable_models.py", "a05_elbo_em.py"}),
    ([A05], {"a04_latent_variable_models.py"}),
    ([A04, A06], set()),
])
def test_a_bundle_holds_only_answers_whose_deadline_has_passed(tmp_path, bundled, released):
    bundle = build(COURSE, tmp_path / "dgm-course", bundled)  # checked before it is written
    assert {p.name for p in (bundle / "dgm_utils" / "released").glob("a*.py")} == released


def test_a_bundle_with_an_answer_before_its_deadline_is_refused(tmp_path):
    bundle = build(COURSE, tmp_path / "dgm-course", [A05])
    answers = COURSE.root / "dgm_utils" / "released" / "a05_elbo_em.py"
    (bundle / "dgm_utils" / "released" / answers.name).write_text(answers.read_text())
    assert [p for p in leaks(bundle, COURSE) if f"the released answers of {A05}, bundled with {A05}" in p]


def test_the_released_answers_install_with_the_bundle(tmp_path):
    """The bundle installs as a wheel (not editable): every package folder of its dgm_utils must be listed."""
    bundle = build(COURSE, tmp_path / "dgm-course", [A06])
    listed = tomllib.loads((bundle / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    folders = sorted(p.parent.relative_to(bundle).as_posix().replace("/", ".")
                     for p in bundle.glob("dgm_utils/**/__init__.py"))
    assert folders == sorted(listed) and "dgm_utils.released" in listed, (folders, listed)


def test_the_bundle_check_refuses_the_old_release_of_06(tmp_path):
    """The text check let 06's given copy of 05's ppca_closed_form through; the bundle's check no longer does."""
    bundle = build(COURSE, tmp_path / "dgm-course", [A06])
    path = bundle / "course" / A06 / f"{A06}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = old_cell(A06, 3)
    nbformat.write(nb, path)
    found_text = "\n".join(leaks(bundle, COURSE))
    assert "cell 3: defines ppca_closed_form (name of ppca_closed_form, graded in 05_elbo_em)" in found_text, found_text
