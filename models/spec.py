"""Design specs: the one declaration of a design's parameters.

A design's spec is a frozen, keyword-only dataclass derived from :class:`Spec`. Each field is
declared once with :func:`param`, which records its kind, default, range and doc; the golden
model, the Amaranth component and the registry entry all read that declaration, and
``stochhw list``, the parameter docs and the bad-input tests are generated from it::

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class SRUFreeSpec(Spec):
        in_width: int = param(16, "signed input width", lo=2, hi=64)
        out_width: int = param(8, "signed output width (< in_width)", lo=1, hi=63)
        saturate: bool = param(True, "clamp (1) or wrap (0) on overflow")

        def validate(self):                     # rules that tie parameters together
            if self.out_width >= self.in_width:
                raise ParameterError(...)

        @property
        def k(self):                            # derived values live on the spec too
            return self.in_width - self.out_width

Constructing a spec checks every field against its declaration (a :class:`ParameterError`
whose message names the parameter), normalizes it (a list becomes a tuple, ``1`` becomes
``True`` for a boolean) and then runs :meth:`Spec.validate`. Models and components take a spec
or the same keyword arguments (:func:`spec_from`) and read their parameters from it.

This module is a shared rule of the bottom layer: it imports nothing above
:mod:`stochhw.models`.
"""

import dataclasses
import math
import numbers
import os

from stochhw.models.checks import ParameterError, check_bool, check_choice, check_int

__all__ = ["KINDS", "ParamInfo", "param", "Spec", "spec_from", "Specified"]

#: Parameter kinds, and how each is written on the command line.
KINDS = {
    "int": "integer",
    "bool": "0|1",
    "choice": "one of the choices",
    "float": "number",
    "ints": "list of integers|none",
    "path": "file path|none",
}


