"""The guest's world as whoever started it chose it, beyond argv and envp: its root directory,
how fast its clocks run, and the Python API's hooks.

One object, made by the command line (`--rootfs`, `--time-rate`, `--time-start`) or by the API's
`Machine(...)`, handed to Process and shared by every thread; a forked child inherits it with the
rest of the host process. Nothing here runs on the guest's path: the layers that need a setting
read it where they act (path resolution, the clocks, dispatch's hook points).
"""

from __future__ import annotations

from dataclasses import dataclass


class SettingError(ValueError):
    """A setting's value is malformed: the front prints it as one line and exits 2."""


@dataclass
class GuestSettings:
    rootfs: str | None = None  # --rootfs DIR: the guest's / (None: the host's)
    time_rate: float = 1.0  # --time-rate R: the guest's clocks run R times as fast as the host's
    time_start: float | None = None  # --time-start TIME: CLOCK_REALTIME's value at start (epoch seconds)
    hooks: object | None = None  # the Python API's hooks, or None: nothing on the run path


def set_rootfs(settings: GuestSettings, value: str) -> None:
    settings.rootfs = value


def set_time_rate(settings: GuestSettings, value: str) -> None:
    settings.time_rate = float(value)


def set_time_start(settings: GuestSettings, value: str) -> None:
    from datetime import datetime, timezone

    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    settings.time_start = when.timestamp()


# --name -> its setter; every one takes a value (--name VALUE or --name=VALUE)
OPTIONS = {"--rootfs": set_rootfs, "--time-rate": set_time_rate, "--time-start": set_time_start}


def take_option(settings: GuestSettings, argv: list[str], i: int) -> int | None:
    """If argv[i] is one of OPTIONS, apply it and return the index after it; None if it is not one.
    Raises SettingError on a missing or malformed value."""
    name, sep, value = argv[i].partition("=")
    if name not in OPTIONS:
        return None
    if not sep:
        if i + 1 >= len(argv):
            raise SettingError(f"option '{name}' requires an argument")
        i, value = i + 1, argv[i + 1]
    try:
        OPTIONS[name](settings, value)
    except ValueError as exc:
        raise SettingError(f"{name} {value!r}: {exc}") from None
    return i + 1
