"""Answers of finished assignments, for the later assignments that build on them.

``a<assignment>.py`` holds reference answers of ``<assignment>``, as its solution defines
them. A later assignment may import them (``from dgm_utils.released.a04_latent_variable_models
import ppca_log_marginal``) because assignments are handed out in the order of their
names, each after the previous deadline. A students' bundle holds the module of an
assignment only when every assignment it bundles comes later (``autograder.bundle``);
``autograder.leaks`` checks that no module here gives away what a later assignment grades.
"""
