"""The task board: ``.ai/tasks.org``, its tasks, claims and locks (docs/tasks.md)."""
