"""Control-flow graphs: the model and the builder from libcst."""
