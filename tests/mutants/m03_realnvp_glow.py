"""Mutants of assignment 03 (RealNVP coupling layers and Glow)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: the coupling layer
    Mutant(
        "coupling_log_det_plus_sum_log_sigma", "coupling_solution",
        "log_det = -((1 - mask) * log_sigma).flatten(1).sum(1)",
        "log_det = ((1 - mask) * log_sigma).flatten(1).sum(1)",
        "+ sum log sigma: the log-det of g instead of f (z_2 divides by sigma)",
    ),
    Mutant(
        "coupling_unbounded_scale", "coupling_solution",
        "log_sigma = self.clamp * torch.tanh(s / self.clamp)",
        "log_sigma = s",
        "uses the raw network output as log sigma, without the stabilising soft clamp",
    ),
    Mutant(
        "coupling_log_det_over_all_coordinates", "coupling_solution",
        "log_det = -((1 - mask) * log_sigma).flatten(1).sum(1)",
        "log_det = -log_sigma.flatten(1).sum(1)",
        "sums log sigma over every coordinate, also over x_1 that the layer leaves unchanged",
    ),
    Mutant(
        "coupling_inverse_conditions_on_all_of_z", "coupling_solution",
        "mu, log_sigma = self.mu_log_sigma(z1)\n        return",
        "mu, log_sigma = self.mu_log_sigma(z)\n        return",
        "feeds the whole z to the conditioner in the inverse; forward saw only x_1 = x * mask",
    ),
    # task 2: partitions
    Mutant(
        "checkerboard_parity_swapped", "partitions_solution",
        "return ((i + j) % 2 == parity).float()",
        "return ((i + j) % 2 != parity).float()",
        "parity 0 starts with a 0 in the top-left corner",
    ),
    Mutant(
        "channel_mask_true_division", "partitions_solution",
        "first = (torch.arange(channels) < channels // 2).float()",
        "first = (torch.arange(channels) < channels / 2).float()",
        "channels / 2 instead of channels // 2: one channel too many in the first half of an odd count",
    ),
    Mutant(
        "squeeze_channel_order", "partitions_solution",
        "return x.permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)",
        "return x.permute(0, 3, 5, 1, 2, 4).reshape(n, 4 * c, h // 2, w // 2)",
        "puts the 2x2 offsets before the channel index (channel 2di + dj + 4c vs 4c + 2di + dj)",
    ),
    # task 3: the coupling layer as an AR flow
    Mutant(
        "ar_sigma_zero_on_x1", "ar_solution",
        "return (1 - mask) * mu, torch.exp((1 - mask) * log_sigma)",
        "return (1 - mask) * mu, (1 - mask) * torch.exp(log_sigma)",
        "masks sigma itself: sigma_j = 0 on x_1 instead of 1",
    ),
    Mutant(
        "ordered_jacobian_rows_only", "ar_solution",
        "return J[:, order][:, :, order]",
        "return J[:, order]",
        "reorders the outputs but not the inputs",
    ),
    # task 4: RealNVP
    Mutant(
        "realnvp_mask_not_alternated", "realnvp_solution",
        "torch.stack([first if k % 2 == 0 else 1 - first for k in range(n_layers)])",
        "torch.stack([first for k in range(n_layers)])",
        "the same mask in every layer: x_1 is never transformed",
    ),
    # task 5: Glow layers
    Mutant(
        "actnorm_init_wrong_axis", "glow_layers_solution",
        "dims = [0] + list(range(2, x.dim()))",
        "dims = list(range(x.dim() - 1))",
        "statistics over every axis but the last (channels-last habit) instead of every axis but the channel axis 1",
    ),
    Mutant(
        "actnorm_log_det_without_pixels", "glow_layers_solution",
        "log_det = -pixels * self.log_scale.sum().to(x.dtype)",
        "log_det = -self.log_scale.sum().to(x.dtype)",
        "counts the per-channel scale once instead of once per pixel (H W times)",
    ),
    Mutant(
        "conv1x1_log_det_without_pixels", "glow_layers_solution",
        "log_det = h * w * torch.linalg.slogdet(self.weight.to(x.dtype)).logabsdet",
        "log_det = torch.linalg.slogdet(self.weight.to(x.dtype)).logabsdet",
        "log|det W| once, as for one vector, instead of once per pixel",
    ),
    Mutant(
        "conv1x1_inverse_transpose", "glow_layers_solution",
        "torch.linalg.inv(self.weight.to(z.dtype))",
        "self.weight.to(z.dtype).T",
        "inverts W by transposing it (true only for the orthogonal initial W)",
    ),
    Mutant(
        "logit_log_det_forgotten", "glow_layers_solution",
        "return (math.log(1 - 2 * self.alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)",
        "return torch.zeros(x.shape[0], dtype=x.dtype)",
        "forgets the log-det of the logit pre-processing (treats it like a reshape)",
    ),
    Mutant(
        "logit_log_det_wrong_sign", "glow_layers_solution",
        "return (math.log(1 - 2 * self.alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)",
        "return -(math.log(1 - 2 * self.alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)",
        "the log-det of the inverse (sigmoid) instead of the logit",
    ),
    # task 5: channel coupling by splitting
    Mutant(
        "channel_coupling_inverse_joins_in_wrong_order", "channel_coupling_solution",
        "return self.join(z1, z2 * torch.exp(log_sigma) + mu)",
        "return self.join(z2 * torch.exp(log_sigma) + mu, z1)",
        "splits the channels right but puts the halves back in the wrong order in the inverse",
    ),
    Mutant(
        "channel_coupling_parity_ignored", "channel_coupling_solution",
        "return (first, second) if self.parity == 0 else (second, first)",
        "return first, second",
        "always keeps the first half of the channels: parity 1 no longer swaps the roles",
    ),
    Mutant(
        "channel_coupling_log_det_sign", "channel_coupling_solution",
        "return self.join(x1, z2), -log_sigma.flatten(1).sum(1)",
        "return self.join(x1, z2), log_sigma.flatten(1).sum(1)",
        "+ sum log sigma: the log-det of g (z_2 divides by sigma)",
    ),
    Mutant(
        "channel_coupling_inverse_conditions_on_z2", "channel_coupling_solution",
        "mu, log_sigma = self.mu_log_sigma(z1)",
        "mu, log_sigma = self.mu_log_sigma(z2)",
        "feeds the transformed half to the conditioner in the inverse; forward saw x_1",
    ),
    Mutant(
        "channel_coupling_inverse_divides", "channel_coupling_solution",
        "return self.join(z1, z2 * torch.exp(log_sigma) + mu)",
        "return self.join(z1, (z2 - mu) * torch.exp(-log_sigma))",
        "applies f again in the inverse instead of x_2 = z_2 sigma + mu",
    ),
    # task 5: the multi-scale Glow with a learned conditional prior
    Mutant(
        "factor_out_prior_log_density_left_out", "multiscale_solution",
        "log_det = -log_sigma.flatten(1).sum(1)",
        "log_det = torch.zeros(x.shape[0], dtype=x.dtype)",
        "standardises x_out but leaves the prior's -sum log sigma(h) out of log p(x)",
    ),
    Mutant(
        "factor_out_prior_of_the_wrong_half", "multiscale_solution",
        "x_out, h = x.chunk(2, dim=1)\n        mu, log_sigma = self.prior(h)",
        "x_out, h = x.chunk(2, dim=1)\n        mu, log_sigma = self.prior(x_out)",
        "conditions the prior on the factored-out half itself instead of the kept half h",
    ),
    Mutant(
        "factor_out_fixed_standard_prior", "multiscale_solution",
        "mu, log_sigma = self.prior_net(h).chunk(2, dim=1)\n        return mu, log_sigma",
        "mu, log_sigma = self.prior_net(h).chunk(2, dim=1)\n        return torch.zeros_like(mu), torch.zeros_like(log_sigma)",
        "a fixed N(0, I) for the factored-out half (RealNVP's multi-scale), not Glow's learned conditional prior",
    ),
    Mutant(
        "factor_out_inner_not_reversed", "multiscale_solution",
        "for layer in reversed(self.inner):",
        "for layer in self.inner:",
        "undoes the inner layers first to last (e.g. unsqueezes before inverting the steps after the squeeze)",
    ),
    Mutant(
        "factor_out_inverse_concatenates_in_wrong_order", "multiscale_solution",
        "return torch.cat([eps * torch.exp(log_sigma) + mu, h], dim=1)",
        "return torch.cat([h, eps * torch.exp(log_sigma) + mu], dim=1)",
        "puts the kept half first in the inverse; forward took x_out from the first channels",
    ),
    Mutant(
        "glow_without_factor_out", "multiscale_solution",
        "layers.append(FactorOut((4, 4, 4), [Squeeze(), *glow_steps(8, 4)], (8, 2, 2), hidden))",
        "layers += [*glow_steps(4, 4), Reshape((4, 4, 4), (64,))]",
        "a single-scale model: every channel goes on to the end, no factor-out and no learned prior",
    ),
    # task 5: digits
    Mutant(
        "bpd_without_dequantization_constant", "digits_solution",
        "return bits_per_dim(flow.log_prob(y), x.shape[1], scale=DIGITS_LEVELS)",
        "return bits_per_dim(flow.log_prob(y), x.shape[1])",
        "bits/dim of y = u / 17 instead of the 17-level data: drops the -D log 17 of the rescaling",
    ),
    Mutant(
        "digits_bpd_not_dequantized", "digits_solution",
        "y = to_unit_interval(x, torch.Generator().manual_seed(seed))",
        "y = x / DIGITS_LEVELS",
        "evaluates the density at the discrete values (no dequantization noise)",
    ),
    # task 6: the Venn diagram
    Mutant(
        "venn_coupling_other_mask_in_M", "venn_solution",
        '"coupling_x2_to_x1": "I only",',
        '"coupling_x2_to_x1": "M",',
        "forgets that x_2 conditioning x_1 gives an upper-triangular Jacobian in the order (x_1, x_2)",
    ),
]
