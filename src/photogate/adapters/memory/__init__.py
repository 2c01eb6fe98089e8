"""In-memory fakes of every port, for unit tests and for trying things out."""
