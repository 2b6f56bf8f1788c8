"""`python -m nanodev`: the `nanodev` command."""

import gc


def run() -> None:
    # Loading nanodev builds long-lived objects and no garbage: the cyclic collector is paused
    # from the first import, for `nanodev up` until it listens (see cli.up); every other command
    # resumes it once its arguments are parsed (cli.main).
    gc.disable()
    from nanodev.cli import main  # noqa: PLC0415

    main()


run()
