"""When a follow-up falls due: the node's offset from the trigger, in the store's timezone, moved
into the clinic's calling windows (回访时段).

Hour offsets are exact moments (+2 h after the execution); day and month offsets are calendar
days in the store's timezone and fall due when the first window of that day opens (术后第3天).
A moment outside every window moves to the start of the next window."""

import calendar
from datetime import date, datetime, time, timedelta

from yanzhi.core.timeutil import store_datetime, to_store_time

DEFAULT_WINDOWS = (
    (time(11, 0), time(12, 30)),
    (time(14, 30), time(17, 30)),
    (time(19, 30), time(20, 30)),
)


def parse_windows(raw) -> tuple[tuple[time, time], ...]:
    """[["11:00", "12:30"], …] → sorted (start, end) pairs; empty → the default windows."""
    pairs = []
    for start, end in raw or ():
        pairs.append((time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(sorted(pairs)) or DEFAULT_WINDOWS


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def into_window(store, moment: datetime, windows) -> datetime:
    """`moment` if it lies inside a window (start inclusive, end exclusive), else the start of
    the next window, in the store's timezone."""
    local = to_store_time(store, moment)
    for day_offset in range(3):
        day = local.date() + timedelta(days=day_offset)
        for start, end in windows:
            opens, closes = store_datetime(store, day, start), store_datetime(store, day, end)
            if local < opens:
                return opens
            if local < closes:
                return local
    raise ValueError("no calling window")  # unreachable with at least one window


def next_window_start(store, moment: datetime, windows) -> datetime:
    """The start of the first window that opens strictly after `moment` (a retry goes to the next
    window, not the one the caller is in)."""
    local = to_store_time(store, moment)
    for day_offset in range(3):
        day = local.date() + timedelta(days=day_offset)
        for start, _end in windows:
            opens = store_datetime(store, day, start)
            if opens > local:
                return opens
    raise ValueError("no calling window")


def due_at(store, base: datetime, *, value: int, unit: str, windows) -> datetime:
    """The due time of a node `value` `unit`s after `base`."""
    if unit == "hours":
        return into_window(store, base + timedelta(hours=value), windows)
    local_day = to_store_time(store, base).date()
    day = local_day + timedelta(days=value) if unit == "days" else add_months(local_day, value)
    return store_datetime(store, day, windows[0][0])
