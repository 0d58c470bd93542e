"""Alternatives of assignment 04 (latent variable models): correct, written differently."""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: the conjugate Gaussian model
    Alternative(
        "bayes_precisions_and_evidence_in_closed_form",
        {"bayes_solution": '''
def normal_log_prob(x: Tensor, mean, std) -> Tensor:
    var = torch.as_tensor(std, dtype=x.dtype) ** 2
    return -0.5 * (torch.log(2 * math.pi * var) + (x - mean) ** 2 / var)


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
        "the log-density through the variance, precisions, the MLE as its own branch, the normal MAP as a weighted mean, "
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
        "mixture_by_inverse_cdf_and_eigen_square_roots",
        {"mixture_solution": '''
def mixture_sample(n: int, weights: Tensor, means: Tensor, covs: Tensor,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    eps = torch.randn(n, means.shape[1], generator=generator, dtype=means.dtype)  # the noise first
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    z = torch.searchsorted(torch.cumsum(weights.double(), 0), u, right=True).clamp(max=len(weights) - 1)
    values, vectors = torch.linalg.eigh(covs)
    roots = vectors @ torch.diag_embed(values.sqrt()) @ vectors.mT  # symmetric square roots A_k, A_k A_k = Sigma_k
    return means[z] + torch.einsum("nij,nj->ni", roots[z], eps), z


def mixture_log_joint(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    MVN = torch.distributions.MultivariateNormal
    return torch.stack([MVN(means[k], covs[k]).log_prob(x) + weights[k].log() for k in range(len(weights))], 1)


def mixture_log_marginal(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    log_joint = mixture_log_joint(x, weights, means, covs)
    top = log_joint.max(1, keepdim=True).values
    return (top + torch.log(torch.exp(log_joint - top).sum(1, keepdim=True)))[:, 0]  # log-sum-exp by hand


def mixture_posterior(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    return torch.softmax(mixture_log_joint(x, weights, means, covs), dim=1)


def mixture_log_likelihood(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    total = torch.zeros((), dtype=x.dtype)
    for value in mixture_log_marginal(x, weights, means, covs):
        total = total + value
    return total
'''},
        "ancestral sampling with the noise drawn first, z by inverse CDF and symmetric (eigen) square roots "
        "instead of Cholesky; MultivariateNormal per component, log-sum-exp by hand, softmax, a summing loop",
    ),
    # task 3: PPCA
    Alternative(
        "ppca_by_cholesky_and_woodbury",
        {"ppca_solution": '''
def ppca_marginal(W: Tensor, mu: Tensor, sigma2: float) -> tuple[Tensor, Tensor]:
    cov = torch.einsum("ik,jk->ij", W, W)
    cov.diagonal().add_(sigma2)
    return mu.clone(), cov


def ppca_log_marginal(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    mean, cov = ppca_marginal(W, mu, sigma2)
    L = torch.linalg.cholesky(cov)
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
        "the marginal by einsum, its log-density by a Cholesky solve, the posterior by conditioning the joint "
        "Gaussian (D x D solve) instead of the d x d matrix M",
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
