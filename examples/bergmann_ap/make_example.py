#!/usr/bin/env python3
"""make_example.py — generates the bergmann_ap example: mapping.xlsx, kreditoren.csv, expected/.

Bergmann Handels GmbH sends accounts-payable invoices the way a German ERP exports them:
semicolon-separated, Windows-1252 (é ü ß €), CRLF line ends, a three-line preamble before the
header ("Report generated ...", "Client: ...", blank), DD.MM.YYYY dates, European numbers
"1.234,56", and a trailer row with the total.  The expected outputs come from a small Python
oracle of docs/plan-language.md "Semantics" for the rules used; it never runs mapforge.
Deterministic (fixed seed).

Run from anywhere:  python3 examples/bergmann_ap/make_example.py
"""
import os
import random
import sys
from datetime import date, timedelta
from decimal import Decimal, getcontext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from oracle import Reject, as_decimal, as_text, nz, required, run_records, write_example  # noqa: E402


getcontext().prec = 60
OUTPUT = "AP_INVOICES"
DATA = "kreditoren.csv"
PREAMBLE = ["Report generated 31.01.2025", "Client: Bergmann Handels GmbH", ""]
HEADER = ["LiefNr", "Lieferant", "Vorname", "Nachname", "RechnungsNr", "Rechnungsdatum", "Betrag",
          "Währung", "Kostenstelle", "Status"]

MAPPING = {"sheets": [
    {"name": "Kreditoren",
     "merged": ["A1:F1"],
     "rows": [
         ["Bergmann Handels GmbH – Accounts Payable Onboarding", None, None, None, None, None],
         [],
         ["Target table: AP_INVOICES", None, None, None, None, None],
         ["Client Column", "Standard Column", "Datatype", "Transformation", "Required", "Notes"],
         ["LiefNr", "VENDOR_ID", "VARCHAR(10)", "Prefix with 'V'", "Yes", "vendor number"],
         ["Lieferant", "VENDOR_NAME", "TEXT", "Direct move", "Yes", "keep accents"],
         ["Vorname + Nachname", "CONTACT_NAME", "VARCHAR(60)",
          "Concatenate Vorname and Nachname with a space", "No", None],
         ["RechnungsNr", "INVOICE_NO", "VARCHAR(16)", "Upper case", "Yes", None],
         ["Rechnungsdatum", "INVOICE_DATE", "DATE", "Convert from DD.MM.YYYY to YYYY-MM-DD", "Yes",
          None],
         ["Betrag", "AMOUNT", "DECIMAL(18,2)",
          "European number format: '.' is the thousands separator and ',' the decimal separator",
          "Yes", "e.g. 1.234,56"],
         ["Währung", "CURRENCY", "VARCHAR(3)", "Default to EUR when blank", "No", None],
         ["Kostenstelle", "COST_CENTER", "VARCHAR(4)", "First 4 characters", "No",
          "the number only, not the name"],
         [None, "COMPANY_CODE", "VARCHAR(4)", "Hardcode 'DE01'", "Yes", None],
         [],
         ["Status", None, None, "Exclude rows where Status = 'STORNO'", None, "cancelled invoices"],
         [None, None, None, "Ignore the trailer row", None, "the last line holds the total"],
     ]},
]}

VENDORS = ["Café Müller GmbH", "Bäckerei Schön", "Société Générale Équipement", "Grüne Energie AG",
           "Señor Tapas SL", "Müller; Söhne KG", "1€ Markt GmbH", "Weiß & Partner"]
FIRST = ["Jürgen", "Renée", "Zoë", "François", "Anke", "Björn", "Mónica"]
LAST = ["Müller", "Weiß", "Brontë", "Çelik", "Schäfer", "Ibáñez", "Koch"]
COST_CENTERS = ["4711 Verwaltung", "4800 Vertrieb", "5100 Lager", "", "6200 Einkauf"]