@dataclasses.dataclass(frozen=True)
class ParamInfo:
    """The declaration of one parameter (kept in the dataclass field's metadata).

    Attributes
    ----------
    name : str
    kind : str
        One of :data:`KINDS`.
    default : object
    doc : str
        One line for ``stochhw list`` and the docs.
    lo, hi : number or None
        Inclusive range of an ``int`` or ``float`` (or of every element of ``ints``).
    choices : tuple
        Allowed values of a ``choice``.
    resolution : float or None
        A ``float`` the hardware holds in steps of ``resolution``: a value that is not a
        multiple of it is refused, naming the two allowed neighbours (the manifest could not
        record what the hardware does); one off a step by rounding noise only is held as
        that step exactly.
    optional : bool
        ``None`` is allowed (``ints`` and ``path`` always allow it).
    """
    name: str
    kind: str
    default: object
    doc: str
    lo: object = None
    hi: object = None
    choices: tuple = ()
    resolution: float | None = None
    optional: bool = False

    def check(self, value):
        """``value`` checked against this declaration and normalized; else :class:`ParameterError`."""
        if value is None and (self.optional or self.kind in ("ints", "path")):
            return None
        if self.kind == "int":
            return check_int(self.name, value, self.lo, self.hi)
        if self.kind == "bool":
            return check_bool(self.name, value)
        if self.kind == "choice":
            return check_choice(self.name, value, self.choices)
        if self.kind == "float":
            return self._check_float(value)
        if self.kind == "ints":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ParameterError(f"{self.name} must be a list of integers or None, not {value!r}")
            return tuple(check_int(self.name, v, self.lo, self.hi) for v in value)
        if self.kind == "path":
            if isinstance(value, os.PathLike):
                value = os.fspath(value)
            if not isinstance(value, str) or not value:
                raise ParameterError(f"{self.name} must be a file path or None, not {value!r}")
            return value
        raise AssertionError(f"unknown parameter kind {self.kind!r}")

    def _check_float(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ParameterError(f"{self.name} must be a finite number, not {value!r}")
        value = float(value)
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise ParameterError(f"{self.name} must be in {self.lo}..{self.hi}, not {value}")
        if self.resolution is not None:
            steps = value / self.resolution
            if abs(steps - round(steps)) > 1e-9:
                # Both neighbours, written exactly (repr), so either can be pasted back.
                low, high = math.floor(steps) * self.resolution, math.ceil(steps) * self.resolution
                raise ParameterError(f"{self.name} is held in steps of {_step(self.resolution)} in "
                                     f"hardware; {value!r} is not a multiple (nearest allowed: "
                                     f"{low!r} or {high!r})")
            value = round(steps) * self.resolution    # exactly the held value, for the manifest
        return value

    def parse(self, text):
        """The Python value of command-line ``text`` (then checked by :meth:`check`)."""
        text = text.strip()
        if text == "":
            raise ParameterError(f"{self.name} is empty; give a value")
        if text.lower() == "none" and (self.optional or self.kind in ("ints", "path")):
            return None
        # ParameterError is a ValueError: only the conversions sit inside the try blocks.
        if self.kind == "int":
            try:
                value = int(text, 0)
            except ValueError:
                raise ParameterError(f"{self.name} must be an integer, not {text!r}") from None
            return self.check(value)
        if self.kind == "bool":
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ParameterError(f"{self.name} must be a boolean (0/1, true/false), not {text!r}")
        if self.kind == "choice":
            if text not in self.choices:
                raise ParameterError(f"{self.name} must be one of {', '.join(self.choices)}; not {text!r}")
            return text
        if self.kind == "ints":
            try:
                value = tuple(int(t, 0) for t in text.split(","))
            except ValueError:
                raise ParameterError(f"{self.name} must be a comma-separated list of integers, "
                                     f"not {text!r}") from None
            return self.check(value)
        if self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise ParameterError(f"{self.name} must be a number, not {text!r}") from None
            return self.check(value)
        return self.check(text)           # path

    def describe(self):
        """The domain in words, for ``stochhw list``."""
        if self.kind == "choice":
            return "|".join(self.choices)
        if self.kind in ("int", "float") and (self.lo is not None or self.hi is not None):
            step = f" step {_step(self.resolution)}" if self.resolution is not None else ""
            return f"{_number(self.lo)}..{_number(self.hi)}{step}" + ("|none" if self.optional else "")
        return KINDS[self.kind]

    def to_json(self):
        """A JSON-ready dict with stable keys (``stochhw list --json``)."""
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {"name": self.name, "kind": self.kind, "default": default, "domain": self.describe(),
                "doc": self.doc}


def _number(value):
    """A range bound as text: ``""`` for none, ``2^64-1`` for large all-ones integers."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if value >= 1 << 20 and (value + 1) & value == 0:
        return f"2^{value.bit_length()}-1"
    return str(value)


def _step(resolution):
    """A resolution as text: ``1/256`` for the reciprocal of an integer, else its repr."""
    inverse = 1 / resolution
    return f"1/{round(inverse)}" if abs(inverse - round(inverse)) < 1e-9 else repr(resolution)


def _kind_of(default, choices):
    if choices:
        return "choice"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    raise TypeError("give kind= for a parameter whose default does not tell it")


def param(default, doc, *, kind=None, lo=None, hi=None, choices=(), resolution=None, optional=False):
    """Declare one parameter of a :class:`Spec` (a dataclass field).

    ``kind`` follows from the default (``bool``, ``int``, ``float``) or from ``choices``; give
    it for ``"ints"`` (a tuple of integers, or None) and ``"path"`` (a file path, or None).
    """
    kind = kind or _kind_of(default, choices)
    if kind not in KINDS:
        raise TypeError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    info = ParamInfo("", kind, default, doc, lo, hi, tuple(choices), resolution, optional)
    return dataclasses.field(default=default, metadata={"stochhw": info})


class Spec:
    """Base of every design's spec: a frozen, keyword-only dataclass of :func:`param` fields."""

    def __post_init__(self):
        for info in self.params():
            object.__setattr__(self, info.name, info.check(getattr(self, info.name)))
        self.validate()

    def validate(self):
        """Rules that tie parameters together; raise :class:`ParameterError` naming one of them."""

    @classmethod
    def params(cls):
        """Every parameter's :class:`ParamInfo`, in declaration order."""
        infos = []
        for field in dataclasses.fields(cls):
            info = field.metadata.get("stochhw")
            if info is not None:
                infos.append(dataclasses.replace(info, name=field.name))
        return tuple(infos)

    @classmethod
    def param(cls, name):
        """The :class:`ParamInfo` of ``name``; :class:`ParameterError` naming the known ones."""
        for info in cls.params():
            if info.name == name:
                return info
        known = ", ".join(p.name for p in cls.params())
        raise ParameterError(f"unknown parameter {name!r} (known: {known})")

    @classmethod
    def defaults(cls):
        """``{name: default}`` of every parameter."""
        return {p.name: p.default for p in cls.params()}

    @classmethod
    def from_overrides(cls, overrides=None):
        """The spec with ``overrides`` (command-line text or Python values) over the defaults."""
        values = cls.defaults()
        for name, value in (overrides or {}).items():
            info = cls.param(name)
            values[name] = info.parse(value) if isinstance(value, str) else value
        return cls(**values)

    def as_dict(self):
        """``{name: value}`` of every parameter, in declaration order."""
        return {p.name: getattr(self, p.name) for p in self.params()}

    def replace(self, **changes):
        """A copy with ``changes`` (checked like any new spec)."""
        return dataclasses.replace(self, **changes)


def spec_from(spec_class, spec, params):
    """The spec a model or component is built from: ``spec`` itself, or ``spec_class(**params)``.

    Parameters
    ----------
    spec_class : type
        The design's :class:`Spec` subclass.
    spec : Spec or None
        A ready spec (then ``params`` must be empty).
    params : dict
        Keyword arguments of the model or component.
    """
    if spec is None:
        return spec_class(**params)
    if params:
        raise ParameterError(f"give a {spec_class.__name__} or keyword parameters, not both "
                             f"(got {', '.join(params)})")
    if not isinstance(spec, spec_class):
        raise ParameterError(f"spec must be a {spec_class.__name__}, not {type(spec).__name__}")
    return spec


class Specified:
    """Mixin of models and components built from a spec (:attr:`spec`).

    Parameters read as attributes come from the spec: ``model.lanes`` is ``model.spec.lanes``,
    so one declaration serves every reader.
    """

    def __getattr__(self, name):
        # Only called when ordinary lookup fails; "spec" itself must not recurse.
        spec = self.__dict__.get("spec")
        if spec is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        try:
            return getattr(spec, name)
        except AttributeError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
