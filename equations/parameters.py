"""Documented default parameters with units, and their validation.

Every mechanism in this package declares its parameters as `Parameter` entries:
a name that appears in the equation strings, a default value with its physical
unit, and one line saying what it is and where the value comes from. A
`ParameterSet` collects them and checks user overrides, so that a wrong unit, a
missing unit, a non-positive time constant or a misspelt name fails before
Brian2 builds anything.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

__all__ = ["Parameter", "ParameterError", "ParameterSet"]


class ParameterError(ValueError):
    """Raised for an invalid parameter name or value."""


@dataclass(frozen=True)
class Parameter:
    """One model parameter with its default value and documentation.

    Parameters
    ----------
    name : str
        Name used in the equation strings and in overrides.
    default : Quantity or float
        Default value; its dimensions are the ones every override must have.
    doc : str
        What the parameter is, in words, with the source of the default.
    positive : bool, optional
        Whether the value must be strictly positive (time constants, rates).
    non_negative : bool, optional
        Whether the value must be zero or positive (durations that may vanish).
    """

    name: str
    default: Quantity | float
    doc: str
    positive: bool = False
    non_negative: bool = False

    @property
    def dimensions(self):
        """Physical dimensions of the parameter."""
        return get_dimensions(self.default)

    def expected(self) -> str:
        """Describe the expected kind of value, for error messages."""
        if self.dimensions == DIMENSIONLESS:
            kind = "a dimensionless number"
        else:
            kind = f"a quantity in {get_unit(self.dimensions)!r}"
        if self.positive:
            kind += " greater than zero"
        elif self.non_negative:
            kind += " of zero or more"
        return kind

    def validate(self, value) -> Quantity | float:
        """Return ``value`` if it fits this parameter, else raise `ParameterError`."""
        # Brian2 would give a bool the dimensions of a number, and a string
        # none at all (a TypeError without the parameter's name).
        try:
            dims = (
                None if isinstance(value, (bool, np.bool_)) else get_dimensions(value)
            )
        except TypeError:
            dims = None
        if dims is None:
            raise ParameterError(
                f"Invalid value {value!r} for parameter '{self.name}': expected "
                f"{self.expected()}."
            )
        if dims != self.dimensions:
            unit_hint = (
                f"for example {self.default}"
                if self.dimensions != DIMENSIONLESS
                else "a plain number"
            )
            raise ParameterError(
                f"Invalid value {value} for parameter '{self.name}': expected "
                f"{self.expected()} ({unit_hint})."
            )
        magnitude = np.asarray(value, dtype=float)
        if magnitude.shape != ():
            raise ParameterError(
                f"Invalid value {value} for parameter '{self.name}': expected a "
                "single value, not an array."
            )
        if not np.isfinite(magnitude):
            raise ParameterError(
                f"Invalid value {value} for parameter '{self.name}': NaN and "
                "infinite values are not allowed."
            )
        if (self.positive and not magnitude > 0) or (
            self.non_negative and not magnitude >= 0
        ):
            raise ParameterError(
                f"Invalid value {value} for parameter '{self.name}': expected "
                f"{self.expected()}."
            )
        return value


class ParameterSet(Mapping):
    """An ordered collection of `Parameter` entries with validated overrides.

    Parameters
    ----------
    parameters : iterable of Parameter
        The parameters, in documentation order. Names must be unique.
    """

    def __init__(self, parameters: Iterable[Parameter]):
        self._parameters: dict[str, Parameter] = {}
        for parameter in parameters:
            if parameter.name in self._parameters:
                raise ParameterError(f"Parameter '{parameter.name}' is defined twice.")
            self._parameters[parameter.name] = parameter

    def __getitem__(self, name: str) -> Parameter:
        return self._parameters[name]

    def __iter__(self):
        return iter(self._parameters)

    def __len__(self) -> int:
        return len(self._parameters)

    def __add__(self, other: ParameterSet) -> ParameterSet:
        return ParameterSet([*self.values(), *other.values()])

    def defaults(self) -> dict[str, Quantity | float]:
        """Return the default values as a name -> value dictionary."""
        return {name: p.default for name, p in self._parameters.items()}

    def resolve(self, overrides: Mapping | None = None) -> dict:
        """Return defaults updated by ``overrides``, after validating each override.

        Raises
        ------
        ParameterError
            For an unknown name or a value of the wrong kind.
        """
        values = self.defaults()
        for name, value in (overrides or {}).items():
            if name not in self._parameters:
                close = difflib.get_close_matches(name, self._parameters, n=3)
                hint = f" Did you mean one of {close}?" if close else ""
                raise ParameterError(
                    f"Unknown parameter '{name}' (value {value}).{hint} Valid "
                    f"names: {', '.join(sorted(self._parameters))}."
                )
            values[name] = self._parameters[name].validate(value)
        return values

    def describe(self) -> str:
        """Return a plain-text table of names, defaults and documentation."""
        width = max(len(name) for name in self._parameters)
        lines = [
            f"{p.name:<{width}}  {p.default!s:<14}  {p.doc}"
            for p in self._parameters.values()
        ]
        return "\n".join(lines)
