"""How a briefing prints numbers, as the seeds do: counts without separators, rates with two
places and %, money in 万元 with two places, issue numbers in Chinese numerals (第二十六期)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from healthaid.figures import format_rate, yuan_to_wan

DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 26 → 二十六, 105 → 一百零五, 1000 → 一千 (up to 9999)."""
    if n <= 0:
        return DIGITS[0]
    if n >= 10000:
        return str(n)
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out = []
    zero = False
    for size, name in units:
        digit, n = divmod(n, size)
        if digit:
            if zero:
                out.append(DIGITS[0])
                zero = False
            out.append(DIGITS[digit] + name)
        elif out:
            zero = True
    if n:
        if zero:
            out.append(DIGITS[0])
        out.append(DIGITS[n])
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text


def issue_label(number: int | None) -> str:
    """第二十六期, or 未编号 for a briefing not yet published."""
    return "未编号" if not number else f"第{chinese_number(number)}期"


def count(value: int) -> str:
    return str(int(value))


def percent(value: Decimal | None) -> str:
    return format_rate(value)


def wan(yuan: Decimal) -> str:
    return str(yuan_to_wan(yuan))


def yuan(value: Decimal | None) -> str:
    return "–" if value is None else str(value)


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_words(start: datetime.date, end: datetime.date) -> str:
    """上半年, 第一季度, 3月, 全年, or 1月1日至5月20日 for any other period."""
    whole_months = start.day == 1 and (end + datetime.timedelta(days=1)).day == 1
    if whole_months and start.year == end.year:
        first, last = start.month, end.month
        if (first, last) == (1, 12):
            return "全年"
        if (first, last) == (1, 6):
            return "上半年"
        if (first, last) == (7, 12):
            return "下半年"
        if first == last:
            return f"{first}月"
        if last - first == 2 and first % 3 == 1:
            return f"第{chinese_number((first + 2) // 3)}季度"
        return f"{first}至{last}月"
    return f"{start.month}月{start.day}日至{end.month}月{end.day}日"


def area_word(level: int) -> str:
    """全州, 全县, 全镇, 全村: how the seeds say 'the whole publisher's area'."""
    return {2: "全省", 4: "全州", 6: "全县", 9: "全镇"}.get(level, "全村")
