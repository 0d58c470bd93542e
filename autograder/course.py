"""Where things live: the course directory as ``nbgrader_config.py`` maps it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Course:
    """The course directory; ``database`` is an SQLAlchemy URL (default: SQLite under ``autograder/``)."""

    root: Path = REPO
    database: str | None = None

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def release(self) -> Path:
        return self.root / "course"

    @property
    def work(self) -> Path:
        return self.root / "autograder"

    @property
    def submitted(self) -> Path:
        return self.work / "submitted"

    @property
    def autograded(self) -> Path:
        return self.work / "autograded"

    @property
    def feedback(self) -> Path:
        return self.work / "feedback"

    @property
    def jobs(self) -> Path:
        return self.work / "jobs"

    @property
    def reference_cache(self) -> Path:
        return self.work / "reference"

    @property
    def samples(self) -> Path:
        return self.work / "samples"

    @property
    def db_url(self) -> str:
        return self.database or f"sqlite:///{self.work / 'gradebook.db'}"

    def assignments(self) -> list[str]:
        return sorted(p.name for p in self.solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def notebooks(self, assignment: str) -> list[str]:
        """Notebook names (without ``.ipynb``) of an assignment."""
        return sorted(p.stem for p in (self.solutions / assignment).glob("*.ipynb"))

    def source(self, assignment: str, notebook: str) -> NotebookNode:
        return nbformat.read(self.solutions / assignment / f"{notebook}.ipynb", as_version=4)

    def released(self, assignment: str, notebook: str) -> NotebookNode:
        return nbformat.read(self.release / assignment / f"{notebook}.ipynb", as_version=4)

    def students(self, assignment: str) -> list[str]:
        """Students with a submission folder for ``assignment``."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir() if (p / assignment).is_dir())
