"""Frozen value classes, made at import without compiling code (issue 16).

``@dataclass(frozen=True)`` writes ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and
``__setattr__`` for each class as source and compiles it: about a millisecond a class on this
project's machine, 80 classes, a third of the import time of a one-event run. ``@frozen`` lets
dataclasses do what it does once per class cheaply (read the fields, their defaults and
options) and gives every class the same few generic methods instead, which read those fields.
What a dataclass offers stays: ``dataclasses.fields``, ``replace``, ``asdict``, keyword-only
construction, defaults and factories, equality, hashing, ``FrozenInstanceError``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")
_SPEC = "__value_spec__"


class _Spec:
    """One class's fields, as its generic methods read them."""

    __slots__ = ("cls", "names", "positional", "defaults", "factories", "compared", "hashed", "shown")

    def __init__(self, cls: type, kw_only: bool) -> None:
        fields = [f for f in dataclasses.fields(cls) if f.init]
        self.cls = cls
        self.names = tuple(f.name for f in fields)
        self.positional = () if kw_only else tuple(f.name for f in fields if not f.kw_only)
        self.defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
        self.factories: dict[str, Callable[[], Any]] = {
            f.name: f.default_factory for f in fields if f.default_factory is not dataclasses.MISSING
        }
        every = dataclasses.fields(cls)
        self.compared = tuple(f.name for f in every if f.compare)
        self.hashed = tuple(f.name for f in every if (f.hash if f.hash is not None else f.compare))
        self.shown = tuple(f.name for f in every if f.repr)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec: _Spec = getattr(type(self), _SPEC)
    name = type(self).__qualname__
    if args:
        if len(args) > len(spec.positional):
            raise TypeError(f"{name}() takes {len(spec.positional)} positional arguments but {len(args)} were given")
        for field_name, arg in zip(spec.positional, args, strict=False):
            if field_name in kwargs:
                raise TypeError(f"{name}() got multiple values for argument {field_name!r}")
            kwargs[field_name] = arg
    values = self.__dict__
    for field_name in spec.names:
        if field_name in kwargs:
            values[field_name] = kwargs.pop(field_name)
        elif field_name in spec.factories:
            values[field_name] = spec.factories[field_name]()
        elif field_name in spec.defaults:
            values[field_name] = spec.defaults[field_name]
        else:
            raise TypeError(f"{name}() missing 1 required argument: {field_name!r}")
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")


def _repr(self: Any) -> str:
    spec: _Spec = getattr(type(self), _SPEC)
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in spec.shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> object:  # NotImplemented for another class, as dataclasses
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = getattr(type(self), _SPEC).compared
    return all(bool(getattr(self, name) == getattr(other, name)) for name in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, name) for name in getattr(type(self), _SPEC).hashed))


def _refuse(self: Any, name: str, _value: Any = None) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def made(cls: type[_T], **fields: Any) -> _T:
    """``cls(**fields)`` for a ``@frozen`` class, without its __init__: for the hot path, where the
    fields are known to be right. __init__ checks and fills every field in a loop, most of what
    making an event costs in a flood (issue 16); this writes them straight into the instance's
    __dict__, which is all __init__ does. Fields left out keep their class defaults, so a field
    with a default_factory (it has none) must be given."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


@overload
def frozen(cls: type[_T], /) -> type[_T]: ...


@overload
def frozen(*, kw_only: bool = True) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[_T] | None = None, /, *, kw_only: bool = True) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """``@dataclass(frozen=True, kw_only=True)``, made without compiling (``kw_only=False``: fields
    may be passed in order too)."""

    def make(cls: type[_T]) -> type[_T]:
        made = dataclasses.dataclass(cls, init=False, repr=False, eq=False, kw_only=kw_only)
        methods = {_SPEC: _Spec(made, kw_only), "__init__": _init, "__repr__": _repr, "__eq__": _eq,
                   "__hash__": _hash, "__setattr__": _refuse, "__delattr__": _refuse}
        for name, method in methods.items():
            setattr(made, name, method)
        return made

    return make(cls) if cls is not None else make
