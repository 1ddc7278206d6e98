"""What the suite needs of the fixture websites: their URLs and the forms they received."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

__all__ = ["FixtureSitesLike", "SubmissionLike", "UploadedFileLike"]


@runtime_checkable
class UploadedFileLike(Protocol):
    """A file a fixture site received in a multipart form."""

    @property
    def filename(self) -> str:
        """The file name the browser sent."""

    @property
    def size(self) -> int:
        """The number of bytes received."""


@runtime_checkable
class SubmissionLike(Protocol):
    """One POST a fixture site received."""

    @property
    def path(self) -> str:
        """The URL path posted to, e.g. ``/jobs/apply``."""

    @property
    def fields(self) -> Mapping[str, str]:
        """The form fields (first value of each)."""

    @property
    def files(self) -> Mapping[str, UploadedFileLike]:
        """The uploaded files, by field name."""

    @property
    def reference(self) -> str | None:
        """The number the site issued for it (confirmation, order, token), if any."""


@runtime_checkable
class FixtureSitesLike(Protocol):
    """The fixture websites, served on a main origin and a second, cross-site origin."""

    def url(self, path: str = "") -> str:
        """The main-origin URL of ``path`` (``"jobs/"``)."""

    def other_origin_url(self, path: str = "") -> str:
        """The URL of ``path`` on the second origin."""

    @property
    def submissions(self) -> Sequence[SubmissionLike]:
        """Every POST received so far, oldest first."""
