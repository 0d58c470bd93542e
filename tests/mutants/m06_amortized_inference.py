"""Mutants of assignment 06 (variational EM, amortized inference, the VAE)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: KL, reparameterization, ELBO, variational EM
    Mutant(
        "elbo_kl_wrong_sign", "vem_solution",
        "return log_lik(x, z).mean(0) - kl_to_standard_normal(mean, log_var)",
        "return log_lik(x, z).mean(0) + kl_to_standard_normal(mean, log_var)",
        "adds KL(q || p(z)) to the expected log-likelihood instead of subtracting it",
    ),
    Mutant(
        "kl_variance_for_log_variance", "vem_solution",
        "return 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "return 0.5 * (log_var.exp() + mean**2 - 1 - log_var.exp()).sum(-1)",
        "writes the variance where the log-variance belongs in the KL (-sigma^2 instead of -log sigma^2)",
    ),
    Mutant(
        "reparam_log_var_as_log_std", "vem_solution",
        "return mean + torch.exp(0.5 * log_var) * eps",
        "return mean + torch.exp(log_var) * eps",
        "treats the log-variance as a log standard deviation: sigma = exp(log_var) instead of exp(log_var / 2)",
    ),
    Mutant(
        "z_sampled_without_reparameterization", "vem_solution",
        "return mean + torch.exp(0.5 * log_var) * eps",
        "with torch.no_grad():  # just draw a sample of q\n        return mean + torch.exp(0.5 * log_var) * eps",
        "samples z outside the graph, so no gradient of the reconstruction term reaches phi",
    ),
    Mutant(
        "m_step_without_zero_grad", "vem_solution",
        "            opt_theta.zero_grad()\n",
        "",
        "forgets to zero theta's gradients, so the M-step also follows the E-step's gradient of sum_i L_i",
    ),
    # task 2: amortized inference
    Mutant(
        "minibatch_elbo_not_rescaled", "amortized_solution",
        "return n / len(x_batch) * amortized_elbo(x_batch, encoder, log_lik, eps).sum()",
        "return amortized_elbo(x_batch, encoder, log_lik, eps).sum()",
        "sums the minibatch without the factor n / B: a biased estimate (by B / n) of the full-data ELBO",
    ),
    Mutant(
        "minibatch_elbo_mean", "amortized_solution",
        "return n / len(x_batch) * amortized_elbo(x_batch, encoder, log_lik, eps).sum()",
        "return amortized_elbo(x_batch, encoder, log_lik, eps).mean()",
        "averages the minibatch: an estimate of the mean ELBO per object, 1/n of the full-data ELBO",
    ),
    # task 3: gradient estimators
    Mutant(
        "score_log_var_missing_half", "estimators_solution",
        "score_log_var = 0.5 * (eps**2 - 1)",
        "score_log_var = eps**2 - 1",
        "differentiates log q with respect to log sigma instead of log sigma^2",
    ),
    Mutant(
        "score_mean_times_std", "estimators_solution",
        "score_mean = eps / std",
        "score_mean = eps * std",
        "takes d log q / d mean = (z - mean) * sigma instead of (z - mean) / sigma^2",
    ),
    # task 4: the VAE
    Mutant(
        "vae_log_lik_without_log_sigma2", "vae_solution",
        "return -0.5 * (residual**2 / log_sigma2.exp() + log_sigma2 + LOG_2PI).sum(-1)",
        "return -0.5 * (residual**2 / log_sigma2.exp() + LOG_2PI).sum(-1)",
        "drops the normaliser log sigma^2 of the Gaussian likelihood, so sigma^2 runs off to zero",
    ),
    Mutant(
        "iw_weights_averaged_outside_log", "vae_solution",
        "return torch.logsumexp(log_w, 0) - math.log(k)",
        "return log_w.mean(0)",
        "averages the log-weights instead of the weights: the ELBO again, not a tighter bound",
    ),
    Mutant(
        "iw_without_log_k", "vae_solution",
        "return torch.logsumexp(log_w, 0) - math.log(k)",
        "return torch.logsumexp(log_w, 0)",
        "forgets the 1/k of the average inside the log: log sum_s w_s overestimates log p by log k",
    ),
    Mutant(
        "iw_log_q_from_prior", "vae_solution",
        "log_w = self.log_lik(x, z) + log_prior - log_q",
        "log_w = self.log_lik(x, z)",
        "uses log p(x | z) alone as the importance weight, forgetting p(z) / q(z | x)",
    ),
]
