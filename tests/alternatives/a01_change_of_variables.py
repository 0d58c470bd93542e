"""Alternatives of assignment 01 (Jacobians and the change of variables): correct, written differently."""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: Jacobians
    Alternative(
        "jacobians_by_loops_and_stack",
        {"jacobian_solution": '''
def linear_jacobian(W: Tensor, x: Tensor) -> Tensor:
    return torch.stack([W.clone() for _ in range(x.shape[0])])


def coupling_jacobian(x: Tensor) -> Tensor:
    rows = []
    for x1, x2 in x.tolist():
        t = math.tanh(x1)
        s = math.exp(0.5 * t)
        mu_1 = 0.5 * x1**2 - 1.0
        d21 = -x1 / s - (x2 - mu_1) * 0.5 * (1 - t * t) / s  # d/dx1 of (x2 - mu) exp(-tanh(x1) / 2)
        rows.append([[1.0, 0.0], [d21, 1.0 / s]])
    return torch.tensor(rows, dtype=x.dtype)


def autograd_jacobian(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    # one Jacobian per row: f is row-wise, so f of a one-row batch is that row's image
    return torch.stack([torch.autograd.functional.jacobian(lambda v: f(v[None])[0], row) for row in x])
'''},
        "python loops and floats instead of batched tensor code; the coupling derivative simplified by hand",
    ),
    Alternative(
        "jacobians_by_expand_and_vmap",
        {"jacobian_solution": '''
def linear_jacobian(W: Tensor, x: Tensor) -> Tensor:
    return W.expand(x.shape[0], *W.shape)


def coupling_jacobian(x: Tensor) -> Tensor:
    x1, x2 = x[:, 0], x[:, 1]
    log_s = 0.5 * torch.tanh(x1)
    d_log_s = 0.5 / torch.cosh(x1) ** 2
    inv_s = torch.exp(-log_s)
    zero, one = torch.zeros_like(x1), torch.ones_like(x1)
    d21 = -inv_s * (x1 + (x2 - mu(x1)) * d_log_s)
    return torch.stack([torch.stack([one, zero], -1), torch.stack([d21, inv_s], -1)], -2)


def autograd_jacobian(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    return torch.func.vmap(torch.func.jacrev(lambda v: f(v[None])[0]))(x)
'''},
        "a broadcast view instead of a copy, d/dx log sigma = (1 - tanh^2) / 2 written as 1/(2 cosh^2), torch.func's vmap(jacrev)",
    ),
    # task 2: change of variables
    Alternative(
        "change_of_variables_by_distributions_and_autograd",
        {"cov_solution": '''
def standard_normal_log_prob(z: Tensor) -> Tensor:
    return torch.distributions.Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(-1)


def coupling_inverse(z: Tensor) -> Tensor:
    x = z.clone()
    x[:, 1] = sigma(z[:, 0]) * z[:, 1] + mu(z[:, 0])
    return x


def coupling_log_det(x: Tensor) -> Tensor:
    return -0.5 * torch.tanh(x[:, 0])  # log sigma(x_1) = tanh(x_1) / 2


def coupling_log_prob(x: Tensor) -> Tensor:
    z = coupling_f(x)
    log_det = torch.linalg.slogdet(torch.func.vmap(torch.func.jacrev(lambda v: coupling_f(v[None])[0]))(x)).logabsdet
    return log_det + standard_normal_log_prob(z)
'''},
        "torch.distributions for N(0, I), in-place inverse, the log-det simplified analytically, and the density "
        "with the log-det from the autograd Jacobian (slogdet) instead of the closed form",
    ),
    # task 3: composition
    Alternative(
        "composition_recursive",
        {"composition_solution": '''
def flow_forward(layers: list, x: Tensor) -> tuple[Tensor, Tensor]:
    if not layers:
        return x, x.new_zeros(x.shape[0])
    first, *rest = layers
    z, log_det = flow_forward(rest, first.f(x))
    return z, first.log_det(x) + log_det


def flow_inverse(layers: list, z: Tensor) -> Tensor:
    for k in range(len(layers) - 1, -1, -1):
        z = layers[k].g(z)
    return z


def flow_log_prob(layers: list, base_log_prob: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    log_dets, h = [], x
    for layer in layers:
        log_dets.append(layer.log_det(h))
        h = layer.f(h)
    total = torch.stack(log_dets).sum(0) if log_dets else torch.zeros(x.shape[0], dtype=x.dtype)
    return total + base_log_prob(h)
'''},
        "recursion instead of a loop, an index loop for the inverse, log-dets stacked and summed at the end",
    ),
    # task 4: KL losses and duality
    Alternative(
        "kl_losses_other_order",
        {"kl_losses_solution": '''
def forward_kl(flow: ElementwiseAffineFlow, target_log_prob: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    z = flow.f(x)
    return -(flow.log_det_f(x) + flow.base_log_prob(z) - target_log_prob(x)).sum() / x.shape[0]


def reverse_kl(flow: ElementwiseAffineFlow, target_log_prob: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    x = flow.mu + z * flow.log_sigma.exp()  # g(z)
    log_det_g = flow.log_sigma.sum()  # log|det J_g| = sum_j log sigma_j, the same for every z
    return flow.base_log_prob(z).mean() - log_det_g - target_log_prob(x).mean()
'''},
        "sum / n instead of mean with the signs moved out; g(z) and log|det J_g| = sum log sigma written directly, "
        "the constant taken out of the average",
    ),
    Alternative(
        "loop_by_dataloader_rmsprop_and_nll",
        {"fit_solution": '''
def forward_kl_optimum(x: Tensor) -> tuple[Tensor, Tensor]:
    variance, mean = torch.var_mean(x, dim=0, correction=0)
    return mean, torch.log(variance.sqrt())


def fit_forward_kl(flow, target_log_prob, train_x, val_x, steps, batch_size=256, lr=0.05, eval_every=50, seed=0):
    from torch.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(train_x), batch_size=batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))

    def epochs():
        while True:  # every pass over the loader is a new random order
            yield from loader

    batches = epochs()
    optimizer = torch.optim.RMSprop(flow.parameters(), lr=lr / 2)
    train, val = [], []
    with torch.no_grad():
        val.append(forward_kl(flow, target_log_prob, val_x).item())
    for step in tqdm(range(steps)):
        (batch,) = next(batches)
        optimizer.zero_grad(set_to_none=True)
        nll = -flow.log_prob(batch).mean()  # forward KL up to the constant E[log pi]: the same gradient
        nll.backward()
        optimizer.step()
        train.append(nll.item())
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            with torch.no_grad():
                val.append(forward_kl(flow, target_log_prob, val_x).item())
    return {"train": train, "val": val}
'''},
        "a DataLoader with shuffled epochs, RMSprop, the loss as the NLL (the forward KL minus its constant), torch.var_mean for the optimum",
    ),
    Alternative(
        "loop_with_replacement_and_autograd_grad",
        {"fit_solution": '''
def forward_kl_optimum(x: Tensor) -> tuple[Tensor, Tensor]:
    n = x.shape[0]
    mu = x.sum(0) / n
    second_moment = (x * x).sum(0) / n
    return mu, 0.5 * torch.log(second_moment - mu * mu)


def fit_forward_kl(flow, target_log_prob, train_x, val_x, steps, batch_size=256, lr=0.05, eval_every=50, seed=0):
    gen = torch.Generator().manual_seed(seed)
    params = [flow.mu, flow.log_sigma]
    optimizer = torch.optim.Adam(params, lr=lr, betas=(0.8, 0.99))
    history = {"train": [], "val": [float(forward_kl(flow, target_log_prob, val_x).detach())]}
    for step in tqdm(range(1, steps + 1)):
        idx = torch.randint(0, train_x.shape[0], (batch_size,), generator=gen)  # with replacement
        for p in params:
            p.grad = None
        loss = forward_kl(flow, target_log_prob, train_x[idx])
        grads = torch.autograd.grad(loss, params)
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        history["train"].append(loss.item())
        if step % eval_every == 0 or step == steps:
            history["val"].append(float(forward_kl(flow, target_log_prob, val_x).detach()))
    return history
'''},
        "minibatches drawn with replacement, gradients by torch.autograd.grad set by hand, Adam with other betas; the optimum from the first two moments",
    ),
    Alternative(
        "duality_by_cholesky_and_distributions",
        {"duality_solution": '''
def gaussian_kl(m0: Tensor, S0: Tensor, m1: Tensor, S1: Tensor) -> Tensor:
    L0, L1 = torch.linalg.cholesky(S0), torch.linalg.cholesky(S1)
    A = torch.linalg.solve_triangular(L1, L0, upper=False)  # L1^{-1} L0: tr(S1^{-1} S0) = ||A||_F^2
    b = torch.linalg.solve_triangular(L1, (m1 - m0)[:, None], upper=False)
    log_det_ratio = 2 * (torch.log(torch.diagonal(L1)).sum() - torch.log(torch.diagonal(L0)).sum())
    return 0.5 * ((A**2).sum() + (b**2).sum() - m0.shape[0] + log_det_ratio)


def affine_pushforward(m: Tensor, S: Tensor, mu: Tensor, log_sigma: Tensor) -> tuple[Tensor, Tensor]:
    inv_sigma = torch.exp(-log_sigma)
    return (m - mu) * inv_sigma, S * inv_sigma[:, None] * inv_sigma[None, :]


def duality_sides(m: Tensor, S: Tensor, mu: Tensor, log_sigma: Tensor) -> tuple[Tensor, Tensor]:
    MVN = torch.distributions.MultivariateNormal
    lhs = torch.distributions.kl_divergence(MVN(m, S), MVN(mu, torch.diag(torch.exp(2 * log_sigma))))
    m_z, S_z = affine_pushforward(m, S, mu, log_sigma)
    rhs = torch.distributions.kl_divergence(MVN(m_z, S_z), MVN(torch.zeros_like(m), torch.eye(len(m), dtype=m.dtype)))
    return lhs, rhs
'''},
        "the Gaussian KL by Cholesky solves and log-diagonals, the pushforward elementwise, the two sides by torch.distributions",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
