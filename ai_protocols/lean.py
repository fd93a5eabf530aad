"""Cheap building blocks for the hot paths: value classes without :mod:`dataclasses`,
and regular expressions compiled on first use.

Every ``log``, ``show`` or hook run imports the library anew, so what its modules
do at import is paid on each call (docs/performance.md). :mod:`dataclasses`
imports :mod:`inspect`, :mod:`ast` and :mod:`dis` (milliseconds, several times
the work of a ``log``), and compiling every regular expression of the Org
reader at import costs more than the few a command uses. So:

- :func:`record` makes a class a plain value, as ``@dataclass`` did for it here:
  an ``__init__`` taking the annotated fields in order (keywords too), with their
  defaults (:func:`factory` for a fresh ``list`` or ``dict`` each time),
  ``__eq__`` (same class, equal fields), ``__repr__`` (``Name(field=...)``),
  and with ``frozen=True``, fields that cannot be set again
  (:class:`FrozenInstanceError`, an ``AttributeError``) and a ``__hash__``.
  :func:`replace` and :func:`fields` are ``dataclasses.replace`` and ``fields``' names.
- :func:`pattern` is ``re.compile`` deferred to the pattern's first use; :mod:`re`
  itself is imported then, too. The hot paths read what they need with ``str``
  methods instead (importing :mod:`re` costs half an interpreter's start), held to
  the regular expressions by property tests; :func:`fold` is their ``IGNORECASE``.

Standard library only, and nothing imported at import time but what Python
already loaded, and :mod:`datetime`'s classes: :data:`datetime`, :data:`date`,
:data:`timedelta` and :data:`timezone` are the very classes ``datetime`` gives, taken
from the C module ``_datetime`` itself (``datetime.py`` is the pure-Python version
of them that, once run, puts the C module's classes in their place: importing it
costs a millisecond, an eighth of an interpreter's start, and importing
``_datetime`` a tenth of that). The library imports them from here, so that no hot
command runs ``datetime.py``; and :func:`attrgetter` and :func:`itemgetter`, from
``_operator``, so that none runs ``operator.py``.

:class:`PathField` is an attribute that keeps a path as text and gives it as a
:class:`pathlib.Path`, made on first read, and :class:`TextOf` gives its text:
:mod:`pathlib` (with :mod:`urllib.parse`, :mod:`ipaddress` and :mod:`fnmatch`)
costs a quarter of an interpreter's start, so the hot paths work on ``str`` paths
and build a ``Path`` only when a caller of the public API reads one.

:func:`loads` and :func:`json_encoder` are ``json.loads`` and ``json``'s encoder run
from ``json``'s C module ``_json`` without importing :mod:`json` (which imports
:mod:`re`, half an interpreter's start), handing anything unusual to :mod:`json`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from datetime import date, datetime, timedelta, timezone
else:
    try:  # the C module's classes, without datetime.py, which imports them at its end
        from _datetime import date, datetime, timedelta, timezone
    except ImportError:  # pragma: no cover - a Python without it (PyPy)
        from datetime import date, datetime, timedelta, timezone
try:  # (the C module operator.py takes its functions from: no operator.py, whose import
    from _operator import attrgetter, itemgetter  # costs 1.2 M instructions, a 30th of
except ImportError:  # pragma: no cover - a Python without it  # an interpreter's start)
    from operator import attrgetter, itemgetter
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = ["FrozenInstanceError", "PathField", "TextOf", "attrgetter", "counted",
           "counted_kinds", "date", "datetime", "display", "factory", "fields", "itemgetter",
           "json_encoder", "loads", "pattern", "quoted", "record", "remembered", "replace",
           "shell_last_word", "shell_quote", "timedelta", "timezone"]


class FrozenInstanceError(AttributeError):
    """A field of a frozen value was set or deleted."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def factory(make: Callable[[], T]) -> T:
    """A field's default made anew for each value: ``entries: list[X] = factory(list)``."""
    return _Factory(make)  # type: ignore[return-value]


_MISSING = object()


