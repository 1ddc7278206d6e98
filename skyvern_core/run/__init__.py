"""The parts of a task's run, each a small unit with its own tests.

- :mod:`~skyvern_core.run.context`: what one run shares (its task, session, history,
  secrets, usage) and the events and handle the outside sees.
- :mod:`~skyvern_core.run.step`: one step: see the page, decide, act, record.
- :mod:`~skyvern_core.run.finish`: the end: final artifacts, status and webhook outbox,
  or back to the queue.
- :mod:`~skyvern_core.run.lease`: keeping the claim on the task while it runs.

:class:`skyvern_core.runner.TaskRunner` puts them together.
"""

from __future__ import annotations

__all__: list[str] = []
