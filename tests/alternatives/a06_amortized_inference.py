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
        "the student's own helpers (the KL by torch.distributions, z by addcmul with sqrt(exp(log_var))), the Monte-Carlo "
        "average one sample at a time (one call of log_lik per sample), Adam with maximize=True instead of minimising the "
        "negative (same draws, same order)",
    ),
    Alternative(
        "elbo_in_the_vae_papers_form",
        {"vem_solution": '''
def elbo_estimate(x: Tensor, mean: Tensor, log_var: Tensor, log_lik, eps: Tensor) -> Tensor:
    std = torch.sqrt(torch.exp(log_var))
    neg_kl = 0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp(), dim=-1)  # -KL as in Kingma and Welling (2014)
    return log_lik(x, eps * std + mean).sum(0) / eps.shape[0] + neg_kl
'''},
        "minus the KL written as 1/2 sum(1 + log sigma^2 - m^2 - sigma^2) and added, sigma by a square root, the "
        "Monte-Carlo average as a sum over samples divided by k",
    ),
    Alternative(
        "elbo_kl_as_expectations",
        {"vem_solution": '''
def elbo_estimate(x: Tensor, mean: Tensor, log_var: Tensor, log_lik, eps: Tensor) -> Tensor:
    var = log_var.exp()
    z = torch.addcmul(mean, var.sqrt(), eps)
    # KL = E_q log q - E_q log p: E_q log q = -1/2 sum(log 2 pi sigma^2 + 1), E_q log p = -1/2 sum(log 2 pi + m^2 + sigma^2)
    e_log_q = -0.5 * (LOG_2PI + log_var + 1).sum(-1)
    e_log_p = -0.5 * (LOG_2PI + mean**2 + var).sum(-1)
    return torch.mean(log_lik(x, z), dim=0) - (e_log_q - e_log_p)
'''},
        "the KL as the difference of the two expected log-densities (the 2 pi terms cancel only numerically), z by addcmul",
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
        value = f((m + torch.exp(0.5 * lv) * e)[None])[0]
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
class GaussianPixels(nn.Module):
    def log_prob(self, x: Tensor, mu: Tensor) -> Tensor:
        return Normal(mu, torch.exp(0.5 * self.log_sigma2)).log_prob(x).sum(-1)


class VAE(nn.Module):
    def elbo(self, x: Tensor, eps: Tensor) -> Tensor:
        mean, log_var = self.encoder(x)
        std = torch.exp(0.5 * log_var)
        z = mean + std * eps
        return self.log_lik(x, z).mean(0) - kl_divergence(Normal(mean, std), Normal(0.0, 1.0)).sum(-1)

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        mean, log_var = self.encoder(x)
        std = torch.exp(0.5 * log_var)
        z = mean + std * torch.randn(1, x.shape[0], self.encoder.latent_dim, dtype=x.dtype)
        rec = -self.log_lik(x, z).sum() / x.shape[0]
        kl = kl_divergence(Normal(mean, std), Normal(0.0, 1.0)).sum(-1).mean()
        return {"loss": rec + self.beta * kl, "rec": rec, "kl": kl}

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
        return self.likelihood.mean(self.decoder(torch.randn(n, self.latent_dim, generator=generator)))
'''},
        "densities by torch.distributions (log q at z instead of through eps), the importance weights averaged by a "
        "log-mean-exp by hand, the loss's KL by torch.distributions and its reconstruction as sum / B",
    ),
    Alternative(
        "vae_densities_in_float64_loss_from_elbo",
        {"vae_solution": '''
class GaussianPixels(nn.Module):
    def log_prob(self, x: Tensor, mu: Tensor) -> Tensor:
        log_sigma2 = self.log_sigma2.double()
        log_p = -0.5 * ((x.double() - mu.double()) ** 2 * torch.exp(-log_sigma2) + log_sigma2 + LOG_2PI).sum(-1)
        return log_p.to(x.dtype)


class VAE(nn.Module):
    def loss(self, x: Tensor) -> dict[str, Tensor]:
        mean, log_var = self.encoder(x)
        eps = torch.randn(1, len(x), self.latent_dim, dtype=x.dtype)
        kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1).mean()
        neg_elbo = -elbo_estimate(x, mean, log_var, self.log_lik, eps).mean()
        return {"loss": neg_elbo + (self.beta - 1) * kl, "rec": neg_elbo - kl, "kl": kl}

    @torch.no_grad()
    def iw_log_likelihood(self, x: Tensor, k: int, generator: torch.Generator) -> Tensor:
        mean, log_var = self.encoder(x)
        eps = torch.randn(k, *mean.shape, generator=generator, dtype=x.dtype)
        z = mean + torch.exp(0.5 * log_var) * eps
        e, lv, z64 = eps.double(), log_var.double(), z.double()
        log_w = self.log_lik(x, z).double() - 0.5 * (z64**2).sum(-1) + 0.5 * (e**2 + lv).sum(-1)  # the 2 pi terms cancel
        return (torch.logsumexp(log_w, 0) - math.log(k)).to(x.dtype)
