"""Figure ``threshold``: the floating threshold turns XCAL into an error-driven rule.

Pairs of spiking neurons (a sender and a receiver, both with the same rates)
fire at one rate in the 150-ms minus phase and at another in the 50-ms plus
phase. Theta follows the slower average avg_m, which still carries the minus
phase, and x the faster avg_s, which mostly reflects the plus phase. So
dWt = f(x, theta) is positive when the rate rises from minus to plus,
negative when it falls and near zero when it stays the same, at a low and at
a high overall rate alike. The sign follows the plus-minus difference, and a
steady rate gives no change however high it is. The size grows with the
difference and with the overall rate, because x and theta are products of
the two neurons' averages.

Panel (a) shows the mean dWt of each condition against the rate difference,
with the standard deviation across pairs. Panel (b) shows avg_s and avg_m of
one receiving neuron per condition of the high level over the trial. The
pair simulation is the one of the ``xcal`` figure (`analysis.xcal_curve`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import ms
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from models.schedule import PhaseTiming

from .figure import SimulationSettings
from .xcal_curve import calibrate_drive, simulate_pairs

__all__ = ["CONDITIONS", "draw", "simulate", "tabulate"]

#: (level, minus-phase rate in Hz, plus-phase rate in Hz) of each condition:
#: a rise, a fall and no change at a low and at a high overall rate.
CONDITIONS = (
    ("low", 10.0, 20.0),
    ("low", 20.0, 10.0),
    ("low", 20.0, 20.0),
    ("high", 25.0, 50.0),
    ("high", 50.0, 25.0),
    ("high", 50.0, 50.0),
)

#: Pairs per condition and per seed. The spikes of a pair have random phases,
#: and the short average ripples with each spike, so at the low level a single
#: pair's dWt scatters by about as much as the mean effect (measured SD 0.004
#: against 0.006). The means therefore need many pairs.
SCALE_PAIRS = {"tiny": 100, "quick": 400, "full": 2000}

#: Level whose example pairs panel (b) shows.
EXAMPLE_LEVEL = "high"


def design_conditions(pairs_per_condition: int, seeds) -> pd.DataFrame:
    """Return one row per pair: level, minus and plus rate, seed, repeat."""
    if pairs_per_condition < 1:
        raise ValueError(
            f"Invalid pairs_per_condition {pairs_per_condition}: expected >= 1."
        )
    rows = [
        {
            "level": level,
            "minus_rate_hz": minus,
            "plus_rate_hz": plus,
            "seed": int(seed),
            "repeat": repeat,
        }
        for level, minus, plus in CONDITIONS
        for seed in seeds
        for repeat in range(pairs_per_condition)
    ]
    return pd.DataFrame(rows)


def simulate(settings: SimulationSettings) -> dict[str, pd.DataFrame]:
    """Simulate the conditions and return the ``pairs`` and ``timecourse`` tables.

    The first pair of each condition (first seed) is recorded every step.
    """
    design = design_conditions(SCALE_PAIRS[settings.scale], settings.seeds)
    first = design.groupby(["level", "minus_rate_hz", "plus_rate_hz"], sort=False)
    examples = tuple(int(rows.index[0]) for _, rows in first)
    calibration = calibrate_drive(Path(settings.build_dir))
    pairs, timecourse = simulate_pairs(
        design,
        calibration,
        device=settings.device,
        build_dir=settings.build_dir,
        project="threshold",
        record=examples,
        report=settings.report,
    )
    conditions = pairs.loc[
        timecourse["pair"], ["level", "minus_rate_hz", "plus_rate_hz"]
    ]
    timecourse = pd.concat(
        [conditions.reset_index(drop=True), timecourse.reset_index(drop=True)], axis=1
    )
    return {"pairs": pairs, "timecourse": timecourse}


def tabulate(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return one row per condition: rates, mean x, theta and dWt, and their spread.

    ``dwt`` is the mean over all pairs and seeds, ``dwt_sd`` the standard
    deviation across pairs and ``dwt_sem`` the standard error of the mean. The
    ``*_measured_hz`` columns are the mean spike rates of all neurons of the
    condition in each phase.
    """
    pairs = results["pairs"].copy()
    pairs["minus_measured_hz"] = 0.5 * (
        pairs["sender_minus_rate_hz"] + pairs["receiver_minus_rate_hz"]
    )
    pairs["plus_measured_hz"] = 0.5 * (
        pairs["sender_plus_rate_hz"] + pairs["receiver_plus_rate_hz"]
    )
    grouped = pairs.groupby(["level", "minus_rate_hz", "plus_rate_hz"], sort=False)
    table = grouped.agg(
        n_pairs=("dwt", "size"),
        minus_measured_hz=("minus_measured_hz", "mean"),
        plus_measured_hz=("plus_measured_hz", "mean"),
        x=("x", "mean"),
        theta=("theta", "mean"),
        dwt=("dwt", "mean"),
        dwt_sd=("dwt", "std"),
    ).reset_index()
    table.insert(3, "rate_change_hz", table["plus_rate_hz"] - table["minus_rate_hz"])
    table["dwt_sem"] = table["dwt_sd"] / np.sqrt(table["n_pairs"])
    return table


