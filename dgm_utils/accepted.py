"""What the grader accepts for results of training and sampling: one table, read by the hidden tests, shown to students.

A trained model or a Monte-Carlo estimate cannot match the reference solution's value exactly; its hidden test
records it with a range, ``record(name, value, **bounds(ASSIGNMENT, name))``, and the grader accepts any value
``low <= value <= high`` (the reference run's range counts, not the student's). The notebooks print the same
rows (``describe``) where they explain grading, so the text a student reads and the range that grades cannot
drift apart. Ranges that follow from a value of the run itself (a baseline, a gap the run measures) stay in the
test cell that computes them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .grading import ATOL, RTOL


@dataclass(frozen=True)
class Accepted:
    task: str
    what: str
    low: float
    high: float

    def __str__(self) -> str:
        return f"task {self.task}: {self.what}: [{self.low:g}, {self.high:g}]"


RANGES: dict[str, dict[str, Accepted]] = {
    "01_change_of_variables": {
        "cov_mass": Accepted("2", "mass of p(x) on a grid over a box (the tails outside it hold a little)",
                             0.995, 1.005),
        "loop_abs_mu": Accepted("4", "forward KL fitted by your loop: |mu_j|", 0.0, 0.25),
        "loop_sigma1": Accepted("4", "forward KL fitted by your loop: sigma_1", 1.85, 2.25),
        "loop_sigma2": Accepted("4", "forward KL fitted by your loop: sigma_2", 0.44, 0.56),
        "loop_held_out_kl": Accepted("4", "forward KL fitted by your loop: KL(pi || p) on a held-out sample",
                                     0.65, 0.85),
        "loop_other_gap": Accepted("4", "your loop on another target (one Gaussian, other arguments): largest "
                                   "distance of (mu, log sigma) to its closed-form optimum", 0.0, 0.08),
        "fit_reverse_abs_mu1": Accepted("4", "reverse KL from the narrow start: |mu_1|", 1.8, 2.2),
        "fit_reverse_sigma": Accepted("4", "reverse KL from the narrow start: sigma_1, sigma_2", 0.42, 0.58),
        "fit_reverse_kl_reverse": Accepted("4", "reverse KL from the narrow start: KL(p || pi)", 0.6, 0.8),
        "fit_reverse_kl_forward": Accepted("4", "reverse KL from the narrow start: its KL(pi || p)", 5.0, 1e6),
    },
    "02_linear_autoregressive_flows": {
        "train_kl_ring": Accepted("6", "MAF on the ring: KL gap NLL - H(pi), nats", -0.05, 1.2),
        "train_kl_banana": Accepted("6", "MAF on the banana: KL gap NLL - H(pi), nats", -0.05, 0.3),
        "train_kl_checkerboard": Accepted("6", "MAF on the checkerboard: KL gap NLL - H(pi), nats", -0.05, 0.8),
    },
    "03_realnvp_glow": {
        "train_kl_ring": Accepted("4", "RealNVP on the ring: KL gap NLL - H(pi), nats", -0.05, 1.3),
        "train_kl_banana": Accepted("4", "RealNVP on the banana: KL gap NLL - H(pi), nats", -0.05, 0.4),
        "train_kl_checkerboard": Accepted("4", "RealNVP on the checkerboard: KL gap NLL - H(pi), nats", -0.05, 0.9),
        "digits_test_bpd": Accepted("5", "your Glow on the 17-level digits: test bits/dim", 1.5, 3.2),
        "digits_val_bpd": Accepted("5", "your Glow on the 17-level digits: validation bits/dim", 1.5, 3.2),
    },
    "04_latent_variable_models": {
        "mc_growth_per_dim": Accepted("4", "naive Monte-Carlo likelihood: growth of the samples needed per latent "
                                      "dimension", 1.9, 3.2),
    },
    "06_amortized_inference": {
        "vem_e_steps_gap_excess": Accepted("1", "E-steps alone at the true theta: log p - ELBO above the floor a "
                                           "diagonal q cannot beat, nats per object", -1e-9, 0.25),
        "vem_log_p_to_ml": Accepted("1", "variational EM from a random theta: maximum log-likelihood - "
                                    "log p(X|theta), nats per object", 0.0, 0.1),
        "am_grad_ratio": Accepted("2", "mean of the minibatch gradients projected on the full-data gradient, "
                                  "as a share of it", 0.85, 1.15),
        "am_log_p_to_ml": Accepted("2", "linear encoder trained on minibatches: maximum log-likelihood - "
                                   "log p(X|theta), nats per object", 0.0, 0.1),
        "am_amortization_gap": Accepted("2", "linear encoder trained on minibatches: its gap log p - ELBO above "
                                        "the best diagonal q's, nats per object", -1e-6, 0.1),
        "est_variance_ratio": Accepted("3", "total variance of the score-function estimator / the "
                                       "reparameterization estimator's", 10.0, 1e6),
        "vae_linear_minus_ppca_bpd": Accepted("4", "linear VAE on digits: its bits/dim - closed-form PPCA's",
                                              -0.01, 0.05),
        "vae_linear_iw_vs_exact": Accepted("4", "linear VAE on digits: importance-weighted bits/dim - its exact "
                                           "bits/dim", -0.002, 0.01),
        "pixels_categorical_iw_below_elbo": Accepted("5", "VAE with your categorical likelihood: ELBO bits/dim - "
                                                     "importance-weighted bits/dim", 0.0, 0.5),
        "pixels_gaussian_vae_bpd": Accepted("5", "Gaussian VAE: importance-weighted bits/dim of the digits",
                                            2.5, 3.95),
        "pixels_gaussian_lost_mass_bpd": Accepted("5", "Gaussian VAE: bits/dim lost to density outside the "
                                                  "pixel bins", 0.05, 1.0),
        "usage_rate_ratio_high_low": Accepted("6", "rate at the largest beta / rate at the smallest", 0.0, 0.9),
        "usage_distortion_increase": Accepted("6", "distortion at the largest beta - at the smallest, nats",
                                              0.5, 1e4),
    },
}


def bounds(assignment: str, name: str) -> dict[str, float]:
    """``low`` and ``high`` of ``record``: ``record(name, value, **bounds(ASSIGNMENT, name))``."""
    accepted = RANGES[assignment][name]
    return {"low": accepted.low, "high": accepted.high}


def describe(assignment: str) -> str:
    """What the grader accepts in ``assignment``, as its notebook prints it: the default tolerances, then each range."""
    lines = [f"The grader compares each value your code computes on its fixed inputs with the reference solution's "
             f"within a relative tolerance of {RTOL:g} (absolute {ATOL:g}) unless the test sets its own."]
    ranges = RANGES.get(assignment, {})
    if ranges:
        lines.append("Results of training and sampling it accepts within a range (dgm_utils.accepted):")
        lines += [f"  {accepted}" for accepted in ranges.values()]
    return "\n".join(lines)
