"""Regenerate the study's figures from the package's own simulations.

Run ``python reproduce_figures.py --list`` to see the figures. None of them is
built yet: the command reports which ones are planned and exits.
"""

import argparse
import sys

#: Figures of the study, with one line on what each shows.
PLANNED_FIGURES = {
    "xcal": "XCAL dWt as a function of the synaptic activity product",
    "threshold": "the floating threshold turns XCAL into an error-driven rule",
    "stabilization": "NMDA and GABA-B stabilise a sparse firing pattern",
    "mnist": "spiking XCAL network on MNIST against rate-code and backprop",
    "predictive": "predictive learning of a finite-state grammar",
}


def main(argv=None) -> int:
    """Parse the command line and report the figures that are not built yet."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the figure names")
    args = parser.parse_args(argv)
    for name, description in PLANNED_FIGURES.items():
        status = "" if args.list else "not built yet: "
        print(f"{status}{name}: {description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
