"""Mutants of assignment 01 (Jacobians and the change of variables)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: Jacobians
    Mutant(
        "linear_jacobian_transposed", "jacobian_solution",
        "return W.unsqueeze(0).repeat(x.shape[0], 1, 1)",
        "return W.T.unsqueeze(0).repeat(x.shape[0], 1, 1)",
        "follows the slide's J_f = W^T for z = W x; with J = dz/dx it is W",
    ),
    Mutant(
        "coupling_jacobian_transposed", "jacobian_solution",
        "J[:, 1, 0] = -dmu / s",
        "J[:, 0, 1] = -dmu / s",
        "puts dz_2/dx_1 into row 1, column 2: the transposed Jacobian",
    ),
    Mutant(
        "coupling_jacobian_missing_chain_rule", "jacobian_solution",
        "J[:, 1, 0] = -dmu / s - (x2 - mu(x1)) * ds / s**2",
        "J[:, 1, 0] = -dmu / s",
        "forgets that z_2 also depends on x_1 through sigma(x_1)",
    ),
    Mutant(
        "autograd_jacobian_wrong_block_axes", "jacobian_solution",
        "return J_full[rows, :, rows, :]  # (n, m, m)",
        "return J_full[rows, :, rows, :].transpose(1, 2)  # (n, m, m)",
        "reads the diagonal blocks with input and output axes swapped",
    ),
    # task 2: change of variables
    Mutant(
        "base_log_prob_missing_sum", "cov_solution",
        "-0.5 * (z**2).sum(dim=1)",
        "-0.5 * (z**2).mean(dim=1)",
        "averages instead of summing the squared norm over the dimensions",
    ),
    Mutant(
        "base_log_prob_missing_normaliser", "cov_solution",
        " - 0.5 * m * math.log(2 * math.pi)",
        "",
        "drops the normalising constant -m/2 log(2 pi) of the base density",
    ),
    Mutant(
        "coupling_inverse_sigma_not_inverted", "cov_solution",
        "z2 * sigma(z1) + mu(z1)",
        "z2 / sigma(z1) + mu(z1)",
        "divides by sigma in g as f does, instead of multiplying (sigma vs 1/sigma)",
    ),
    Mutant(
        "coupling_log_det_sign", "cov_solution",
        "return -torch.log(sigma(x[:, 0]))",
        "return torch.log(sigma(x[:, 0]))",
        "wrong sign of the log-det: log sigma instead of log(1/sigma)",
    ),
    Mutant(
        "density_without_det", "cov_solution",
        "return standard_normal_log_prob(coupling_f(x)) + coupling_log_det(x)",
        "return standard_normal_log_prob(coupling_f(x))",
        "density p(f(x)) without the |det J_f| factor",
    ),
    Mutant(
        "density_with_log_det_of_g", "cov_solution",
        "return standard_normal_log_prob(coupling_f(x)) + coupling_log_det(x)",
        "return standard_normal_log_prob(coupling_f(x)) - coupling_log_det(x)",
        "uses log|det J_g| (the inverse map) where log|det J_f| is needed",
    ),
    # task 3: composition
    Mutant(
        "flow_last_log_det_only", "composition_solution",
        "log_det = log_det + layer.log_det(h)",
        "log_det = layer.log_det(h)",
        "overwrites the log-det at each layer: only the last one is kept",
    ),
    Mutant(
        "flow_log_det_at_layer_output", "composition_solution",
        "        log_det = log_det + layer.log_det(h)\n        h = layer.f(h)",
        "        h = layer.f(h)\n        log_det = log_det + layer.log_det(h)",
        "evaluates J_{f_k} at the output of layer k instead of its input",
    ),
    Mutant(
        "flow_log_det_at_data", "composition_solution",
        "log_det = log_det + layer.log_det(h)",
        "log_det = log_det + layer.log_det(x)",
        "evaluates every J_{f_k} at x (the slide leaves the argument out)",
    ),
    Mutant(
        "flow_inverse_not_reversed", "composition_solution",
        "for layer in reversed(layers):",
        "for layer in layers:",
        "inverts the layers in the forward order: g_1 first instead of g_K",
    ),
    Mutant(
        "flow_base_density_at_x", "composition_solution",
        "return base_log_prob(z) + log_det",
        "return base_log_prob(x) + log_det",
        "evaluates the base density at x instead of z = f(x)",
    ),
    # task 4: forward vs reverse KL, duality
    Mutant(
        "forward_kl_direction_swapped", "kl_losses_solution",
        "return (target_log_prob(x) - log_p).mean()",
        "return (log_p - target_log_prob(x)).mean()",
        "uses the reverse-KL integrand log p - log pi with samples of pi",
    ),
    Mutant(
        "reverse_kl_log_det_of_f", "kl_losses_solution",
        "log_det_g = -flow.log_det_f(x)",
        "log_det_g = flow.log_det_f(x)",
        "uses log|det J_f| where the slide's formula needs log|det J_g|",
    ),
    Mutant(
        "reverse_kl_missing_base_term", "kl_losses_solution",
        "return (flow.base_log_prob(z) - log_det_g - target_log_prob(x)).mean()",
        "return (-log_det_g - target_log_prob(x)).mean()",
        "drops log p(z): same gradient, wrong KL value",
    ),
    Mutant(
        "reverse_kl_detached", "kl_losses_solution",
        "x = flow.g(z)",
        "x = flow.g(z).detach()",
        "detaches the samples: no gradient flows through g, training stalls",
    ),
    # task 4: your training loop (forward KL by minibatch SGD) and the closed-form optimum
    Mutant(
        "loop_without_zero_grad", "fit_solution",
        "        optimizer.zero_grad()\n",
        "",
        "never zeroes the gradients: every step adds the new gradient to all the old ones",
    ),
    Mutant(
        "loop_optimizer_misses_log_sigma", "fit_solution",
        "torch.optim.Adam(flow.parameters(), lr=lr)",
        "torch.optim.Adam([flow.mu], lr=lr)",
        "hands the optimizer only the shift mu: the scales sigma are never trained",
    ),
    Mutant(
        "loop_loss_without_log_det", "fit_solution",
        "loss = forward_kl(flow, target_log_prob, batch)",
        "loss = -flow.base_log_prob(flow.f(batch)).mean()",
        "maximizes log p(f(x)) alone, without log|det J_f|: the flow blows up to make f(x) small",
    ),
    Mutant(
        "loop_reverse_kl", "fit_solution",
        "loss = forward_kl(flow, target_log_prob, batch)",
        "loss = reverse_kl(flow, target_log_prob, torch.randn(batch_size, 2, generator=gen))",
        "trains by the reverse KL (mode seeking) where the task asks for the forward KL of the data",
    ),
    Mutant(
        "loop_gradient_ascent", "fit_solution",
        "        loss.backward()",
        "        (-loss).backward()",
        "steps up the gradient: maximizes the KL",
    ),
    Mutant(
        "loop_same_minibatch", "fit_solution",
        "        start += batch_size\n",
        "",
        "never moves through the data: every step trains on the same first minibatch",
    ),
    Mutant(
        "optimum_unbiased_variance", "fit_solution",
        "variance = ((x - mu) ** 2).mean(dim=0)",
        "variance = ((x - mu) ** 2).sum(dim=0) / (x.shape[0] - 1)",
        "the unbiased variance (N - 1) is not the minimiser of the empirical forward KL (N)",
    ),
    Mutant(
        "optimum_log_variance", "fit_solution",
        "return mu, 0.5 * torch.log(variance)",
        "return mu, torch.log(variance)",
        "returns log sigma^2 where the flow's parameter is log sigma",
    ),
    Mutant(
        "gaussian_kl_log_det_ratio_inverted", "duality_solution",
        "torch.logdet(S1) - torch.logdet(S0)",
        "torch.logdet(S0) - torch.logdet(S1)",
        "inverts the ratio det S1 / det S0",
    ),
    Mutant(
        "pushforward_sigma_not_inverted", "duality_solution",
        "J = torch.diag(torch.exp(-log_sigma))",
        "J = torch.diag(torch.exp(log_sigma))",
        "uses sigma instead of 1/sigma for J_f of z = (x - mu) / sigma",
    ),
    Mutant(
        "duality_kl_direction_swapped", "duality_solution",
        "lhs = gaussian_kl(m, S, mu, torch.diag(torch.exp(2 * log_sigma)))",
        "lhs = gaussian_kl(mu, torch.diag(torch.exp(2 * log_sigma)), m, S)",
        "computes KL(p(x|theta) || pi) (reverse) where the duality has KL(pi || p(x|theta)) (forward)",
    ),
]
