"""A build's label from its file name, by a small keyword table (first match wins)."""

from __future__ import annotations

import re

DEFAULT_LABEL = "build"

# Specific kinds come before the generic "house" (so "lumberjackhut" is a workshop and
# "haybalehouse" a house) and "workshop" before "shop". Matched as substrings of the lower-cased name.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("windmill", "windmill"), ("mill", "windmill"),
    ("farm", "farm"), ("barn", "farm"), ("stable", "stable"), ("horsebox", "stable"),
    ("workshop", "workshop"), ("shop", "shop"), ("market", "shop"), ("exchanger", "shop"),
    ("tavern", "tavern"), ("inn_", "tavern"),
    ("lighthouse", "tower"), ("tower", "tower"),
    ("smeltery", "workshop"), ("furnace", "workshop"), ("forge", "workshop"), ("smith", "workshop"),
    ("armorer", "workshop"), ("stonecutter", "workshop"), ("lumberjack", "workshop"), ("weaver", "workshop"),
    ("mason", "workshop"), ("fletcher", "workshop"), ("butcher", "workshop"),
    ("tannery", "workshop"), ("cartographer", "workshop"),
    ("temple", "temple"), ("church", "temple"), ("chapel", "temple"),
    ("library", "library"), ("townhall", "hall"), ("town_hall", "hall"), ("barrack", "barracks"),
    ("jail", "jail"), ("prison", "jail"), ("castle", "castle"), ("keep", "castle"),
    ("graveyard", "graveyard"), ("cemetery", "graveyard"), ("statue", "statue"), ("fountain", "fountain"),
    ("well", "well"), ("bridge", "bridge"), ("wall", "wall"), ("ship", "ship"), ("island", "island"),
    ("tree", "tree"), ("pyramid", "pyramid"),
    ("house", "house"), ("hut", "house"), ("home", "house"), ("cottage", "house"), ("cabin", "house"),
)


def label_from_name(name: str) -> str:
    """``houses_basichouse1`` -> ``house``; ``plains_small_house_1`` -> ``house``; else ``build``.

    Args:
        name: a file name or stem (suffixes and digits are ignored).
    """
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", name).lower()
    for key, label in KEYWORDS:
        if key in stem:
            return label
    return DEFAULT_LABEL
