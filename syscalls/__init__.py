"""The Linux x86-64 system-call layer: one declarative table, typed arguments, handlers by family."""
