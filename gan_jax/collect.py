"""``python -m gan_jax.collect ROOT...``: finished runs -> tables and plots (the tables are
``runs.tables``'s; see its docstring for what is written)."""

import argparse
import os
import sys

from gan_jax.cli import boot
from gan_jax.runs import tables

PROG = "gan_jax.collect"


def main(argv=None):
  p = argparse.ArgumentParser(description=tables.__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("roots", nargs="+", help="folders searched for runs (config.json)")
  p.add_argument("--out", default=None, help="where the tables go (default: the first root)")
  p.add_argument("--over", default="seed", help="the field averaged over (default: seed)")
  p.add_argument("--metrics", default="", help="comma-separated metrics (default: all)")
  p.add_argument("--plot", action="append", default=[], help="X:METRIC[:LINE]")
  p.add_argument("--scalars", default="", help="training scalars whose last logged value is a "
                 "column too, as last_<tag> (e.g. M,k_t or wasserstein or D_x,D_G_z2)")
  a = p.parse_args(argv)
  try:
    runs = tables.load_runs(a.roots, [t for t in a.scalars.split(",") if t])
    if not runs:
      raise ValueError(f"no runs (folders with config.json) under {a.roots}")
    result = tables.collect(runs, a.over, [m for m in a.metrics.split(",") if m] or None)
    out = a.out or a.roots[0]
    os.makedirs(out, exist_ok=True)
    tables.write_csv(result["runs"], os.path.join(out, "runs.csv"))
    tables.write_csv(result["groups"], os.path.join(out, "table.csv"))
    md = tables.markdown(result)
    with open(os.path.join(out, "table.md"), "w") as f:
      f.write(md)
    for spec in a.plot:
      parts = spec.split(":")
      if len(parts) not in (2, 3):
        raise ValueError(f"--plot needs X:METRIC[:LINE], got {spec!r}")
      x, metric, line = parts[0], parts[1], (parts[2] if len(parts) == 3 else None)
      name = f"{metric}_vs_{x.split('.')[-1]}.png"
      tables.plot(result, x, metric, line, os.path.join(out, name))
  except (ValueError, FileNotFoundError, KeyError) as e:
    print(boot.error_line(PROG, str(e)), file=sys.stderr)
    return 1
  print(md, end="")
  done = len(result["runs"])
  print(f"{done} finished run(s) in {len(result['groups'])} group(s); axes: "
        f"{', '.join(result['axes']) or '-'}; averaged over: {result['over'] or '-'}; "
        f"tables in {out}" + (f"; unfinished: {', '.join(result['unfinished'])}"
                              if result["unfinished"] else ""))
  return 0


if __name__ == "__main__":
  import sys
  sys.exit(main())
