"""Org-mode as Emacs reads it: the syntax of what the tool writes (``syntax``),
a file that edits splice lines into without re-rendering it (``file``), and
Emacs's lock files (``emacs_lock``). Nothing here knows about sessions."""
