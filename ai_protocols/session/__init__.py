"""The session-context protocol: the model (``model``), the file's layout
(``layout``), the one edit transaction every write goes through
(``transaction``), and the operations over them (``project``, ``archive``,
``recovery``). A new command that changes a session is a function over
``transaction.editing``, called from a method of ``project.Project``."""
