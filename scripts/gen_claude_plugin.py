#!/usr/bin/env python3
"""Write the Claude Code plugin shipped in the package from the table of hooks.

``ai_protocols/integrations/claude_plugin/`` holds ``.claude-plugin/plugin.json``
and ``hooks/hooks.json``, generated from ``EVENTS`` in
``ai_protocols/integrations/install.py``: run ``python scripts/gen_claude_plugin.py``
after changing that table; ``tests/test_hooks_install.py`` fails while the
shipped files differ from what this script would write.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # the source tree, not an installed copy

from ai_protocols.integrations.install import plugin_files  # noqa: E402

FOLDER = REPO_ROOT / "ai_protocols" / "integrations" / "claude_plugin"


def main() -> None:
    for name, text in plugin_files().items():
        path = FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
