"""The designs the load-leveling benchmark compares, besides photogate's own worker."""
