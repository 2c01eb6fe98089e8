"""The pipeline's vocabulary: submissions, products, scan results; no I/O lives here."""
