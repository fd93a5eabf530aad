"""Bytes on disk: locked, atomic, fsynced writes (``files``) and the per-machine
cache of the archive listing (``archive_index``)."""
