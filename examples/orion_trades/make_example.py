#!/usr/bin/env python3
"""make_example.py — generates the orion_trades example: mapping.xlsx, trades.txt, expected/.

Orion Capital sends its trade blotter pipe-separated, UTF-8 with a BOM, trade dates as YYYYMMDD
and settle dates as D-Mon-YYYY, buy/sell codes, broker codes resolved on the mapping's Brokers
tab, and free-text notes that are quoted and may hold pipes, doubled quotes and line breaks.
The expected outputs come from a small Python oracle of docs/plan-language.md "Semantics" for
the rules used; it never runs mapforge.  Deterministic (fixed seed).

Run from anywhere:  python3 examples/orion_trades/make_example.py
"""
import os
import random
import sys
from datetime import date, timedelta
from decimal import Decimal, ROUND_HALF_UP, getcontext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from oracle import Reject, as_decimal, as_text, nz, run_records, write_example  # noqa: E402


getcontext().prec = 60
OUTPUT = "TRADES"
DATA = "trades.txt"
HEADER = ["Trade ID", "Trade Date", "Settle Date", "Side", "Symbol", "Qty", "Px",
          "Notional (000s)", "Commission Cents", "Broker", "Account", "Notes", "Status"]
BROKERS = [("GS", "Goldman Sachs"), ("MS", "Morgan Stanley"), ("JPM", "J.P. Morgan"),
           ("BARC", "Barclays"), ("UBS", "UBS AG")]

MAPPING = {"sheets": [
    {"name": "Mapping",
     "merged": ["A1:E1"],
     "rows": [
         ["Orion Capital — Trade Blotter to TRADES", None, None, None, None],
         ["Target table: TRADES", None, None, None, None],
         ["Prepared by: Ops Onboarding, reviewed 2025-02-03", None, None, None, None],
         [],
         ["Src Column", "Dest Column", "Target Data Type", "Business Rule", "Notes"],
         ["Trade ID", "TRADE_ID", "varchar(12)", "As is", "unique per trade"],
         ["Trade Date", "TRADE_DATE", "date", "Convert from YYYYMMDD to YYYY-MM-DD", None],
         ["Settle Date", "SETTLE_DATE", "date", "Convert from D-Mon-YYYY (e.g. 3-Feb-2025)", None],
         ["Trade Date, Settle Date", "SETTLE_DAYS", "integer",
          "Days between Trade Date and Settle Date", "settlement cycle"],
         ["Side", "SIDE", "varchar(4)", "B = Buy, S = Sell", None],
         ["Symbol", "SYMBOL", "varchar(8)", "Trim and upper case", None],
         ["Qty", "QUANTITY", "integer", "Direct move", "shares"],
         ["Px", "PRICE", "decimal(18,4)", "As is", None],
         ["Qty, Px", "GROSS_AMOUNT", "decimal(18,2)", "QTY * PX, round half up to 2 decimals", None],
         ["Notional (000s)", "NOTIONAL", "decimal(18,2)", "Multiply by 1000", "sent in thousands"],
         ["Commission Cents", "COMMISSION", "decimal(18,2)", "Divide by 100 (cents to units)", None],
         ["Broker", "BROKER_NAME", "varchar(40)",
          "Look up broker name on the Brokers tab, default 'UNKNOWN'", None],
         ["Account", "ACCOUNT_NO", "varchar(10)", "Text after the '-'", "drop the desk prefix"],
         ["Notes", "NOTES", "text", "Direct move", "may contain line breaks"],
         [],
         ["Status", None, None, "Exclude rows where Status = 'CXL'", "cancelled trades"],
     ]},
    {"name": "Brokers",
     "rows": [["Code", "Name"]] + [[c, n] for c, n in BROKERS]},
]}

NOTES = ["", "", "Block trade", 'Client said "urgent" | call back', "Line one\nline two",
         "Allocated: 60% fund A, 40% fund B", "Pipes | inside | quotes", 'He said ""hi""']
