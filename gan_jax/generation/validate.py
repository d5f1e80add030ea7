"""Config values that cannot be right, refused at start-up with one line naming the field
(training and inference alike; the training-only blocks are refused where they are built)."""

from gan_jax import data
from gan_jax.data.specs import FITS, RESIZE_METHODS
from gan_jax.utils.errors import ConfigError
from gan_jax.utils.registry import check_choice

LOG_SCALARS = ("mean", "point")
EVAL_PARAMS = ("ema", "raw")


def _positive(config, *fields):
  for field in fields:
    value = config
    for part in field.split("."):
      value = value[part]
    if not value > 0:
      raise ConfigError(f"{field} must be > 0, got {value}.")


def validate(config) -> None:
  """Refuses values no experiment can use; the parts refuse their own blocks when built."""
  _positive(config, "num_train_steps", "data.batch_size", "data.image_size", "model.latent_dim",
            "model.g_hidden", "model.d_hidden", "loss.d_steps", "log_every", "sample_every",
            "checkpoint_every", "keep_checkpoints", "num_grid_samples", "num_samples")
  check_choice("data.source", config.data.source, data.SOURCES)
  if config.data.folder_channels not in (1, 3):
    raise ConfigError(f"data.folder_channels must be 1 or 3, got {config.data.folder_channels}.")
  if config.model.g_label_dim < 0:
    raise ConfigError(f"model.g_label_dim must be >= 0 (0 = the label vector itself), got "
                      f"{config.model.g_label_dim}.")
  if not config.data.real_threshold.num_std > 0:
    raise ConfigError(f"data.real_threshold.num_std must be > 0, got "
                      f"{config.data.real_threshold.num_std}.")
  if not 0 <= config.ema_decay < 1:
    raise ConfigError(f"ema_decay must be in [0, 1), got {config.ema_decay}.")
  check_choice("log_scalars", config.log_scalars, LOG_SCALARS)
  check_choice("eval_params", config.eval_params, EVAL_PARAMS)
  from gan_jax import evaluators
  for name, (_, block) in evaluators.resolve(config.evals).items():
    if block.get("every", 0) < 0:
      raise ConfigError(f"evals.{name}.every must be >= 0 (0 = off), got {block.every}.")
    for field in ("num_samples", "final_num_samples"):
      if field in block and not block[field] > 0:
        raise ConfigError(f"evals.{name}.{field} must be > 0, got {block[field]}.")


def check_resize(d, native: int | None) -> None:
  """The data block's crop and resize against the dataset's native size."""
  check_choice("data.resize", d.resize, RESIZE_METHODS)
  check_choice("data.fit", d.fit, FITS)
  if d.crop < 0:
    raise ConfigError(f"data.crop must be >= 0 (0 = the largest centred square), got {d.crop}.")
  if d.crop and d.fit != "crop":
    raise ConfigError(f"data.crop={d.crop} crops, but data.fit={d.fit!r} keeps the whole frame: "
                      "set data.crop=0 or data.fit='crop'.")
  # a folder's size is known only when its images are read: pad is checked there, per image
  if d.resize == "pad" and native is not None and (d.crop or d.image_size < native
                                                   or (d.image_size - native) % 2):
    what = f"{native}px images"
    raise ConfigError(f"data.resize='pad' cannot take {what} of {d.name}"
                      + (f" cropped to {d.crop}px" if d.crop else "")
                      + f" to {d.image_size}px; use one of {list(RESIZE_METHODS[1:])}.")

