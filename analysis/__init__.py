"""Metrics and one module per figure, computed from saved simulation results."""
