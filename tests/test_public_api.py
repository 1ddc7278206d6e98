"""The public surface: every exported name exists and says what it is."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import skyvern_core
import skyvern_plugins

MODULES = sorted(
    {
        m.name
        for pkg in (skyvern_core, skyvern_plugins)
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
        if ".migrations" not in m.name and m.name != "skyvern_core.__main__"
    }
)


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_is_documented(name: str):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed
        pytest.fail(f"{name} does not import: {exc}")
    assert module.__doc__, f"{name} has no module docstring"
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which does not exist"
        obj = getattr(module, attr)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__ == name:
            assert inspect.getdoc(obj), f"{name}.{attr} has no docstring"
            if inspect.isclass(obj):
                for meth_name, meth in vars(obj).items():
                    # Test methods of the shipped contract suites are named for what they check.
                    if meth_name.startswith(("_", "test_")) or not inspect.isfunction(meth):
                        continue
                    assert inspect.getdoc(meth), f"{name}.{attr}.{meth_name} has no docstring"


def test_package_root_exports():
    for attr in skyvern_core.__all__:
        assert hasattr(skyvern_core, attr)
