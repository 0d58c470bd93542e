"""Alternatives of assignment 03 (RealNVP coupling layers and Glow): correct, written differently."""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: the affine coupling layer
    Alternative(
        "coupling_by_where_and_division",
        {"coupling_solution": '''
class AffineCoupling(Transform):
    def mu_log_sigma(self, x1: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(x1)
        half = out.shape[1] // 2
        mu, s = out[:, :half], out[:, half:]
        return mu, torch.tanh(s / self.clamp) * self.clamp

    def forward_and_log_det(self, x: Tensor) -> tuple[Tensor, Tensor]:
        keep = self.mask > 0.5
        mu, log_sigma = self.mu_log_sigma(x * self.mask.to(x.dtype))
        z = torch.where(keep, x, (x - mu) / log_sigma.exp())
        log_det = torch.where(keep, torch.zeros_like(log_sigma), log_sigma).reshape(x.shape[0], -1).sum(-1)
        return z, -log_det

    def inverse(self, z: Tensor) -> Tensor:
        keep = self.mask > 0.5
        mu, log_sigma = self.mu_log_sigma(z * self.mask.to(z.dtype))
        return torch.where(keep, z, log_sigma.exp() * z + mu)
'''},
        "slicing instead of chunk, torch.where on the mask instead of arithmetic with it, division by sigma",
    ),
    # task 2: partitions
    Alternative(
        "partitions_by_loops_and_pixel_unshuffle",
        {"partitions_solution": '''
def checkerboard_mask(height: int, width: int, parity: int = 0) -> Tensor:
    mask = torch.zeros(height, width)
    for i in range(height):
        for j in range(width):
            if (i + j) % 2 == parity:
                mask[i, j] = 1.0
    return mask


def channel_mask(channels: int, height: int, width: int, parity: int = 0) -> Tensor:
    mask = torch.zeros(channels, height, width)
    if parity == 0:
        mask[: channels // 2] = 1.0
    else:
        mask[channels // 2 :] = 1.0
    return mask


class Squeeze(Transform):
    def forward(self, x: Tensor) -> Tensor:
        return torch.nn.functional.pixel_unshuffle(x, 2)  # channel c * 4 + di * 2 + dj

    def inverse(self, z: Tensor) -> Tensor:
        return torch.nn.functional.pixel_shuffle(z, 2)
'''},
        "masks by python loops and slicing, squeeze by torch's pixel_unshuffle / pixel_shuffle (the same channel order)",
    ),
    # task 3: the coupling layer as an autoregressive flow
    Alternative(
        "autoregressive_view_by_where_and_argsort",
        {"ar_solution": '''
def coupling_as_autoregressive(layer: AffineCoupling, x: Tensor) -> tuple[Tensor, Tensor]:
    keep = layer.mask > 0.5
    mu, log_sigma = layer.mu_log_sigma(x * layer.mask.to(x.dtype))
    return torch.where(keep, torch.zeros_like(mu), mu), torch.where(keep, torch.ones_like(mu), log_sigma.exp())


def ordered_jacobian(layer: AffineCoupling, x: Tensor) -> Tensor:
    order = torch.argsort((layer.mask < 0.5).long(), stable=True)  # x_1 first, each part in index order
    J = torch.func.vmap(torch.func.jacrev(lambda v: layer(v[None])[0]))(x)
    return J.index_select(1, order).index_select(2, order)
'''},
        "torch.where instead of mask arithmetic, the order by a stable argsort, the Jacobian by vmap(jacrev)",
    ),
    # task 4: RealNVP
    Alternative(
        "realnvp_conditioners_built_first",
        {"realnvp_solution": '''
def alternating_masks(m: int, n_layers: int) -> Tensor:
    masks = torch.zeros(n_layers, m)
    for k in range(n_layers):
        if k % 2 == 0:
            masks[k, : m // 2] = 1.0
        else:
            masks[k, m // 2 :] = 1.0
    return masks


class RealNVP(Flow):
    def __init__(self, m: int, n_layers: int = 8, hidden: int = 64, clamp: float = 3.0):
        nets = [mlp(m, hidden, 2 * m) for _ in range(n_layers)][::-1]  # another random init per layer
        masks = alternating_masks(m, n_layers)
        super().__init__([AffineCoupling(masks[k], nets[k], clamp) for k in range(n_layers)], (m,))
'''},
        "masks by a loop; the conditioners built first and used last-first, so training starts from other random weights",
    ),
    # task 5: Glow layers
    Alternative(
        "glow_layers_by_conv2d_and_logit",
        {"glow_layers_solution": '''
class ActNorm(Transform):
    def forward_and_log_det(self, x: Tensor) -> tuple[Tensor, Tensor]:
        channels = x.shape[1]
        if not bool(self.initialized):
            per_channel = x.detach().transpose(0, 1).reshape(channels, -1)
            mean = per_channel.mean(1)
            std = ((per_channel - mean[:, None]) ** 2).sum(1).div(per_channel.shape[1] - 1).sqrt()
            with torch.no_grad():
                self.loc.copy_(mean)
                self.log_scale.copy_((std + 1e-6).log())
                self.initialized.fill_(True)
        z = (x - self._view(self.loc, x)) / torch.exp(self._view(self.log_scale, x))
        pixels = x.numel() // (x.shape[0] * channels)
        log_det = -(self.log_scale.to(x.dtype) * pixels).sum()
        return z, log_det * torch.ones(x.shape[0], dtype=x.dtype)

    def inverse(self, z: Tensor) -> Tensor:
        return self._view(self.loc, z) + z * torch.exp(self._view(self.log_scale, z))


class InvConv1x1(Transform):
    def forward(self, x: Tensor) -> Tensor:
        return torch.nn.functional.conv2d(x, self.weight.to(x.dtype)[:, :, None, None])

    def inverse(self, z: Tensor) -> Tensor:
        C = z.shape[1]
        pixels = z.permute(0, 2, 3, 1).reshape(-1, C).T  # one pixel per column
        x = torch.linalg.solve(self.weight.to(z.dtype), pixels)
        return x.T.reshape(z.shape[0], z.shape[2], z.shape[3], C).permute(0, 3, 1, 2)

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        log_abs_det = torch.log(torch.abs(torch.linalg.det(self.weight.to(x.dtype))))
        return (x.shape[2] * x.shape[3] * log_abs_det).repeat(x.shape[0])


class LogitTransform(Transform):
    def forward(self, x: Tensor) -> Tensor:
        return torch.logit(self.alpha + (1 - 2 * self.alpha) * x)

    def inverse(self, z: Tensor) -> Tensor:
        return (1 / (1 + torch.exp(-z)) - self.alpha) / (1 - 2 * self.alpha)

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        p = self.alpha + (1 - 2 * self.alpha) * x
        per_dim = math.log(1 - 2 * self.alpha) - torch.log(p * (1 - p))
        return per_dim.reshape(x.shape[0], -1).sum(-1)
'''},
        "ActNorm statistics by hand over a channel-first view, the 1x1 convolution by conv2d and a linear solve, "
        "log|det W| from det, torch.logit and the sigmoid by hand",
    ),
    # task 5: channel coupling by splitting
    Alternative(
        "channel_coupling_by_narrow_and_division",
        {"channel_coupling_solution": '''
class ChannelCoupling(AffineCoupling):
    def split(self, x: Tensor) -> tuple[Tensor, Tensor]:
        half = x.shape[1] // 2
        kept, other = (0, half) if self.parity == 0 else (half, 0)
        return x.narrow(1, kept, half), x.narrow(1, other, half)

    def join(self, x1: Tensor, x2: Tensor) -> Tensor:
        out = torch.empty(x1.shape[0], 2 * x1.shape[1], *x1.shape[2:], dtype=x1.dtype)
        half = x1.shape[1]
        first, second = (x1, x2) if self.parity == 0 else (x2, x1)
        out[:, :half], out[:, half:] = first, second
        return out

    def forward_and_log_det(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x1, x2 = self.split(x)
        mu, log_sigma = self.mu_log_sigma(x1)
        sigma = log_sigma.exp()
        return self.join(x1, (x2 - mu) / sigma), -torch.log(sigma).sum(dim=(1, 2, 3))

    def inverse(self, z: Tensor) -> Tensor:
        z1, z2 = self.split(z)
        mu, log_sigma = self.mu_log_sigma(z1)
        return self.join(z1, torch.addcmul(mu, z2, log_sigma.exp()))
'''},
        "halves by narrow, joined by writing into an empty tensor, division by sigma, log-det as log of sigma summed "
        "over the three image axes, the inverse by addcmul",
    ),
    # task 5: the multi-scale Glow
    Alternative(
        "glow_without_checkerboard_same_parity_clamped_prior",
        {"multiscale_solution": '''
class FactorOut(Transform):
    def __init__(self, in_shape: tuple[int, int, int], inner: list[Transform], inner_shape: tuple[int, ...], hidden: int):
        super().__init__()
        self.in_shape, self.inner_shape = tuple(in_shape), tuple(inner_shape)
        self.inner = nn.ModuleList(inner)
        half = in_shape[0] // 2
        self.prior_net = nn.Sequential(nn.Conv2d(half, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, 2 * half, 3, padding=1))
        nn.init.zeros_(self.prior_net[-1].weight)
        nn.init.zeros_(self.prior_net[-1].bias)

    def prior(self, h: Tensor) -> tuple[Tensor, Tensor]:
        out = self.prior_net(h)
        half = out.shape[1] // 2
        return out[:, :half], 2.0 * torch.tanh(out[:, half:] / 2.0)

    def forward_and_log_det(self, x: Tensor) -> tuple[Tensor, Tensor]:
        half = x.shape[1] // 2
        x_out, h = torch.split(x, [half, x.shape[1] - half], dim=1)
        mu, log_sigma = self.prior(h)
        eps = (x_out - mu) / log_sigma.exp()
        log_det = -log_sigma.sum(dim=(1, 2, 3))
        for layer in self.inner:
            h, inner_log_det = layer.forward_and_log_det(h)
            log_det += inner_log_det
        return torch.cat([eps.reshape(len(x), -1), h.reshape(len(x), -1)], dim=1), log_det

    def inverse(self, z: Tensor) -> Tensor:
        channels, height, width = self.in_shape
        eps, h = torch.split(z, [channels // 2 * height * width, z.shape[1] - channels // 2 * height * width], dim=1)
        h = h.reshape(len(z), *self.inner_shape)
        for layer in self.inner[::-1]:
            h = layer.inverse(h)
        mu, log_sigma = self.prior(h)
        return torch.cat([mu + log_sigma.exp() * eps.reshape(len(z), channels // 2, height, width), h], dim=1)


def glow_digits(hidden: int = 64) -> Flow:
    def steps(channels: int, n_steps: int) -> list[Transform]:
        layers = []
        for _ in range(n_steps):  # the 1x1 convolution mixes the channels: the same split in every step, as in Glow
            layers += [ActNorm(channels), InvConv1x1(channels), ChannelCoupling(conv_net(channels // 2, hidden))]
        return layers

    inner = [Squeeze()] + steps(8, 3)
    return Flow([LogitTransform(), Reshape((64,), (1, 8, 8)), Squeeze()] + steps(4, 3)
                + [FactorOut((4, 4, 4), inner, (8, 2, 2), hidden)], (64,))
'''},
        "another architecture: no checkerboard couplings, 3 Glow steps per scale with the same channel split in "
        "every step (Glow's choice), a two-layer prior network with a soft-clamped log sigma; split, reshape, "
        "reversed slicing and in-place sums",
    ),
    # task 5: digits
    Alternative(
        "digits_bits_per_dim_by_hand",
        {"digits_solution": '''
@torch.no_grad()
def digits_bits_per_dim(flow: Flow, x: Tensor, seed: int = 0) -> float:
    y = to_unit_interval(x, torch.Generator().manual_seed(seed))
    D = x.shape[1]
    log_p_u = flow.log_prob(y).double() - D * math.log(DIGITS_LEVELS)  # the density of u = 17 y
    return (-log_p_u.mean() / (D * math.log(2))).item()
'''},
        "bits per dimension computed by hand (change of variables to u = 17 y, nats to bits)",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
