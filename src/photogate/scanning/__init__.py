"""Stage 2, scanning: have the scanning API judge each quarantined original, at its pace."""
