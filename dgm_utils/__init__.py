"""dgm_utils: datasets, training loop, plotting and public checks for the DGM course.

Every notebook of the course imports this package. ``FAST`` is true in fast mode:
notebooks then train for fewer steps so that they run in well under a minute. The mode
comes from the environment variable ``DGM_FAST=1`` (CI and the autograder set it) and
can be switched from inside Jupyter with ``set_fast`` before the cells that read it::

    import dgm_utils
    dgm_utils.set_fast(False)   # full mode; then Kernel > Restart & Run All
    print(dgm_utils.mode_banner())
"""
import os

__version__ = "0.1.0"

FAST: bool = os.environ.get("DGM_FAST", "0") == "1"


def set_fast(on: bool = True) -> bool:
    """Switch fast mode on (``True``) or off (``False``); returns the mode now in force.

    Cells that read ``dgm_utils.FAST`` (``from dgm_utils import FAST`` in a notebook's
    setup cell) see the new value when they run after this call, so call it first and
    then run the notebook top to bottom. ``DGM_FAST`` in the environment is updated too
    (for subprocesses). In the course notebooks the call sits in a locked cell: the
    autograder runs that cell as handed out, i.e. always in fast mode.
    """
    global FAST
    FAST = bool(on)
    os.environ["DGM_FAST"] = "1" if FAST else "0"
    return FAST


def mode_banner() -> str:
    """One line saying which mode is on and how to switch it (the first cell of each notebook prints it)."""
    if FAST:
        return ("FAST mode is ON: short training, seconds (what the grader runs). "
                "For the full run: dgm_utils.set_fast(False), then Kernel > Restart & Run All.")
    return ("Full mode is ON: the training the quoted results need (minutes). "
            "For the short run the grader uses: dgm_utils.set_fast(True) (or start Jupyter with DGM_FAST=1), "
            "then Kernel > Restart & Run All.")
