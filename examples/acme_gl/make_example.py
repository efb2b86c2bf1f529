#!/usr/bin/env python3
"""make_example.py — generates the acme_gl example: mapping.xlsx, gl_extract.csv, expected/.

ACME Corp sends a general-ledger extract: comma-separated UTF-8, MM/DD/YYYY dates, amounts with
thousands separators and parentheses for negatives, a D/C indicator.  The expected outputs are
computed here by a small Python oracle that implements docs/plan-language.md "Semantics" for
exactly the rules this mapping uses; it never runs mapforge.  Deterministic (fixed seed):
running it twice writes identical bytes.

Run from anywhere:  python3 examples/acme_gl/make_example.py
"""
import os
import random
import sys
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation, getcontext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from oracle import Reject, as_decimal, as_text, nz, required, run_records, write_example  # noqa: E402


getcontext().prec = 60
OUTPUT = "GL_ENTRIES"
DATA = "gl_extract.csv"
HEADER = ["Acct No", "Posting Dt", "Description", "Amt", "Dr/Cr", "Currency", "Cost Center",
          "Journal Ref", "Status"]

# ---- the mapping spreadsheet ------------------------------------------------------------------

MAPPING = {"sheets": [
    {"name": "GL Mapping",
     "merged": ["A1:F1", "A2:F2"],
     "rows": [
         ["ACME Corp - General Ledger Extract Mapping (v2.3)", None, None, None, None, None],
         ["Target table: GL_ENTRIES", None, None, None, None, None],
         [],
         ["Source Field", "Target Field", "Type", "Rule", "Mandatory", "Comments"],
         ["Acct No", "ACCOUNT_ID", "Varchar(10)", "Left-pad with zeros to 10 characters", "Y",
          "GL account number"],
         ["Posting Dt", "POSTING_DATE", "Date", "Convert from MM/DD/YYYY to YYYY-MM-DD", "Y", None],
         ["Description", "DESCRIPTION", "Varchar(60)", "Trim", "N", "free text from the ledger"],
         ["Amt", "AMOUNT", "Decimal(18,2)",
          "Remove thousands separators; values in parentheses are negative. "
          "Negate when Dr/Cr = 'C'", "Y", "signed amount"],
         ["Dr/Cr", "ENTRY_TYPE", "Varchar(6)", "D -> DEBIT, C -> CREDIT", "Y", None],
         ["Currency", "CURRENCY", "Varchar(3)", "Default to USD when blank", "N", "ISO code"],
         ["Cost Center", "COST_CENTER", "Varchar(10)", "Trim and upper case", "N", None],
         ["Journal Ref", "JOURNAL_ID", "Varchar(12)", "Text before the '/'", "N",
          "the part after / is the line suffix"],
         [None, "SOURCE_SYSTEM", "Varchar(4)", "Constant 'GL'", "Y", None],
         [],
         ["Status", None, None, "Exclude rows where Status = 'VOID'", None,
          "voided entries are not loaded"],
     ]},
    {"name": "Change Log",
     "rows": [["Version", "Date", "Author", "Change"],
              ["2.2", "2024-11-04", "J. Patel", "Added cost center"],
              ["2.3", "2025-01-15", "J. Patel", "Journal Ref: keep only the part before /"]]},
]}

# ---- source records -----------------------------------------------------------------------------

DESCRIPTIONS = ["Office supplies", "Rent", "Travel, meals and lodging", "Consulting fees",
                "Software license", "  Quarterly bonus accrual  ", 'Invoice "A-17" correction',
                "Freight in", "Utilities", "Bank charges", "", "Payroll, January"]
CURRENCIES = ["USD", "USD", "USD", "EUR", "GBP", ""]
COST_CENTERS = ["cc-100", "CC-200", " ops-310 ", "fin-01", "", "mkt-77"]