def euro(cents):
    """1234567 -> '12.345,67'; negative with a leading minus."""
    neg, cents = cents < 0, abs(cents)
    s = "{:,}".format(cents // 100).replace(",", ".") + ",%02d" % (cents % 100)
    return "-" + s if neg else s


def make_records():
    rnd = random.Random(4711)
    recs = []
    for i in range(60):
        d = date(2025, 1, 1) + timedelta(days=rnd.randrange(0, 30))
        cents = rnd.choice([rnd.randrange(100, 99999), rnd.randrange(100000, 999999999)])
        if rnd.random() < 0.15:
            cents = -cents                        # credit notes
        recs.append([
            str(rnd.randrange(10000, 999999)),
            rnd.choice(VENDORS),
            rnd.choice(FIRST),
            rnd.choice(LAST),
            rnd.choice(["re", "RE", "Gs"]) + "-2025-%04d" % (i + 1),
            d.strftime("%d.%m.%Y"),
            euro(cents),
            rnd.choice(["EUR", "EUR", "CHF", ""]),
            rnd.choice(COST_CENTERS),
            "STORNO" if rnd.random() < 0.1 else rnd.choice(["OFFEN", "BEZAHLT"]),
        ])
    bad = {4: (5, "31.02.2025"), 9: (6, "12,5O"), 14: (6, "1.234,567"), 19: (4, ""),
           24: (0, "1234567890")}
    for i, (col, val) in bad.items():
        recs[i][col] = val
        recs[i][9] = "OFFEN"
    recs[29] = recs[29][:9]                       # ragged: 9 fields
    recs[33][6] = "0,00"
    recs[34][5] = "29.02.2025"; recs[34][9] = "STORNO"   # bad, but cancelled: filtered
    return recs


def quote(field, delim):
    if any(c in field for c in (delim, '"', "\r", "\n")):
        return '"' + field.replace('"', '""') + '"'
    return field


# ---- the oracle ---------------------------------------------------------------------------------


def read_dmy(col, s):
    if s is None:
        return None
    t = s.strip(" \t")
    if len(t) == 10 and t[2] == "." and t[5] == "." and (t[:2] + t[3:5] + t[6:]).isdigit():
        try:
            return date(int(t[6:]), int(t[3:5]), int(t[:2]))
        except ValueError:
            pass
    raise Reject(col, '%s: "%s" is not a DD.MM.YYYY date' % (col, s))


def read_euro(col, s):
    """read as number (thousands ".", decimal ",")."""
    if s is None:
        return None
    t = s.strip(" \t")
    neg = t[:1] == "-"
    if t[:1] in "+-":
        t = t[1:]
    intpart, sep, frac = t.partition(",")
    groups = intpart.split(".")
    good = (all(g.isdigit() for g in groups) and (len(groups) == 1 or
            (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])))
            and (frac.isdigit() if sep else True))
    if not good:
        raise Reject(col, '%s: "%s" is not a number' % (col, s))
    v = Decimal("".join(groups) + ("." + frac if sep else ""))
    return -v if neg else v


def transform(r):
    nr, name, first, last, inv, dt, amt, ccy, kst, _status = [nz(f) for f in r]
    out = [required("VENDOR_ID", as_text("VENDOR_ID", "V" + nr if nr else None, 10)),
           required("VENDOR_NAME", as_text("VENDOR_NAME", name, 0))]
    contact = nz((first or "") + " " + (last or ""))
    out.append(as_text("CONTACT_NAME", contact, 60))
    out.append(required("INVOICE_NO", as_text("INVOICE_NO", inv.upper() if inv else None, 16)))
    d = read_dmy("INVOICE_DATE", dt)
    out.append(required("INVOICE_DATE", d.isoformat() if d else None))
    out.append(required("AMOUNT", as_decimal("AMOUNT", read_euro("AMOUNT", amt), 18, 2)))
    out.append(as_text("CURRENCY", ccy if ccy else "EUR", 3))
    out.append(as_text("COST_CENTER", kst[:4] if kst else None, 4))
    out.append(required("COMPANY_CODE", as_text("COMPANY_CODE", "DE01", 4)))
    return out


OUT_COLUMNS = ["VENDOR_ID", "VENDOR_NAME", "CONTACT_NAME", "INVOICE_NO", "INVOICE_DATE", "AMOUNT",
               "CURRENCY", "COST_CENTER", "COMPANY_CODE"]


def main():
    recs = make_records()
    total = sum(read_euro("", r[6]) for r in recs if len(r) == 10 and r[9] != "STORNO"
                and r[6] not in ("12,5O",))
    trailer = ["Summe", "", "", "", "", "", euro(int(total * 100)), "EUR", "", ""]
    body = [";".join(quote(f, ";") for f in r) for r in recs + [trailer]]
    lines = PREAMBLE + [";".join(HEADER)] + body
    data_text = "\r\n".join(lines) + "\r\n"
    first_line = len(PREAMBLE) + 2

    records = [(first_line + i, r, body[i]) for i, r in enumerate(recs + [trailer])]
    # skip rules: Status, then the trailer row
    result = run_records(records, len(HEADER), lambda r: r[9] == "STORNO" or r is trailer, transform)
    write_example(HERE, "BERGMANN", MAPPING, DATA, data_text, "cp1252", OUTPUT, OUT_COLUMNS, result)


if __name__ == "__main__":
    main()