SYMBOLS = ["AAPL", " msft ", "brk.b", "NVDA", "SAP", " tsla"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def dmony(d):
    return "%d-%s-%d" % (d.day, MONTHS[d.month - 1], d.year)


def make_records():
    rnd = random.Random(31337)
    recs = []
    for i in range(70):
        td = date(2025, 1, 2) + timedelta(days=rnd.randrange(0, 40))
        sd = td + timedelta(days=rnd.choice([1, 2, 2, 3]))
        px = Decimal(rnd.randrange(10000, 5000000)).scaleb(-4)
        recs.append([
            "TRD-%06d" % (100 + i * 7),
            td.strftime("%Y%m%d"),
            dmony(sd),
            rnd.choice("BS"),
            rnd.choice(SYMBOLS),
            str(rnd.randrange(1, 20000)),
            str(px),
            str(Decimal(rnd.randrange(1, 9999999)).scaleb(-3)),
            str(rnd.randrange(0, 500000)),
            rnd.choice([c for c, _ in BROKERS] + ["XYZ"]),
            rnd.choice(["EQ-%05d" % rnd.randrange(1, 99999), "%05d" % rnd.randrange(1, 99999)]),
            rnd.choice(NOTES),
            "CXL" if rnd.random() < 0.08 else rnd.choice(["NEW", "AMEND"]),
        ])
    fixes = {3: (1, "20250230"), 8: (2, "31-Feb-2025"), 13: (6, "12.3.4"), 18: (6, "101.12345"),
             23: (5, "1O0"), 28: (0, "TRD-2025-000123X")}
    for i, (col, val) in fixes.items():
        recs[i][col] = val
        recs[i][12] = "NEW"
    recs[12][11] = "Line one\nline two"            # a multi-line record before a bad one
    recs[13][11] = 'Wrong price | "fat finger"\nre-booked'  # the bad row itself spans two lines
    recs[33] = recs[33][:11]                        # ragged: 11 fields
    recs[40][5], recs[40][6] = "1", "10.1250"       # half-up tie: 10.125 -> 10.13
    recs[41][5], recs[41][6] = "3", "0.0050"        # 0.015 -> 0.02
    recs[42][9] = "XYZ"                             # unknown broker
    return recs


def quote(field, delim):
    if any(c in field for c in (delim, '"', "\r", "\n")):
        return '"' + field.replace('"', '""') + '"'
    return field


# ---- the oracle ---------------------------------------------------------------------------------


def read_ymd(col, s):
    if s is None:
        return None
    t = s.strip(" \t")
    if len(t) == 8 and t.isdigit():
        try:
            return date(int(t[:4]), int(t[4:6]), int(t[6:]))
        except ValueError:
            pass
    raise Reject(col, '%s: "%s" is not a YYYYMMDD date' % (col, s))


def read_dmony(col, s):
    if s is None:
        return None
    parts = s.strip(" \t").split("-")
    if (len(parts) == 3 and parts[0].isdigit() and 1 <= len(parts[0]) <= 2
            and parts[1].capitalize() in MONTHS and parts[2].isdigit() and len(parts[2]) == 4):
        try:
            return date(int(parts[2]), MONTHS.index(parts[1].capitalize()) + 1, int(parts[0]))
        except ValueError:
            pass
    raise Reject(col, '%s: "%s" is not a D-Mon-YYYY date' % (col, s))


def read_plain_number(col, s):
    if s is None:
        return None
    t = s.strip(" \t")
    body = t[1:] if t[:1] in "+-" else t
    ip, sep, fp = body.partition(".")
    if not (ip.isdigit() and (fp.isdigit() if sep else True)):
        raise Reject(col, '%s: "%s" is not a number' % (col, s))
    return Decimal(t)


def read_integer(col, s):
    if s is None:
        return None
    t = s.strip(" \t")
    if not (t[1:] if t[:1] in "+-" else t).isdigit():
        raise Reject(col, '%s: "%s" is not an integer' % (col, s))
    return int(t)


def transform(r):
    tid, tdt, sdt, side, sym, qty, px, notional, comm, broker, acct, notes, _st = [nz(f) for f in r]
    out = [as_text("TRADE_ID", tid, 12)]
    td, sd = read_ymd("TRADE_DATE", tdt), None
    out.append(td.isoformat() if td else None)
    sd = read_dmony("SETTLE_DATE", sdt)
    out.append(sd.isoformat() if sd else None)
    out.append(str((sd - td).days) if td and sd else None)
    out.append(as_text("SIDE", {"B": "Buy", "S": "Sell"}.get(side, side) if side else None, 4))
    out.append(as_text("SYMBOL", nz(sym.strip().upper()) if sym else None, 8))
    q = read_integer("QUANTITY", qty)
    out.append(str(q) if q is not None else None)
    p = read_plain_number("PRICE", px)
    out.append(as_decimal("PRICE", p, 18, 4))
    gross = (q * p).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if q is not None and p is not None else None
    out.append(as_decimal("GROSS_AMOUNT", gross, 18, 2))
    n = read_plain_number("NOTIONAL", notional)
    out.append(as_decimal("NOTIONAL", n * 1000 if n is not None else None, 18, 2))
    c = read_plain_number("COMMISSION", comm)
    out.append(as_decimal("COMMISSION", (c / 100) if c is not None else None, 18, 2))
    out.append(as_text("BROKER_NAME", dict(BROKERS).get(broker, "UNKNOWN") if broker else None, 40))
    out.append(as_text("ACCOUNT_NO", nz(acct.split("-", 1)[1]) if acct and "-" in acct else None, 10))
    out.append(notes)
    return out


OUT_COLUMNS = ["TRADE_ID", "TRADE_DATE", "SETTLE_DATE", "SETTLE_DAYS", "SIDE", "SYMBOL", "QUANTITY",
               "PRICE", "GROSS_AMOUNT", "NOTIONAL", "COMMISSION", "BROKER_NAME", "ACCOUNT_NO", "NOTES"]


def main():
    recs = make_records()
    body = ["|".join(quote(f, "|") for f in r) for r in recs]
    data_text = "\ufeff" + "\n".join(["|".join(HEADER)] + body) + "\n"

    records, line_no = [], 2
    for r, raw in zip(recs, body):
        records.append((line_no, r, raw))
        line_no += 1 + raw.count("\n")     # quoted notes may span lines
    result = run_records(records, len(HEADER), lambda r: r[12] == "CXL", transform)
    write_example(HERE, "ORION", MAPPING, DATA, data_text, "utf-8", OUTPUT, OUT_COLUMNS, result)


if __name__ == "__main__":
    main()