def fmt_amount(cents, rnd):
    """'1,234.56' or '(1,234.56)' (a quarter of them negative), as ACME writes amounts."""
    neg = rnd.random() < 0.25
    s = "{:,}.{:02d}".format(cents // 100, cents % 100)
    return "(%s)" % s if neg else s


def make_records():
    rnd = random.Random(20250131)
    recs = []
    start = date(2025, 1, 2)
    for i in range(90):
        d = start + timedelta(days=rnd.randrange(0, 85))
        recs.append([
            str(rnd.choice([rnd.randrange(1000, 99999), rnd.randrange(100000, 99999999)])),
            d.strftime("%m/%d/%Y"),
            rnd.choice(DESCRIPTIONS),
            fmt_amount(rnd.choice([rnd.randrange(100, 99999), rnd.randrange(100000, 999999999)]), rnd),
            rnd.choice("DDC"),
            rnd.choice(CURRENCIES),
            rnd.choice(COST_CENTERS),
            "JE25-%04d/%s" % (i + 1, rnd.choice("ABC")) if i % 7 else "JE25-%04d" % (i + 1),
            "VOID" if rnd.random() < 0.08 else "POSTED",
        ])
    # deliberately bad rows, at fixed places
    recs[5][1] = "02/30/2025"                      # impossible date
    recs[11][3] = "1,2OO.00"                       # letter O, not a number
    recs[17][3] = "12.345"                         # three decimals
    recs[23][0] = "12345678901"                    # 11 characters after padding
    recs[29][0] = ""                               # mandatory account missing
    recs[35][6] = "FINANCE-OPERATIONS"             # cost center too long
    recs[41] = recs[41][:8]                        # ragged: 8 fields
    recs[47][1] = "13/01/2025"; recs[47][8] = "VOID"   # bad date but voided: filtered, not rejected
    recs[53][0] = "123456789012"; recs[53][1] = "02/29/2025"  # two failures: the first column wins
    recs[59] = recs[59][:7] + ["JE25-0060/A", "VOID", "extra"]  # ragged (10 fields) and VOID: rejected
    recs[65][5] = ""; recs[65][4] = "C"            # defaults to USD, credit
    recs[71][3] = "(0.01)"
    for i in (5, 11, 17, 23, 29, 35, 53, 65, 71):
        recs[i][8] = "POSTED"                      # bad rows must not be filtered away
    recs[17][4] = "D"                              # keep the reported value unsigned
    return recs


def quote(field, delim):
    if any(c in field for c in (delim, '"', "\r", "\n")) or field != field.strip():
        return '"' + field.replace('"', '""') + '"'
    return field


# ---- the oracle -----------------------------------------------------------------------------------


def read_mdy(col, s):
    if s is None:
        return None
    t = s.strip(" \t")
    ok = len(t) == 10 and t[2] == "/" and t[5] == "/" and (t[:2] + t[3:5] + t[6:]).isdigit()
    if ok:
        try:
            return date(int(t[6:]), int(t[:2]), int(t[3:5]))
        except ValueError:
            pass
    raise Reject(col, '%s: "%s" is not a MM/DD/YYYY date' % (col, s))


def read_number(col, s, thousands=",", decimal_pt=".", parens=True):
    """read as number (thousands ",", negative in parentheses)."""
    if s is None:
        return None
    t = s.strip(" \t")
    neg = False
    if parens and len(t) >= 2 and t[0] == "(" and t[-1] == ")":
        neg, t = True, t[1:-1]
    elif t[:1] in "+-" and t:
        neg, t = t[0] == "-", t[1:]
    intpart, _, frac = t.partition(decimal_pt)
    groups = intpart.split(thousands) if thousands else [intpart]
    good = (all(g.isdigit() for g in groups) and (len(groups) == 1 or
            (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])))
            and (frac.isdigit() if decimal_pt in t else True))
    if not good:
        raise Reject(col, '%s: "%s" is not a number' % (col, s))
    v = Decimal("".join(groups) + ("." + frac if frac else ""))
    return -v if neg else v


def transform(r):
    """One record (field list, header order) -> output row, or raises Reject."""
    acct, pdt, desc, amt, dc, ccy, cc, jref, _status = [nz(f) for f in r]
    out = []
    v = acct.rjust(10, "0") if acct is not None else None
    out.append(required("ACCOUNT_ID", as_text("ACCOUNT_ID", v, 10)))
    d = read_mdy("POSTING_DATE", pdt)
    out.append(required("POSTING_DATE", d.isoformat() if d else None))
    out.append(as_text("DESCRIPTION", nz(desc.strip()) if desc else None, 60))
    a = read_number("AMOUNT", amt)
    if a is not None and dc == "C":
        a = -a
    out.append(required("AMOUNT", as_decimal("AMOUNT", a, 18, 2)))
    m = {"D": "DEBIT", "C": "CREDIT"}.get(dc, dc) if dc is not None else None
    out.append(required("ENTRY_TYPE", as_text("ENTRY_TYPE", m, 6)))
    out.append(as_text("CURRENCY", ccy if ccy is not None else "USD", 3))
    out.append(as_text("COST_CENTER", nz(cc.strip().upper()) if cc else None, 10))
    out.append(as_text("JOURNAL_ID", nz(jref.split("/", 1)[0]) if jref else None, 12))
    out.append(required("SOURCE_SYSTEM", as_text("SOURCE_SYSTEM", "GL", 4)))
    return out


OUT_COLUMNS = ["ACCOUNT_ID", "POSTING_DATE", "DESCRIPTION", "AMOUNT", "ENTRY_TYPE", "CURRENCY",
               "COST_CENTER", "JOURNAL_ID", "SOURCE_SYSTEM"]


def main():
    recs = make_records()
    lines = [",".join(quote(h, ",") for h in HEADER)]
    lines += [",".join(quote(f, ",") for f in r) for r in recs]
    data_text = "\n".join(lines) + "\n"

    # header is line 1; no field spans lines in this file
    records = [(i + 2, r, lines[i + 1]) for i, r in enumerate(recs)]
    result = run_records(records, len(HEADER), lambda r: r[8] == "VOID", transform)
    write_example(HERE, "ACME", MAPPING, DATA, data_text, "utf-8", OUTPUT, OUT_COLUMNS, result)


if __name__ == "__main__":
    main()
