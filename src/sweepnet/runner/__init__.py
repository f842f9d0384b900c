"""The Hydra runner: configs -> components -> one run's files; sweeps -> tables.

``build`` turns a composed config into components through the registry,
``job`` trains one run and writes its directory, ``app`` is the ``sweepnet``
command, ``callbacks`` gathers a finished sweep into tables.
"""
