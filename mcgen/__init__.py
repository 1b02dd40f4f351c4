"""mcgen: train a 3-D diffusion transformer on Minecraft builds and put what it makes into the game.

``import mcgen`` is light (numpy only); torch and amulet are imported by the modules that need them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
