"""`@record`: frozen value classes for the start-up path, without the dataclasses module.

`import dataclasses` costs 6-8 ms (it imports inspect, ast, dis, tokenize) and every
`@dataclass` compiles five or six methods with exec() (~0.3 ms a class); smail loads some
twenty such classes on every run. A record class is written like a frozen dataclass and gets
the same behaviour from shared methods, built in microseconds:

    @record
    class Server:
        host: str
        port: int = 25
        names: tuple[str, ...] = field(default_factory=tuple)
        secret: str = field(default="", repr=False)

- `__init__` takes the fields by position or keyword, in order; defaults, default
  factories and `field(repr=False)` as in dataclasses; the same TypeErrors for missing,
  unknown or repeated arguments.
- `__repr__`, `__eq__` and `__hash__` are those of `@dataclass(frozen=True)`; assigning or
  deleting an attribute raises FrozenInstanceError (an AttributeError).
- dataclasses.replace(), dataclasses.fields() and is_dataclass() keep working: they read
  `__dataclass_fields__`, which a record builds (with dataclasses) only when asked for it.

mypy sees every record as a frozen dataclass (PEP 681 dataclass_transform). Fields must be
annotated in the class itself; records do not inherit fields from one another.

`SlotValue` is the other style, for the values made for every message (docs/decisions.md D33).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeVar, dataclass_transform

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_: object) -> object:
        return lambda target: target


__all__ = ["FrozenInstanceError", "SlotValue", "field", "record", "record_fields", "replace"]


class FrozenInstanceError(AttributeError):
    """Raised on assigning to or deleting a field of a record (like dataclasses')."""


_MISSING: Any = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


class _Field:
    """What field() said of one field: its default (or factory) and whether repr shows it."""

    __slots__ = ("default", "repr")

    def __init__(self, default: object, repr: bool) -> None:
        self.default = default  # _MISSING, a value, or a _Factory
        self.repr = repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], _T] | None = None,
    repr: bool = True,
) -> _T:
    """A field's default, or a default built anew for each instance; `repr=False` keeps the
    value out of repr() (a secret, a callable)."""
    if default_factory is not None:
        default = _Factory(default_factory)
    return _Field(default, repr)  # type: ignore[return-value]


class _Spec:
    """What the shared methods need to know about one record class."""

    __slots__ = ("defaults", "names", "qualname", "shown")

    def __init__(
        self,
        qualname: str,
        names: tuple[str, ...],
        defaults: dict[str, object],
        shown: tuple[str, ...],
    ):
        self.qualname = qualname
        self.names = names
        self.defaults = defaults
        self.shown = shown  # the names repr() shows


def _init(self: Any, *args: object, **kwargs: object) -> None:
    spec: _Spec = type(self).__record__
    names = spec.names
    if kwargs or len(args) > len(names):
        args = _bound(spec, args, kwargs)
    setter = object.__setattr__
    for name, value in zip(names, args, strict=False):  # by position: the common call
        setter(self, name, value)
    for name in names[len(args) :]:
        setter(self, name, _default(spec, name))


def _bound(spec: _Spec, args: tuple[object, ...], kwargs: dict[str, object]) -> tuple[object, ...]:
    """Every field's value in order, from arguments given by keyword too, with the TypeErrors a
    function's own call raises."""
    names = spec.names
    if len(args) > len(names):
        given = len(args) + 1
        raise TypeError(
            f"{_where(spec)} takes {len(names) + 1} positional arguments but {given} were given"
        )
    values = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{_where(spec)} got an unexpected keyword argument {key!r}")
        if key in values:
            raise TypeError(f"{_where(spec)} got multiple values for argument {key!r}")
        values[key] = value
    return tuple(values[n] if n in values else _default(spec, n) for n in names)


def _default(spec: _Spec, name: str) -> object:
    """The value of a field not given: its default, or one made by its factory."""
    default = spec.defaults.get(name, _MISSING)
    if default is _MISSING:
        raise TypeError(f"{_where(spec)} missing 1 required positional argument: {name!r}")
    return default.make() if isinstance(default, _Factory) else default


def _where(spec: _Spec) -> str:
    return f"{spec.qualname}.__init__()"


def _values(self: Any) -> tuple[object, ...]:
    return tuple(getattr(self, name) for name in type(self).__record__.names)


def _repr(self: Any) -> str:
    spec: _Spec = type(self).__record__
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in spec.shown)
    return f"{spec.qualname}({inner})"


def _eq(self: Any, other: object) -> object:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


class _DataclassFields:
    """`__dataclass_fields__` built on first use, so the dataclasses functions accept records."""

    def __get__(self, obj: object, owner: type) -> dict[str, object]:
        cached = owner.__dict__.get("_record_dc_fields")
        if cached is None:
            import dataclasses

            spec: _Spec = owner.__record__  # type: ignore[attr-defined]
            specs: list[tuple[str, object, object]] = []
            for name in spec.names:
                default = spec.defaults.get(name, _MISSING)
                shown = name in spec.shown
                if default is _MISSING:
                    specs.append((name, object, dataclasses.field(repr=shown)))
                elif isinstance(default, _Factory):
                    made = dataclasses.field(default_factory=default.make, repr=shown)
                    specs.append((name, object, made))
                else:
                    specs.append((name, object, dataclasses.field(default=default, repr=shown)))
            shadow = dataclasses.make_dataclass(owner.__name__, specs, frozen=True)
            cached = dict(shadow.__dataclass_fields__)  # type: ignore[attr-defined]
            type.__setattr__(owner, "_record_dc_fields", cached)
        return cached


