"""Time and money as the generator handles them: moments are int seconds since the epoch (UTC),
days are int day numbers of the store's calendar (days since 1970-01-01, local), money is int fen.
They become column values only when a row is made, formatted the way Django writes them on the
database in use (PostgreSQL: timestamptz text with +00; SQLite: naive UTC text)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400
HOUR = 3600
MINUTE = 60
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Clock:
    """One store timezone (every generated store uses the same), the history's end and the
    formatting of moments and days for one database vendor."""

    def __init__(self, *, now: datetime, timezone: str, vendor: str):
        tz = ZoneInfo(timezone)
        # A fixed offset: Asia/Shanghai has had no daylight saving since 1991.
        probe = now.astimezone(tz)
        self.offset = int(probe.utcoffset().total_seconds())
        if any(
            int((probe - timedelta(days=d)).astimezone(tz).utcoffset().total_seconds())
            != self.offset
            for d in (91, 182, 273)
        ):
            raise ValueError(f"the generator needs a timezone without daylight saving: {timezone}")
        self.now = int(now.timestamp())
        self.today = self.day_of(self.now)
        self.today_start = self.at(self.today, 0)
        suffix = "+00" if vendor == "postgresql" else ""
        self._days = _TextCache(lambda day: self.date(day).isoformat())
        # Every time of day as text, once: a moment is then a day prefix plus a table lookup.
        stamp_days = _TextCache(lambda utc_day: self.date(utc_day).isoformat() + " ")
        clock_texts = [
            f"{h:02d}:{m:02d}:{s:02d}{suffix}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]

        # Called a few hundred times per customer: a closure (no attribute lookups) stored on
        # the instance, two table lookups and one concatenation.
        def ts(ts: int) -> str:
            """A moment as the database's text for a timestamp (UTC)."""
            return stamp_days[ts // DAY] + clock_texts[ts % DAY]

        def ts_or_none(ts: int | None) -> str | None:
            return None if ts is None else stamp_days[ts // DAY] + clock_texts[ts % DAY]

        self.ts = ts
        self.ts_or_none = ts_or_none

    # --- arithmetic ---------------------------------------------------------------------------
    def day_of(self, ts: int) -> int:
        """The store-local day number of a moment."""
        return (ts + self.offset) // DAY

    def at(self, day: int, seconds: int) -> int:
        """The moment `seconds` after local midnight of `day`."""
        return day * DAY + seconds - self.offset

    def date(self, day: int) -> date:
        return date.fromordinal(EPOCH_ORDINAL + day)

    def day_number(self, value: date) -> int:
        return value.toordinal() - EPOCH_ORDINAL

    def datetime(self, ts: int) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    # --- column values ------------------------------------------------------------------------
    def day(self, day: int) -> str:
        return self._days[day]


class _TextCache(dict):
    """key → text, computed by `make` on first use (a plain dict lookup afterwards)."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        text = self[key] = self.make(key)
        return text


def _money_text(fen: int) -> str:
    # Exact: a double holds every fen amount below 2**53 / 100 to well under half a fen.
    return f"{fen / 100:.2f}"


MONEY_TEXTS = _TextCache(_money_text)  # cleared now and then by the history builder


def money(fen: int) -> str:
    """Fen as the text of a Decimal with two places ("-12.05")."""
    return MONEY_TEXTS[fen]


def fen_of(value) -> int:
    """A Decimal amount (two places at most) as int fen."""
    return int((value * 100).to_integral_value())


def div_half_up(amount: int, parts: int) -> int:
    """to_money(amount / parts) for positive fen: rounded half up."""
    return (2 * amount + parts) // (2 * parts)


def allocate(total: int, weights: list[int]) -> list[int]:
    """core.money.allocate in fen: parts add up to `total`, largest remainders get the extra fen
    (ties: the earlier weight)."""
    weight_sum = sum(weights)
    if not weights:
        return []
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    parts = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    leftover = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (remainders[i], -i), reverse=True)
    for i in order[:leftover]:
        parts[i] += 1
    return parts
