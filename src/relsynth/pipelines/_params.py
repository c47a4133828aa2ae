"""Parameter groups -> library calls: one check that names the group and the keys it accepts.

A node passes its `params:<group>` dict to `call`, which calls the library function with those
keyword arguments. A misspelt key fails before any work starts, with the group's name and the
keys the function takes, instead of a bare `TypeError` from deep inside the library.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")
_KEYWORDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def accepted_keys(func: Callable[..., Any]) -> list[str] | None:
    """The keyword arguments `func` takes; None when it takes any (`**kwargs` left unresolved).

    A method that passes `**kwargs` on to the same method of a base class (an override adding
    one option) is followed up its class's MRO, so its inherited keywords count too.
    """
    names: list[str] = []
    owner = getattr(func, "__self__", None)
    bases = type(owner).__mro__ if owner is not None and not isinstance(owner, type) else ()
    candidates = [func] + [k.__dict__[func.__name__] for k in bases[1:] if func.__name__ in k.__dict__]
    for f in candidates:
        params = inspect.signature(f).parameters.values()
        names += [p.name for p in params if p.kind in _KEYWORDS and p.name not in ("self", *names)]
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return names
    return None


def call(func: Callable[..., T], group: str, params: Mapping[str, Any] | None, **fixed: Any) -> T:
    """`func(**params, **fixed)`; unknown or reserved keys in `params` raise a `ValueError`.

    `fixed` holds the arguments the node supplies itself (data, datasets, hooks); the parameter
    group may not set them.
    """
    params = dict(params or {})
    reserved = sorted(set(params) & set(fixed))
    if reserved:
        raise ValueError(f"params:{group} may not set {reserved}: the pipeline supplies them")
    keys = accepted_keys(func)
    if keys is not None:
        allowed = [k for k in keys if k not in fixed]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValueError(f"params:{group} has unknown key(s) {unknown}; expected some of {allowed}")
    return func(**params, **fixed)
