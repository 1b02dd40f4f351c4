"""Pre-refactor golden samples: run ONCE on the old layout (commit f7d4ee2)."""
import sys
from pathlib import Path
import numpy as np
import torch
torch.set_num_threads(1)
from mcgen.checkpoint import save_checkpoint
from mcgen.model import ModelConfig, build_model
from mcgen.objectives import make_objective, objective_config
from mcgen.vocab import DEFAULT_VOCAB
from mcgen.generate import generate
from mcgen.complete import complete, generate_large
from mcgen.grid import VoxelGrid

out = Path(sys.argv[1])
ids = lambda gr: gr.remap(list(DEFAULT_VOCAB.states))
res = {}
for kind in ("masked", "gaussian"):
    torch.manual_seed(1)
    obj_cfg = objective_config(kind, {})
    obj = make_objective(obj_cfg)
    cfg = ModelConfig(preset="tiny", num_labels=2, hidden_size=32, depth=2, num_heads=2, **obj.model_options())
    model = build_model(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * (0.05 if kind == "masked" else 0.2))
        model.final_linear.bias.view(-1, cfg.vocab_size)[:, 0] += (5.0 if kind == "masked" else 0.02)
    # training loss and gradients on a fixed batch
    g = torch.Generator().manual_seed(3)
    blocks = torch.randint(0, cfg.vocab_size, (4, 16, 16, 16), generator=g)
    blocks[:, :, 8:] = 0
    labels = torch.tensor([0, 1, 2, 0])
    model.train()
    loss = obj.loss(model, blocks, labels, generator=torch.Generator().manual_seed(11))
    loss.backward()
    res[f"{kind}_loss"] = np.array(loss.item())
    res[f"{kind}_grad_head"] = model.final_linear.weight.grad[:8, :8].numpy().copy()
    res[f"{kind}_grad_embed"] = model.patch_embed.weight.grad[:8, :8].numpy().copy()
    model.zero_grad(set_to_none=True)
    ck = out / f"{kind}.pt"
    save_checkpoint(ck, model_cfg=cfg, diffusion_cfg=obj_cfg, vocabulary=list(DEFAULT_VOCAB.states),
                    label_names=["house", "tower"], ema_state=model.state_dict(), step=9)
    samplers = ("confidence", "random") if kind == "masked" else ("ddim", "ddpm")
    for s in samplers:
        for guid in (1.0, 2.0):
            grids = generate(ck, 3, sampler=s, num_steps=4, seed=5, label="all", guidance=guid, clean="none",
                             device="cpu", batch_size=2,
                             temperature=(0.5 if kind == "masked" and guid == 2.0 else None))
            res[f"{kind}_{s}_{guid}"] = np.stack([ids(gr) for gr in grids])
    house = np.zeros((12, 10, 12), dtype=np.int64)
    house[:, 0] = 1; house[0, :6] = 2; house[-1, :6] = 2; house[:, :6, 0] = 2; house[:, :6, -1] = 2
    pal = list(DEFAULT_VOCAB.states[:3])
    st = VoxelGrid(house, pal)
    comps = complete(ck, st, above=5, num_samples=2, seed=2, label="house", num_steps=4, device="cpu")
    res[f"{kind}_complete"] = np.stack([ids(c) for c in comps])
    big = generate_large(ck, (24, 16, 20), num_samples=1, seed=4, label="tower", num_steps=3, device="cpu")
    res[f"{kind}_large"] = np.stack([ids(c) for c in big])
np.savez_compressed(out / "samples.npz", **res)
for k, v in res.items():
    print(k, v.shape, (v != 0).sum() if v.dtype != np.float32 else v.ravel()[:3])
