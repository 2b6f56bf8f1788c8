"""nanodev: one process for a realtime Worker + Durable Object app's local development."""

__version__ = "0.1.0"
