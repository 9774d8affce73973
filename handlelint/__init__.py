"""handlelint: find leaked Windows Failover Cluster handles in Python code."""

__version__ = "0.1.0"
