"""Run the real Claude Code and Codex programs offline in tests.

``fake_api`` is a model API of our own on 127.0.0.1 with scripted replies that
records every request; ``programs`` installs the pinned programs (through
``scripts/install-agents``) and runs them in a project with a private home
pointed at that API. docs/agents-testing.md says how, and what was observed.
"""
