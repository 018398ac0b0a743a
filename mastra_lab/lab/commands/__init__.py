"""The ``%mastra`` subcommands, one module per area; each registers its handlers in
:mod:`mastra_lab.lab.registry` when imported."""

__all__: list[str] = []
