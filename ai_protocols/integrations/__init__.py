"""The agent programs' side: how agents are started and how they call in.

``spawn`` starts an agent with a fresh id and records how it ended. The
hooks that Claude Code, Codex and other agents run at their events (session
start, compaction, prompt, stop, session end) live here too, one module per
agent program over one shared hook command, each calling the session
operations of :mod:`ai_protocols.session`; installing them into an agent's
settings is part of the same module, never of :mod:`ai_protocols.scaffold`.
"""