def _annotations(cls: type) -> list[str]:
    """The fields of ``cls``: the annotated names of its bases, then its own, in order."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, annotation in klass.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 (inspect is what this avoids)
            if "ClassVar" not in str(annotation) and name not in names:
                names.append(name)
    return names


def record(cls: type[T] | None = None, *, frozen: bool = False, slots: bool = False) -> Any:
    """Decorate ``cls`` as a value (see the module's docstring); used as ``@record`` or
    ``@record(frozen=True)``. With ``slots``, the class is made again with its fields
    as ``__slots__`` (as ``dataclass(slots=True)`` does): a third less memory for each
    value, for the hundred thousand entries of a big file."""

    def make(cls: type[T]) -> type[T]:
        names = _annotations(cls)
        defaults: dict[str, object] = {}
        for name in names:
            default = getattr(cls, name, _MISSING)
            if isinstance(default, PathField):
                default = default.default
            if default is not _MISSING and not isinstance(default, property):
                defaults[name] = default
                if isinstance(default, _Factory) and name in cls.__dict__:
                    delattr(cls, name)
        if slots:
            own = [name for name in names if name in cls.__dict__.get("__annotations__", {})]  # noqa: RUF063
            space = {key: value for key, value in cls.__dict__.items()
                     if key not in own and key not in ("__dict__", "__weakref__")}
            cls = type(cls)(cls.__name__, cls.__bases__, {**space, "__slots__": tuple(own)})
        cls.__init__ = _first_init(cls, names, defaults, frozen)  # type: ignore[misc]
        RECORDS.append((cls, names, defaults, frozen))
        cls.__value_fields__ = tuple(names)  # type: ignore[attr-defined]
        if "__eq__" not in cls.__dict__:
            cls.__eq__ = _eq  # type: ignore[assignment,method-assign]
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = _repr  # type: ignore[assignment,method-assign]
        if frozen:
            cls.__setattr__ = _frozen  # type: ignore[assignment,method-assign]
            cls.__delattr__ = _frozen  # type: ignore[assignment,method-assign]
            if "__hash__" not in cls.__dict__:
                cls.__hash__ = _hash  # type: ignore[assignment,method-assign]
        elif "__hash__" not in cls.__dict__:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value
        return cls

    return make if cls is None else make(cls)


def _first_init(cls: type, names: list[str], defaults: dict[str, object],
                frozen: bool) -> Callable[..., None]:
    """``cls.__init__`` until the first value of ``cls`` is made: it makes the real one
    (:func:`_make_init`) and puts it in its place. Compiling an ``__init__`` costs tens of
    microseconds, and a command makes values of few of the classes it imports."""

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        if cls.__dict__.get("__init__") is __init__:
            cls.__init__ = _make_init(cls, names, defaults, frozen)  # type: ignore[misc]
        cls.__init__(self, *args, **kwargs)  # type: ignore[misc]

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


#: Every class :func:`record` made, with its fields, their defaults and whether it is
#: frozen: what ``scripts/gen_inits.py`` compiles ahead (:func:`init_source`).
RECORDS: list[tuple[type, list[str], dict[str, object], bool]] = []
#: The ``__init__`` functions compiled ahead (:func:`ahead_module`), by module, then by
#: their source (:func:`init_source`); each module loaded at the first value made of a
#: class it serves.
_AHEAD: dict[str, dict[str, Callable[..., None]]] = {}
#: The package's subpackages whose classes' ``__init__`` are compiled ahead into a module
#: of their own (:func:`ahead_module`): no hot command but the board's makes their values.
AHEAD_APART = ("board", "integrations")


def ahead_module(module: str) -> str:
    """The module that holds the ``__init__`` compiled ahead for the value classes of the
    module named ``module``: ``ai_protocols._inits_S`` for those of a subpackage ``S`` of
    :data:`AHEAD_APART`, ``ai_protocols._inits`` for the rest. Unmarshalling the code of
    an ``__init__`` a command never calls costs it about 27,000 instructions
    (docs/performance.md, twenty-eighth round); ``scripts/gen_inits.py`` writes each
    module by this rule."""
    parts = module.split(".")
    return f"ai_protocols._inits_{parts[1]}" if len(parts) > 2 and parts[0] == "ai_protocols" \
        and parts[1] in AHEAD_APART else "ai_protocols._inits"


def path_fields(cls: type, names: list[str]) -> tuple[str, ...]:
    """The fields of the value class ``cls`` (its ``names``) that are :class:`PathField`
    attributes, in order: what its ``__init__`` sets last (:func:`init_source`)."""
    return tuple(name for name in names if isinstance(getattr(cls, name, None), PathField))


def init_source(names: list[str], defaults: dict[str, object], frozen: bool,
                last: tuple[str, ...] = ()) -> tuple[str, dict[str, object], tuple[object, ...]]:
    """The source of the ``__init__`` of a value class whose fields are ``names`` with
    ``defaults`` (:func:`record`), the globals it runs with (the defaults by name, and
    what makes a :func:`factory`'s), and its parameters' default values in order. The
    fields ``last`` (its :func:`path_fields`) are set after the others, in their order:
    a :class:`PathField` writes the instance's ``__dict__`` itself, and once that is
    made, each field set after it grows a dictionary of its own instead of taking the
    interpreter's layout shared by the class's values (a ``Session``'s 41 fields cost
    about 24,000 instructions with its path set first, 13,000 with it last;
    docs/performance.md, twenty-second round). Nothing else sees the order."""
    params, body, scope = [], [], {"_MISSING": _MISSING}
    later: list[str] = []
    given_defaults: list[object] = []
    for name in names:
        default = defaults.get(name, _MISSING)
        if default is _MISSING:
            params.append(name)
            given = name
        elif isinstance(default, _Factory):
            scope[f"_make_{name}"] = default.make
            params.append(f"{name}=_MISSING")
            given = f"_make_{name}() if {name} is _MISSING else {name}"
            given_defaults.append(_MISSING)
        else:
            scope[f"_default_{name}"] = default
            params.append(f"{name}=_default_{name}")
            given = name
            given_defaults.append(default)
        (later if name in last else body).append(
            f"  _set(self, {name!r}, {given})" if frozen else f"  self.{name} = {given}")
    scope["_set"] = object.__setattr__
    body += later
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "  pass")
    return source, scope, tuple(given_defaults)


def _make_init(cls: type, names: list[str], defaults: dict[str, object],
               frozen: bool) -> Callable[..., None]:
    """The ``__init__`` of the value class ``cls``: its fields ``names`` in order (keywords
    too), with their ``defaults`` (a :func:`factory`'s made anew each time). Its code
    is the one compiled ahead for the same source when there is one (parsing and
    compiling a class's ``__init__`` costs about a million instructions, a session's
    41 fields five: a tenth of an interpreter's start; docs/performance.md, nineteenth
    round), else compiled here."""
    source, scope, given_defaults = init_source(names, defaults, frozen,
                                                path_fields(cls, names))
    qualname = f"{cls.__qualname__}.__init__"
    module = ahead_module(cls.__module__)
    inits = _AHEAD.get(module)
    if inits is None:
        try:
            inits = __import__(module, fromlist=["INITS"]).INITS
        except ImportError:  # pragma: no cover - a copy of the package without it
            inits = {}
        _AHEAD[module] = inits
    ahead = inits.get(source)
    if ahead is not None:
        code = ahead.__code__.replace(co_name="__init__")
        init = type(_make_init)(code, scope, "__init__", given_defaults or None)
    else:
        exec(source, scope)
        init = scope["__init__"]
    init.__qualname__ = qualname
    return init  # type: ignore[no-any-return]


def _values(self: object) -> tuple[object, ...]:
    return tuple(getattr(self, name) for name in self.__value_fields__)  # type: ignore[attr-defined]


def _eq(self: object, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: object) -> int:
    return hash(_values(self))


def _repr(self: object) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}"
                      for name in self.__value_fields__)  # type: ignore[attr-defined]
    return f"{self.__class__.__qualname__}({shown})"


def _frozen(self: object, name: str, *_: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def fields(instance_or_class: object) -> tuple[str, ...]:
    """The names of the fields of a :func:`record` class (or of one of its values)."""
    return instance_or_class.__value_fields__  # type: ignore[attr-defined,no-any-return]


def replace(instance: T, **changes: object) -> T:
    """A copy of the value ``instance`` with ``changes`` to some of its fields."""
    kwargs = {name: getattr(instance, name) for name in fields(instance)}
    kwargs.update(changes)
    return instance.__class__(**kwargs)


class PathField:
    """An attribute that holds a file's path: set to a ``str``, any ``os.PathLike`` or
    ``None``, it reads as a :class:`pathlib.Path` (or ``None``), made on the first read
    (:mod:`pathlib` is imported then); :class:`TextOf` reads its text without making one.
    In a :func:`record`, ``path: Path = PathField()`` is a field without a default
    (``PathField(None)``: ``None`` by default); ``==``, ``repr`` and ``hash`` see the
    ``Path``."""

    __slots__ = ("default", "name")

    def __init__(self, default: object | None = _MISSING) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        held = _held(instance, self.name)
        if isinstance(held, str):
            from pathlib import Path

            held = instance.__dict__[self.name] = Path(held)
        return held

    def __set__(self, instance: object, value: object) -> None:
        instance.__dict__[self.name] = \
            value if value is None or value.__class__ is str else _fspath(value)

    def __delete__(self, instance: object) -> None:
        del instance.__dict__[self.name]


class TextOf:
    """The text of the :class:`PathField` ``name`` (``os.fspath`` of it; ``None`` stays
    ``None``), read without building a ``Path``: ``path_text = TextOf("path")``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        held = _held(instance, self.name)
        return held if held is None or isinstance(held, str) else _fspath(held)


def _held(instance: object, name: str) -> object:
    """What the :class:`PathField` ``name`` of ``instance`` holds; AttributeError when unset."""
    try:
        return instance.__dict__[name]
    except KeyError:
        raise AttributeError(name) from None


def _fspath(value: object) -> str:
    import os  # (loaded with the interpreter: free)

    return os.fspath(value)  # type: ignore[arg-type]


class _Pattern:
    """A regular expression compiled on first use; it answers as the compiled one. Each
    attribute asked for (``match``, ``sub``...) is kept on the instance once read, so
    that later uses cost what the compiled pattern's do."""

    def __init__(self, source: str, flags: int) -> None:
        self.pattern, self._flags, self._compiled = source, flags, None

    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            import re

            compiled = self._compiled = re.compile(self.pattern, self._flags)
        return compiled

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        found = getattr(self.compiled(), name)
        setattr(self, name, found)
        return found


def pattern(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source, flags)``, done on the pattern's first use. Flags are
    :mod:`re`'s values: ``IGNORECASE`` 2, ``MULTILINE`` 8 (given as numbers so that
    :mod:`re` need not be imported to name them)."""
    return _Pattern(source, flags)  # type: ignore[return-value]


#: How many texts a :func:`remembered` function keeps the answers of (for a few hundred
#: KiB at most).
REMEMBERED = 4096


def remembered(function: Callable[[str], T]) -> Callable[[str], T]:
    """``function``, a pure function of one text, its answers remembered for the last
    few thousand texts (:data:`REMEMBERED`; all forgotten at once past that): for a
    value a command reads many times over (``status`` reads each session file's
    ``OWNER`` and ``UPDATED_AT`` twice, ``list`` the minutes of 100,000 archives,
    which repeat)."""
    answers: dict[str, T] = {}

    def lookup(text: str) -> T:
        try:
            return answers[text]
        except KeyError:
            if len(answers) >= REMEMBERED:
                answers.clear()
            found = answers[text] = function(text)
            return found

    return lookup


#: How many places of a needle's first character :func:`holds` looks at one by one
#: before it searches for the whole needle.
LOOKS = 256


def holds(base: str, needle: str, lo: int = 0, hi: int | None = None) -> bool:
    """Whether ``base[lo:hi]`` holds ``needle``: ``base.find(needle, lo, hi) != -1``, but
    quicker through megabytes that lack it (issue 16, seventeenth round;
    docs/performance.md). Each character of the needle is looked for first: a search
    for one character is a ``memchr`` (CPython), several times quicker than a search
    for a few, and stops at the first it finds, so a character the text holds costs
    little and one it lacks tells the answer (``[X]`` through a section of open items
    without an ``X``). Then the first :data:`LOOKS` places of its first character are
    looked at, and the rest is searched from the end (``str.rfind``: CPython's search
    backwards passes over text that lacks the needle several times faster than
    ``str.find``)."""
    end = len(base) if hi is None else hi
    if not needle or lo >= end:
        return base.find(needle, lo, end) != -1
    for char in needle:
        if base.find(char, lo, end) == -1:
            return False
    first = needle[0]
    at = base.find(first, lo, end)
    for _ in range(LOOKS):
        if at == -1:
            return False
        if base.startswith(needle, at, end):
            return True
        at = base.find(first, at + 1, end)
    return at != -1 and base.rfind(needle, at, end) != -1


#: re.IGNORECASE and re.MULTILINE, for :func:`pattern` without importing re.
IGNORECASE, MULTILINE = 2, 8

#: The characters beyond ASCII that :mod:`re`'s ``IGNORECASE`` takes for an ASCII
#: letter: dotted and dotless I, the long s and the Kelvin sign.
_LIKE_ASCII = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


def fold(text: str) -> str:
    """``text`` lowercased so that it equals an ASCII lowercase word (``":end:"``) exactly
    when :mod:`re` with ``IGNORECASE`` would match that word against it: what the
    readers written with ``str`` methods compare (``tests/test_str_readers.py``
    checks it against :mod:`re` for every character)."""
    return text.lower() if text.isascii() else text.translate(_LIKE_ASCII).lower()


class _Decoding:
    """What ``_json.make_scanner`` reads from a :class:`json.JSONDecoder`: the defaults
    of ``json.loads`` (``float`` and ``int`` for numbers, ``NaN`` and ``±Infinity``
    accepted, control characters in strings refused)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__


_scan: Callable[[str, int], tuple[Any, int]] | None = None

#: JSON's white space (RFC 8259, section 2; json.decoder's WHITESPACE).
_JSON_SPACE = " \t\n\r"


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``: the same value, and the same errors (:class:`ValueError`),
    without importing :mod:`json` (which imports :mod:`re`, about half an interpreter's
    start, for what every hook does once: read its payload). The text is scanned by
    ``json``'s own C scanner (``_json.make_scanner``, what ``json.loads`` runs), with the
    defaults ``json.loads`` gives it; anything else (bytes not in UTF-8 without a BOM, a
    BOM, any error, no C scanner) is handed to ``json.loads`` itself, which decides.
    ``tests/test_lean_loads.py`` holds them equal."""
    global _scan
    if not isinstance(text, str):
        if not isinstance(text, (bytes, bytearray)) or \
                text[:1] in (b"\xef", b"\xfe", b"\xff", b"\x00") or text[1:2] == b"\x00":
            import json  # (a BOM, or UTF-16 or 32: json.detect_encoding's cases)

            return json.loads(text)
        text = text.decode("utf-8", "surrogatepass")  # (as json.loads decodes UTF-8)
    if _scan is None:
        try:
            from _json import make_scanner
        except ImportError:  # pragma: no cover - no C accelerator (PyPy)
            import json

            return json.loads(text)
        _scan = make_scanner(_Decoding())
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration:
        value, end = None, -1
    if end == -1 or len(text) - len(text.rstrip(_JSON_SPACE)) != len(text) - end:
        import json  # (json says what is wrong)

        return json.loads(text)
    return value


def json_encoder(item_separator: str = ", ", key_separator: str = ": ") -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False, separators=(item_separator,
    key_separator)).encode``, without importing :mod:`json` (and :mod:`re`): the same
    C encoder (``_json.make_encoder``) with the arguments ``JSONEncoder`` gives it, or
    ``json``'s own encoder where there is no C one. ``tests/test_lean_loads.py`` holds
    them equal."""
    try:
        from _json import encode_basestring, make_encoder
    except ImportError:  # pragma: no cover - no C accelerator (PyPy)
        import json

        return json.JSONEncoder(ensure_ascii=False,
                                separators=(item_separator, key_separator)).encode

    def default(value: object) -> object:  # (JSONEncoder.default)
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

    # One C encoder for every call (making one costs as much as encoding a row of
    # ``list``); made again after a call that failed, which may leave the containers it
    # was in among its markers of circular references.
    made: list[Callable[[object, int], list[str]]] = []

    def encode(value: object) -> str:
        if isinstance(value, str):
            return encode_basestring(value)  # type: ignore[no-any-return]
        if not made:
            made.append(make_encoder({}, default, encode_basestring, None, key_separator,
                                     item_separator, False, False, True))
        try:
            return "".join(made[0](value, 0))
        except BaseException:
            made.clear()
            raise

    return encode


#: Unicode general categories that a terminal does not show as a glyph of their own:
#: controls (Cc: C0, DEL, C1, among them ESC), formats (Cf: the bidirectional overrides
#: and isolates U+202A-202E and U+2066-2069, zero-width characters, the byte-order mark,
#: tag characters), lone surrogates (Cs: bytes that were not UTF-8), private use (Co),
#: unassigned code points (Cn), and line and paragraph separators (Zl, Zp). Source: the
#: Unicode Standard, chapter 4.5 "General Category", and Unicode Technical Report #36
#: "Unicode Security Considerations" 2.4 (bidirectional text spoofing).
_UNSHOWN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Letters and marks that are drawn as nothing (UTR #36 and Unicode's "default
#: ignorable" list): the Hangul fillers and the combining grapheme joiner.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: What follows a backslash in an escape :func:`display` writes: a typed backslash
#: (a run of them) before one of these is shown doubled.
_LEADS = frozenset("\\xuUtnr")


def _escape(ch: str) -> str:
    """One character :func:`display` does not show as itself, as its escape."""
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x80:  # (an ASCII control: \x00-\x1f, \x7f; never a byte above)
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def display(text: str, *, lines: bool = False) -> str:
    """``text`` as it may be printed to a terminal, escaped once, by one unambiguous rule.

    Every character a terminal would not show as itself (a control character such as
    ESC, a right-to-left override or any other format character, a zero-width or
    otherwise invisible character, a line separator: :data:`_UNSHOWN`,
    :data:`_INVISIBLE`) becomes an escape: ``\\t``, ``\\n``, ``\\r``; ``\\xNN`` for an
    ASCII control (below 0x80) and for a byte that was not UTF-8 (carried as a lone
    surrogate U+DC80-U+DCFF, PEP 383: always 0x80 or above); ``\\uNNNN`` or
    ``\\UNNNNNNNN`` for any other code point. A run of the text's backslashes is shown
    doubled exactly when what follows it in the output starts with one of ``x u U t n
    r`` (so a typed ``\\x1b`` shows as ``\\\\x1b`` and an ESC as ``\\x1b``), and as
    typed otherwise (``C:\\dir``, ``a\\\\b``, ``a\\.b``). So distinct texts never
    display alike, and the text can be read back from what is shown: a run of
    backslashes before ``x``, ``u``, ``U``, ``t``, ``n`` or ``r`` is halved, an odd one
    leaving the last to start an escape; any other backslash is itself. Nothing printed
    can reorder, recolour or hide the rest of the line. With ``lines``, newlines stay (a
    block of several lines). Human output only: JSON and ``path`` print the exact text.
    Sources: the Unicode Standard 4.5, UTR #36 2.4 (which characters are escaped);
    Python's string escapes (their spelling)."""
    if "\\" not in text and (text.isprintable() if text.isascii() else False):
        return text  # the common case: no lookup
    if text.isascii():
        pieces = [ch if " " <= ch < "\x7f" or (lines and ch == "\n") else _escape(ch)
                  for ch in text]
    else:
        import unicodedata

        pieces = [ch if (lines and ch == "\n") or (
            ch not in _INVISIBLE and unicodedata.category(ch) not in _UNSHOWN)
            else _escape(ch) for ch in text]
    # A run of the text's backslashes is doubled only when what follows it in the output
    # starts with one of x u U t n r (an escape, or such a letter typed after it); shown
    # as typed otherwise ("a\\b", "C:\\dir").
    at, end = 0, len(pieces)
    while at < end:
        if pieces[at] != "\\":
            at += 1
            continue
        run = at
        while at < end and pieces[at] == "\\":
            at += 1
        if at < end and pieces[at][0] in _LEADS:
            pieces[run:at] = ["\\\\"] * (at - run)
    return "".join(pieces)


def quoted(text: str | bytes, limit: int | None = None) -> str:
    """User input quoted for a message: ``'text'`` (``"text"`` when it holds a ``'`` and
    no ``"``), its characters as they are, never escaped here: the one escaping is
    :func:`display`'s, where the message is printed (``report_error``), so that nothing
    is escaped twice. ``bytes`` are read as UTF-8, a byte that is not as a lone
    surrogate (PEP 383), which :func:`display` shows as ``\\xNN``. With ``limit``, the
    first ``limit`` characters and how many there are."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    cut = text if limit is None else text[:limit]
    mark = '"' if "'" in cut and '"' not in cut else "'"
    more = f"... ({len(text)} characters)" if limit is not None and len(text) > limit else ""
    return f"{mark}{cut}{mark}{more}"


def digits(text: str) -> bool:
    """Whether ``text`` is one or more of ``0``-``9``: ``[0-9]+``, as Org's syntax, git's
    refs and the tool's own records write numbers. (``str.isdigit`` also takes ``²``,
    which ``int`` refuses, and ``٣``, which ``int`` reads as 3.)"""
    return text.isascii() and text.isdigit()


def counted(count: int, one: str, many: str) -> str:
    """``count`` and the noun as English counts it: ``1 entry``, ``0 entries``,
    ``2 entries`` (``one`` for exactly 1, ``many`` otherwise; the one rule every message
    that counts uses: issue 14, thirteenth round)."""
    return f"{count} {one if count == 1 else many}"


def counted_kinds(counts: list[tuple[int, str, str]], *, none: str) -> str:
    """Counts of several kinds said as one phrase, each :func:`counted` and the zeros
    left out: ``1 Log line, 2 entries and 1 tick`` (``(count, one, many)`` each, in the
    order given); ``none`` when every count is 0. The one way a message says what it
    counted by kind."""
    said = [counted(n, one, many) for n, one, many in counts if n]
    return (", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else
            said[0] if said else none)


#: The characters :func:`shlex.quote` leaves a text of as it is (its ``[\w@%+=:,./-]``,
#: ASCII): a text of these alone is its own quoting, without importing ``shlex`` (and
#: ``re``, which it imports: milliseconds of every command that names a session).
SHELL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       "_@%+=:,./-")


def shell_last_word(text: str) -> str:
    """``text`` quoted as :func:`shell_quote` quotes it, and in single quotes too when it
    would end in a full stop, comma, colon or semicolon: for the last word of a command
    that advice prints, so the command ends visibly before any punctuation of the
    sentence around it (issue 14, nineteenth round: a path ``wt.`` read as ``wt`` and a
    full stop)."""
    quoted = shell_quote(text)
    return f"'{quoted}'" if quoted[-1:] in (".", ",", ":", ";") else quoted


def shell_quote(text: str) -> str:
    """``text`` quoted for a POSIX shell, to paste back as one argument on one line: as
    :func:`shlex.quote` does; with a character a terminal does not draw as itself in it
    (a control character such as a newline, a format character such as U+202E, a byte
    that is not UTF-8, carried as a surrogate escape: what
    :func:`ai_protocols.lean.display` escapes), as ``$'...'`` with each such character's
    bytes as three-digit octal escapes ``\\NNN``, a backslash as ``\\134`` and a quote
    as ``\\'`` (bash, zsh, ksh, and sh in POSIX.1-2024, "Dollar-Single-Quotes"). Octal,
    never ``\\xNN``: no backslash in it is followed by a letter ``display`` reads as an
    escape, so the command reads the same, and pastes back, printed as it is or through
    ``display`` (issue 14, eighth review). A text of :data:`SHELL_SAFE` alone is
    returned as it is, as ``shlex.quote`` returns it, without importing ``shlex``."""
    if text and SHELL_SAFE.issuperset(text):
        return text
    import shlex

    quoted = shlex.quote(text)
    if display(quoted) == quoted:  # (nothing to escape, no backslash read as one)
        return quoted

    def odd(c: str) -> bool:
        return display(c) != c and c != "\\"

    def octal(c: str) -> str:
        code = ord(c)
        raw = bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else \
            c.encode("utf-8", "surrogatepass")
        return "".join(f"\\{b:03o}" for b in raw)

    escaped = "".join("\\134" if c == "\\" else "\\'" if c == "'" else
                      octal(c) if odd(c) else c for c in text)
    return f"$'{escaped}'"
