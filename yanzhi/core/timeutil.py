"""Store-local time. "Today" always means the store's day in the store's timezone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def store_zone(store) -> ZoneInfo:
    return ZoneInfo(store.timezone or "Asia/Shanghai")


def store_now(store) -> datetime:
    return timezone.now().astimezone(store_zone(store))


def store_today(store) -> date:
    return store_now(store).date()


def store_day_bounds(store, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a store's calendar day as aware datetimes."""
    zone = store_zone(store)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def store_datetime(store, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=store_zone(store))


def to_store_time(store, moment: datetime) -> datetime:
    return moment.astimezone(store_zone(store))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after `month`'s."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)
