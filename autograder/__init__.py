"""The course autograder: nbgrader for release, gradebook and feedback; our sandboxed, out-of-kernel grading."""
