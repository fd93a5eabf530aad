"""``python -m ai_protocols``: the same as the ``ai-protocols`` command."""

from ai_protocols.cli.main import main

if __name__ == "__main__":
    main()
