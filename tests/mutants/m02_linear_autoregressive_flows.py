"""Mutants of assignment 02 (linear flows and Gaussian autoregressive flows)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: LU
    Mutant(
        "lu_log_det_of_diagonal_without_abs_log", "lu_solution",
        "return self.log_s.sum().expand(x.shape[0])",
        "return torch.diagonal(self.factors()[2]).sum().expand(x.shape[0])",
        "takes the log-det as the sum of the diagonal of U itself, without abs and log",
    ),
    Mutant(
        "lu_inverse_drops_permutation", "lu_solution",
        "y = (z @ P).T  # one column P^T z per sample",
        "y = z.T  # one column P^T z per sample",
        "forgets to undo the permutation P in the inverse",
    ),
    Mutant(
        "lu_sign_of_diagonal_dropped", "lu_solution",
        "torch.diag(self.sign_s * torch.exp(self.log_s))",
        "torch.diag(torch.exp(self.log_s))",
        "rebuilds diag(U) as exp(log_s) and loses the signs of the original diagonal",
    ),
    Mutant(
        "lu_forward_computes_xW", "lu_solution",
        "return x @ U.T @ L.T @ P.T",
        "return x @ P @ L @ U",
        "multiplies the rows by W from the right (z = x W) instead of z = W x",
    ),
    # task 2: QR
    Mutant(
        "qr_reflection_without_factor_2", "qr_solution",
        "return y - 2 * (y @ v)[:, None] * v / (v @ v)",
        "return y - (y @ v)[:, None] * v / (v @ v)",
        "projects onto the hyperplane instead of reflecting across it (I - v v^T / |v|^2)",
    ),
    Mutant(
        "qr_reflection_not_normalized", "qr_solution",
        "return y - 2 * (y @ v)[:, None] * v / (v @ v)",
        "return y - 2 * (y @ v)[:, None] * v",
        "forgets to divide by ||v||^2: H is only a reflection for unit v",
    ),
    Mutant(
        "qr_transpose_in_the_same_order", "qr_solution",
        "for v in self.v:",
        "for v in reversed(self.v):",
        "applies the reflections of Q^T in the same order as those of Q",
    ),
    # task 3: 1x1 convolution
    Mutant(
        "conv_reshape_without_permute", "conv1x1_solution",
        "pixels = x.permute(0, 2, 3, 1).reshape(-1, c)  # (n H W, C), one row per pixel",
        "pixels = x.reshape(-1, c)  # (n H W, C), one row per pixel",
        "reshapes (n, C, H, W) to (-1, C) without moving the channels last: mixes pixels, not channels",
    ),
    Mutant(
        "conv_log_det_without_pixel_count", "conv1x1_solution",
        "return height * width * self.mix.log_abs_det_jacobian(x[:, :, 0, 0], z[:, :, 0, 0])",
        "return self.mix.log_abs_det_jacobian(x[:, :, 0, 0], z[:, :, 0, 0])",
        "counts log|det W| once per image instead of once per pixel",
    ),
    # task 3, continued: emerging convolutions
    Mutant(
        "emerging_mask_centre_strict", "emerging_solution",
        "torch.tril(torch.ones(channels, channels, dtype=torch.float64))",
        "torch.tril(torch.ones(channels, channels, dtype=torch.float64), diagonal=-1)",
        "masks the centre's own channel too (c_in < c_out): the diagonal of J is 0, the map is not invertible",
    ),
    Mutant(
        "emerging_mask_centre_all_channels", "emerging_solution",
        "torch.tril(torch.ones(channels, channels, dtype=torch.float64))",
        "torch.ones(channels, channels, dtype=torch.float64)",
        "lets the centre tap mix all channels: the Jacobian is no longer triangular",
    ),
    Mutant(
        "emerging_mask_whole_centre_row", "emerging_solution",
        "mask[:, :, k // 2, : k // 2] = 1.0",
        "mask[:, :, k // 2, :] = 1.0",
        "keeps the taps right of the centre too: outputs see later pixels",
    ),
    Mutant(
        "emerging_log_det_one_pixel", "emerging_solution",
        "return (x.shape[2] * x.shape[3] * torch.log(",
        "return (torch.log(",
        "forgets that the centre tap acts at every one of the H W pixels",
    ),
    Mutant(
        "emerging_inverse_ignores_flip", "emerging_solution",
        "for i, j in reversed(pixels) if self.flip else pixels:",
        "for i, j in pixels:",
        "back-substitutes the mirrored convolution in raster order: its pixels depend on the later ones",
    ),
    Mutant(
        "emerging_inverse_lower_solve_always", "emerging_solution",
        "residual.T, upper=self.flip)",
        "residual.T, upper=False)",
        "solves the mirrored convolution's upper-triangular centre system as a lower-triangular one",
    ),
    Mutant(
        "emerging_mirror_pixels_only", "emerging_solution",
        "mask.flip(0, 1, 2, 3) if flip else mask",
        "mask.flip(2, 3) if flip else mask",
        "mirrors the pixel directions but not the channel order: the centre tap stays lower-triangular",
    ),
    Mutant(
        "emerging_no_padding", "emerging_solution",
        "return F.conv2d(x, self.kernel, padding=self.kernel.shape[-1] // 2)",
        "return F.conv2d(x, self.kernel)",
        "convolves without padding: the image shrinks, and f is no bijection of R^{CHW}",
    ),
    Mutant(
        "emerging_pair_inverse_wrong_order", "emerging_solution",
        "return self.first.inverse(self.second.inverse(z))",
        "return self.second.inverse(self.first.inverse(z))",
        "undoes the first convolution first: the inverse of a composition runs backwards",
    ),
    # task 4: MADE
    Mutant(
        "made_output_mask_not_strict", "made_solution",
        "masks.append((out_degrees[:, None] > degrees[-1][None, :]).float())",
        "masks.append((out_degrees[:, None] >= degrees[-1][None, :]).float())",
        "uses >= in the output mask too: output j then sees x_j itself",
    ),
    Mutant(
        "made_hidden_degrees_off_by_one", "made_solution",
        "degrees.append(torch.arange(size) % (m - 1) + 1)",
        "degrees.append(torch.arange(size) % (m - 1))",
        "hidden degrees 0..m-2 instead of 1..m-1: x_(m-1) never reaches the outputs",
    ),
    Mutant(
        "made_outputs_interleaved", "made_solution",
        "return self.net(x).reshape(x.shape[0], self.n_params, self.m)",
        "return self.net(x).reshape(x.shape[0], self.m, self.n_params).transpose(1, 2)",
        "reads the outputs as interleaved (mu_1, a_1, mu_2, ...) although the masks order them in blocks",
    ),
    # task 5: MAF and IAF
    Mutant(
        "maf_z_times_sigma", "maf_layer_solution",
        "return (x - mu) / sigma, -torch.log(sigma).sum(dim=1)",
        "return (x - mu) * sigma, -torch.log(sigma).sum(dim=1)",
        "z = (x - mu) * sigma: multiplies by sigma where f divides",
    ),
    Mutant(
        "maf_log_det_sign", "maf_layer_solution",
        "return (x - mu) / sigma, -torch.log(sigma).sum(dim=1)",
        "return (x - mu) / sigma, torch.log(sigma).sum(dim=1)",
        "log|det J_f| = +sum log sigma: the log-det of g instead of f",
    ),
    Mutant(
        "maf_sampling_in_one_pass", "maf_layer_solution",
        "for _ in range(z.shape[1]):",
        "for _ in range(1):",
        "samples in one parallel pass as if it were inference",
    ),
    Mutant(
        "iaf_mu_sigma_swapped", "iaf_solution",
        "return params[:, 0], positive_scale(params[:, 1])",
        "return params[:, 1], positive_scale(params[:, 0])",
        "reads the shift from the scale row and the scale from the shift row of the conditioner's output",
    ),
    Mutant(
        "iaf_log_det_not_negated", "iaf_solution",
        "        _, sigma = self.mu_sigma(z)\n        return -torch.log(sigma).sum(dim=1)",
        "        _, sigma = self.mu_sigma(z)\n        return torch.log(sigma).sum(dim=1)",
        "log|det J_f| = +sum log sigma_j(z): the log-det of g, not of f",
    ),
    Mutant(
        "iaf_log_det_at_x", "iaf_solution",
        "        _, sigma = self.mu_sigma(z)\n        return -torch.log(sigma).sum(dim=1)",
        "        _, sigma = self.mu_sigma(x)\n        return -torch.log(sigma).sum(dim=1)",
        "evaluates the scales at x, where the IAF's conditioner takes z",
    ),
    Mutant(
        "iaf_density_in_one_pass", "iaf_solution",
        "for _ in range(x.shape[1]):",
        "for _ in range(1):",
        "inverts in one pass as if the scales were functions of x: only z_1 comes out right",
    ),
    Mutant(
        "iaf_density_conditioned_on_x", "iaf_solution",
        "            mu, sigma = self.mu_sigma(z)\n            z = (x - mu) / sigma",
        "            mu, sigma = self.mu_sigma(x)\n            z = (x - mu) / sigma",
        "conditions f on x as a MAF layer would: then f is not the inverse of the IAF's g",
    ),
    Mutant(
        "iaf_sample_log_prob_sign", "iaf_solution",
        "standard_normal_log_prob(z) - log_sigma.sum(dim=1)",
        "standard_normal_log_prob(z) + log_sigma.sum(dim=1)",
        "adds log|det J_g| to the base density: the density of z given x, not of x",
    ),
    Mutant(
        "iaf_sample_log_prob_at_x", "iaf_solution",
        "return sigma * z + mu, standard_normal_log_prob(z) - log_sigma.sum(dim=1)",
        "return sigma * z + mu, standard_normal_log_prob(sigma * z + mu) - log_sigma.sum(dim=1)",
        "evaluates the base density at the sample x instead of at its noise z",
    ),
    # task 6: MAF (the Flow container is given)
    Mutant(
        "maf_without_reverse", "maf_solution",
        "layers.append(Reverse())  # the next layer conditions on the coordinates in the other order",
        "pass  # no permutation between the layers",
        "drops the permutation between the MAF layers: every layer uses the same order",
    ),
    Mutant(
        "maf_single_layer", "maf_solution",
        "for k in range(n_layers):",
        "for k in range(1):",
        "ignores n_layers and stacks one MAF layer",
    ),
]