_DC_FIELDS = _DataclassFields()


def _read_defaults(cls: type, names: tuple[str, ...]) -> tuple[dict[str, object], set[str]]:
    """The fields' defaults (values or _Factory) and the names field(repr=False) hides; the
    class attributes left as dataclasses leaves them."""
    defaults: dict[str, object] = {}
    hidden: set[str] = set()
    for name in names:
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, _Field):
            if not value.repr:
                hidden.add(name)
            value = value.default
            if value is _MISSING or isinstance(value, _Factory):
                delattr(cls, name)  # like dataclasses: no class attribute for these
            else:
                setattr(cls, name, value)
        if value is not _MISSING:
            defaults[name] = value
        elif defaults:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    return defaults, hidden


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T]) -> type[_T]:
    """Make `cls` a frozen record of its annotated class attributes (see the module doc)."""
    annotations: dict[str, object] = cls.__dict__.get("__annotations__", {})
    names = tuple(name for name, kind in annotations.items() if not _class_var(kind))
    defaults, hidden = _read_defaults(cls, names)
    shown = tuple(name for name in names if name not in hidden)
    members: dict[str, object] = {
        "__record__": _Spec(cls.__qualname__, names, defaults, shown),
        "__init__": _init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash,
        "__setattr__": _setattr,
        "__delattr__": _delattr,
        "__match_args__": names,
        "__dataclass_fields__": _DC_FIELDS,
    }
    for name, value in members.items():
        setattr(cls, name, value)
    return cls


def record_fields(cls: type) -> tuple[str, ...]:
    """The field names of a record class, in order."""
    spec: _Spec = cls.__record__  # type: ignore[attr-defined]
    return spec.names


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record `obj` with `changes` (dataclasses.replace() without importing
    dataclasses); an unknown name is a TypeError, as there."""
    cls = type(obj)
    values = {name: getattr(obj, name) for name in record_fields(cls)}
    values.update(changes)
    return cls(**values)


def _class_var(kind: object) -> bool:
    return str(kind).startswith(("ClassVar", "typing.ClassVar"))


def _stored_init(
    qualname: str, names: tuple[str, ...], defaults: dict[str, object], kw_only: bool
) -> Callable[..., None]:
    """The `__init__` one would write out for a SlotValue: one `self.name = name` a field,
    compiled once for its class (the same bytecode as written by hand, so no cost per object)."""
    params = [name if name not in defaults else f"{name}=_default_{name}" for name in names]
    if kw_only:
        params.insert(0, "*")
    body = "".join(f"\n    self.{name} = {name}" for name in names) or "\n    pass"
    scope: dict[str, Any] = {f"_default_{name}": value for name, value in defaults.items()}
    # exec of the text, not compile(): the builtin compile() costs ~10 M instructions on its
    # first call in a process (cachegrind), exec ~0.5 M a class
    exec(f"def __init__(self, {', '.join(params)}):{body}\n", scope)
    init = scope["__init__"]
    init.__qualname__ = f"{qualname}.__init__"
    # its own name in tracebacks and profiles (exec names every function "<string>", line 1)
    init.__code__ = init.__code__.replace(
        co_filename=f"<SlotValue {qualname}>", co_qualname=init.__qualname__
    )
    made: Callable[..., None] = init
    return made


@dataclass_transform(eq_default=True)
class _Stored(type):
    """SlotValue's metaclass: a class's annotated fields become its `__slots__`, and its
    `__init__` stores them in order (after the fields of the SlotValue it extends), positional
    unless the class says `kw_only=True`; a value given in the class body is the default."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], *, kw_only: bool = False
    ) -> _Stored:
        annotations: dict[str, object] = ns.get("__annotations__", {})
        own = tuple(field for field, kind in annotations.items() if not _class_var(kind))
        names: tuple[str, ...] = ()
        defaults: dict[str, object] = {}
        for base in bases:
            names += getattr(base, "_fields", ())
            defaults.update(getattr(base, "_defaults", {}))
        defaults.update((field, ns.pop(field)) for field in own if field in ns)
        names += own
        ns.update(__slots__=own, _fields=names, _defaults=defaults)
        if own:
            ns["__init__"] = _stored_init(f"{ns['__qualname__']}", names, defaults, kw_only)
        return super().__new__(mcs, name, bases, ns)


class SlotValue(metaclass=_Stored):
    """A value made per message (smtp/protocol.py's Outcome and Group, the scheduler's Job
    and Result, mime/template.py's Fill and Prepared): written as a dataclass is, its
    `__init__` made once for the class and as fast as one written out (docs/decisions.md D33);
    equality and repr from its fields; mutable, unhashable.

        class Job(SlotValue):
            tag: int
            smtputf8: bool = False
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, object]] = {}

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SlotValue) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"
