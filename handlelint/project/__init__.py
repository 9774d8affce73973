"""The project layer: module map, imports, receiver types and the store of summaries."""
