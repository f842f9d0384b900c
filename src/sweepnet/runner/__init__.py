"""The runner: a command turned into a plan, and one pipeline that runs every job.

``plan`` composes, builds and checks every job before anything runs (``checks``,
``compose``, ``build``); ``pipeline`` runs jobs (claim, train in stacks, write,
record: ``job``), driven by ``executors`` (in-process, worker processes, Hydra
launchers) and watched by ``observers``; ``app`` is the ``sweepnet`` command and
``api`` its Python twin; ``hydra_api`` holds the private Hydra APIs still used.
"""
