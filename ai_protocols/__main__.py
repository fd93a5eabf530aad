"""``python -m ai_protocols``: the same as the ``ai-protocols`` command."""

from ai_protocols.cli.main import main

if __name__ == "__main__":
    main(end=True)  # (a process of its own, as the ai-protocols script)
