"""Alternatives of assignment 06 (variational EM, amortized inference, the VAE): correct, written differently.

Where a docstring prescribes the random draws (their generator, shape and order), the
alternatives keep them: a different draw is a different (equally valid) estimate, which
the hidden tests may compare at a tight tolerance.
"""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: variational EM
    Alternative(
        "vem_by_distributions_and_maximize",
        {"vem_solution": '''
def kl_to_standard_normal(mean: Tensor, log_var: Tensor) -> Tensor:
    return kl_divergence(Normal(mean, torch.exp(0.5 * log_var)), Normal(torch.zeros_like(mean), torch.ones_like(mean))).sum(-1)


def reparameterize(mean: Tensor, log_var: Tensor, eps: Tensor) -> Tensor:
    return torch.addcmul(mean, log_var.exp().sqrt(), eps)


def elbo_estimate(x: Tensor, mean: Tensor, log_var: Tensor, log_lik, eps: Tensor) -> Tensor:
    k = eps.shape[0]
    total = 0.0
    for s in range(k):  # one sample at a time
        total = total + log_lik(x, reparameterize(mean, log_var, eps[s : s + 1]))[0]
    return total / k - kl_to_standard_normal(mean, log_var)


def variational_em(x: Tensor, decoder: nn.Module, mean: Tensor, log_var: Tensor, *, steps: int, lr: float,
                   k: int = 1, seed: int = 0, update_theta: bool = True) -> list[float]:
    gen = torch.Generator().manual_seed(seed)
    n, d = mean.shape
    e_opt = torch.optim.Adam([mean, log_var], lr=lr, maximize=True)
    m_opt = torch.optim.Adam(list(decoder.parameters()), lr=lr, maximize=True)
    history = []
    for _ in range(steps):
        e_opt.zero_grad()
        L = elbo_estimate(x, mean, log_var, decoder.log_prob, torch.randn(k, n, d, generator=gen, dtype=x.dtype))
        L.sum().backward()
        e_opt.step()
        history.append(float(L.detach().mean()))
        if not update_theta:
            continue
        m_opt.zero_grad()
        L = elbo_estimate(x, mean, log_var, decoder.log_prob, torch.randn(k, n, d, generator=gen, dtype=x.dtype))
        L.mean().backward()
        m_opt.step()
    return history
'''},
        "the KL by torch.distributions, z by addcmul with sqrt(exp(log_var)), the Monte-Carlo average one sample at a "
        "time, Adam with maximize=True instead of minimising the negative (same draws, same order)",
    ),
    # task 2: amortized inference
    Alternative(
        "amortized_by_two_optimizers",
        {"amortized_solution": '''
def amortized_elbo(x: Tensor, encoder: nn.Module, log_lik, eps: Tensor) -> Tensor:
    mean, log_var = encoder(x)
    z = mean + torch.exp(0.5 * log_var) * eps
    kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)
    return log_lik(x, z).mean(0) - kl


def minibatch_elbo(x_batch: Tensor, n: int, encoder: nn.Module, log_lik, eps: Tensor) -> Tensor:
    return amortized_elbo(x_batch, encoder, log_lik, eps).mean() * n


def fit_amortized(x: Tensor, encoder: nn.Module, decoder: nn.Module, *, steps: int, batch_size: int, lr: float,
                  k: int = 1, seed: int = 0) -> list[float]:
    gen = torch.Generator().manual_seed(seed)
    optimizers = [torch.optim.Adam(encoder.parameters(), lr=lr), torch.optim.Adam(decoder.parameters(), lr=lr)]
    history = []
    for _ in range(steps):
        idx = torch.randint(len(x), (batch_size,), generator=gen)
        eps = torch.randn(k, batch_size, encoder.latent_dim, generator=gen, dtype=x.dtype)
        per_object = minibatch_elbo(x.index_select(0, idx), len(x), encoder, decoder.log_prob, eps) / len(x)
        for optimizer in optimizers:
            optimizer.zero_grad()
        (-per_object).backward()
        for optimizer in optimizers:
            optimizer.step()
        history.append(per_object.item())
    return history
'''},
        "the ELBO written out (no call to elbo_estimate), n times the batch mean, index_select, and one Adam per "
        "network (Adam is per-parameter: the same updates as one optimizer over both)",
    ),
    # task 3: gradient estimators
    Alternative(
        "estimators_by_per_sample_loops",
        {"estimators_solution": '''
def reparam_grad_samples(f, mean: Tensor, log_var: Tensor, eps: Tensor) -> tuple[Tensor, Tensor]:
    grads_mean, grads_log_var = [], []
    for e in eps:  # one sample, one backward pass
        m = mean.detach().clone().requires_grad_(True)
        lv = log_var.detach().clone().requires_grad_(True)
        value = f(reparameterize(m, lv, e)[None])[0]
        g_m, g_lv = torch.autograd.grad(value, [m, lv])
        grads_mean.append(g_m)
        grads_log_var.append(g_lv)
    return torch.stack(grads_mean), torch.stack(grads_log_var)


def score_function_grad_samples(f, mean: Tensor, log_var: Tensor, eps: Tensor) -> tuple[Tensor, Tensor]:
    mean, log_var = mean.detach(), log_var.detach()
    var = log_var.exp()
    z = mean + var.sqrt() * eps
    with torch.no_grad():
        fz = f(z)
    # grad log N(z | mean, var) in mean: (z - mean) / var; in log_var: ((z - mean)^2 / var - 1) / 2
    return fz[:, None] * (z - mean) / var, fz[:, None] * 0.5 * ((z - mean) ** 2 / var - 1)
'''},
        "a backward pass per sample instead of one batched pass; the score written with z - mean instead of eps",
    ),
    # task 4: the VAE
    Alternative(
        "vae_by_distributions_and_manual_logsumexp",
        {"vae_solution": '''
class VAE(nn.Module):
    def log_lik(self, x: Tensor, z: Tensor) -> Tensor:
        scale = torch.exp(0.5 * self.log_sigma2)
        return Normal(self.decoder(z), scale).log_prob(x).sum(-1)

    def elbo(self, x: Tensor, eps: Tensor) -> Tensor:
        mean, log_var = self.encoder(x)
        z = reparameterize(mean, log_var, eps)
        return self.log_lik(x, z).mean(0) - kl_to_standard_normal(mean, log_var)

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        eps = torch.randn(1, x.shape[0], self.encoder.latent_dim, dtype=x.dtype)
        return {"loss": -self.elbo(x, eps).sum() / x.shape[0]}

    @torch.no_grad()
    def iw_log_likelihood(self, x: Tensor, k: int, generator: torch.Generator) -> Tensor:
        mean, log_var = self.encoder(x)
        eps = torch.randn(k, *mean.shape, generator=generator, dtype=x.dtype)
        std = torch.exp(0.5 * log_var)
        z = mean + std * eps
        log_w = (self.log_lik(x, z) + Normal(0.0, 1.0).log_prob(z).sum(-1) - Normal(mean, std).log_prob(z).sum(-1))
        top = log_w.max(0).values
        return top + torch.log(torch.exp(log_w - top).mean(0))  # log-mean-exp by hand

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        return self.decoder(torch.randn(n, self.latent_dim, generator=generator, dtype=self.log_sigma2.dtype))
'''},
        "densities by torch.distributions (log q at z instead of through eps), the importance weights averaged by a "
        "log-mean-exp by hand, the loss as sum / B",
    ),
    Alternative(
        "vae_densities_in_float64",
        {"vae_solution": '''
class VAE(nn.Module):
    def log_lik64(self, x: Tensor, z: Tensor) -> Tensor:
        mean, log_sigma2 = self.decoder(z).double(), self.log_sigma2.double()
        return -0.5 * ((x.double() - mean) ** 2 * torch.exp(-log_sigma2) + log_sigma2 + LOG_2PI).sum(-1)

    def log_lik(self, x: Tensor, z: Tensor) -> Tensor:
        return self.log_lik64(x, z).to(x.dtype)

    @torch.no_grad()
    def iw_log_likelihood(self, x: Tensor, k: int, generator: torch.Generator) -> Tensor:
        mean, log_var = self.encoder(x)
        eps = torch.randn(k, *mean.shape, generator=generator, dtype=x.dtype)
        z = reparameterize(mean, log_var, eps)
        e, lv, z64 = eps.double(), log_var.double(), z.double()
        log_w = self.log_lik64(x, z) - 0.5 * (z64**2).sum(-1) + 0.5 * (e**2 + lv).sum(-1)  # the 2 pi terms cancel
        return (torch.logsumexp(log_w, 0) - math.log(k)).to(x.dtype)
'''},
        "the Gaussian densities and the importance weights in float64 (the model stays float32), with the "
        "log(2 pi) of the prior and of q cancelled",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
