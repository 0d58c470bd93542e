"""The numbers the notebooks quote, as measured: run times and reference results, both modes.

One table, ``TABLE``, and nothing in it is typed by hand: ``python -m tests.measure
ASSIGNMENT ...`` (instructors' repository) runs each reference notebook (``solutions/``) top to bottom in fast and in
full mode, times the whole run and collects every value the notebook reports with
``note``, then rewrites the table below. Notebooks print these numbers (``quoted``; ``note``
prints a value of the current run next to the reference runs) instead of writing them in
their text, so text and measurement cannot drift apart.
"""
from __future__ import annotations

import json
import os

MEASURE_ENV = "DGM_MEASURE_FILE"
"""While the table is measured, ``note`` also appends its values (JSON lines) to this file."""

# BEGIN TABLE (written by python -m tests.measure)
TABLE: dict[str, dict] = {
    "01_change_of_variables": {
        "fast": {
            "load_average": [
                0.2,
                0.4
            ],
            "seconds": 9.6,
            "values": {
                "coupling_grid_mass": 0.9994271860476364,
                "det_coupling_first_point": 1.647113166963958,
                "duality_value": 0.7845069178334523,
                "fit_forward_kl": 0.7182796597480774,
                "fit_forward_sigma1": 2.047229766845703,
                "fit_reverse_abs_mu1": 2.0069150924682617,
                "fit_reverse_kl": 0.6933611035346985,
                "fit_reverse_kl_forward": 15.554303169250488,
                "kl_forward_fixed_theta": 1.0601394881938655,
                "kl_reverse_fixed_theta": 2.25695013904464,
                "loop_val_kl_final": 0.7321195602416992,
                "reversed_order_median_change": 11.055122908387665
            }
        },
        "full": {
            "load_average": [
                0.4,
                0.5
            ],
            "seconds": 10.4,
            "values": {
                "coupling_grid_mass": 0.9994271860476364,
                "det_coupling_first_point": 1.647113166963958,
                "duality_value": 0.7845069178334523,
                "fit_forward_kl": 0.7196563482284546,
                "fit_forward_sigma1": 2.0590381622314453,
                "fit_reverse_abs_mu1": 2.019524574279785,
                "fit_reverse_kl": 0.6966529488563538,
                "fit_reverse_kl_forward": 14.878713607788086,
                "kl_forward_fixed_theta": 1.0601394881938655,
                "kl_reverse_fixed_theta": 2.25695013904464,
                "loop_val_kl_final": 0.7349037528038025,
                "reversed_order_median_change": 11.055122908387665
            }
        },
        "machine": "2-core x86_64 CPU shared with other jobs, 2026-12-01"
    },
    "02_linear_autoregressive_flows": {
        "fast": {
            "load_average": [
                0.5,
                0.5
            ],
            "seconds": 9.8,
            "values": {
                "kl_gap_banana": 0.04712767666006501,
                "kl_gap_checkerboard": 0.46154349217259805,
                "kl_gap_ring": 0.6834946695856305
            }
        },
        "full": {
            "load_average": [
                0.5,
                0.9
            ],
            "seconds": 70.0,
            "values": {
                "kl_gap_banana": 0.008713157344106826,
                "kl_gap_checkerboard": 0.17130920197808663,
                "kl_gap_ring": 0.15482814337532247
            }
        },
        "machine": "2-core x86_64 CPU shared with other jobs, 2026-12-01"
    },
    "03_realnvp_glow": {
        "fast": {
            "load_average": [
                0.9,
                0.9
            ],
            "seconds": 13.3,
            "values": {
                "glow_lost_mass": 0.983,
                "glow_lost_mass_bpd": 0.09184877255330853,
                "glow_test_bpd": 2.2637914487124684,
                "kl_gap_banana": 0.025916053128485217,
                "kl_gap_checkerboard": 0.5180216521128407,
                "kl_gap_ring": 0.8253034063510154,
                "per_pixel_bpd": 2.4304425845267215,
                "split_macs_ratio": 0.686046511627907,
                "split_params_ratio": 0.6895190236898779,
                "split_time_ratio": 0.49147783777280574
            }
        },
        "full": {
            "load_average": [
                0.9,
                1.1
            ],
            "seconds": 113.8,
            "values": {
                "glow_lost_mass": 0.904,
                "glow_lost_mass_bpd": 0.05282534037407705,
                "glow_test_bpd": 2.0802268701878788,
                "kl_gap_banana": 0.009052468550447834,
                "kl_gap_checkerboard": 0.21757567851388337,
                "kl_gap_ring": 0.2727980802706931,
                "per_pixel_bpd": 2.4304425845267215,
                "split_macs_ratio": 0.686046511627907,
                "split_params_ratio": 0.6895190236898779,
                "split_time_ratio": 0.9227531560923955
            }
        },
        "machine": "2-core x86_64 CPU shared with other jobs, 2026-12-01"
    },
    "04_latent_variable_models": {
        "fast": {
            "load_average": [
                2.4,
                2.3
            ],
            "seconds": 7.3,
            "values": {
                "mc_growth_per_dim": 2.440024204469034,
                "mc_needed_d1": 129.34889303010638
            }
        },
        "full": {
            "load_average": [
                2.1,
                1.8
            ],
            "seconds": 20.0,
            "values": {
                "mc_growth_per_dim": 2.422021105569745,
                "mc_needed_d1": 129.34889303010638
            }
        },
        "machine": "2-core x86_64 CPU shared with other jobs, 2026-12-01"
    },
    "05_elbo_em": {
        "fast": {
            "load_average": [
                1.8,
                1.7
            ],
            "seconds": 11.0,
            "values": {
                "em_ring_final_log_lik": -3.5103138844168655,
                "ppca_closed_form_log_lik": -160.06488895512345
            }
        },
        "full": {
            "load_average": [
                1.7,
                1.5
            ],
            "seconds": 15.0,
            "values": {
                "em_ring_final_log_lik": -3.774016943353042,
                "ppca_closed_form_log_lik": -160.06488895512345
            }
        },
        "machine": "2-core x86_64 CPU shared with other jobs, 2026-11-30"
    },
    "06_amortized_inference": {
        "fast": {
            "load_average": [
                1.5,
                1.4
            ],
            "seconds": 16.8,
            "values": {
                "active_units_beta_0.1": 7.0,
                "active_units_beta_0.3": 6.0,
                "active_units_beta_1": 0.0,
                "active_units_beta_3": 0.0,
                "categorical_vae_bpd": 2.242698342606237,
                "gaussian_lost_mass": 0.17126230895519257,
                "gaussian_lost_mass_bpd": 0.2799476981163025,
                "gaussian_vae_bpd": 3.303705066038256,
                "linear_vae_bpd": 3.7158944823290723,
                "linear_vae_exact_bpd": 3.715307470156131,
                "per_pixel_bpd": 2.4304425845267215,
                "ppca_bpd": 3.700042284663375
            }
        },
        "full": {
            "load_average": [
                1.4,
                1.1
            ],
            "seconds": 81.6,
            "values": {
                "active_units_beta_0.1": 8.0,
                "active_units_beta_0.3": 6.0,
                "active_units_beta_1": 3.0,
                "active_units_beta_3": 1.0,
                "categorical_vae_bpd": 2.1507916379094443,
                "gaussian_lost_mass": 0.14285945892333984,
                "gaussian_lost_mass_bpd": 0.25262895226478577,
                "gaussian_vae_bpd": 2.8224621627026125,
                "linear_vae_bpd": 3.71026670931233,
                "linear_vae_exact_bpd": 3.710130011676713,
                "logistic_vae_bpd": 2.090933731403149,
                "per_pixel_bpd": 2.4304425845267215,
                "ppca_bpd": 3.700042284663375
            }
        },
        "machine": "2-core x86_64 CPU shared with other jobs, 2026-11-30"
    }
}
# END TABLE


