"""photogate: customers' product photos onto a shop's website, safely."""

__version__ = "0.1.0"
