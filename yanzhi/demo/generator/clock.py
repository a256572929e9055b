"""Time and money as the generator handles them: moments are int seconds since the epoch (UTC),
days are int day numbers of the store's calendar (days since 1970-01-01, local), money is int fen.
They become column values only when a row is made, in the form the bulk writer of the database in
use sends: on PostgreSQL binary COPY values (moments as int microseconds and days as int days
since 2000-01-01, which are the binary forms of timestamptz and date; amounts as the binary
numeric, pre-encoded bytes), on SQLite the text Django writes (naive UTC moments, ISO days,
"12.05")."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

DAY = 86400
HOUR = 3600
MINUTE = 60
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# PostgreSQL's binary timestamps and dates count from 2000-01-01 (UTC).
PG_EPOCH = 946_684_800  # in seconds since 1970-01-01
PG_EPOCH_DAY = 10_957  # as a day number
# The binary jsonb of "{}": a version byte, then the text.
PG_EMPTY_JSON = b"\x01{}"
CACHE_LIMIT = 200_000  # cached amounts per cache, cleared beyond (bounded memory)


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
        self._days = _TextCache(lambda day: self.date(day).isoformat())
        self.vendor = vendor
        if vendor == "postgresql":
            self._binary_values()
        else:
            self._text_values()

    def _binary_values(self) -> None:
        """Column values for binary COPY (writers.PostgresWriter declares the columns' wire types
        accordingly): plain ints for moments and days, whose fixed-width binary psycopg writes in
        C, and the numeric's binary for amounts, encoded once per amount by psycopg's own
        dumper. Cheaper to make than text, cheaper for PostgreSQL to read than text."""
        from psycopg.adapt import PyFormat, Transformer

        dump = Transformer().get_dumper(Decimal(0), PyFormat.BINARY).dump

        # Called a few hundred times per customer: closures, no attribute lookups.
        def ts(ts: int) -> int:
            """A moment as timestamptz's binary value: microseconds since 2000-01-01 UTC."""
            return (ts - PG_EPOCH) * 1_000_000

        def ts_or_none(ts: int | None) -> int | None:
            return None if ts is None else (ts - PG_EPOCH) * 1_000_000

        def day(day: int) -> int:
            """A day as date's binary value: days since 2000-01-01."""
            return day - PG_EPOCH_DAY

        self.ts, self.ts_or_none, self.day = ts, ts_or_none, day
        self._money = _TextCache(lambda fen: bytes(dump(Decimal(fen).scaleb(-2))))
        self._quantities = _TextCache(lambda units: bytes(dump(Decimal(units).scaleb(-3))))
        self.money = self._money.__getitem__  # fen → the numeric(…, 2) binary
        self.quantity = self._quantities.__getitem__  # whole units → the numeric(…, 3) binary
        self.empty_json = PG_EMPTY_JSON

    def _text_values(self) -> None:
        """Column values as the text Django writes on SQLite."""
        stamp_days = _TextCache(lambda utc_day: self.date(utc_day).isoformat() + " ")
        # Every time of day as text, once: a moment is then a day prefix plus a table lookup.
        clock_texts = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]

        def ts(ts: int) -> str:
            """A moment as the database's text for a timestamp (naive UTC)."""
            return stamp_days[ts // DAY] + clock_texts[ts % DAY]

        def ts_or_none(ts: int | None) -> str | None:
            return None if ts is None else stamp_days[ts // DAY] + clock_texts[ts % DAY]

        self.ts, self.ts_or_none, self.day = ts, ts_or_none, self._days.__getitem__
        self._money = _TextCache(_money_text)
        self._quantities = _TextCache(lambda units: f"{units}.000")
        self.money = self._money.__getitem__  # fen → "12.05"
        self.quantity = self._quantities.__getitem__
        self.empty_json = "{}"

    def trim_caches(self) -> None:
        """Forget the cached amounts when there are many (memory stays bounded)."""
        for cache in (self._money, self._quantities):
            if len(cache) > CACHE_LIMIT:
                cache.clear()

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

    # --- text (for values built from a day: order numbers, causes, lot numbers) ---------------
    def day_text(self, day: int) -> str:
        """The ISO date of a day ("2026-11-23"), whatever the database."""
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