def reference(assignment: str, name: str, mode: str) -> float | None:
    """The value ``name`` reported by the reference run of ``assignment`` in ``mode`` ("fast" / "full")."""
    return TABLE.get(assignment, {}).get(mode, {}).get("values", {}).get(name)


def quoted(assignment: str) -> str:
    """Run times of the reference notebook in both modes, as measured, with the machine and date."""
    entry = TABLE.get(assignment)
    if not entry:
        return f"{assignment}: no measured run times yet (python -m tests.measure {assignment})"
    parts = []
    for mode in ("fast", "full"):
        if mode in entry:
            run = entry[mode]
            load = run.get("load_average")
            busy = f" at load average {load[0]:g} to {load[1]:g}" if load else ""
            parts.append(f"{mode} mode {run['seconds']:.0f} s{busy}")
    machine = entry.get("machine", "")
    return f"measured run time of the whole notebook: {', '.join(parts)} ({machine})"


def note(assignment: str, name: str, value: float, description: str = "", fmt: str = ".3f") -> float:
    """Print a result of this run next to the reference runs' values in both modes; returns ``value``.

    While the table is being measured (``DGM_MEASURE_FILE`` set) the value is collected too.
    """
    value = float(value.detach() if hasattr(value, "detach") else value)
    refs = [f"{mode} {reference(assignment, name, mode):{fmt}}" for mode in ("fast", "full")
            if reference(assignment, name, mode) is not None]
    suffix = f"   (reference solution: {', '.join(refs)})" if refs else ""
    print(f"{description or name}: {value:{fmt}}{suffix}")
    path = os.environ.get(MEASURE_ENV)
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"name": name, "value": value}) + "\n")
    return value


def notebook(assignment: str):
    """``note`` bound to one assignment: ``note = measured.notebook("03_realnvp_glow")``, then ``note(name, value, ...)``."""

    def bound(name: str, value: float, description: str = "", fmt: str = ".3f") -> float:
        return note(assignment, name, value, description, fmt)

    bound.__doc__ = note.__doc__
    return bound
