"""Local fixture websites that look and behave like real ones, and the server for them.

The sites hold the hard cases of real ones (hidden file inputs, custom comboboxes, shadow
DOM, a cross-origin card iframe, a cookie modal, multi-step forms, 2,000+ elements, a form
without labels). :class:`FixtureSites` (in :mod:`skyvern_core.testing.sites.server`) serves
them; :mod:`skyvern_core.testing.sites.fixtures` is a pytest plugin with the ``sites`` and
``chromium_executable`` fixtures the driver contract suite uses.
"""

from __future__ import annotations

from skyvern_core.testing.sites.server import ROOT, FixtureSites, Submission, UploadedFile

__all__ = ["JOB_APPLICATION_FIELDS", "ROOT", "FixtureSites", "Submission", "UploadedFile"]

JOB_APPLICATION_FIELDS = {
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "phone": "phone",
    "resume/cv": "resume",
    "location": "location",
    "how did you hear": "how_did_you_hear",
    "are you legally authorized": "authorized_to_work",
    "i consent": "consent",
}
"""The jobs site's application form: each field's label (a prefix, case aside) and the key
of the fact for it in ``skyvern_core.demo.demo_request``'s payload — the ``fields`` of a
:class:`~skyvern_core.testing.prompt.FormFiller` for that form."""
