"""Data-flow analysis: the generic solver and the handle-state lattice."""
