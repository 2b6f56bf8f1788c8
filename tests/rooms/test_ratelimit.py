from nanodev.rooms.ratelimit import RateLimiter


def test_sliding_window() -> None:
    limiter = RateLimiter(window_s=60)
    assert all(limiter.allow("u:m", 3, now=t) for t in (0, 1, 2))
    assert not limiter.allow("u:m", 3, now=30)
    assert limiter.allow("other:m", 3, now=30)
    assert limiter.allow("u:m", 3, now=60)  # the hit at t=0 left the window
    assert limiter.active_keys == 2
