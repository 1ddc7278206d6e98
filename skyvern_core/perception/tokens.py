"""Counting prompt tokens offline, as the model will (o200k_base)."""

from __future__ import annotations

import importlib.util
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["count_tokens"]


# --------------------------------------------------------------------------- tokens

_O200K_CACHE_NAME = "fb374d419588a4632f3f557e76b4b70aebbca790"
"""tiktoken's cache file name for o200k_base: the sha1 of its download URL."""


def _bundled_cache_dir() -> Path | None:
    # find_spec locates litellm without importing it (importing it takes seconds).
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "litellm_core_utils" / "tokenizers"
        if (folder / _O200K_CACHE_NAME).is_file():
            return folder
    return None


@lru_cache(maxsize=1)
def _encoding() -> Any:
    try:
        import tiktoken
    except ImportError:
        return None
    own = os.environ.get("TIKTOKEN_CACHE_DIR")
    if own and (Path(own) / _O200K_CACHE_NAME).is_file():
        folder: Path | None = Path(own)
    else:
        folder = _bundled_cache_dir()
    if folder is None:
        return None
    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    try:
        return tiktoken.get_encoding("o200k_base")
    except Exception:
        return None
    finally:
        if previous is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous


def count_tokens(text: str) -> int:
    """Count tokens with the o200k_base encoding (GPT-4o and later), offline.

    tiktoken would download the encoding; the copy shipped inside litellm's wheel
    (``litellm/litellm_core_utils/tokenizers/``) is used instead, through
    ``TIKTOKEN_CACHE_DIR``. When tiktoken or that file is unavailable, the count is an
    estimate of one token per four characters.
    """
    encoding = _encoding()
    if encoding is None:
        return math.ceil(len(text) / 4)
    return len(encoding.encode(text, disallowed_special=()))
