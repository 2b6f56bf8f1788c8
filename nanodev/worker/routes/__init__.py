"""The Worker's own HTTP routes (reference §1.2 to §1.10): Better Auth under `/api/auth`, keys,
rooms, and the rest; registered on the first request that may be one of them.
"""
