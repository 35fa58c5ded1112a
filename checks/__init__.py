"""The check catalog: one module per family. The engine discovers these modules; it imports none by name."""
