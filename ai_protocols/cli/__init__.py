"""The command line: a thin shell over the library.

``main`` is the console script (the hot commands without click), ``app`` the
click commands, ``options`` the one table of the hot commands' options, and
``output`` what both print. Nothing here knows about files.
"""
