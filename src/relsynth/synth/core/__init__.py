"""The core both models stand on: the causal transformer with its KV cache, the token sampler,
saved directories (atomic writes, configs with kind and format version, on-disk arrays),
memory measurement and the one training loop (`core.training`)."""
