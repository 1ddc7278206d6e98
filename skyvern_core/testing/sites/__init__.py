"""Local fixture websites that look and behave like real ones, and the server for them.

The sites hold the hard cases of real ones (hidden file inputs, custom comboboxes, shadow
DOM, a cross-origin card iframe, a cookie modal, multi-step forms, 2,000+ elements, a form
without labels). :class:`FixtureSites` (in :mod:`skyvern_core.testing.sites.server`) serves
them; :mod:`skyvern_core.testing.sites.fixtures` is a pytest plugin with the ``sites`` and
``chromium_executable`` fixtures the driver contract suite uses.
"""

from __future__ import annotations

from skyvern_core.testing.sites.server import ROOT, FixtureSites, Submission, UploadedFile

__all__ = ["ROOT", "FixtureSites", "Submission", "UploadedFile"]
