"""Who is alive: the facts of this host and its processes (``host``), and the
evidence that decides whether a session's agent is still at work
(``evidence``)."""
