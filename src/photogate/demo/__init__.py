"""The demo shop: Tailwind Traders products and their generated marketing photos."""