'''},
        "the Gaussian density and the importance weights in float64 (the model stays float32), with the log(2 pi) of "
        "the prior and of q cancelled; the loss as the negative ELBO of elbo_estimate plus (beta - 1) times the KL",
    ),
    Alternative(
        "training_step_by_autograd_grad",
        {"vae_solution": '''
class VAE(nn.Module):
    def training_step(self, x: Tensor, optimizer: torch.optim.Optimizer) -> dict[str, Tensor]:
        out = self.loss(x)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        grads = torch.autograd.grad(out["loss"], params, allow_unused=True)
        for p, g in zip(params, grads):  # overwrite, never add to, what .grad held
            p.grad = g
        optimizer.step()
        return {"loss": out["loss"].detach(), "rec": out["rec"].detach(), "kl": out["kl"].detach()}
'''},
        "the gradient by torch.autograd.grad over the optimizer's parameters, written into .grad (no zero_grad, no "
        "backward), each entry detached by name",
    ),
    # task 5: the categorical decoder
    Alternative(
        "categorical_by_distributions",
        {"pixels_solution": '''
class CategoricalPixels(nn.Module):
    def log_prob(self, x: Tensor, logits: Tensor) -> Tensor:
        per_pixel = torch.distributions.Categorical(logits=logits.reshape(*logits.shape[:-1], -1, self.levels))
        return per_pixel.log_prob(x.long()).sum(-1)
'''},
        "torch.distributions.Categorical over reshaped logits (the value broadcasts over the sample dimension)",
    ),
    Alternative(
        "categorical_by_one_hot_and_logsumexp",
        {"pixels_solution": '''
class CategoricalPixels(nn.Module):
    def log_prob(self, x: Tensor, logits: Tensor) -> Tensor:
        l = logits.view(*logits.shape[:-1], x.shape[-1], self.levels)
        observed = (F.one_hot(x.long(), self.levels).to(l.dtype) * l).sum(-1)  # l_{j, x_j}
        return (observed - torch.logsumexp(l, -1)).sum(-1)
'''},
        "the observed level's logit picked by a one-hot product, minus logsumexp over the levels",
    ),
    Alternative(
        "lost_mass_by_erf",
        {"pixels_solution": '''
@torch.no_grad()
def gaussian_lost_mass(model: VAE, y: Tensor) -> tuple[Tensor, float]:
    mean, _ = model.encoder(y)
    mu = model.decoder(mean)
    sigma = model.likelihood.log_sigma2.exp().sqrt()

    def standard_cdf(t: Tensor) -> Tensor:
        return 0.5 * (1 + torch.erf(t / math.sqrt(2)))

    inside = standard_cdf((1 - mu) / sigma) - standard_cdf(-mu / sigma)
    return 1 - inside, float(-torch.log(inside).mean() / math.log(2))
'''},
        "the normal CDF by erf on standardised bounds, sigma as the square root of the variance, bits as nats / ln 2",
    ),
    # task 6: posterior collapse
    Alternative(
        "usage_written_out",
        {"usage_solution": '''
@torch.no_grad()
def latent_usage(model: VAE, x: Tensor) -> tuple[Tensor, Tensor]:
    mean, log_var = model.encoder(x)
    kl = torch.stack([kl_divergence(Normal(mean[:, u], torch.exp(0.5 * log_var[:, u])), Normal(0.0, 1.0)).mean()
                      for u in range(mean.shape[1])])
    centred = mean - mean.mean(0)
    return kl, (centred**2).sum(0) / (len(x) - 1)
'''},
        "the KL per dimension one dimension at a time by torch.distributions, the variance written out",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
