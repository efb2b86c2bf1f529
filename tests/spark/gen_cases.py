"""gen_cases.py OUT_DIR — write generated differential cases: OUT_DIR/gen_<name>/{plan.txt,data.csv}.

Deterministic (fixed seeds): the same files every run.  The plans together use every step,
operator and condition of docs/plan-language.md; the data mixes valid and invalid values for each
(edge dates, rounding ties at several scales, 38-digit decimals and overflow, Unicode spaces,
combining marks, astral characters, case-mapping specials, empty vs quoted-empty vs blank fields,
quotes inside unquoted fields, stray text after a closing quote, embedded newlines and CRLF,
ragged rows, blank lines).  tests/spark/differential.py runs both engines on each folder."""
import json
import os
import random
import sys

ROWS = 160   # per plan: small (Spark's cost is per job, not per row) but varied

# ---- value pools ---------------------------------------------------------------------------------

TEXT = ["", " ", "\t", "  ", "abc", "  abc  ", "\u00a0nbsp\u00a0", "\u2003em\u2003", "\u3000ideo\u3000",
        "\u202fnarrow", "\u2028ls", "x\u200bzw", "stra\u00dfe", "\u0130stanbul", "\u01c5", "\u03a3\u0391\u03a3",
        "\u03c3\u03c2", "\ufb01ne", "e\u0301t\u00e9", "\U0001F600x", "\U0001D518nicode", "a,b", 'say "hi"',
        "line\nbreak", "crlf\r\nin", "-", "a-b-c", "x-", "-x", "b-c", "\u00e9", "A" * 12, "SKIP", "REJECT",
        "x1", "\u00df", "ABC\u00df", "a\"b", "'q'", "null", "0", "12345", "\u0663\u0664", "tab\tin", "\\back"]
NUMBERS = ["0", "1.5", "-2.5", "2.5", "0.005", "-0.005", "0.125", "-0.125", "1234.565", "-1234.565",
           "0.5", "-0.5", "1.45", "-1.45", "9.995", "-9.995", "  7  ", "\t8\t", "+3", "1e5", "abc", "",
           "9" * 38, "9" * 39, "-" + "9" * 38, "0." + "0" * 37 + "1", "12.", ".5", "-", "1,23", "(12.50)",
           "12.50-", "1,234.56", "00012.3400", "99999999999999999999.99", "-0", "0.000", "--1", "1 2",
           "\u00a012", "\uff11", "3.14159265358979323846264338327950288", "100", "-100", "17", "-17",
           "123456789012345678", "0.0000000000005", "-0.0000000000005"]
EURO = ["1.234,56", "(1.234,56)", "1.234,56-", "\u20ac 12,5", "12,5 \u20ac", "-\u20ac 3", "\u20ac-3",
        "(\u20ac 4,00)", "1234,5", "1.23,4", "12.345.678,9", ",5", "5,", "", "x", "--1", "( 7 )", "7-",
        "1.234", "\u20ac\u20ac1", "1 234,5", "0,005", "-0,005"]
INTEGERS = ["0", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "2147483647", "2147483648", "-2147483648", "-2147483649", " 42 ", "+7",
            "-7", "1.0", "x", "", "007", "\u0661", "99999999999999999999999", "5", "-5", "3", "12"]
NUMBERS_OK = ["0", "1.5", "-2.5", "0.125", "-0.125", "12.345", "-0.005", "", "100", "7", "0.5", "1.45"]
EURO_OK = ["1.234,56", "(1.234,56)", "1.234,56-", "\u20ac 12,5", "", "0,005"]
INTEGERS_OK = ["1", "-3", "12", "", "+4", "2147483", " 9 "]
BOOLS = ["Y", "N", "y", "true", "false", "TRUE", " Y ", "", "yes", "1", "N "]
FLAGS = ["C", "D", "", "c", " C", "X"]
KEYS = ["A", "B", "C", "", "a", "A ", "\u00c4", "VOID", "Z", "\u00df", '"A"']


