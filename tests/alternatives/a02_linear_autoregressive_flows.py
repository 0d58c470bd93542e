"""Alternatives of assignment 02 (linear and Gaussian autoregressive flows): correct, written differently."""
from tests.alternatives import Alternative

ALTERNATIVES: list[Alternative] = [
    # task 1: LU
    Alternative(
        "lu_full_factors_stored",
        {"lu_solution": '''
class LULinear(Transform):
    def __init__(self, W: Tensor):
        super().__init__()
        P, L, U = torch.linalg.lu(W)
        self.register_buffer("P", P)
        self.register_buffer("sign_s", torch.sign(torch.diagonal(U)))
        self.lower = nn.Parameter(L.clone())  # the unit diagonal is stored too; factors() masks it away
        self.upper = nn.Parameter(U.clone())
        self.log_s = nn.Parameter(torch.diagonal(U).abs().log())

    def factors(self) -> tuple[Tensor, Tensor, Tensor]:
        m = self.log_s.shape[0]
        strictly_lower = torch.ones(m, m, dtype=torch.bool).tril(-1)
        L = torch.where(strictly_lower, self.lower, torch.zeros_like(self.lower)) + torch.eye(m, dtype=self.lower.dtype)
        U = torch.where(strictly_lower.T, self.upper, torch.zeros_like(self.upper))
        U = U + torch.diag_embed(self.sign_s * self.log_s.exp())
        return self.P, L, U

    def forward(self, x: Tensor) -> Tensor:
        P, L, U = self.factors()
        return (P @ (L @ (U @ x.T))).T

    def inverse(self, z: Tensor) -> Tensor:
        P, L, U = self.factors()
        y = torch.linalg.solve_triangular(L, P.T @ z.T, upper=False, unitriangular=True)
        return torch.linalg.solve_triangular(U, y, upper=True).T

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        return torch.full((x.shape[0],), 1.0, dtype=self.log_s.dtype) * self.log_s.sum()
'''},
        "lower / upper hold the whole factors (the masks drop the rest, as the docstring allows); column-major "
        "products and solves; the log-det broadcast instead of expanded",
    ),
    # task 2: QR
    Alternative(
        "qr_by_explicit_householder_matrices",
        {"qr_solution": '''
class QRLinear(Transform):
    def R(self) -> Tensor:
        return self.upper.triu(1) + torch.diag_embed(self.log_r.exp())

    @staticmethod
    def reflect(y: Tensor, v: Tensor) -> Tensor:
        H = torch.eye(len(v), dtype=v.dtype) - 2 * torch.outer(v, v) / v.dot(v)
        return y @ H  # H is symmetric

    def q_matrix(self) -> Tensor:
        Q = torch.eye(self.v.shape[1], dtype=self.v.dtype)
        for v in self.v:
            Q = self.reflect(Q, v)  # rows of Q (H_1 ... H_k) = rows of Q times H_k, H_k symmetric
        return Q

    def apply_q(self, y: Tensor) -> Tensor:
        return y @ self.q_matrix().T

    def apply_q_transpose(self, y: Tensor) -> Tensor:
        return y @ self.q_matrix()

    def forward(self, x: Tensor) -> Tensor:
        return self.apply_q(x @ self.R().T)

    def inverse(self, z: Tensor) -> Tensor:
        return torch.linalg.solve_triangular(self.R().T, self.apply_q_transpose(z), upper=False, left=False)

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        return torch.diagonal(self.R()).log().sum().repeat(x.shape[0])
'''},
        "each reflection as an explicit m x m matrix, Q formed once, the inverse as a right-sided solve with R^T, "
        "the log-det from the diagonal of R",
    ),
    # task 3: 1x1 convolution
    Alternative(
        "conv1x1_by_movedim",
        {"conv1x1_solution": '''
class InvConv1x1(Transform):
    def forward(self, x: Tensor) -> Tensor:
        pixels = x.movedim(1, -1)  # (n, H, W, C)
        return self.mix(pixels.reshape(-1, x.shape[1])).reshape(pixels.shape).movedim(-1, 1)

    def inverse(self, z: Tensor) -> Tensor:
        pixels = z.movedim(1, -1)
        return self.mix.inverse(pixels.reshape(-1, z.shape[1])).reshape(pixels.shape).movedim(-1, 1)

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        return x[0, 0].numel() * self.mix.log_s.sum() * torch.ones(x.shape[0], dtype=x.dtype)
'''},
        "movedim instead of permute, the log-det from log_s times the number of pixels",
    ),
    # task 3, continued: emerging convolutions
    Alternative(
        "emerging_by_loops_slogdet_and_solve",
        {"emerging_solution": '''
def autoregressive_kernel_mask(channels: int, k: int) -> Tensor:
    c = k // 2
    mask = torch.zeros(channels, channels, k, k, dtype=torch.float64)
    for row in range(k):
        for col in range(k):
            if (row, col) < (c, c):  # before the centre in raster order
                mask[:, :, row, col] = 1.0
    mask[:, :, c, c] = torch.ones(channels, channels, dtype=torch.float64).tril()
    return mask


class MaskedConv(Transform):
    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        c = self.kernel.shape[-1] // 2
        n, _, height, width = x.shape
        return (height * width * torch.linalg.slogdet(self.kernel[:, :, c, c]).logabsdet).repeat(n)

    def inverse(self, z: Tensor) -> Tensor:
        c = self.kernel.shape[-1] // 2
        x = z.new_zeros(z.shape)
        positions = range(z.shape[2] * z.shape[3])
        for p in (reversed(positions) if self.flip else positions):
            i, j = divmod(p, z.shape[3])
            x = x.clone()
            x[:, :, i, j] = torch.linalg.solve(self.kernel[:, :, c, c], (z - self.forward(x))[:, :, i, j].T).T
        return x


class EmergingConv(Transform):
    def forward(self, x: Tensor) -> Tensor:
        for conv in (self.first, self.second):
            x = conv(x)
        return x

    def inverse(self, z: Tensor) -> Tensor:
        for conv in (self.second, self.first):
            z = conv.inverse(z)
        return z

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        return sum(conv.log_abs_det_jacobian(x, z) for conv in (self.first, self.second))  # constant in x
'''},
        "the mask by a loop over the taps, the log-det by slogdet of the centre tap, a general solve per pixel, "
        "the pair by loops",
    ),
    # task 4: MADE
    Alternative(
        "made_by_loops_built_output_first",
        {"made_solution": '''
def made_masks(m: int, hidden_sizes: list[int], n_params: int) -> list[Tensor]:
    degrees = [list(range(1, m + 1))]
    for size in hidden_sizes:
        degrees.append([k % (m - 1) + 1 for k in range(size)])
    masks = []
    for d_in, d_out in zip(degrees, degrees[1:]):
        masks.append(torch.tensor([[1.0 if o >= i else 0.0 for i in d_in] for o in d_out]))
    out = [j for _ in range(n_params) for j in range(1, m + 1)]
    masks.append(torch.tensor([[1.0 if o > i else 0.0 for i in degrees[-1]] for o in out]))
    return masks


class MADE(nn.Module):
    def __init__(self, m: int, hidden_sizes: list[int], n_params: int = 2):
        super().__init__()
        self.m, self.n_params = m, n_params
        masks = made_masks(m, list(hidden_sizes), n_params)
        built = [MaskedLinear(mask) for mask in reversed(masks)]  # output layer first: another random init
        self.layers = nn.ModuleList(built[::-1])
        with torch.no_grad():
            self.layers[-1].weight.zero_()
            self.layers[-1].bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for k, layer in enumerate(self.layers):
            h = layer(h)
            if k < len(self.layers) - 1:
                h = torch.relu(h)
        return h.reshape(-1, self.n_params, self.m)
'''},
        "degrees and masks by python loops, the layers in a ModuleList with an explicit forward; built from the "
        "output layer back, so the trained MAF starts from other random weights",
    ),
    # task 5: MAF layer and IAF
    Alternative(
        "maf_inverse_column_by_column",
        {"maf_layer_solution": '''
class MaskedAffineAutoregressive(Transform):
    def forward_and_log_det(self, x: Tensor) -> tuple[Tensor, Tensor]:
        params = self.conditioner(x)
        mu, sigma = params[:, 0], positive_scale(params[:, 1])
        z = (x - mu) * sigma.reciprocal()
        return z, -sigma.log().sum(1)

    def inverse(self, z: Tensor) -> Tensor:
        x = z.new_zeros(z.shape)
        for j in range(z.shape[1]):
            mu, sigma = self.mu_sigma(x)
            x = x.clone()
            x[:, j] = sigma[:, j] * z[:, j] + mu[:, j]  # only x_j is new; x_1..x_(j-1) are final
        return x
'''},
        "the conditioner's outputs unpacked by hand, and sampling that writes one coordinate per pass",
    ),
    Alternative(
        "iaf_coordinate_by_coordinate",
        {"iaf_solution": '''
class InverseAutoregressive(Transform):
    def inverse(self, z: Tensor) -> Tensor:
        params = self.conditioner(z)
        return z * positive_scale(params[:, 1]) + params[:, 0]

    def forward(self, x: Tensor) -> Tensor:
        z = x.new_zeros(x.shape)
        for j in range(x.shape[1]):  # pass j fixes z_j from z_1..z_(j-1)
            mu, sigma = self.mu_sigma(z)
            z = z.clone()
            z[:, j] = (x[:, j] - mu[:, j]) / sigma[:, j]
        return z

    def log_abs_det_jacobian(self, x: Tensor, z: Tensor) -> Tensor:
        return -torch.log(self.mu_sigma(z)[1]).sum(-1)

    def sample_and_log_prob(self, z: Tensor) -> tuple[Tensor, Tensor]:
        mu, sigma = self.mu_sigma(z)
        base = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
        return torch.addcmul(mu, sigma, z), base - sigma.log().sum(-1)
'''},
        "f writes one coordinate per pass, g by addcmul, the base density by torch.distributions",
    ),
    # task 6: MAF
    Alternative(
        "maf_built_then_interleaved",
        {"maf_solution": '''
class MAF(Flow):
    def __init__(self, m: int, n_layers: int = 5, hidden_sizes: tuple[int, ...] = (64, 64)):
        blocks = [MaskedAffineAutoregressive(MADE(m, [*hidden_sizes])) for _ in range(n_layers)]
        layers = [blocks[0]]
        for block in blocks[1:]:
            layers.extend([Reverse(), block])
        super().__init__(layers, m)
'''},
        "all layers built first, the Reverse layers put in between afterwards",
    ),
]

KNOWN_UNFAIR: dict[str, str] = {}
