"""Stage 3, publishing: re-encode an approved photo into public renditions, update the catalog."""