def draw(results: dict[str, pd.DataFrame]) -> Figure:
    """Draw mean dWt against the rate change, and example averages over a trial."""
    table = tabulate(results)
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    dwt_axes, trace_axes = figure.subplots(1, 2)
    _draw_dwt(dwt_axes, table)
    _draw_traces(trace_axes, results["timecourse"])
    return figure


def _draw_dwt(axes, table: pd.DataFrame) -> None:
    """Plot mean dWt ± SD per condition against the plus-minus rate change."""
    axes.axhline(0.0, color="0.6", linewidth=0.8)
    axes.axvline(0.0, color="0.85", linewidth=0.8)
    largest = table["rate_change_hz"].max()
    for level, marker in (("low", "o"), ("high", "s")):
        rows = table[table["level"] == level].sort_values("rate_change_hz")
        axes.errorbar(
            rows["rate_change_hz"],
            rows["dwt"],
            yerr=rows["dwt_sd"],
            marker=marker,
            capsize=3,
            label=f"{level} level",
        )
        for _, row in rows.iterrows():
            axes.annotate(
                f"{row['minus_rate_hz']:g}→{row['plus_rate_hz']:g} Hz",
                (row["rate_change_hz"], row["dwt"]),
                textcoords="offset points",
                xytext=_label_offset(level, row["rate_change_hz"], largest),
                fontsize=8,
            )
    axes.set_xlabel("plus-phase rate − minus-phase rate (Hz)")
    axes.set_ylabel("dWt = f(x, θ), mean ± SD over pairs")
    axes.set_title("(a) dWt follows the plus-minus difference")
    axes.legend(loc="upper left", frameon=False)


def _label_offset(level: str, rate_change_hz: float, largest_hz: float):
    """Return a label offset (points) that keeps labels inside the axes and apart.

    Labels go to the right of their point, except at the largest rate change
    (the right edge of the axes). The two no-change conditions near (0, 0)
    go above (high level) and below (low level) their point.
    """
    if rate_change_hz == 0:
        return (8, 6) if level == "high" else (8, -12)
    if rate_change_hz == largest_hz:
        return (-64, -4)
    return (8, -4)


def _draw_traces(axes, timecourse: pd.DataFrame) -> None:
    """Plot avg_s and avg_m of the example receiving neurons over the trial."""
    examples = timecourse[
        (timecourse["level"] == EXAMPLE_LEVEL) & (timecourse["role"] == "receiver")
    ]
    condition_handles = []
    for colour, (_, trace) in zip(
        ("C2", "C3", "C7"), examples.groupby("pair", sort=False), strict=False
    ):
        minus, plus = trace["minus_rate_hz"].iloc[0], trace["plus_rate_hz"].iloc[0]
        (line,) = axes.plot(trace["t_ms"], trace["avg_s"], color=colour)
        axes.plot(trace["t_ms"], trace["avg_m"], color=colour, linestyle="--")
        line.set_label(f"{minus:g}→{plus:g} Hz")
        condition_handles.append(line)
    style_handles = [
        Line2D([], [], color="black", label="avg_s (short)"),
        Line2D([], [], color="black", linestyle="--", label="avg_m (medium)"),
    ]
    axes.axvline(float(PhaseTiming().minus / ms), color="0.5", linewidth=0.8)
    axes.set_xlabel("time in trial (ms), plus phase right of the grey line")
    axes.set_ylabel("running average (8 × spikes per ms)")
    axes.set_title(f"(b) one receiving neuron per condition, {EXAMPLE_LEVEL} level")
    axes.legend(
        handles=condition_handles + style_handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=5,
        frameon=False,
        fontsize=8,
    )
