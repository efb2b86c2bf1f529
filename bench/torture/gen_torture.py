#!/usr/bin/env python3
"""gen_torture.py OUT.csv [ROWS] — adversarial records for the engine's differential check.

Every column mixes ordinary values with the edge cases the native engine must treat exactly as
docs/plan-language.md says: Unicode white space, quotes, commas and line ends inside fields,
numbers in every client format (and not quite), impossible dates, huge values, empty fields and
ragged records.  Deterministic (fixed seed), so two engines can be compared byte for byte.
"""
import random
import sys

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
rnd = random.Random(12345)

texts = ["", "abc", " abc ", "\u00a0Zürich\u2003", "x,y", 'say "hi"', "line\nbreak", "cr\rin", "ÄÖÜ ß", "ǅ title",
         "   ", "\t tab\t", "a-b-c", "no dash", "-lead", "trail-", "GS", "MS", "XX", "日本語テキスト", "e\u0301",
         "0123456789abcdef0123", "very long " * 8, "İstanbul", "ﬁ ligature", "a/b", "/x", "q\"", "\u3000wide\u3000"]
nums = ["", "0", "1", "-1", "+2", "1,234.56", "(772.47)", "12.50-", "$12.00", "12.00 USD", "1.234,56", "0.005",
        "2.345", "-2.345", "99999999999999999999999999999999999999", "999999999999999999999999999999999999999",
        "1e5", "abc", " 42 ", "1,23", "12,345,678.9", "(1,000)", "--1", "-(5)", "0.1234567890123", "7.", ".5",
        "00012.3400", "-0", "123456789012345678.12", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "2147483648", "-2147483649", "3.14159", "100", "1000000.001"]
def date_mdy():
    m, d, y = rnd.randint(1, 12), rnd.randint(1, 31), rnd.randint(1890, 2110)
    return "%02d/%02d/%04d" % (m, d, y)
dates_extra = ["", "02/29/2024", "02/29/2023", "13/01/2025", "00/10/2025", "1/2/2025", " 01/02/2025 ", "01-02-2025",
               "01/02/25", "12/31/9999", "01/01/0000", "ab/cd/efgh", "01/02/2025x", "\t07/04/1776\t"]
isos = ["2025-01-31", "2025-01-31T10:00:00", "2024-02-30", "2025-1-3", "", "2025-12-31 23:59", "20250131"]
excels = ["1", "59", "60", "61", "45000", "45000.5", "-1", "", "abc", "2958465", "0"]
ints = ["", "0", "7", "-7", "+7", "12a", " 3 ", "9223372036854775807", "9223372036854775808", "1.0", "00042"]
codes = ["D", "C", "X", "", "d", " C"]
stats = ["POSTED", "VOID", "NEW", "", "void"]
bools = ["Y", "N", "y", "", "true", "maybe"]
yy = ["1/2/25", "12/31/49", "12/31/50", "2/29/00", "2/29/01", "01/02/2025", ""]
mons = ["3-Feb-2025", "31-Apr-2025", "1-mar-2024", "15-Sept-2025", "7-DEC-1999", ""]
euro = ["1.234,56", "-0,75", "1234,5", "1.23", "", "(3,00)"]

def q(v):
    if any(c in v for c in ',"\n\r') or (v and rnd.random() < 0.1):
        return '"' + v.replace('"', '""') + '"'
    return v

cols = ["Txt", "Num", "Dt", "Iso", "Xl", "Int", "Code", "Status", "Bool", "YY", "Mon", "Euro", "Txt2"]
with open(out, "w", encoding="utf-8", newline="") as f:
    f.write(",".join(cols) + "\n")
    for i in range(rows):
        r = rnd.random()
        vals = [rnd.choice(texts), rnd.choice(nums), date_mdy() if rnd.random() < 0.7 else rnd.choice(dates_extra),
                rnd.choice(isos), rnd.choice(excels), rnd.choice(ints), rnd.choice(codes), rnd.choice(stats),
                rnd.choice(bools), rnd.choice(yy), rnd.choice(mons), rnd.choice(euro), rnd.choice(texts)]
        if r < 0.002:
            vals = vals[:5]            # ragged
        elif r < 0.004:
            vals = vals + ["extra"]
        line = ",".join(q(v) for v in vals)
        f.write(line + ("\r\n" if rnd.random() < 0.05 else "\n"))
        if rnd.random() < 0.001:
            f.write("\n")              # blank line
