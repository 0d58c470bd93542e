"""Mutants of assignment 06 (variational EM, amortized inference, the VAE)."""
from tests.mutants import Mutant

MUTANTS: list[Mutant] = [
    # task 1: the ELBO estimate (reparameterization, closed-form KL), variational EM
    Mutant(
        "elbo_kl_wrong_sign", "vem_solution",
        "return log_lik(x, z).mean(0) - kl",
        "return log_lik(x, z).mean(0) + kl",
        "adds KL(q || p(z)) to the expected log-likelihood instead of subtracting it",
    ),
    Mutant(
        "kl_variance_for_log_variance", "vem_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var.exp()).sum(-1)",
        "writes the variance where the log-variance belongs in the KL (-sigma^2 instead of -log sigma^2)",
    ),
    Mutant(
        "reparam_log_var_as_log_std", "vem_solution",
        "z = mean + torch.exp(0.5 * log_var) * eps",
        "z = mean + torch.exp(log_var) * eps",
        "treats the log-variance as a log standard deviation: sigma = exp(log_var) instead of exp(log_var / 2)",
    ),
    Mutant(
        "z_sampled_without_reparameterization", "vem_solution",
        "z = mean + torch.exp(0.5 * log_var) * eps",
        "z = (mean + torch.exp(0.5 * log_var) * eps).detach()  # just a sample of q",
        "samples z outside the graph, so no gradient of the reconstruction term reaches phi",
    ),
    Mutant(
        "elbo_sums_over_samples", "vem_solution",
        "return log_lik(x, z).mean(0) - kl",
        "return log_lik(x, z).sum(0) - kl",
        "sums the k Monte-Carlo terms instead of averaging them: the expected log-likelihood counts k times",
    ),
    Mutant(
        "elbo_averages_over_objects", "vem_solution",
        "return log_lik(x, z).mean(0) - kl",
        "return log_lik(x, z).mean() - kl",
        "averages the log-likelihood over the objects as well as the samples: every object gets the same reconstruction term",
    ),
    Mutant(
        "kl_without_mean_squared", "vem_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "kl = 0.5 * (log_var.exp() - 1 - log_var).sum(-1)",
        "forgets E_q z^2 = sigma^2 + m^2 has an m^2: the KL no longer pulls the means towards 0",
    ),
    Mutant(
        "kl_without_minus_one", "vem_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "kl = 0.5 * (log_var.exp() + mean**2 - log_var).sum(-1)",
        "drops the -1 of E_q (z - m)^2 / sigma^2: the KL is d / 2 too large (not 0 at q = p)",
    ),
    Mutant(
        "kl_log_variance_sign", "vem_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 + log_var).sum(-1)",
        "takes E_q log q = -1/2 log sigma^2 - ... with the wrong sign: + log sigma^2 in the KL",
    ),
    Mutant(
        "kl_without_half", "vem_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "kl = (log_var.exp() + mean**2 - 1 - log_var).sum(-1)",
        "forgets the 1/2 of the Gaussian log-densities: the KL counts twice",
    ),
    Mutant(
        "m_step_without_zero_grad", "vem_solution",
        "            opt_theta.zero_grad()\n",
        "",
        "forgets to zero theta's gradients, so the M-step also follows the E-step's gradient of sum_i L_i",
    ),
    Mutant(
        "vem_m_step_reuses_e_step_eps", "vem_solution",
        "            eps = torch.randn(k, *mean.shape, generator=gen, dtype=x.dtype)\n            elbo = elbo_estimate",
        "            elbo = elbo_estimate",
        "reuses the E-step's eps in the M-step instead of drawing a fresh one (a valid estimate, not the prescribed draws)",
    ),
    Mutant(
        "vem_eps_drawn_sample_axis_last", "vem_solution",
        "        eps = torch.randn(k, *mean.shape, generator=gen, dtype=x.dtype)\n        elbo = elbo_estimate",
        "        eps = torch.randn(*mean.shape, k, generator=gen, dtype=x.dtype).permute(2, 0, 1)\n        elbo = elbo_estimate",
        "draws the E-step's eps as (n, d, k) and permutes it: the right distribution, another assignment of draws to samples",
    ),
    # task 2: amortized inference
    Mutant(
        "minibatch_elbo_not_rescaled", "amortized_solution",
        "return n / len(x_batch) * amortized_elbo(x_batch, encoder, log_lik, eps).sum()",
        "return amortized_elbo(x_batch, encoder, log_lik, eps).sum()",
        "sums the minibatch without the factor n / B: a biased estimate (by B / n) of the full-data ELBO",
    ),
    Mutant(
        "minibatch_elbo_mean", "amortized_solution",
        "return n / len(x_batch) * amortized_elbo(x_batch, encoder, log_lik, eps).sum()",
        "return amortized_elbo(x_batch, encoder, log_lik, eps).mean()",
        "averages the minibatch: an estimate of the mean ELBO per object, 1/n of the full-data ELBO",
    ),
    Mutant(
        "am_eps_drawn_before_idx", "amortized_solution",
        "        idx = torch.randint(n, (batch_size,), generator=gen)\n        eps = torch.randn(k, batch_size, encoder.latent_dim, generator=gen, dtype=x.dtype)\n",
        "        eps = torch.randn(k, batch_size, encoder.latent_dim, generator=gen, dtype=x.dtype)\n        idx = torch.randint(n, (batch_size,), generator=gen)\n",
        "draws eps before the minibatch indices: both from gen, in the wrong order",
    ),
    Mutant(
        "am_eps_for_every_object", "amortized_solution",
        "        eps = torch.randn(k, batch_size, encoder.latent_dim, generator=gen, dtype=x.dtype)\n",
        "        eps = torch.randn(k, n, encoder.latent_dim, generator=gen, dtype=x.dtype)[:, idx]\n",
        "draws eps for all n objects and picks the minibatch's rows (a valid estimate, not the prescribed draws)",
    ),
    # task 3: gradient estimators
    Mutant(
        "score_log_var_missing_half", "estimators_solution",
        "score_log_var = 0.5 * (eps**2 - 1)",
        "score_log_var = eps**2 - 1",
        "differentiates log q with respect to log sigma instead of log sigma^2",
    ),
    Mutant(
        "score_mean_times_std", "estimators_solution",
        "score_mean = eps / std",
        "score_mean = eps * std",
        "takes d log q / d mean = (z - mean) * sigma instead of (z - mean) / sigma^2",
    ),
    # task 4: the VAE
    Mutant(
        "vae_log_lik_without_log_sigma2", "vae_solution",
        "return -0.5 * ((x - mu) ** 2 / log_sigma2.exp() + log_sigma2 + LOG_2PI).sum(-1)",
        "return -0.5 * ((x - mu) ** 2 / log_sigma2.exp() + LOG_2PI).sum(-1)",
        "drops the normaliser log sigma^2 of the Gaussian likelihood, so sigma^2 runs off to zero",
    ),
    Mutant(
        "iw_weights_averaged_outside_log", "vae_solution",
        "return torch.logsumexp(log_w, 0) - math.log(k)",
        "return log_w.mean(0)",
        "averages the log-weights instead of the weights: the ELBO again, not a tighter bound",
    ),
    Mutant(
        "iw_without_log_k", "vae_solution",
        "return torch.logsumexp(log_w, 0) - math.log(k)",
        "return torch.logsumexp(log_w, 0)",
        "forgets the 1/k of the average inside the log: log sum_s w_s overestimates log p by log k",
    ),
    Mutant(
        "iw_log_q_from_prior", "vae_solution",
        "log_w = self.log_lik(x, z) + log_prior - log_q",
        "log_w = self.log_lik(x, z)",
        "uses log p(x | z) alone as the importance weight, forgetting p(z) / q(z | x)",
    ),
    Mutant(
        "iw_eps_drawn_sample_axis_last", "vae_solution",
        "eps = torch.randn(k, *mean.shape, generator=generator, dtype=x.dtype)",
        "eps = torch.randn(*mean.shape, k, generator=generator, dtype=x.dtype).permute(2, 0, 1)",
        "draws the importance samples' eps as (n, d, k): the right distribution, not the prescribed draws",
    ),
    Mutant(
        "sample_from_global_generator", "vae_solution",
        "z = torch.randn(n, self.latent_dim, generator=generator)",
        "z = torch.randn(n, self.latent_dim)",
        "ignores the generator argument and samples z from the global generator",
    ),
    Mutant(
        "loss_eps_transposed", "vae_solution",
        "eps = torch.randn(1, len(x), self.latent_dim, dtype=x.dtype)",
        "eps = torch.randn(self.latent_dim, len(x), dtype=x.dtype).T[None]",
        "draws the loss's eps as (d, B) and transposes it: the right distribution, not the prescribed draws",
    ),
    Mutant(
        "loss_beta_on_rec", "vae_solution",
        'return {"loss": rec + self.beta * kl, "rec": rec, "kl": kl}',
        'return {"loss": self.beta * rec + kl, "rec": rec, "kl": kl}',
        "puts the weight beta on the reconstruction term instead of the KL",
    ),
    Mutant(
        "loss_kl_summed_over_batch", "vae_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1).mean()",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum()",
        "sums the KL over the batch but averages the reconstruction: the KL weighs B times too much",
    ),
    Mutant(
        "loss_rec_is_log_likelihood", "vae_solution",
        "rec = -self.log_lik(x, mean + torch.exp(0.5 * log_var) * eps).mean()",
        "rec = self.log_lik(x, mean + torch.exp(0.5 * log_var) * eps).mean()",
        "reports rec as the mean log-likelihood instead of its negative, so the loss maximises the distortion",
    ),
    Mutant(
        "loss_z_is_encoder_mean", "vae_solution",
        "rec = -self.log_lik(x, mean + torch.exp(0.5 * log_var) * eps).mean()",
        "rec = -self.log_lik(x, mean[None]).mean()",
        "decodes the encoder mean instead of a sample of q: no noise, a deterministic autoencoder plus a KL penalty",
    ),
    Mutant(
        "step_without_zero_grad", "vae_solution",
        "        optimizer.zero_grad()\n        out[\"loss\"].backward()",
        "        out[\"loss\"].backward()",
        "forgets optimizer.zero_grad(): every step follows the sum of all the gradients so far (and stale ones)",
    ),
    Mutant(
        "step_before_backward", "vae_solution",
        "        out[\"loss\"].backward()\n        optimizer.step()\n",
        "        optimizer.step()\n        out[\"loss\"].backward()\n",
        "steps before the backward pass: the step uses whatever .grad held (after zero_grad: nothing), never this batch's gradient",
    ),
    Mutant(
        "step_ascends_the_loss", "vae_solution",
        "        out[\"loss\"].backward()\n",
        "        (-out[\"loss\"]).backward()\n",
        "differentiates minus the loss (as if it were the ELBO to maximise): the step climbs the negative ELBO",
    ),
    Mutant(
        "step_on_distortion_only", "vae_solution",
        "        out[\"loss\"].backward()\n",
        "        out[\"rec\"].backward()\n",
        "backpropagates the distortion only: the rate (and beta) never reaches the gradient, an autoencoder with noise",
    ),
    Mutant(
        "step_second_loss_for_gradient", "vae_solution",
        "        out[\"loss\"].backward()\n",
        "        self.loss(x)[\"loss\"].backward()\n",
        "computes the loss again for the backward pass: a second eps (not the prescribed single draw), the returned loss is not the one stepped on",
    ),
    # task 5: a distribution over the 17 levels of a pixel
    Mutant(
        "categorical_not_normalised", "pixels_solution",
        "log_p = torch.log_softmax(logits.unflatten(-1, (-1, self.levels)), dim=-1)",
        "log_p = logits.unflatten(-1, (-1, self.levels))",
        "takes the logit of the observed level as its log-probability, without the log-normaliser",
    ),
    Mutant(
        "categorical_softmax_over_pixels", "pixels_solution",
        "log_p = torch.log_softmax(logits.unflatten(-1, (-1, self.levels)), dim=-1)",
        "log_p = torch.log_softmax(logits.unflatten(-1, (-1, self.levels)), dim=-2)",
        "normalises over the pixels instead of over the levels of each pixel",
    ),
    Mutant(
        "categorical_levels_major_layout", "pixels_solution",
        "log_p = torch.log_softmax(logits.unflatten(-1, (-1, self.levels)), dim=-1)",
        "log_p = torch.log_softmax(logits.unflatten(-1, (self.levels, -1)).transpose(-1, -2), dim=-1)",
        "reads the logits level-major (l[..., v * D + j]) instead of pixel j's block l[..., 17 j : 17 (j + 1)]",
    ),
    Mutant(
        "categorical_mean_over_pixels", "pixels_solution",
        "return log_p.gather(-1, index).squeeze(-1).sum(-1)",
        "return log_p.gather(-1, index).squeeze(-1).mean(-1)",
        "averages the pixels' log-probabilities instead of summing them: log p(x|z) of independent pixels is a sum",
    ),
    Mutant(
        "lost_mass_variance_as_std", "pixels_solution",
        "pixel = Normal(mu, torch.exp(0.5 * model.likelihood.log_sigma2))",
        "pixel = Normal(mu, torch.exp(model.likelihood.log_sigma2))",
        "gives Normal the variance exp(log sigma^2) where it wants the standard deviation (the missing 1/2)",
    ),
    Mutant(
        "lost_mass_upper_tail_only", "pixels_solution",
        "inside = pixel.cdf(torch.ones(())) - pixel.cdf(torch.zeros(()))",
        "inside = pixel.cdf(torch.ones(()))",
        "counts only the mass above 1 as lost, forgetting the mass below 0",
    ),
    Mutant(
        "lost_mass_in_nats", "pixels_solution",
        "return 1 - inside, -inside.log2().mean().item()",
        "return 1 - inside, -inside.log().mean().item()",
        "reports the cost in nats instead of bits",
    ),
    Mutant(
        "lost_mass_bits_per_image", "pixels_solution",
        "return 1 - inside, -inside.log2().mean().item()",
        "return 1 - inside, -inside.log2().sum(-1).mean().item()",
        "sums the bits over the pixels of a digit: bits per image, not per dimension",
    ),
    Mutant(
        "lost_mass_at_a_sample_of_q", "pixels_solution",
        "mu = model.decoder(model.encoder(y)[0])",
        "mu = model.decoder(model.encoder(y)[0] + torch.exp(0.5 * model.encoder(y)[1]) * torch.randn(len(y), model.latent_dim))",
        "decodes a sample of q(z|y) instead of the encoder's mean",
    ),
    # task 6: posterior collapse
    Mutant(
        "usage_kl_summed_over_dimensions", "usage_solution",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).mean(0)",
        "kl = 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1).mean(0)",
        "returns the total KL (the rate) instead of one KL per latent dimension",
    ),
    Mutant(
        "usage_activity_of_q_variance", "usage_solution",
        "return kl, mean.var(0)",
        "return kl, log_var.exp().mean(0)",
        "takes the average variance of q(z_u|x) as the activity, instead of how much its mean moves with x",
    ),
    Mutant(
        "usage_activity_population_variance", "usage_solution",
        "return kl, mean.var(0)",
        "return kl, mean.var(0, unbiased=False)",
        "divides by n instead of n - 1 in the activity",
    ),
    Mutant(
        "usage_activity_of_samples", "usage_solution",
        "return kl, mean.var(0)",
        "return kl, (mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)).var(0)",
        "measures the variance of samples z ~ q(z|x) over the data, which adds the posterior variances to the activity",
    ),
]
