"""Spiking-network models, their learning tasks and the non-spiking baselines."""
