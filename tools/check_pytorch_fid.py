"""Dev only: proves the pytorch-fid weights path against pytorch-fid's own network.

pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` cannot be fetched
offline, so this builds the same kind of file from the fid-helper weights (BN
unfolded: gamma 1, mean 0, var 1 - eps; a seeded random ``fc``) and checks
both directions against torch:

  # 1. gan_jax's environment: write the state dict in torch.save's zip and legacy formats
  python tools/check_pytorch_fid.py write /tmp/pfid_check
  # 2. torch==2.13.0 + torchvision==0.28.0 + pytorch-fid==0.3.0: torch.load both, build
  #    pytorch-fid's FID Inception, load_state_dict(strict=True), compare its features and
  #    logits with the golden outputs; re-save with torch itself in both formats
  $TORCH_PYTHON tools/check_pytorch_fid.py torch /tmp/pfid_check
  # 3. gan_jax's environment: read torch's own files, compare every array
  python tools/check_pytorch_fid.py read /tmp/pfid_check
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "data", "inception_golden.npz")


def write(out):
  sys.path.insert(0, ROOT)
  sys.path.insert(0, os.path.join(ROOT, "tests"))
  import torch_save_format

  from gan_jax.metrics import weights as inception_weights
  from gan_jax.utils import fetch
  params, _ = inception_weights.load(fetch.default_cache_dir())
  sd = torch_save_format.pytorch_fid_state_dict(params)
  os.makedirs(out, exist_ok=True)
  np.savez(os.path.join(out, "state_dict.npz"), **sd)
  for legacy in (False, True):
    with open(os.path.join(out, f"ours_{'legacy' if legacy else 'zip'}.pth"), "wb") as f:
      f.write(torch_save_format.dumps(sd, legacy=legacy))
  print("wrote", out)


def check_torch(out):
  import torch
  torch.library.register_fake = lambda *a, **k: (lambda f: f)  # torchvision's CPU/CUDA op mismatch
  from pytorch_fid import inception as pfid
  net = pfid._inception_v3(num_classes=1008, aux_logits=False, weights=None)
  net.Mixed_5b = pfid.FIDInceptionA(192, pool_features=32)
  net.Mixed_5c = pfid.FIDInceptionA(256, pool_features=64)
  net.Mixed_5d = pfid.FIDInceptionA(288, pool_features=64)
  net.Mixed_6b = pfid.FIDInceptionC(768, channels_7x7=128)
  net.Mixed_6c = pfid.FIDInceptionC(768, channels_7x7=160)
  net.Mixed_6d = pfid.FIDInceptionC(768, channels_7x7=160)
  net.Mixed_6e = pfid.FIDInceptionC(768, channels_7x7=192)
  net.Mixed_7b = pfid.FIDInceptionE_1(1280)
  net.Mixed_7c = pfid.FIDInceptionE_2(2048)
  ref = np.load(os.path.join(out, "state_dict.npz"))
  for fmt in ("zip", "legacy"):
    sd = torch.load(os.path.join(out, f"ours_{fmt}.pth"), weights_only=True)
    assert set(sd) == set(ref.files), "keys differ"
    assert all(np.array_equal(sd[k].numpy(), ref[k]) for k in ref.files), "values differ"
    net.load_state_dict(sd, strict=True)
    print(f"torch.load of our {fmt} file: {len(sd)} tensors equal; load_state_dict(strict=True) ok")
  net.eval()
  golden = np.load(GOLDEN)
  x = torch.from_numpy(golden["inputs"].astype(np.float32) / 128.0 - 1.0).permute(0, 3, 1, 2)
  blocks = [net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, net.maxpool1,
            net.Conv2d_3b_1x1, net.Conv2d_4a_3x3, net.maxpool2, net.Mixed_5b, net.Mixed_5c,
            net.Mixed_5d, net.Mixed_6a, net.Mixed_6b, net.Mixed_6c, net.Mixed_6d, net.Mixed_6e,
            net.Mixed_7a, net.Mixed_7b, net.Mixed_7c, net.avgpool]  # pytorch-fid's InceptionV3 blocks
  with torch.no_grad():
    for b in blocks:
      x = b(x)
    feats = x.flatten(1)
    logits = feats @ net.fc.weight.T
  err = np.abs(feats.numpy() - golden["features"]).max()
  print(f"pytorch-fid's network on these weights vs the golden features: max abs {err:.2e}")
  assert err < 1e-4
  np.savez(os.path.join(out, "torch_outputs.npz"), features=feats.numpy(), logits=logits.numpy())
  plain = {k: torch.from_numpy(ref[k]) for k in ref.files}
  torch.save(plain, os.path.join(out, "torch_zip.pth"))
  torch.save(plain, os.path.join(out, "torch_legacy.pth"), _use_new_zipfile_serialization=False)
  print("re-saved with torch", torch.__version__, "in both formats")


def read(out):
  sys.path.insert(0, ROOT)
  import jax

  from gan_jax.metrics import inception, torch_archive
  from gan_jax.metrics import weights as inception_weights
  ref = np.load(os.path.join(out, "state_dict.npz"))
  outs = np.load(os.path.join(out, "torch_outputs.npz"))
  golden = np.load(GOLDEN)
  x = golden["inputs"].astype(np.float32) / 128.0 - 1.0
  for fmt in ("zip", "legacy"):
    path = os.path.join(out, f"torch_{fmt}.pth")
    sd = torch_archive.load(path)
    assert set(sd) == set(ref.files) and all(np.array_equal(sd[k], ref[k]) for k in ref.files)
    params, record = inception_weights.load(os.path.join(out, f"cache_{fmt}"), path,
                                            allow_unverified=True)
    feats, logits = jax.jit(inception.InceptionV3(logits=True).apply)({"params": params}, x)
    print(f"torch's {fmt} file: {len(sd)} arrays equal; kind {record['kind']}; features vs "
          f"pytorch-fid max abs {np.abs(np.asarray(feats) - outs['features']).max():.2e}; logits "
          f"max abs {np.abs(np.asarray(logits) - outs['logits']).max():.2e}")


if __name__ == "__main__":
  {"write": write, "torch": check_torch, "read": read}[sys.argv[1]](sys.argv[2])
