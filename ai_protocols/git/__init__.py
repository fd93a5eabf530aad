"""Git, through the ``git`` command: what a work tree's state is (``state``), and
checkpoints of it kept as commits (``checkpoint``).

Every call runs ``git`` as a subprocess (git's plumbing and porcelain v2
output, whose formats git keeps stable), never a library that reimplements
git, so that what the tool sees is what the user's own git sees.
"""
