"""Alternatives of assignment 05 (the ELBO and EM): correct, written differently."""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: the ELBO of the mixture
    Alternative(
        "mixture_elbo_as_log_p_minus_kl",
        {"elbo_mixture_solution": '''
def categorical_kl(log_q: Tensor, log_p: Tensor) -> Tensor:
    q = torch.exp(log_q)
    terms = q * (log_q - log_p)
    return terms.masked_fill(q == 0, 0.0).sum(-1)


def mixture_elbo(x: Tensor, log_q: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    # derivation 2 read backwards: L(q) = log p(x) - KL(q || p(z | x))
    log_joint = weights.log() + gaussian_log_prob(x, means, covs)
    log_px = torch.logsumexp(log_joint, 1)
    return log_px - categorical_kl(log_q, log_joint - log_px[:, None])


def mixture_elbo_rec_kl(x: Tensor, log_q: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    expected_log_lik = torch.zeros(x.shape[0], dtype=x.dtype)
    for k in range(len(weights)):
        q_k = log_q[:, k].exp()
        expected_log_lik = expected_log_lik + q_k * gaussian_log_prob(x, means[k], covs[k])
    return expected_log_lik - categorical_kl(log_q, weights.log().expand_as(log_q))
'''},
        "zero-probability terms masked after the product, the ELBO as log p(x) - KL(q || posterior), "
        "the expected log-likelihood by a loop over components",
    ),
    # task 1: the ELBO of PPCA
    Alternative(
        "ppca_elbo_by_cholesky_and_frobenius",
        {"elbo_ppca_solution": '''
def gaussian_kl(m0: Tensor, S0: Tensor, m1: Tensor, S1: Tensor) -> Tensor:
    L1 = torch.linalg.cholesky(S1)
    L0 = torch.linalg.cholesky(S0)
    A = torch.linalg.solve_triangular(L1, L0, upper=False)
    b = torch.linalg.solve_triangular(L1, (m1 - m0).T, upper=False)  # (d, n)
    log_det_ratio = 2 * (L1.diagonal().log().sum() - L0.diagonal().log().sum())
    return 0.5 * ((A**2).sum() + (b**2).sum(0) - m0.shape[-1] + log_det_ratio)


def ppca_expected_log_lik(x: Tensor, m: Tensor, S: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    D = W.shape[0]
    squared = ((x - mu - m @ W.T) ** 2).sum(-1)
    spread = (W * (W @ S)).sum()  # tr(W S W^T)
    return -(squared + spread) / (2 * sigma2) - D / 2 * math.log(2 * math.pi) - D / 2 * math.log(sigma2)


def ppca_elbo(x: Tensor, m: Tensor, S: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    d = m.shape[1]
    # KL(N(m_i, S) || N(0, I)) = 1/2 (tr S + ||m_i||^2 - d - log det S)
    kl = 0.5 * (torch.trace(S) + (m**2).sum(1) - d - torch.logdet(S))
    return ppca_expected_log_lik(x, m, S, W, mu, sigma2) - kl
'''},
        "the Gaussian KL by Cholesky solves, tr(W S W^T) as a Frobenius product, the KL to N(0, I) written out",
    ),
    # task 2: E- and M-step
    Alternative(
        "em_steps_by_component_loops",
        {"em_steps_solution": '''
def e_step(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> tuple[Tensor, Tensor]:
    log_joint = gaussian_log_prob(x, means, covs) + torch.log(weights)
    return torch.softmax(log_joint, dim=1), torch.logsumexp(log_joint, dim=1)


def m_step(x: Tensor, resp: Tensor, reg_covar: float = 1e-6,
           covariance_type: str = "full") -> tuple[Tensor, Tensor, Tensor]:
    n, D = x.shape
    weights, means, covs = [], [], []
    for k in range(resp.shape[1]):
        r = resp[:, k]
        n_k = r.sum()
        mean = (r[:, None] * x).sum(0) / n_k
        diff = x - mean  # around the NEW mean, two passes as in the textbook
        if covariance_type == "diag":
            cov = (r[:, None] * diff**2).sum(0) / n_k + reg_covar
        else:
            cov = (r[:, None] * diff).T @ diff / n_k + reg_covar * torch.eye(D, dtype=x.dtype)
        weights.append(n_k / n)
        means.append(mean)
        covs.append(cov)
    return torch.stack(weights), torch.stack(means), torch.stack(covs)
'''},
        "softmax for the responsibilities; the M-step one component at a time with covariances around the new means "
        "(two passes, as scikit-learn and Bishop write it) instead of one batched second-moment product",
    ),
    Alternative(
        "fit_em_by_while_loop",
        {"fit_em_solution": '''
def fit_em(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor, max_iter: int = 100, tol: float = 1e-3,
           reg_covar: float = 1e-6, covariance_type: str = "full", progress: bool = True) -> EMResult:
    theta = (weights, means, covs)
    path, lls = [theta], []
    n_iter, converged, previous = 0, False, None
    while n_iter < max_iter and not converged:
        resp, log_lik = e_step(x, *theta)
        current = float(log_lik.mean())
        lls.append(current)
        theta = m_step(x, resp, reg_covar=reg_covar, covariance_type=covariance_type)
        path.append(theta)
        n_iter += 1
        converged = previous is not None and abs(current - previous) < tol
        previous = current
    lls.append(float(e_step(x, *theta)[1].mean()))
    return EMResult(*theta, log_likelihoods=lls, path=path, n_iter=n_iter, converged=converged)
'''},
        "a while loop with the previous value kept, float() instead of .item(), keyword construction of the result",
    ),
    # task 3: EM for PPCA
    Alternative(
        "ppca_em_by_solves_and_svd",
        {"ppca_em_solution": '''
def ppca_e_step(x: Tensor, W: Tensor, mu: Tensor, sigma2) -> tuple[Tensor, Tensor]:
    M = W.T @ W + sigma2 * torch.eye(W.shape[1], dtype=W.dtype)
    Ez = torch.linalg.solve(M, W.T @ (x - mu).T).T
    return Ez, sigma2 * torch.cholesky_inverse(torch.linalg.cholesky(M))


def ppca_m_step(x: Tensor, Ez: Tensor, Sz: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    n, D = x.shape
    mu = x.sum(0) / n
    xc = x - mu
    Ezz = torch.einsum("ni,nj->ij", Ez, Ez) + n * Sz  # sum_i E[z_i z_i^T]
    W = xc.T @ Ez @ torch.linalg.inv(Ezz)
    # sigma^2 = 1/(n D) sum_i E||x_i - mu - W z_i||^2, term by term
    residual = xc - Ez @ W.T
    sigma2 = ((residual**2).sum() + n * torch.trace(W @ Sz @ W.T)) / (n * D)
    return W, mu, sigma2


def ppca_closed_form(x: Tensor, d: int) -> tuple[Tensor, Tensor, Tensor]:
    n = x.shape[0]
    mu = x.mean(0)
    _, s, Vh = torch.linalg.svd((x - mu) / math.sqrt(n), full_matrices=False)
    eigenvalues = s**2  # of the covariance, in descending order
    sigma2 = eigenvalues[d:].sum() / (x.shape[1] - d)
    return Vh[:d].T * (eigenvalues[:d] - sigma2).sqrt(), mu, sigma2
'''},
        "the E-step by a solve and a Cholesky inverse, sigma^2 as the expected squared residual (E||x - W z||^2 "
        "= ||x - W E z||^2 + tr(W S W^T)), the closed form by an SVD of the data instead of eigh of the covariance",
    ),
    Alternative(
        "ppca_em_by_precision_while_loop_and_released_marginal",
        {"ppca_em_solution": '''
from dgm_utils.released.a04_latent_variable_models import ppca_log_marginal


def ppca_e_step(x: Tensor, W: Tensor, mu: Tensor, sigma2) -> tuple[Tensor, Tensor]:
    # completing the square: precision P = W^T W / sigma^2 + I, mean P^{-1} W^T (x - mu) / sigma^2
    P = W.T @ W / sigma2 + torch.eye(W.shape[1], dtype=W.dtype)
    cov = torch.linalg.inv(P)
    return (x - mu) @ W @ cov / sigma2, cov


def ppca_mean_field_e_step(x: Tensor, W: Tensor, mu: Tensor, sigma2) -> tuple[Tensor, Tensor]:
    # stationarity: m_i = (W^T W + sigma^2 I)^{-1} W^T (x_i - mu); 1 / s_j = ||w_j||^2 / sigma^2 + 1
    precision = (W**2).sum(0) / sigma2 + 1.0
    Ez, _ = ppca_e_step(x, W, mu, sigma2)
    return Ez, torch.diag_embed(1.0 / precision)


def ppca_em(x: Tensor, W: Tensor, mu: Tensor, sigma2, max_iter: int = 300, tol: float = 1e-6,
            progress: bool = True) -> PPCAResult:
    def mean_log_lik(W, mu, sigma2):
        return float(ppca_log_marginal(x, W, mu, sigma2).mean())

    history, n_iter, converged = [], 0, False
    bar = tqdm(total=max_iter, desc="PPCA EM", disable=not progress)
    while n_iter < max_iter and not converged:
        history.append(mean_log_lik(W, mu, sigma2))
        W, mu, sigma2 = ppca_m_step(x, *ppca_e_step(x, W, mu, sigma2))
        n_iter += 1
        bar.update()
        converged = n_iter > 1 and abs(history[-1] - history[-2]) < tol
    bar.close()
    history.append(mean_log_lik(W, mu, sigma2))
    return PPCAResult(W=W, mu=mu, sigma2=sigma2, log_likelihoods=history, n_iter=n_iter, converged=converged)
'''},
        "the E-step through the precision P = W^T W / sigma^2 + I instead of M, the mean-field variances as the "
        "inverse diagonal precisions 1 / (||w_j||^2 / sigma^2 + 1), and the loop as a while loop whose history is "
        "assignment 04's released log marginal (dgm_utils.released) instead of the ELBO at the posterior",
    ),
    Alternative(
        "ppca_expected_log_lik_expanded",
        {"elbo_ppca_solution": '''
def ppca_expected_log_lik(x: Tensor, m: Tensor, S: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    # E_q ||x - mu - W z||^2 = ||x - mu||^2 - 2 m^T W^T (x - mu) + tr(W^T W E[z z^T]),  E[z z^T] = S + m m^T
    D = x.shape[1]
    xc = x - mu
    WtW = W.T @ W
    quad = (xc**2).sum(1) - 2 * ((xc @ W) * m).sum(1) + (m @ WtW * m).sum(1) + (WtW * S).sum()
    return -0.5 * (D * torch.log(torch.as_tensor(2 * math.pi * sigma2, dtype=x.dtype)) + quad / sigma2)


def gaussian_kl(m0: Tensor, S0: Tensor, m1: Tensor, S1: Tensor) -> Tensor:
    # E_q[log q] = -1/2 (d log 2 pi + log det S0 + d), E_q[log p] by the identity with a = m1, A = S1^{-1}
    d = m0.shape[1]
    expected_log_q = -0.5 * (d * math.log(2 * math.pi) + torch.slogdet(S0)[1] + d)
    diff = (m0 - m1).T  # (d, n)
    solved = torch.linalg.solve(S1, diff)
    expected_log_p = -0.5 * (d * math.log(2 * math.pi) + torch.slogdet(S1)[1]
                             + (diff * solved).sum(0) + torch.linalg.solve(S1, S0).trace())
    return expected_log_q - expected_log_p
'''},
        "the expected squared residual expanded through the second moment E[z z^T] = S + m m^T, and the KL as "
        "E_q log q - E_q log p, each by the identity, with solves and slogdet instead of an inverse and logdet",
    ),
    # task 4: EM for one mean, with the bounds
    Alternative(
        "em_one_mean_by_hand",
        {"em_picture_solution": '''
def em_one_mean(x: Tensor, mu1: Tensor, weights: Tensor, means: Tensor, covs: Tensor, n_iter: int,
                grid: Tensor) -> tuple[Tensor, Tensor]:
    iterates = torch.empty(n_iter + 1, *mu1.shape, dtype=x.dtype)
    bounds = torch.empty(n_iter, len(grid), dtype=x.dtype)
    iterates[0] = mu1
    rest = torch.log(weights[1:]) + gaussian_log_prob(x, means[1:], covs[1:])  # (n, K - 1): fixed components
    for t in range(n_iter):
        current = means.clone()
        current[0] = iterates[t]
        log_joint = torch.log(weights) + gaussian_log_prob(x, current, covs)
        log_q = torch.log_softmax(log_joint, dim=1)
        r = log_q[:, 0].exp()
        # L(q_t, mu) = sum_i sum_k q_ik (log p(x_i, k | mu) - log q_ik): only the k = 0 term moves with mu
        fixed = (log_q[:, 1:].exp() * (rest - log_q[:, 1:])).sum()
        for g, point in enumerate(grid):
            moving = torch.log(weights[0]) + gaussian_log_prob(x, point, covs[0]) - log_q[:, 0]
            bounds[t, g] = fixed + (r * moving).sum()
        iterates[t + 1] = (r[:, None] * x).sum(0) / r.sum()
    return iterates, bounds
'''},
        "responsibilities in log space (log_softmax) instead of calling e_step, the bound written out by hand with "
        "the terms of the fixed components computed once (only component 0 moves with mu_1), preallocated tensors",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
