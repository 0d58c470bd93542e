"""Mutants of assignment 05 (the ELBO and the EM algorithm)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: the ELBO and the KL divergences
    Mutant(
        "categorical_kl_wrong_direction", "elbo_mixture_solution",
        "return torch.where(q > 0, q * (log_q - log_p), 0.0).sum(1)",
        "return (log_p.exp() * (log_p - log_q)).sum(1)",
        "computes KL(p || q) instead of KL(q || p): the expectation under the wrong distribution",
    ),
    Mutant(
        "elbo_without_entropy", "elbo_mixture_solution",
        "return torch.where(q > 0, q * (log_joint - log_q), 0.0).sum(1)",
        "return (q * log_joint).sum(1)",
        "forgets the entropy term -E_q log q(z): E_q log p(x, z) alone is not the ELBO",
    ),
    Mutant(
        "elbo_rec_kl_sign", "elbo_mixture_solution",
        "return expected_log_lik - categorical_kl(log_q, torch.log(weights).expand_as(log_q))",
        "return expected_log_lik + categorical_kl(log_q, torch.log(weights).expand_as(log_q))",
        "adds KL(q || p(z)) instead of subtracting it",
    ),
    Mutant(
        "gaussian_kl_without_log_det", "elbo_ppca_solution",
        "return 0.5 * (torch.trace(S1_inv @ S0) + maha - d + torch.logdet(S1) - torch.logdet(S0))",
        "return 0.5 * (torch.trace(S1_inv @ S0) + maha - d)",
        "drops the log-determinant term of the Gaussian KL",
    ),
    Mutant(
        "ppca_expected_log_lik_without_trace", "elbo_ppca_solution",
        "((residual**2).sum(1) + torch.trace(W @ S @ W.T))",
        "(residual**2).sum(1)",
        "takes E_q ||x - W z - mu||^2 = ||x - W m - mu||^2, forgetting the spread tr(W S W^T) of q",
    ),
    # task 2: EM for the mixture
    Mutant(
        "e_step_normalised_over_data", "em_steps_solution",
        "return torch.exp(log_joint - log_lik[:, None]), log_lik",
        "return torch.softmax(log_joint, dim=0), log_lik",
        "normalises the responsibilities over the data points instead of over the components",
    ),
    Mutant(
        "e_step_log_lik_without_logsumexp", "em_steps_solution",
        "log_lik = torch.logsumexp(log_joint, dim=1)",
        "log_lik = torch.log(torch.exp(log_joint).sum(dim=1))",
        "sums the joint densities with exp and takes the log (no log-sum-exp): -inf far from every component",
    ),
    Mutant(
        "e_step_resp_without_logsumexp", "em_steps_solution",
        "return torch.exp(log_joint - log_lik[:, None]), log_lik",
        "return torch.exp(log_joint) / torch.exp(log_joint).sum(dim=1, keepdim=True), log_lik",
        "normalises the exponentiated joints directly: 0 / 0 = nan where every p(x, z = k) underflows",
    ),
    Mutant(
        "m_step_cov_without_new_means", "em_steps_solution",
        " / nk[:, None, None] - mc[:, :, None] * mc[:, None, :]",
        " / nk[:, None, None]",
        "takes the second moment sum_i r_ik x_i x_i^T / N_k without subtracting the new mean's mu_k mu_k^T",
    ),
    Mutant(
        "m_step_without_reg_covar", "em_steps_solution",
        "covs = covs + reg_covar * torch.eye(D, dtype=x.dtype)",
        "covs = covs",
        "forgets reg_covar on the diagonal of the full covariances",
    ),
    Mutant(
        "m_step_weights_not_normalised", "em_steps_solution",
        "weights = nk / n",
        "weights = nk / len(nk)",
        "divides the soft counts N_k by K instead of n",
    ),
    Mutant(
        "fit_em_without_final_e_step", "fit_em_solution",
        "    log_likelihoods.append(e_step(x, weights, means, covs)[1].mean().item())\n    return EMResult",
        "    return EMResult",
        "forgets the final E-step: the last log-likelihood is that of theta_{n-1}, not of the returned parameters",
    ),
    # task 3: EM for PPCA
    Mutant(
        "ppca_e_step_slide_M", "ppca_em_solution",
        "M_inv = torch.linalg.inv(W.T @ W + sigma2 * torch.eye(d, dtype=W.dtype))",
        "M_inv = torch.linalg.inv(W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype))",
        "follows the slide: M = W W^T + sigma^2 I (D x D)",
    ),
    Mutant(
        "ppca_m_step_second_moment_without_cov", "ppca_em_solution",
        "sum_Ezz = n * Sz + Ez.T @ Ez",
        "sum_Ezz = Ez.T @ Ez",
        "uses E[z] E[z]^T for E[z z^T], forgetting the posterior covariance",
    ),
    Mutant(
        "ppca_closed_form_ascending_eigenvalues", "ppca_em_solution",
        "    eigenvalues, U = eigenvalues.flip(0), U.flip(1)\n",
        "",
        "forgets that eigh sorts ascending: keeps the smallest eigenvalues",
    ),
    Mutant(
        "ppca_closed_form_without_noise_correction", "ppca_em_solution",
        "W = U[:, :d] * torch.sqrt(eigenvalues[:d] - sigma2)",
        "W = U[:, :d] * torch.sqrt(eigenvalues[:d])",
        "scales the principal directions by sqrt(lambda) instead of sqrt(lambda - sigma^2)",
    ),
    # task 4: the EM picture
    Mutant(
        "em_one_mean_stale_e_step", "em_picture_solution",
        "    for _ in range(n_iter):\n        resp, _ = e_step(x, weights, torch.cat([mu1[None], means[1:]]), covs)\n",
        "    resp, _ = e_step(x, weights, torch.cat([mu1[None], means[1:]]), covs)\n    for _ in range(n_iter):\n",
        "runs the E-step once before the loop: the M-step keeps using stale responsibilities",
    ),
    Mutant(
        "em_one_mean_divides_by_n", "em_picture_solution",
        "mu1 = resp[:, 0] @ x / resp[:, 0].sum()",
        "mu1 = resp[:, 0] @ x / len(x)",
        "divides the weighted sum by n instead of the soft count N_1",
    ),
    Mutant(
        "em_one_mean_keeps_only_last_component", "em_picture_solution",
        "torch.cat([mu1[None], means[1:]])",
        "torch.cat([mu1[None], means[-1:]])",
        "keeps only the last of the other components (right for K = 2 only)",
    ),
]
