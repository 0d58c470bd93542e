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
    # task 1, the Gaussian KL and the expected log-likelihood derived (no formula in the docstrings)
    Mutant(
        "gaussian_kl_trace_swapped", "elbo_ppca_solution",
        "torch.trace(S1_inv @ S0)",
        "torch.trace(torch.linalg.inv(S0) @ S1)",
        "takes the trace term as tr(S0^{-1} S1): the identity applied with the covariance of p as the spread",
    ),
    Mutant(
        "gaussian_kl_mahalanobis_under_q", "elbo_ppca_solution",
        "maha = (diff @ S1_inv * diff).sum(1)",
        "maha = (diff @ torch.linalg.inv(S0) * diff).sum(1)",
        "weighs the difference of the means by S0^{-1} instead of S1^{-1}: the quadratic form of log p uses p's covariance",
    ),
    Mutant(
        "gaussian_kl_log_det_ratio_inverted", "elbo_ppca_solution",
        "+ torch.logdet(S1) - torch.logdet(S0)",
        "+ torch.logdet(S0) - torch.logdet(S1)",
        "a sign error in the normalisers: log det S0 - log det S1 instead of log det S1 - log det S0",
    ),
    Mutant(
        "gaussian_kl_without_minus_d", "elbo_ppca_solution",
        "+ maha - d +",
        "+ maha +",
        "forgets E_q[(z - m0)^T S0^{-1} (z - m0)] = d from log q: KL(q || q) is then d / 2, not 0",
    ),
    Mutant(
        "ppca_expected_log_lik_trace_of_S", "elbo_ppca_solution",
        "torch.trace(W @ S @ W.T)",
        "torch.trace(S)",
        "takes the spread term as tr(S) instead of tr(W S W^T): the spread of q is mapped through W",
    ),
    Mutant(
        "ppca_expected_log_lik_normaliser_without_sigma", "elbo_ppca_solution",
        "math.log(2 * math.pi * sigma2)",
        "math.log(2 * math.pi)",
        "drops log sigma^2 from the Gaussian normaliser -D/2 log(2 pi sigma^2)",
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
    # task 3, the E-step derived, the mean-field E-step and the EM loop
    Mutant(
        "ppca_e_step_cov_without_sigma2", "ppca_em_solution",
        "return (x - mu) @ W @ M_inv, sigma2 * M_inv",
        "return (x - mu) @ W @ M_inv, M_inv",
        "takes M^{-1} for the posterior covariance: the precision is M / sigma^2, not M",
    ),
    Mutant(
        "ppca_e_step_mean_divided_by_sigma2", "ppca_em_solution",
        "return (x - mu) @ W @ M_inv, sigma2 * M_inv",
        "return (x - mu) @ W @ M_inv / sigma2, sigma2 * M_inv",
        "completes the square with b = W^T (x - mu) / sigma^2 but inverts M instead of the precision M / sigma^2",
    ),
    Mutant(
        "ppca_mean_field_marginal_variances", "ppca_em_solution",
        "torch.diag(sigma2 / torch.diagonal(M))",
        "torch.diag(sigma2 * torch.diagonal(torch.linalg.inv(M)))",
        "takes the posterior's marginal variances (the diagonal of sigma^2 M^{-1}) instead of the inverse diagonal "
        "precisions that maximise the ELBO over diagonal q",
    ),
    Mutant(
        "ppca_mean_field_mean_diagonal", "ppca_em_solution",
        "m = torch.linalg.solve(M, W.T @ (x - mu).T).T",
        "m = (x - mu) @ W / torch.diagonal(M)",
        "solves for the mean with the diagonal of M only: the mean terms of the ELBO couple the coordinates of m",
    ),
    Mutant(
        "ppca_mean_field_without_sigma2", "ppca_em_solution",
        "sigma2 / torch.diagonal(M)",
        "1.0 / torch.diagonal(M)",
        "drops sigma^2 from the variances: the precision of coordinate j is M_jj / sigma^2",
    ),
    Mutant(
        "ppca_em_history_expected_log_lik", "ppca_em_solution",
        "log_likelihoods.append(ppca_elbo(x, Ez, Sz, W, mu, sigma2).mean().item())\n        W, mu",
        "log_likelihoods.append(ppca_expected_log_lik(x, Ez, Sz, W, mu, sigma2).mean().item())\n        W, mu",
        "records E_q log p(x | z) without the KL to the prior: not the log-likelihood",
    ),
    Mutant(
        "ppca_em_history_after_m_step", "ppca_em_solution",
        "        log_likelihoods.append(ppca_elbo(x, Ez, Sz, W, mu, sigma2).mean().item())\n"
        "        W, mu, sigma2 = ppca_m_step(x, Ez, Sz)\n",
        "        W, mu, sigma2 = ppca_m_step(x, Ez, Sz)\n"
        "        log_likelihoods.append(ppca_elbo(x, Ez, Sz, W, mu, sigma2).mean().item())\n",
        "records the ELBO after the M-step with the old posterior: L(q_(t-1), theta_t) is below log p(x | theta_t)",
    ),
    Mutant(
        "ppca_em_without_final_e_step", "ppca_em_solution",
        "    Ez, Sz = ppca_e_step(x, W, mu, sigma2)\n    log_likelihoods.append(ppca_elbo(x, Ez, Sz, W, mu, sigma2).mean().item())\n    return PPCAResult",
        "    return PPCAResult",
        "forgets the final E-step: the history misses the log-likelihood of the returned parameters",
    ),
    Mutant(
        "ppca_em_never_flags_convergence", "ppca_em_solution",
        "            converged = True\n            break",
        "            break",
        "stops at the right iteration but reports converged = False",
    ),
    Mutant(
        "ppca_em_compares_with_initial", "ppca_em_solution",
        "abs(log_likelihoods[-1] - log_likelihoods[-2]) < tol",
        "abs(log_likelihoods[-1] - log_likelihoods[0]) < tol",
        "compares with l_0 instead of the previous value: the change since the start never falls below tol",
    ),
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
        "em_one_mean_bound_is_log_p", "em_picture_solution",
        "mixture_elbo(x, log_q, *theta(g)).sum()",
        "mixture_elbo(x, torch.log(e_step(x, *theta(g))[0]), *theta(g)).sum()",
        "redoes the E-step at every grid point: that is log p(X | mu_1) itself, not the bound of iteration t",
    ),
    Mutant(
        "em_one_mean_bound_mean_over_points", "em_picture_solution",
        ".sum() for g in grid",
        ".mean() for g in grid",
        "averages the ELBO over the data points: the bound of log p(X) = sum_i log p(x_i) is a sum",
    ),
    Mutant(
        "em_one_mean_bound_without_entropy", "em_picture_solution",
        "mixture_elbo(x, log_q, *theta(g)).sum()",
        "(resp * (torch.log(weights) + gaussian_log_prob(x, theta(g)[1], covs))).sum()",
        "draws the expected complete-data log-likelihood Q (the M-step's objective) as the bound: "
        "without the entropy of q_t it does not touch log p",
    ),
    Mutant(
        "em_one_mean_grid_moves_all_means", "em_picture_solution",
        "mixture_elbo(x, log_q, *theta(g)).sum()",
        "mixture_elbo(x, log_q, weights, g.expand_as(means), covs).sum()",
        "puts every component's mean at the grid point instead of component 0's only",
    ),
    Mutant(
        "em_one_mean_stale_e_step", "em_picture_solution",
        "    for _ in range(n_iter):\n        resp, _ = e_step(x, *theta(mu1))\n",
        "    resp, _ = e_step(x, *theta(mu1))\n    for _ in range(n_iter):\n",
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
        "torch.cat([m[None], means[1:]])",
        "torch.cat([m[None], means[-1:]])",
        "keeps only the last of the other components (right for K = 2 only)",
    ),
]
