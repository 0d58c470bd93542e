"""Alternatives of assignment 04 (latent variable models): correct, written differently."""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: the conjugate Gaussian model
    Alternative(
        "bayes_precisions_and_evidence_in_closed_form",
        {"bayes_solution": '''
def posterior_mean_std(x: Tensor, sigma: float, m0: float, s0: float) -> tuple[Tensor, Tensor]:
    precision = torch.tensor(1 / s0**2 + len(x) / sigma**2, dtype=x.dtype)
    mean = (m0 / s0**2 + x.sum() / sigma**2) / precision
    return mean, precision.rsqrt()


def map_mean(x: Tensor, sigma: float, m0: float, scale: float, prior: str = "normal") -> Tensor:
    n, x_bar = len(x), x.sum() / len(x)
    if math.isinf(scale):
        return x_bar
    if prior == "laplace":
        # soft-thresholding written as a clip: x_bar minus its excess over m0, clipped to [-t, t]
        t = sigma**2 / (n * scale)
        return x_bar - torch.clamp(x_bar - m0, -t, t)
    # the mode of log p(X | theta) + log p(theta): a weighted mean of the prior mean and the data
    w_prior, w_data = sigma**2, n * scale**2
    return (w_prior * m0 + scale**2 * x.sum()) / (w_prior + w_data)


def log_evidence(x: Tensor, sigma: float, m0: float, s0: float) -> Tensor:
    # X ~ N(m0 1, sigma^2 I + s0^2 1 1^T), by Sherman-Morrison and the matrix determinant lemma
    n = len(x)
    r = x - m0
    c = sigma**2 + n * s0**2
    quad = (r**2).sum() / sigma**2 - s0**2 * r.sum() ** 2 / (sigma**2 * c)
    log_det = (n - 1) * math.log(sigma**2) + math.log(c)
    return -0.5 * (n * math.log(2 * math.pi) + log_det + quad)
'''},
        "precisions, the MLE as its own branch, the normal MAP as a weighted mean, "
        "the Laplace MAP as x_bar minus a clipped excess (soft-thresholding), and the evidence as the "
        "n-dimensional Gaussian marginal of X (Sherman-Morrison) instead of Bayes' theorem at one theta",
    ),
    Alternative(
        "map_by_comparing_candidates",
        {"bayes_solution": '''
def map_mean(x: Tensor, sigma: float, m0: float, scale: float, prior: str = "normal") -> Tensor:
    n = x.shape[0]
    if prior == "normal" or math.isinf(scale):
        precision = n / sigma**2 + (0.0 if math.isinf(scale) else 1 / scale**2)
        prior_term = 0.0 if math.isinf(scale) else m0 / scale**2
        return (prior_term + x.sum() / sigma**2) / precision
    # the objective is concave: its maximum is the vertex of the parabola on the side of m0 where that vertex lies, or m0
    x_bar = x.mean()
    right = x_bar - sigma**2 / (n * scale)  # vertex of the branch theta > m0
    left = x_bar + sigma**2 / (n * scale)  # vertex of the branch theta < m0
    candidates = torch.stack([torch.as_tensor(m0, dtype=x.dtype), right, left])
    objective = -n * (candidates - x_bar) ** 2 / (2 * sigma**2) - (candidates - m0).abs() / scale
    return candidates[torch.argmax(objective)]
'''},
        "the MAP by evaluating the objective at the three candidates of a concave piecewise parabola (m0 and both "
        "vertices) instead of a soft-threshold formula; the normal prior and the MLE by precisions",
    ),
    # task 2: the mixture
    Alternative(
        "mixture_by_solve_slogdet_loop_inverse_cdf_and_eigen_square_roots",
        {"mixture_solution": '''
def gaussian_log_density(x: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    if means.dim() == 1:
        return gaussian_log_density(x, means.unsqueeze(0), covs.unsqueeze(0)).squeeze(1)
    columns = []
    for k in range(means.shape[0]):  # one component at a time
        sigma = torch.diag(covs[k]) if covs.dim() == 2 else covs[k]
        r = x - means[k]
        quad = (r * torch.linalg.solve(sigma, r.T).T).sum(1)  # a general solve, not Cholesky
        log_det = torch.linalg.slogdet(sigma).logabsdet
        columns.append(-0.5 * quad - 0.5 * log_det - 0.5 * x.shape[1] * math.log(2 * math.pi))
    return torch.stack(columns, 1)


def mixture_sample(n: int, weights: Tensor, means: Tensor, covs: Tensor,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    eps = torch.randn(n, means.shape[1], generator=generator, dtype=means.dtype)  # the noise first
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    z = torch.searchsorted(torch.cumsum(weights.double(), 0), u, right=True).clamp(max=len(weights) - 1)
    full = torch.diag_embed(covs) if covs.dim() == 2 else covs
    values, vectors = torch.linalg.eigh(full)
    roots = vectors @ torch.diag_embed(values.sqrt()) @ vectors.mT  # symmetric square roots A_k, A_k A_k = Sigma_k
    return means[z] + torch.einsum("nij,nj->ni", roots[z], eps), z


def mixture_log_joint(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    return gaussian_log_density(x, means, covs) + weights.log()[None, :]


def mixture_inference(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    log_joint = mixture_log_joint(x, weights, means, covs)
    top = log_joint.max(1, keepdim=True).values
    log_marginal = (top + torch.log(torch.exp(log_joint - top).sum(1, keepdim=True)))[:, 0]  # log-sum-exp by hand
    total = torch.zeros((), dtype=x.dtype)
    for value in log_marginal:
        total = total + value
    return log_marginal, torch.softmax(log_joint, dim=1), total
'''},
        "the log-density component by component with a general solve and slogdet (no Cholesky), ancestral sampling "
        "with the noise drawn first, z by inverse CDF and symmetric (eigen) square roots; log-sum-exp by hand, "
        "softmax, a summing loop",
    ),
    Alternative(
        "mixture_by_scale_tril_and_expanded_quadratic",
        {"mixture_solution": '''
def gaussian_log_density(x: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    single = means.dim() == 1
    means, covs = (means[None], covs[None]) if single else (means, covs)
    if covs.dim() == 2:
        covs = torch.diag_embed(covs)
    mvn = torch.distributions.MultivariateNormal(means, scale_tril=torch.linalg.cholesky(covs))
    out = mvn.log_prob(x[:, None, :])  # (n, C) by broadcasting
    return out[:, 0] if single else out


def mixture_log_joint(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    return torch.log_softmax(torch.log(weights), 0) + gaussian_log_density(x, means, covs)


def mixture_inference(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    log_joint = mixture_log_joint(x, weights, means, covs)
    log_posterior = torch.log_softmax(log_joint, dim=1)
    log_marginal = (log_joint - log_posterior).mean(1)  # the same value in every column
    return log_marginal, log_posterior.exp(), torch.logsumexp(log_joint, 1).sum()
'''},
        "the log-densities by torch.distributions.MultivariateNormal with a Cholesky scale, the marginal as "
        "log p(x, z) - log p(z | x) (any column) after log_softmax",
    ),
    # task 3: PPCA
    Alternative(
        "ppca_by_cholesky_of_C_and_conditioning",
        {"ppca_solution": '''
def ppca_marginal(W: Tensor, mu: Tensor, sigma2: float) -> tuple[Tensor, Tensor]:
    cov = torch.einsum("ik,jk->ij", W, W)
    cov.diagonal().add_(sigma2)
    return mu.clone(), cov


def ppca_log_marginal(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    mean, cov = ppca_marginal(W, mu, sigma2)
    L = torch.linalg.cholesky(cov)  # the D x D factor: slower, just as right
    y = torch.linalg.solve_triangular(L, (x - mean).T, upper=False)  # (D, n)
    D = W.shape[0]
    return -0.5 * (y**2).sum(0) - torch.log(torch.diagonal(L)).sum() - 0.5 * D * math.log(2 * math.pi)


def ppca_posterior(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> tuple[Tensor, Tensor]:
    # Gaussian conditioning on the joint of (z, x): mean W^T C^{-1} (x - mu), covariance I - W^T C^{-1} W
    _, C = ppca_marginal(W, mu, sigma2)
    C_inv_W = torch.linalg.solve(C, W)  # (D, d)
    cov = torch.eye(W.shape[1], dtype=W.dtype) - W.T @ C_inv_W
    return (x - mu) @ C_inv_W, cov
'''},
        "the marginal by einsum, its log-density by a D x D Cholesky solve instead of Woodbury, the posterior by "
        "conditioning the joint Gaussian (D x D solve) instead of the d x d matrix M",
    ),
    Alternative(
        "ppca_by_explicit_inverse_slogdet_and_literal_square",
        {"ppca_solution": '''
def ppca_log_marginal(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    D, d = W.shape
    M = W.T @ W + sigma2 * torch.eye(d, dtype=W.dtype)
    r = x - mu
    Wr = r @ W  # (n, d)
    quad = ((r * r).sum(1) - (Wr @ torch.linalg.inv(M) * Wr).sum(1)) / sigma2
    log_det_C = torch.linalg.slogdet(M).logabsdet + (D - d) * torch.log(torch.as_tensor(sigma2, dtype=x.dtype))
    return -0.5 * quad - 0.5 * log_det_C - 0.5 * D * math.log(2 * math.pi)


def ppca_posterior(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> tuple[Tensor, Tensor]:
    d = W.shape[1]
    precision = (W.T @ W) / sigma2 + torch.eye(d, dtype=W.dtype)  # the coefficient A of -z^T A z / 2
    b = (x - mu) @ W / sigma2  # the linear coefficients, one row per x_i
    cov = torch.linalg.inv(precision)
    return torch.linalg.solve(precision, b.T).T, cov
'''},
        "Woodbury with an explicit d x d inverse and slogdet, the posterior from its precision A = W^T W / sigma^2 + I "
        "and b = W^T (x - mu) / sigma^2 (completing the square literally)",
    ),
    # task 4: naive Monte Carlo
    Alternative(
        "naive_mc_by_library_densities",
        {"naive_mc_solution": '''
def naive_mc_log_marginal(x: Tensor, z: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    centres = z @ W.T + mu  # (K, D)
    noise = torch.full_like(centres, sigma2)  # diagonal covariances sigma^2 I, one per sample
    log_p = gaussian_log_prob(x, centres, noise)  # (n, K)
    return torch.logsumexp(log_p - math.log(len(z)), dim=1)


def mc_relative_variance(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    # p(x|z)^2 = (4 pi sigma^2)^(-D/2) N(x | W z + mu, sigma^2 / 2 I), so E_p(z)[p(x|z)^2] is a Gaussian marginal too
    D = W.shape[0]
    MVN = torch.distributions.MultivariateNormal
    C = W @ W.T + sigma2 * torch.eye(D, dtype=W.dtype)
    log_p = MVN(mu, C).log_prob(x)
    log_m2 = MVN(mu, C - 0.5 * sigma2 * torch.eye(D, dtype=W.dtype)).log_prob(x) - 0.5 * D * math.log(4 * math.pi * sigma2)
    return torch.exp(log_m2 - 2 * log_p) - 1
'''},
        "the densities by dgm_utils' diagonal Gaussians and torch.distributions, 1/K inside the logsumexp, exp - 1",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
