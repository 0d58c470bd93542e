"""Mutants of assignment 04 (latent variable models)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: the Bayesian framework
    Mutant(
        "posterior_precision_without_n", "bayes_solution",
        "var = 1.0 / (1.0 / s0**2 + n / sigma**2)",
        "var = 1.0 / (1.0 / s0**2 + 1.0 / sigma**2)",
        "adds the precision of one observation instead of n: the posterior does not narrow as n grows",
    ),
    Mutant(
        "posterior_mean_ignores_prior", "bayes_solution",
        "mean = var * (m0 / s0**2 + x.sum() / sigma**2)",
        "mean = var * x.sum() / sigma**2",
        "drops the prior's term m0 / s0^2 from the posterior mean",
    ),
    Mutant(
        "normal_log_prob_without_log_std", "bayes_solution",
        "return -0.5 * ((x - mean) / std) ** 2 - torch.log(std) - 0.5 * math.log(2 * math.pi)",
        "return -0.5 * ((x - mean) / std) ** 2 - 0.5 * math.log(2 * math.pi)",
        "forgets the -log(std) of the Gaussian normaliser (right only for std = 1)",
    ),
    Mutant(
        "evidence_posterior_sign", "bayes_solution",
        "return log_lik + normal_log_prob(theta, m0, s0) - normal_log_prob(theta, m_n, s_n)",
        "return log_lik + normal_log_prob(theta, m0, s0) + normal_log_prob(theta, m_n, s_n)",
        "adds log p(theta | X) instead of subtracting it when solving Bayes' theorem for p(X)",
    ),
    Mutant(
        "map_laplace_threshold_sigma_not_squared", "bayes_solution",
        "t = sigma**2 / (n * scale)",
        "t = sigma / (n * scale)",
        "moves the data mean towards m0 by sigma / (n b) instead of sigma^2 / (n b): the likelihood's curvature is n / sigma^2",
    ),
    Mutant(
        "map_laplace_threshold_without_n", "bayes_solution",
        "t = sigma**2 / (n * scale)",
        "t = sigma**2 / scale",
        "uses the curvature of one observation, 1 / sigma^2, instead of n / sigma^2: the prior never loses its pull",
    ),
    Mutant(
        "map_laplace_not_clipped_at_prior_mean", "bayes_solution",
        "torch.clamp((x_bar - m0).abs() - t, min=0.0)",
        "((x_bar - m0).abs() - t)",
        "shrinks by t even when |x_bar - m0| < t: the MAP crosses m0 instead of stopping at the kink",
    ),
    Mutant(
        "map_laplace_shrinks_away_from_prior", "bayes_solution",
        "return m0 + torch.sign(x_bar - m0)",
        "return m0 - torch.sign(x_bar - m0)",
        "a sign error: mirrors the estimate to the other side of m0",
    ),
    Mutant(
        "map_laplace_as_normal_prior", "bayes_solution",
        '    if prior == "normal":\n        return posterior_mean_std(x, sigma, m0, scale)[0]\n',
        '    return posterior_mean_std(x, sigma, m0, scale)[0]\n',
        "treats the Laplace prior as a normal prior of standard deviation b: the MAP becomes a weighted mean, never exactly m0",
    ),
    # task 2: the mixture as an LVM
    Mutant(
        "sample_with_covariance_not_cholesky", "mixture_solution",
        "L = torch.linalg.cholesky(covs)  # (C, D, D)",
        "L = covs  # (C, D, D)",
        "scales the noise by Sigma instead of a square root of it: the samples have covariance Sigma^2",
    ),
    Mutant(
        "log_joint_without_log_weights", "mixture_solution",
        "return torch.log(weights) + gaussian_log_prob(x, means, covs)",
        "return gaussian_log_prob(x, means, covs)",
        "forgets the prior log p(z = k) = log pi_k in the joint",
    ),
    Mutant(
        "marginal_log_of_sum_of_exp", "mixture_solution",
        "return torch.logsumexp(mixture_log_joint(x, weights, means, covs), dim=1)",
        "return torch.log(torch.exp(mixture_log_joint(x, weights, means, covs)).sum(dim=1))",
        "computes log(sum(exp(.))) directly: -inf where every joint density underflows",
    ),
    Mutant(
        "posterior_normalised_over_data", "mixture_solution",
        "return torch.exp(log_joint - torch.logsumexp(log_joint, dim=1, keepdim=True))",
        "return torch.exp(log_joint - torch.logsumexp(log_joint, dim=0, keepdim=True))",
        "normalises the responsibilities over the data points instead of over the components",
    ),
    Mutant(
        "log_likelihood_log_outside_sum", "mixture_solution",
        "return mixture_log_marginal(x, weights, means, covs).sum()",
        "return torch.logsumexp(mixture_log_joint(x, weights, means, covs).reshape(-1), dim=0)",
        "follows the slide 'MLE for original problem': log of the sum over data points, not the sum of logs",
    ),
    Mutant(
        "log_likelihood_without_logsumexp", "mixture_solution",
        "return mixture_log_marginal(x, weights, means, covs).sum()",
        "return torch.log(torch.exp(mixture_log_joint(x, weights, means, covs)).sum(dim=1)).sum()",
        "sums the mixture densities with exp and takes the log (no log-sum-exp): -inf once a point is far from every component",
    ),
    Mutant(
        "posterior_without_logsumexp", "mixture_solution",
        "return torch.exp(log_joint - torch.logsumexp(log_joint, dim=1, keepdim=True))",
        "return torch.exp(log_joint) / torch.exp(log_joint).sum(dim=1, keepdim=True)",
        "normalises the exponentiated joints directly: 0 / 0 = nan where every p(x, z = k) underflows",
    ),
    # task 3: probabilistic PCA
    Mutant(
        "ppca_marginal_variance_squared", "ppca_solution",
        "return mu, W @ W.T + sigma2 * torch.eye(D, dtype=W.dtype)",
        "return mu, W @ W.T + sigma2**2 * torch.eye(D, dtype=W.dtype)",
        "squares sigma2 although the argument already is the variance sigma^2",
    ),
    Mutant(
        "ppca_posterior_slide_M", "ppca_solution",
        "M = W.T @ W + sigma2 * torch.eye(d, dtype=W.dtype)  # (d, d)",
        "M = W @ W.T + sigma2 * torch.eye(W.shape[0], dtype=W.dtype)  # (d, d)",
        "follows the slide: M = W W^T + sigma^2 I, a D x D matrix",
    ),
    Mutant(
        "ppca_posterior_cov_slide", "ppca_solution",
        "return mean, sigma2 * M_inv",
        "return mean, sigma2 * M",
        "follows the slide's posterior covariance sigma^2 M instead of sigma^2 M^{-1}",
    ),
    Mutant(
        "ppca_posterior_mean_not_centred", "ppca_solution",
        "mean = (x - mu) @ W @ M_inv",
        "mean = x @ W @ M_inv",
        "forgets to subtract mu from x in the posterior mean",
    ),
    # task 4: naive Monte Carlo
    Mutant(
        "naive_mc_mean_of_logs", "naive_mc_solution",
        "return torch.logsumexp(log_p_x_given_z, dim=1) - math.log(K)",
        "return log_p_x_given_z.mean(dim=1)",
        "averages log p(x | z_k) instead of p(x | z_k): estimates E log p(x|z), a lower bound, not log p(x)",
    ),
    Mutant(
        "naive_mc_sum_not_mean", "naive_mc_solution",
        "return torch.logsumexp(log_p_x_given_z, dim=1) - math.log(K)",
        "return torch.logsumexp(log_p_x_given_z, dim=1)",
        "sums the K densities instead of averaging them (forgets the 1/K)",
    ),
    Mutant(
        "naive_mc_log_mean_exp_without_logsumexp", "naive_mc_solution",
        "return torch.logsumexp(log_p_x_given_z, dim=1) - math.log(K)",
        "return torch.log(torch.exp(log_p_x_given_z).mean(dim=1))",
        "averages the densities p(x | z_k) themselves and then takes the log: -inf where all of them underflow",
    ),
    Mutant(
        "relative_variance_ratio_of_densities", "naive_mc_solution",
        "return torch.expm1(log_second_moment - 2 * log_p)",
        "return torch.exp(log_second_moment) / torch.exp(log_p) ** 2 - 1",
        "forms E[p(x|z)^2] / p(x)^2 from the densities, not in log space: 0 / 0 = nan far from the data",
    ),
    Mutant(
        "relative_variance_full_noise", "naive_mc_solution",
        "half_noise_cov = cov - 0.5 * sigma2 * torch.eye(D, dtype=W.dtype)",
        "half_noise_cov = cov",
        "squares the Gaussian density without halving its variance",
    ),
]
