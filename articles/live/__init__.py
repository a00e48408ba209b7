"""Live coverage: a story that carries a stream of timestamped entries while news breaks."""
