"""Sphinx configuration of the skyvern-core documentation (MyST Markdown, furo theme).

Build: ``sphinx-build -W --keep-going -n -b html docs docs/_build/html`` (or ``nox -s docs``).
Nothing is fetched from the network: there is no intersphinx, and the generated reference
sections (settings, hooks, HTTP API) come from the installed package (``_ext/skyvern_docs``).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import skyvern_core  # noqa: E402

project = "skyvern-core"
author = "skyvern-core developers"
copyright = "skyvern-core developers"
release = skyvern_core.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "skyvern_docs",
]

source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"skyvern-core {release}"
html_static_path: list[str] = []

# Autodoc: signatures as written, members in source order, type hints in the signature.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = False
autodoc_class_signature = "separated"
autodoc_default_options = {"exclude-members": "model_config, model_fields, model_computed_fields"}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
python_use_unqualified_type_names = True

# Every reference is checked (-n); what lives outside this project cannot be resolved
# without intersphinx, which would need the network.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(anyio|httpx|pydantic|pydantic_settings|pluggy|pytest|sqlalchemy|fastapi)\..*"),
    (r"py:.*", r"mcp\..*"),
    (r"py:.*", r"httpcore\..*"),
    (r"py:.*", r"(pathlib|datetime|collections|collections\.abc|typing|enum|re|ssl|ipaddress)\..*"),
    (r"py:.*", r"(Path|datetime|Any|Self|Callable|Awaitable|Mapping|Sequence|Iterable)"),
    (r"py:.*", r"(BaseModel|BaseSettings|StrEnum|Exception|PluginManager)"),
]
# Attributes that docstrings mention but that are set in ``__init__`` (no autodoc entry).
nitpick_ignore = [
    ("py:attr", "artifact_url"),
    ("py:attr", "contexts"),
    ("py:attr", "extract_contexts"),
    ("py:meth", "session_options"),
]
