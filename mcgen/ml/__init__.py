"""The ML package: everything that is torch, in one place.

* :mod:`.config`: :class:`~.config.ModelConfig`, the presets and the head names (no torch);
* :mod:`.network`: the DiT trunk (tokens in, features out) and the split interface
  (``features`` / ``logits`` / ``loss`` / ``expected``);
* :mod:`.heads`: output heads behind one small interface (:class:`~.heads.Head`), and
  :mod:`.fused`, the linear head's CPU fast paths;
* :mod:`.codec`: block indices <-> the continuous embedding the diffusion runs in;
* :mod:`.objectives`: the objectives, each in a module with its sampler (Gaussian, masked);
* :mod:`.denoise`: the wrappers both samplers share (guidance, self-conditioning);
* :mod:`.checkpoint`: the self-describing checkpoint format.

Nothing here imports the generation paths (:mod:`mcgen.generate`), the commands, files or
worlds; importing this package alone imports nothing.
"""
