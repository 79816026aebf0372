"""Argument types shared by the model command lines."""

import argparse

__all__ = ["positive_int", "non_negative_int"]


def _integer_at_least(text: str, minimum: int) -> int:
    """Parse ``text`` as an integer >= ``minimum`` or raise an argparse error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: expected an integer >= {minimum}"
        ) from None
    if value < minimum:
        raise argparse.ArgumentTypeError(
            f"invalid value {value}: expected >= {minimum}"
        )
    return value


def positive_int(text: str) -> int:
    """Parse a command-line integer that must be 1 or more."""
    return _integer_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """Parse a command-line integer that must be 0 or more."""
    return _integer_at_least(text, 0)
