"""Every registered part has its one-line description and its config block, and the parts
page (docs/parts.md) is what the registries say today."""

import os

from helpers import ROOT

from configs import default
from gan_jax import catalogue


def _exists(config, field: str) -> bool:
  node = config
  for part in field.split("=")[0].split("."):
    if not hasattr(node, "keys") or part not in node:
      return False
    node = node[part]
  return True


def test_every_registered_part_has_a_description_and_its_config_block():
  config = default.get_config()
  parts = catalogue.parts(config)
  assert set(parts) == set(catalogue.KINDS)
  for kind, rows in parts.items():
    assert rows, kind
    for name, about, fields in rows:
      assert about, f"{kind} {name!r} has no docstring (or dataset 'about') to describe it"
      assert fields and all(_exists(config, f) for f in fields), (kind, name, fields)


def test_a_part_without_its_block_or_description_is_found():
  from gan_jax import evaluators, models
  config = default.get_config()

  def build(cfg, **kwargs):
    """A model with no block in the config."""

  with models.MODELS.override("stylegan", build):
    rows = {n: f for n, _, f in catalogue.parts(config)["models"]}
  assert rows["stylegan"] == ["model.name=stylegan", "model.stylegan"]
  assert not _exists(config, "model.stylegan")

  class Undocumented(evaluators.Evaluator):
    pass

  with evaluators.EVALUATORS.override("undocumented", Undocumented):
    about = {n: a for n, a, _ in catalogue.parts(config)["evaluators"]}
  assert about["undocumented"] == ""  # the base class's docstring does not count


def test_the_parts_page_is_current():
  with open(os.path.join(ROOT, "docs", "parts.md")) as f:
    page = f.read()
  assert page == catalogue.markdown(), (
      "docs/parts.md is out of date: run `python -m gan_jax.catalogue > docs/parts.md`")
