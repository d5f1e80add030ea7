"""Every part chosen by name, read from the registries themselves: for each, its one-line
description and where the config chooses and tunes it. ``docs/parts.md`` is this module's
output (the suite checks that it is current):

  python -m gan_jax.catalogue > docs/parts.md

Every kind of part is a ``utils.registry.Registry`` filled by ``register`` where the part is
defined: a new part is one file (or one function in one), its config block in
``configs/default.py``, and this page regenerated (docs/development.md).
"""

import inspect
import re

KINDS = ("models", "objectives", "regularisers", "optimizers", "evaluators", "datasets")


def _registries() -> dict:
  from gan_jax import data, evaluators, losses, models
  from gan_jax.training import optimizers
  return {"models": models.MODELS, "objectives": losses.OBJECTIVES,
          "regularisers": losses.REGULARIZERS, "optimizers": optimizers.OPTIMIZERS,
          "evaluators": evaluators.EVALUATORS, "datasets": data.DATASETS}


def _about(kind: str, item) -> str:
  """The part's own one line: a dataset's ``about``, else the first line of its own docstring
  (a class's inherited one does not count)."""
  text = item.about if kind == "datasets" else (item.__doc__ or "")
  first = inspect.cleandoc(text).split("\n\n")[0].replace("\n", " ").strip()
  return re.split(r"(?<=\.) (?=[A-Z])", first)[0]  # its first sentence


def _takes_parameters(factory) -> bool:
  return any(p.default is not inspect.Parameter.empty
             for p in inspect.signature(factory).parameters.values())


def config_fields(kind: str, name: str, item, config) -> list[str]:
  """The config fields that choose and tune the part (``field=value`` where a value chooses
  it); the suite checks that each exists in ``config``."""
  loss = config.loss
  if kind == "models":
    return [f"model.name={name}", f"model.{name}"]
  if kind == "objectives":
    return [f"loss.name={name}"] + ([f"loss.{name}"] if _takes_parameters(item) else [])
  if kind == "regularisers":
    fields = [k for k in loss if k == name or k.startswith(name + "_")]
    return [f"loss.{k}" for k in fields] or [f"loss.{name}"]
  if kind == "optimizers":
    return [f"g_optimizer.name={name}", f"d_optimizer.name={name}"]
  if kind == "evaluators":
    blocks = [k for k in config.evals if k == name or config.evals[k].get("type") == name]
    return [f"evals.{k}" for k in blocks] or [f"evals.{name}"]
  return [f"data.name={name}"]


def parts(config=None) -> dict:
  """``{kind: [(name, about, fields)]}`` in registration order."""
  if config is None:
    from configs import default
    config = default.get_config()
  out = {}
  for kind, registry in _registries().items():
    out[kind] = [(name, _about(kind, registry.get(name)),
                  config_fields(kind, name, registry.get(name), config))
                 for name in registry.names()]
  return out


def markdown(config=None) -> str:
  lines = ["# Every part by name", "",
           "Written by `python -m gan_jax.catalogue > docs/parts.md` from the registries "
           "(`gan_jax/catalogue.py`); the suite checks it is current. How to add a part: "
           "docs/development.md.", ""]
  for kind, rows in parts(config).items():
    lines += [f"## {kind.capitalize()}", "", "| name | what | config |", "|---|---|---|"]
    lines += [f"| `{n}` | {about} | " + ", ".join(f"`{f}`" for f in fields) + " |"
              for n, about, fields in rows]
    lines.append("")
  return "\n".join(lines)


if __name__ == "__main__":
  import os
  import sys
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # configs/
  print(markdown(), end="")