def edge_dates(r):
    """(y, m, d) triples: valid and invalid, at the edges of the calendar."""
    out = [(1, 1, 1), (9999, 12, 31), (2000, 2, 29), (1900, 2, 29), (2024, 2, 29), (2023, 2, 29),
           (2100, 2, 29), (1600, 2, 29), (1582, 10, 10), (1582, 10, 15), (1970, 1, 1), (1969, 12, 31),
           (2024, 4, 31), (2024, 13, 1), (2024, 0, 10), (2024, 1, 0), (1899, 12, 30), (1900, 1, 1),
           (1900, 3, 1), (1949, 12, 31), (1950, 1, 1), (2049, 12, 31), (2050, 6, 15), (999, 5, 5), (10000, 1, 1)]
    for _ in range(40):
        out.append((r.randint(1, 9999), r.randint(1, 12), r.randint(1, 31)))
    return out


def valid_date(ymd):
    y, m, d = ymd
    if not (1 <= y <= 9999 and 1 <= m <= 12 and d >= 1):
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return d <= [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def fmt_date(r, kind, ymd, bad):
    y, m, d = ymd
    mon = MONTHS[(m - 1) % 12]
    if kind == "MDY":
        return "%02d/%02d/%04d" % (m, d, y)
    if kind == "DMY":
        return "%d.%d.%04d" % (d, m, y)
    if kind == "YY":
        return "%d/%d/%02d" % (m, d, y % 100)
    if kind == "ISO":
        tails = ["", "", "T10:00:00", " 23:59:59", "T10:00", "T10:00:00Z", "T10:00:00+02:00", "T10:00:00.5"]
        tail = r.choice(tails + (["T24:00:00", "T1", "x", "T10:61"] if bad else []))
        return "%04d-%02d-%02d%s" % (y, m, d, tail)
    if kind == "MON":
        return "%d %s %04d" % (d, r.choice([mon[:3], mon[:3].upper(), mon[:3].lower()] + ([mon] if bad else [])), y)
    if kind == "MONTH":
        return "%s %d, %04d" % (r.choice([mon, mon.upper(), mon.lower()] + ([mon[:3]] if bad else [])), d, y)
    return "%04d%02d%02d" % (y, m, d)


DATE_JUNK = ["", " ", "  01/02/2024  ", "1/2/2024", "01-02-2024", "2024-02-30", "31/12/2024", "0",
             "60", "61", "59", "1", "2958465", "2958466", "45000.75", "-1", "00045000", "abc", "2024-1-1",
             "\u00a02024-01-01", "29 Feb 2023", "February 29, 2024", "Sept 3, 2020", "9999-12-31T23:59:60",
             "0000-01-01", "12/31/99", "2/29/00", "2/29/50", "1/1/49"]


def date_value(r, kind, dates, bad):
    """bad: this column may fail in this row (at most one column per row does, so the later
    columns' values are checked too)."""
    if not bad:
        dates = [ymd for ymd in dates if valid_date(ymd)]
    elif r.random() < 0.5:
        return r.choice(DATE_JUNK)
    if kind == "EXCEL":
        return str(r.choice([1, 59, 61, 366, 2958465, 45000, r.randint(1, 2958465)] + ([60, 0] if bad else [])))
    return fmt_date(r, kind, r.choice(dates), bad)


# ---- the CSV writer: every way a field can be written ------------------------------------------

def field(r, v, d, q):
    """v as a field: quoted or not (a value that needs quotes gets them)."""
    if q is None:
        return v.replace(d, "").replace("\n", " ").replace("\r", " ")
    must = d in v or "\n" in v or "\r" in v or v.startswith(q)
    roll = r.random()
    if v == "":
        return r.choice(["", "", q + q, " "])   # empty, quoted empty, a blank
    if must or roll < 0.25:
        s = q + v.replace(q, q + q) + q
        if not must and roll < 0.02 and d not in v:   # stray text after the closing quote: kept
            s = q + v.replace(q, q + q) + q + r.choice(["x", " y" + q + "z", "w" + q])
        return s
    return v


def record(r, values, d, q, nl):
    cells = [field(r, v, d, q) for v in values]
    roll = r.random()
    if roll < 0.03:
        cells.append("extra")
    elif roll < 0.06 and len(cells) > 1:
        cells.pop()
    line = d.join(cells)
    if r.random() < 0.03:
        line += nl   # a blank line after this record
    return line + nl


def write_case(root, name, plan, header, gen_row, seed, d=",", q='"', preamble="", trailer="", enc="utf-8",
               split=None):
    """split: read the data file in Spark partitions of about this many bytes (spark_conf.json,
    which differential.py sets for the case's job), so that records cross partition boundaries."""
    r = random.Random(seed)
    path = os.path.join(root, "gen_" + name)
    os.makedirs(path, exist_ok=True)
    if split:
        with open(os.path.join(path, "spark_conf.json"), "w") as f:
            json.dump({"spark.sql.files.maxPartitionBytes": str(split)}, f)
    with open(os.path.join(path, "plan.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(plan)
    rows = []
    for i in range(ROWS):
        nl = "\r\n" if r.random() < 0.2 else "\n"
        rows.append(record(r, gen_row(r, i), d, q, nl))
    text = preamble + d.join(header) + "\n" + "".join(rows) + trailer
    with open(os.path.join(path, "data.csv"), "wb") as f:
        f.write(text.encode(enc))


# ---- the plans -----------------------------------------------------------------------------------

HEAD = 'plan GEN v1\nsource "data.csv": csv, delimiter "%s", quote "%s", encoding %s, header on line %d\noutput %s\n\n'

TEXT_PLAN = HEAD % (",", '\\"', "UTF-8", 1, "TEXTS") + """\
TRIM   text              = [T1] trimmed
UP     text              = [T1] upper cased
LOW    text              = [T2] lower cased
PADL   text(12)          = [T3] padded left with "0" to 8
PADR   text              = [T3] trimmed, padded right with "\u00b7" to 6
AFFIX  text              = [T2] prefixed with "\u00e9-", suffixed with "/\U0001F600"
F3     text              = [T1] first 3 characters
F1     text              = [T2] first 1 character
L2     text              = [T2] last 2 characters
MID    text              = [T1] characters 2 to 4
BEF    text              = [T3] text before "-"
AFT    text              = [T3] text after "-"
CAT    text              = [T1] & "|" & [T2]
CATN   text              = [T1] trimmed & [T3] trimmed
T5     text(5)           = [T2]
REQ    text required     = [T3] trimmed
CONT   boolean           = [T1] contains "a"
STEN   boolean           = [T2] starts with "x" or [T2] ends with "\u00df"
ONE    boolean           = [T3] is one of ("a", "b-c", "-x")
MISS   boolean           = [T1] is missing
PRES   boolean           = not ([T2] is present)
LT     boolean           = [T1] < [T2]
GE     boolean           = [T1] trimmed >= "m" and [T2] is not "abc"
EQ     boolean           = UP is LOW upper cased
IFT    text              = if [T1] is missing then "none" else [T1] lower cased
DEFT   text              = [T2] trimmed defaulting to "(blank)" when missing
skip rows where [T3] is "SKIP"
skip rows where [T1] starts with "line"
reject rows where TRIM is "REJECT": "rejected \\"trim\\""
reject rows where AFT is "c"
"""


def text_row(r, i):
    return [r.choice(TEXT) for _ in range(3)]


NUMBER_PLAN = HEAD % (",", '\\"', "UTF-8", 1, "NUMBERS") + """\
N1    decimal(38,10)  = [N] read as number
N2    decimal(18,2)   = [N] read as number rounded to 2 decimals
N3    decimal(10,0)   = [N] read as number rounded to 0 decimals
N4    decimal(18,1)   = [N] read as number rounded to 1 decimal
N5    decimal(30,4)   = [E] read as number (thousands ".", decimal ",", negative in parentheses, trailing minus, currency "\u20ac")
N6    decimal(38,2)   = [N] read as number (thousands ",", negative in parentheses, trailing minus, currency "$"),
                        rounded to 2 decimals
DIV3  decimal(18,4)   = [N] read as number divided by 3, rounded to 4 decimals
DIVU  decimal(38,12)   = [N] read as number divided by 100
MUL   decimal(38,3)   = [N] read as number multiplied by 1000, rounded to 3 decimals
BIG   decimal(38,0)   = [N] read as number multiplied by 100000000000000000000
I1    bigint          = [I] read as integer
I2    integer         = [I] read as integer
I3    bigint          = [I] read as integer * 2 - 1
I4    decimal(38,2)   = [N] read as number * [I] read as integer, rounded to 2 decimals
I5    integer         = [N] read as number rounded to 0 decimals
SUM   decimal(38,6)   = [N] read as number + [I] read as integer - 0.25
DIV   decimal(38,12)   = [N] read as number / [I] read as integer
NEG   decimal(20,3)   = [N] read as number negated when [F] is "C", rounded to 3 decimals
NEG2  bigint          = [I] read as integer negated
ABS   decimal(38,6)   = [N] read as number absolute value
ABSI  bigint          = [I] read as integer absolute value
DEF   decimal(18,2)   = [N] read as number rounded to 2 decimals defaulting to 0 when missing
DEFI  bigint          = [I] read as integer defaulting to -1 when missing
GT    boolean         = [N] read as number > 0.5
LE    boolean         = [I] read as integer <= 3 or [N] read as number <= -1
IFN   decimal(18,2)   = if [F] is "C" then [N] read as number rounded to 2 decimals else 0
NTXT  text(20)        = [N] read as number
ITXT  text            = [I] read as integer
B1    boolean         = [B] read as boolean ("Y" = true, "N" = false)
B2    boolean         = [B2] read as boolean
BEQ   boolean         = B1 is true
BARE  decimal(38,0)    = [I] read as integer
reject rows where N2 < -1000: "too negative"
reject rows where I1 is 5
"""


def number_row(r, i):
    def num():
        if r.random() < 0.3:
            s = r.randint(0, 6)
            u = r.randint(-10 ** 8, 10 ** 8)
            if r.random() < 0.3:   # a tie at this scale
                u = u * 10 + (5 if u >= 0 else -5)
                s += 1
            t = "%d" % abs(u)
            t = t.rjust(s + 1, "0")
            return ("-" if u < 0 else "") + (t[:len(t) - s] + "." + t[len(t) - s:] if s else t)
        return r.choice(NUMBERS)
    bad = r.randrange(6)
    n = num() if bad == 0 or r.random() < 0.3 else r.choice(NUMBERS_OK)
    e = r.choice(EURO) if bad == 1 else r.choice(EURO_OK)
    i = r.choice(INTEGERS) if bad == 2 else r.choice(INTEGERS_OK)
    b = r.choice(BOOLS) if bad == 3 else r.choice(["Y", "N", ""])
    b2 = r.choice(BOOLS) if bad == 4 else r.choice(["", ""])
    return [n, e, i, r.choice(FLAGS), b, b2]


DATE_PLAN = HEAD % (",", '\\"', "UTF-8", 1, "DATES") + """\
D1    date       = [A] read as MM/DD/YYYY
D2    date       = [B] read as D.M.YYYY
D3    date       = [C] read as M/D/YY (pivot 1950)
D3B   date       = [C] read as M/D/YY (pivot 1990)
D4    date       = [D] read as ISO date
D5    date       = [E] read as Excel serial date
D6    date       = [F] read as "D Mon YYYY"
D7    date       = [G] read as "Month D, YYYY"
D8    date       = [H] read as YYYYMMDD
DAYS  bigint     = days from D1 to D4
TS    timestamp  = D4
DTXT  text       = D8
CMPD  boolean    = D1 < D4 or D2 is D8
DDEF  date       = D1 defaulting to D4 when missing
IFD   date       = if D2 is missing then D8 else D2
reject rows where D6 > D7: "D6 after D7"
"""


def date_row(r, i, dates=[]):
    if not dates:
        dates.extend(edge_dates(random.Random(7)))
    kinds = ["MDY", "DMY", "YY", "ISO", "EXCEL", "MON", "MONTH", "YMD"]
    bad = r.randrange(len(kinds) * 2)
    out = [date_value(r, k, dates, j == bad) for j, k in enumerate(kinds)]
    if r.random() < 0.1:
        out[r.randrange(len(kinds))] = r.choice(["", " "])   # missing values pass through
    return out


MAP_PLAN = HEAD % (";", "'", "UTF-8", 3, "MAPS") + """\
M1    text           = [K] mapped ("A" -> "Alpha", "B" -> "Beta", "A" -> "again", otherwise rejected)
M2    text           = [K] mapped ("A" -> "x", otherwise null)
M3    decimal(10,2)  = [K] mapped ("A" -> 1.5, "B" -> -2, otherwise 0)
M4    boolean        = [K] mapped ("A" -> true, "\u00c4" -> false, otherwise false)
M5    text           = [K] mapped ("A" -> "Alpha", "C" -> "Gamma")
M6    text           = [K] trimmed, upper cased, mapped ("A" -> "up-A", otherwise "other")
LK1   text           = [K] looked up in CODES (otherwise "UNKNOWN")
LK2   text           = [K] looked up in CODES (otherwise rejected)
LK3   text           = [K] looked up in CODES
LK4   text           = [K] looked up in CODES (otherwise null)
ID    text(3) required = [Id]
AMT   decimal(12,2)  = [Amt] read as number (decimal ",")
skip the last 2 rows
skip rows where [K] is "VOID"
skip rows where [Id] is missing and [K] is "Z"
reject rows where AMT < 0: "negative"
reject rows where LK1 is "UNKNOWN" and AMT is missing
lookup CODES from tab "Codes" (key "Code", value "Name"):
  "A" -> "\u00c4lpha"
  "B" -> "B\u00eata"
  "\u00df" -> "eszett"
"""


def map_row(r, i):
    amt = r.choice(["1,5", "-2,25", "", "x", "0,005", "1.5", "12", "(3)", "'4,5'"])
    return [r.choice(KEYS), r.choice(["1", "22", "333", "4444", "", " ", "\u00e9\u00e9\u00e9"]), amt]


NOQUOTE_PLAN = HEAD.replace('quote "%s"', "quote none") % ("\\t", "Windows-1252", 1, "NOQUOTE") + """\
A     text       = [A] trimmed, upper cased
B     text(4)    = [B] lower cased
C     decimal(20,2) = [C] read as number
Q     text       = [Q] & "."
skip rows where [A] contains "skip"
"""


def noquote_row(r, i):
    cp1252 = ["caf\u00e9", "\u20ac5", "na\u00efve", "  x  ", "", 'a"b', '"q"', "\u0152uvre", "skip me", "\u00df"]
    return [r.choice(cp1252), r.choice(cp1252), r.choice(["1", "-2.5", "x", "", " 3 "]), r.choice(cp1252)]


# Records that span lines, many of them: read with tiny partitions (differential.py sets
# spark.sql.files.maxPartitionBytes low), so quoted values open in one partition and close in a
# later one; the quote state at each line start and each record's first line come from the
# per-partition prefix pass of the job's reader.
MULTI = ["", "a\nb", "\n", "\n\n\n", "x\r\ny", '"', '""\n""', 'q"\n"q', ",\n,", "end\n", "\nstart",
         "line " * 30 + "\n" + "more " * 30, "\r\n", " \n\n \n", "'", "a,b\nc", "plain", "p\"q"]
MULTI_PLAN = HEAD % (",", '\\"', "UTF-8", 2, "MULTI") + """\
ONE   text  = [M1] & "|" & [M2]
TWO   text  = [M2] trimmed
LAST  text  = [M3] last 3 characters
reject rows where [M1] is "plain"
"""


def multi_row(r, i):
    return [r.choice(MULTI) for _ in range(3)]


UTF16_PLAN = TEXT_PLAN.replace("encoding UTF-8", "encoding UTF-16LE")

# The rule reader's steps: text cleaning, date parts and arithmetic, directed rounding, length,
# row numbers (small partitions, skip and reject rules and a held-back trailer, so the numbers
# must cross partitions and leave no gaps).
RULE_TEXT = TEXT + ["\u00e9lan \u00c9COLE", "\u01c6ungla \u01c5x", "\U00010400\U00010428 x", "i\u0130 \u0131",
                    "\u03a3\u0391\u03a3 \u03c3\u03b1\u03c2", "  hello   wORLD  ", "a--b--c", "--", "aaa", "aaaa",
                    "no-dash", "\u1fb3 x", "\u01f3 \u01f2", "ab12cd34", "\u0661\u0662 9", "x\u00a0\u00a0y z",
                    "O'NEIL mc DONALD", "  a\t\tb  ", "--x--", "\u00df\u00df", "000123", "0000", "0", "00a00",
                    "\\E\\Ex", "x\\E", "a.a.", "\u00dfx\u00df\u00df"]
RULE_PLAN = HEAD % (",", '\\"', "UTF-8", 1, "RULES") + """\
RN    bigint          = row number
SQ    text            = [T] with spaces collapsed
TI    text            = [T] title cased
TI2   text            = [T] with spaces collapsed, title cased
RE    text            = [T] with "a" replaced by "\u00e4-", with "-" removed
RE2   text            = [T] with "aa" replaced by "b"
DG    text            = [T] digits only
SL0   text            = [T] with leading "0" removed
ST0   text            = [T] with trailing "0" removed
SL2   text            = [T] with leading "aa" removed, with trailing "-" removed
SQE   text            = [T] with leading "\\\\E" removed
SDT   text            = [T] with trailing "a." removed
SSZ   text            = [T] with trailing "\u00df" removed
BL    text            = [T] text before last "-"
AL    text            = [T] text after last "-"
BL2   text            = [T] text before last "aa"
AL2   text            = [T] text after last "a"
LEN   bigint          = length of [T]
LEN2  bigint          = length of [T] trimmed + 1
D     date            = [D] read as ISO date
Y     bigint          = D its year
MO    integer         = D its month
DY    integer         = D its day
Q     bigint          = D its quarter
FY7   bigint          = D its fiscal year (starting month 7)
FY12  bigint          = D its fiscal year (starting month 12)
W1    text            = D written as "YYYYMM"
W2    text            = D written as "Mon"
W3    text            = D written as "Month D, YYYY"
W4    text(8)         = D written as "YY-M-D"
P30   date            = D plus 30 days
M30   date            = D minus 30 days
PFAR  date            = D plus 36500 days
MFAR  date            = D minus 36500 days, end of month
EOM   date            = D end of month
EOMY  bigint          = D plus 1 days, end of month, its day
RU0   decimal(20,0)   = [N] read as number rounded up to 0 decimals
RU2   decimal(20,2)   = [N] read as number rounded up to 2 decimals
RD0   decimal(20,0)   = [N] read as number rounded down to 0 decimals
RD2   decimal(38,2)   = [N] read as number rounded down to 2 decimals
RN2   decimal(12,2)   = row number
RN3   text            = row number
skip the last 3 rows
skip rows where [T] is "SKIP"
reject rows where [T] is "REJECT": "rejected"
reject rows where LEN > 11 and Y > 9000
"""


def rule_row(r, i, dates=[]):
    if not dates:
        dates.extend(edge_dates(random.Random(11)))
    bad = r.randrange(4)
    d = date_value(r, "ISO", dates, bad == 0)
    n = r.choice(NUMBERS) if bad == 1 else r.choice(NUMBERS_OK + ["-1.001", "1.001", "-0.999", "2.345", "-2.345"])
    return [r.choice(RULE_TEXT), d, n]


def main():
    root = sys.argv[1]
    write_case(root, "texts", TEXT_PLAN, ["T1", "T2", "T3"], text_row, 101, split=1024)
    write_case(root, "numbers", NUMBER_PLAN, ["N", "E", "I", "F", "B", "B2"], number_row, 202)
    write_case(root, "dates", DATE_PLAN, list("ABCDEFGH"), date_row, 303)
    write_case(root, "maps", MAP_PLAN, ["K", "Id", "Amt"], map_row, 404, d=";", q="'",
               preamble="report;generated\r\n\n", trailer="TOTAL;;\ntrailer line\n")
    write_case(root, "noquote", NOQUOTE_PLAN, ["A", "B", "C", "Q"], noquote_row, 505, d="\t", q=None,
               enc="cp1252")
    write_case(root, "multiline", MULTI_PLAN, ["M1", "M2", "M3"], multi_row, 606, preamble='x,"y\n',
               split=1024)
    write_case(root, "utf16", UTF16_PLAN, ["T1", "T2", "T3"], text_row, 707, enc="utf-16-le")
    write_case(root, "rules", RULE_PLAN, ["T", "D", "N"], rule_row, 808, split=2048)


if __name__ == "__main__":
    main()
