"""Parts chosen by name: one small registry per kind of part (models, objectives, ...)."""

import contextlib
from typing import Generic, TypeVar

from gan_jax.utils.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
  """Name -> part. ``get`` of an unknown name is a ConfigError listing the choices."""

  def __init__(self, what: str):
    self.what = what  # the config field that picks from it, e.g. "model.name"
    self._items: dict[str, T] = {}

  def register(self, name: str, item: T | None = None):
    """``register("x", item)``, or ``@register("x")`` on a function or class."""
    def add(obj):
      if name in self._items:
        raise ValueError(f"{self.what}: {name!r} is registered twice")
      self._items[name] = obj
      return obj
    return add(item) if item is not None else add

  def get(self, name: str, field: str | None = None) -> T:
    """The part called ``name``; ``field`` names the config field in the error (default
    ``self.what``)."""
    if name not in self._items:
      raise ConfigError(f"unknown {field or self.what} {name!r}; choose one of {sorted(self._items)}.")
    return self._items[name]

  @contextlib.contextmanager
  def override(self, name: str, item: T):
    """``name`` is ``item`` inside the ``with`` block (a new part or a variant of one), and
    what it was before after it."""
    missing = object()
    before = self._items.get(name, missing)
    self._items[name] = item
    try:
      yield item
    finally:
      if before is missing:
        del self._items[name]
      else:
        self._items[name] = before

  def names(self) -> list[str]:
    """Every registered name, in registration order."""
    return list(self._items)

  def __contains__(self, name: str) -> bool:
    return name in self._items


def check_choice(field: str, value, choices) -> None:
  """A config field with a fixed set of values (not a registry)."""
  if value not in choices:
    raise ConfigError(f"unknown {field} {value!r}; choose one of {sorted(choices)}.")

