"""mapforge_runtime — the plan language's semantics for Spark, shared by every generated job.

A generated job.py holds only its plan (one named expression per output column, the rules as named
conditions) and imports this module, shipped beside it (spark-submit --py-files mapforge_runtime.py
job.py INPUT OUTPUT_DIR).  Here: strict dates, half-up rounding, number formats, Unicode trimming
and case mapping, the native reader's quoting rules, and the writers.  Everything runs as Spark
column expressions (pyspark.sql.functions): no Python UDF touches a row, except the quote-state
chain for files whose records span lines.  The module is fixed text (src/compile/mapforge_runtime.py
in mapforge's source, embedded in the binary); the case-mapping tables at its end are generated
from utf8proc.  RUNTIME_VERSION changes whenever its interface or semantics change; a job checks
it (require) before it runs.
"""
import argparse
import json
import os
import re
import shutil
import time

from pyspark.sql import DataFrame, Observation, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

RUNTIME_VERSION = "3"


def require(version):
    """Stop unless this runtime is the version the job was generated for."""
    if version != RUNTIME_VERSION:
        raise SystemExit("mapforge job: error: the job needs mapforge_runtime version %s, this is version %s "
                         "(ship the mapforge_runtime.py generated with the job)" % (version, RUNTIME_VERSION))


# ==== The plan language's semantics as Spark column expressions ==================================
# docs/plan-language.md "Semantics" is the contract; the native engine is the reference.  Every
# value is a V: its kind ('text', 'int', 'dec', 'date', 'bool', 'null'), a column holding it
# (text: never "", an empty result is null; dec: the unscaled value as decimal(38,0), with its
# scale in `s`, because a value's scale is part of it: "1.50" is not "1.5"), and `err`, the
# reject reason of the first failure while computing it (None when it cannot fail).
# Spark's defaults are not trusted where they differ from the plan: ANSI mode is off so that
# overflow gives null (detected and reported), rounding is done on digits (half up), dates are
# parsed with strict patterns and checked to round-trip, trimming uses an explicit class.

DEC0 = DecimalType(38, 0)
WHITE = ("[\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
         "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]")
# the same characters as a list, for btrim (trimming by code points, no regex).  btrim(str, chars)
# takes the text first; the two-argument ltrim/rtrim take the characters first: only btrim is used.
WHITE_CHARS = ("\t\n\x0b\f\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
               + "\u2028\u2029\u202f\u205f\u3000")
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


class JobError(Exception):
    """A failure the job reports as one line (no Python traceback)."""


class V:
    __slots__ = ("t", "c", "s", "err")

    def __init__(self, t, c, s=None, err=None):
        self.t, self.c, self.s, self.err = t, c, s, err


def errs(*es):
    """The first failure, in evaluation order."""
    es = [e for e in es if e is not None]
    if not es:
        return None
    return es[0] if len(es) == 1 else F.coalesce(*es)


def nonempty(c):
    return F.when(c != F.lit(""), c)


def truthy(v):
    return F.coalesce(v.c, F.lit(False)) if v.t == "bool" else F.lit(False)


def p10(k):
    return F.concat(F.lit("1"), F.call_function("repeat", F.lit("0"), k)).cast(DEC0)


def mul_p10(u, k):
    """u * 10^k; null when it leaves 38 digits."""
    return F.when(u == 0, F.lit(0).cast(DEC0)).otherwise((u * p10(k)).cast(DEC0))


def fmt_dec(u, s):
    a = F.abs(u).cast("string")
    p = F.call_function("lpad", a, F.greatest(F.length(a), s + 1), F.lit("0"))
    n = F.length(p)
    return F.concat(F.when(u < 0, F.lit("-")).otherwise(F.lit("")), p.substr(F.lit(1), n - s),
                    F.when(s > 0, F.concat(F.lit("."), p.substr(n - s + 1, s))).otherwise(F.lit("")))


def canon(v):
    """The canonical text of a value (null for null)."""
    if v.t == "text":
        return v.c
    if v.t == "dec":
        return fmt_dec(v.c, v.s)
    if v.t in ("int", "date", "bool"):
        return v.c.cast("string")
    return F.lit(None).cast("string")


def as_text(v):
    return V("text", nonempty(canon(v)), None, v.err) if v.t != "text" else v


def as_dec(v):
    if v.t == "dec":
        return v
    if v.t == "int":
        return V("dec", v.c.cast(DEC0), F.lit(0), v.err)
    return V("dec", F.lit(None).cast(DEC0), F.lit(0), v.err)


def conv(v, t):
    """v as kind t (the checked type of an if / defaulting / mapped value)."""
    if v.t == t:
        return v
    if t == "dec":
        return as_dec(v)
    if t == "text":
        return as_text(v)
    if v.t == "null":
        kinds = {"int": "bigint", "date": "date", "bool": "boolean"}
        return V(t, F.lit(None).cast(kinds.get(t, "string")), None, v.err)
    return v


class Ctx:
    """Where a failure is reported: a column ("COL: ...") or a rule (no prefix)."""

    def __init__(self, column=None):
        self.column = column
        self.prefix = column + ": " if column is not None else ""

    def fail(self, when, *msg):
        return F.when(when, F.concat(F.lit(self.prefix), *msg))

    def fail_value(self, when, v, tail):
        return self.fail(when, F.lit('"'), F.coalesce(canon(v), F.lit("")), F.lit('" ' + tail))


_BOUND = re.compile(r"_v[0-9]+[se]?")


class Job:
    """Builds the per-record evaluation; every intermediate value becomes a column of its own
    (bind), so expressions never grow with the nesting depth of the plan.  The bound columns are
    not one projection each (each projection copies the row): a value goes into the first
    projection after those of the bound values it reads (its level), so the plan costs as many
    projections as its deepest chain of values, and every value of a level is computed side by
    side in one."""

    def __init__(self, df, field_index):
        # the source values the plan reads, each once, and the field count (_nf) in one projection;
        # the fields array goes (every later projection would copy it along)
        cols = {"_s%d" % i: nonempty(F.col("_f")[i]) for i in sorted(set(field_index.values()))}
        cols["_nf"] = F.size("_f")
        self._df, self.n, self.field_index = df.withColumns(cols).drop("_f"), 0, field_index
        self.level = {}     # a bound column not yet projected -> its level (1 = the first projection)
        self.pending = []   # per level: {name: column}

    @property
    def df(self):
        """The records with every value bound so far (the pending projections applied)."""
        for cols in self.pending:
            self._df = self._df.withColumns(cols)
        self.pending, self.level = [], {}
        return self._df

    def bind(self, v):
        self.n += 1
        name = "_v%d" % self.n
        cols = {name: v.c}
        if v.s is not None:
            cols[name + "s"] = v.s
        if v.err is not None:
            cols[name + "e"] = v.err
        # the bound columns an expression reads appear by name in its text (a literal that looks
        # like one only puts the value in a later projection: never too early)
        lvl = 1 + max((self.level.get(m, 0) for c in cols.values() for m in _BOUND.findall(c._jc.toString())),
                      default=0)
        while len(self.pending) < lvl:
            self.pending.append({})
        self.pending[lvl - 1].update(cols)
        for k in cols:
            self.level[k] = lvl
        return V(v.t, F.col(name), F.col(name + "s") if v.s is not None else None,
                 F.col(name + "e") if v.err is not None else None)

    # ---- values ----
    def src(self, name):
        return V("text", F.col("_s%d" % self.field_index[name]))

    def col(self, t, name, scale=None):
        return V(t, F.col(name), F.lit(scale) if scale is not None else None)

    # ---- text steps: a number or a date is used as its canonical text ----
    def trim(self, ctx, v):
        v = as_text(v)
        return self.bind(V("text", nonempty(F.call_function("btrim", v.c, F.lit(WHITE_CHARS))), None, v.err))

    def case(self, ctx, v, upper, special, placeholder, simple):
        # Spark's upper/lower use full case mappings (eszett -> SS); the plan says simple mappings:
        # the characters whose mappings differ are set aside and mapped by the table.
        v = as_text(v)
        c = F.translate(v.c, special, placeholder) if special else v.c
        c = F.upper(c) if upper else F.lower(c)
        if special:
            c = F.translate(c, placeholder, simple)
            if all(ord(ch) >= 128 for ch in special + placeholder):
                # ASCII text (as many bytes as characters) holds none of them: Spark's own mapping,
                # without the two translations (a dictionary lookup per character)
                plain = F.upper(v.c) if upper else F.lower(v.c)
                c = F.when(F.octet_length(v.c) == F.length(v.c), plain).otherwise(c)
        return self.bind(V("text", nonempty(c), None, v.err))

    def pad(self, ctx, v, ch, n, left):
        v = as_text(v)
        if n <= 0:
            return v
        fill = F.call_function("repeat", F.lit(ch), F.lit(n) - F.length(v.c))
        padded = F.concat(fill, v.c) if left else F.concat(v.c, fill)
        return self.bind(V("text", F.when(F.length(v.c) >= n, v.c).otherwise(padded), None, v.err))

    def affix(self, ctx, v, text, prefix):
        v = as_text(v)
        c = F.concat(F.lit(text), v.c) if prefix else F.concat(v.c, F.lit(text))
        return self.bind(V("text", nonempty(c), None, v.err))

    def chars(self, ctx, v, lo, hi):
        """Characters lo..hi (1-based, inclusive; code points)."""
        v = as_text(v)
        if hi < lo:
            return V("text", F.lit(None).cast("string"), None, v.err)
        return self.bind(V("text", nonempty(v.c.substr(F.lit(lo), F.lit(hi - lo + 1))), None, v.err))

    def last(self, ctx, v, n):
        v = as_text(v)
        if n <= 0:
            return V("text", F.lit(None).cast("string"), None, v.err)
        start = F.greatest(F.length(v.c) - n + 1, F.lit(1))
        return self.bind(V("text", nonempty(v.c.substr(start, F.lit(n))), None, v.err))

    def before(self, ctx, v, sep):
        v = as_text(v)
        if sep == "":
            return v
        i = F.instr(v.c, sep)
        return self.bind(V("text", F.when(i == 0, v.c).otherwise(nonempty(v.c.substr(F.lit(1), i - 1))),
                           None, v.err))

    def after(self, ctx, v, sep):
        v = as_text(v)
        if sep == "":
            return V("text", F.lit(None).cast("string"), None, v.err)
        i = F.instr(v.c, sep)
        rest = v.c.substr(i + len(sep), F.length(v.c))
        return self.bind(V("text", F.when(i > 0, nonempty(rest)), None, v.err))

    def before_last(self, ctx, v, sep):
        """Text before the last sep (the whole text when there is none)."""
        v = as_text(v)
        after = F.substring_index(v.c, sep, -1)
        cut = F.length(v.c) - F.length(after) - len(sep)
        return self.bind(V("text", F.when(F.instr(v.c, sep) == 0, v.c)
                               .otherwise(nonempty(v.c.substr(F.lit(1), cut))), None, v.err))

    def after_last(self, ctx, v, sep):
        """Text after the last sep (null when there is none)."""
        v = as_text(v)
        return self.bind(V("text", F.when(F.instr(v.c, sep) > 0, nonempty(F.substring_index(v.c, sep, -1))),
                           None, v.err))

    def replace(self, ctx, v, old, new):
        """Every occurrence, left to right, not overlapping; literal text."""
        v = as_text(v)
        return self.bind(V("text", nonempty(F.replace(v.c, F.lit(old), F.lit(new))), None, v.err))

    def squish(self, ctx, v):
        """Excel's TRIM over the plan's white space: ends removed, inner runs become one space."""
        v = as_text(v)
        c = F.call_function("btrim", v.c, F.lit(WHITE_CHARS))
        return self.bind(V("text", nonempty(F.regexp_replace(c, WHITE + "+", " ")), None, v.err))

    def title(self, ctx, v, special, placeholder, simple):
        """Simple lower case mappings (as `lower cased`), then initcap: the first character and each
        one after a space title cased (Spark's own definition, which the native engine follows)."""
        low = self.case(ctx, v, False, special, placeholder, simple)
        return self.bind(V("text", F.initcap(low.c), None, low.err))

    def strip(self, ctx, v, x, trailing):
        """x removed again and again at the start (trailing: the end); a value made only of x keeps one x."""
        v = as_text(v)
        q = "\\Q" + x.replace("\\E", "\\E\\\\E\\Q") + "\\E"
        pat = "(?:" + q + ")+\\z" if trailing else "\\A(?:" + q + ")+"
        c = F.regexp_replace(v.c, pat, "")
        return self.bind(V("text", F.when(c == F.lit(""), F.lit(x)).otherwise(c), None, v.err))

    def digits(self, ctx, v):
        v = as_text(v)
        return self.bind(V("text", nonempty(F.regexp_replace(v.c, "[^0-9]", "")), None, v.err))

    def length(self, ctx, v):
        v = as_text(v)
        return self.bind(V("int", F.length(v.c).cast("bigint"), None, v.err))

    # ---- dates: parts, writing, arithmetic ----
    def _need_date(self, ctx, v):
        if v.t in ("date", "null"):
            return v
        return V("date", F.lit(None).cast("date"), None,
                 errs(v.err, ctx.fail_value(canon(v).isNotNull(), v, "is not a date")))

    def date_part(self, ctx, v, part, start=0):
        v = self._need_date(ctx, v)
        if part == "year":
            c = F.year(v.c)
        elif part == "month":
            c = F.month(v.c)
        elif part == "day":
            c = F.dayofmonth(v.c)
        elif part == "quarter":
            c = F.quarter(v.c)
        else:   # a fiscal year is named by the calendar year it ends in
            c = F.year(v.c) + F.when(F.month(v.c) >= start, 1).otherwise(0)
        return self.bind(V("int", c.cast("bigint"), None, v.err))

    def format_date(self, ctx, v, parts):
        """parts: (kind, literal) with kinds YYYY YY MM M DD D Mon Month and "" for literal text."""
        v = self._need_date(ctx, v)
        names = F.array(*[F.lit(m) for m in MONTHS])
        out = []
        for kind, text in parts:
            y, m, d = F.year(v.c), F.month(v.c), F.dayofmonth(v.c)
            if kind == "YYYY":
                out.append(F.lpad(y.cast("string"), 4, "0"))
            elif kind == "YY":
                out.append(F.lpad((y % 100).cast("string"), 2, "0"))
            elif kind in ("MM", "DD"):
                out.append(F.lpad((m if kind == "MM" else d).cast("string"), 2, "0"))
            elif kind in ("M", "D"):
                out.append((m if kind == "M" else d).cast("string"))
            elif kind in ("Mon", "Month"):
                name = F.element_at(names, m)
                out.append(name.substr(1, 3) if kind == "Mon" else name)
            else:
                out.append(F.lit(text))
        return self.bind(V("text", F.when(v.c.isNotNull(), F.concat(*out)), None, v.err))

    def add_days(self, ctx, v, n):
        """plus / minus n days; a result outside years 1 to 9999 rejects."""
        v = self._need_date(ctx, v)
        r = F.date_add(v.c, n)
        bad = v.c.isNotNull() & ((F.datediff(v.c, F.lit("0001-01-01").cast("date")) + n < 0) |
                                 (F.datediff(F.lit("9999-12-31").cast("date"), v.c) - n < 0))
        what = "%s %d days is out of range for date" % ("minus" if n < 0 else "plus", abs(n))
        return self.bind(V("date", F.when(~bad, r), None, errs(v.err, ctx.fail_value(bad, v, what))))

    def end_of_month(self, ctx, v):
        v = self._need_date(ctx, v)
        return self.bind(V("date", F.last_day(v.c), None, v.err))

    # ---- reading: "read as" ignores leading and trailing spaces and tabs ----
    @staticmethod
    def blank_trimmed(v):
        return F.call_function("btrim", canon(v), F.lit(" \t"))

    def read_date(self, ctx, v, regex, year, month, day, pivot, what):
        """year/month/day: (group, kind); kinds YYYY, YY, MM (digits), MON, MONTH (names)."""
        if v.t == "date":
            return v
        s = self.blank_trimmed(v)
        ok, groups = match_groups(s, regex, max(year[0], month[0], day[0]))
        g = {k: groups[grp - 1] for k, (grp, _) in (("y", year), ("m", month), ("d", day))}
        y = g["y"].cast("int")
        if year[1] == "YY":
            base = pivot - pivot % 100
            y = F.when(y + base < pivot, y + base + 100).otherwise(y + base)
        if month[1] in ("MON", "MONTH"):
            m = ((F.call_function("instr", F.lit("janfebmaraprmayjunjulaugsepoctnovdec"),
                                  F.lower(g["m"].substr(1, 3))) + 2) / 3).cast("int")
        else:
            m = g["m"].cast("int")
        d = g["d"].cast("int")
        return self._date(ctx, v, ok, y, m, d, what)

    def _date(self, ctx, v, ok, y, m, d, what):
        dt = F.make_date(y, m, d)
        # strict: the date must exist and read back as the same year, month and day
        good = (ok & y.between(1, 9999) & dt.isNotNull() & (F.year(dt) == y) & (F.month(dt) == m)
                & (F.dayofmonth(dt) == d))
        good = F.coalesce(good, F.lit(False))
        bad = v.c.isNotNull() & ~good
        return self.bind(V("date", F.when(good, dt), None, errs(v.err, ctx.fail_value(bad, v, "is not " + what))))

    def read_iso(self, ctx, v):
        if v.t == "date":
            return v
        s = self.blank_trimmed(v)
        rx = ("\\A([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?"
              "(?:Z|[+-]([0-9]{2}):?([0-9]{2}))?)?\\z")
        matched, groups = match_groups(s, rx, 8)
        g = [None] + groups

        def le(i, hi):   # an absent part is fine; a present one must be in range
            return (g[i] == "") | (g[i].cast("int") <= hi)
        ok = matched & le(4, 23) & le(5, 59) & le(6, 60) & le(7, 23) & le(8, 59)
        return self._date(ctx, v, ok, g[1].cast("int"), g[2].cast("int"), g[3].cast("int"), "an ISO date")

    def read_excel(self, ctx, v):
        if v.t == "date":
            return v
        s = self.blank_trimmed(v)
        rx = "\\A0*([0-9]*)(?:\\.[0-9]+)?\\z"
        matched, (digits,) = match_groups(s, rx, 1)
        n = F.when(matched & (F.length(digits) <= 8), digits.cast("int"))
        ok = F.coalesce(n.between(1, 2958465) & (n != 60), F.lit(False))
        # serial 1 = 1900-01-01; after 60 one day ahead (Excel's fictitious 1900-02-29)
        dt = F.date_add(F.lit("1899-12-31").cast("date"), n - F.when(n > 60, 1).otherwise(0))
        bad = v.c.isNotNull() & ~ok
        return self.bind(V("date", F.when(ok, dt), None,
                           errs(v.err, ctx.fail_value(bad, v, "is not an Excel serial date"))))

    def read_number(self, ctx, v, regex, currency, decimal, thousands):
        """regex: the whole accepted language (markers in any order, once each); the sign is
        negative when exactly one of '-', '(' marks it.  The regex is the only one: once it has
        matched, what is left after the currency text and the characters -+() space tab is digits,
        the thousands separators and at most one decimal mark with only digits after it, so the
        parts come from deleting characters (byte-search replaces, drop_chars)."""
        if v.t in ("int", "dec"):
            return as_dec(v)
        s = canon(v)
        bare = F.replace(s, F.lit(currency), F.lit("")) if currency else s
        negs = count_char(bare, "-") + count_char(bare, "(")
        body = drop_chars(bare, "-+() \t")
        frac = F.when(F.instr(body, decimal) > 0, F.substring_index(body, decimal, -1)).otherwise(F.lit(""))
        u = drop_chars(body, (thousands or "") + decimal).cast(DEC0)
        scale = F.length(frac)
        ok = F.coalesce(s.rlike(regex) & (negs <= 1) & u.isNotNull() & (scale <= 38), F.lit(False))
        bad = v.c.isNotNull() & ~ok
        u = F.when(ok, F.when(negs == 1, -u).otherwise(u))
        return self.bind(V("dec", u, F.when(ok, scale).otherwise(F.lit(0)),
                           errs(v.err, ctx.fail_value(bad, v, "is not a number"))))

    def read_integer(self, ctx, v):
        if v.t == "int":
            return v
        s = self.blank_trimmed(v)
        u = F.when(s.rlike("\\A[+-]?[0-9]+\\z"), s.cast(DEC0))
        ok = F.coalesce(u.between(INT64_MIN, INT64_MAX), F.lit(False))
        bad = v.c.isNotNull() & ~ok
        return self.bind(V("int", F.when(ok, u.cast("bigint")), None,
                           errs(v.err, ctx.fail_value(bad, v, "is not an integer"))))

    def read_boolean(self, ctx, v, pairs):
        if v.t == "bool":
            return v
        s = self.blank_trimmed(v)
        chain = None
        for key, b in _first(pairs):   # a key mapped to anything but true/false does not read
            cond = s == F.lit(key)
            val = F.lit(b) if b is not None else F.lit(None).cast("boolean")
            chain = F.when(cond, val) if chain is None else chain.when(cond, val)
        val = chain if chain is not None else F.lit(None).cast("boolean")
        ok = v.c.isNotNull() & val.isNotNull()
        bad = v.c.isNotNull() & ~F.coalesce(ok, F.lit(False))
        return self.bind(V("bool", val, None, errs(v.err, ctx.fail_value(bad, v, "is not a boolean"))))

    def mapped(self, ctx, v, t, pairs, otherwise, other, lookup=None):
        """pairs: [(key, V literal)], first wins.  otherwise: keep | null | value | reject."""
        s = canon(v)
        found = F.lit(False)
        vals, scales = None, None
        keys = []
        for key, val in _first(pairs):
            keys.append(key)
            val = conv(val, t)
            cond = s == F.lit(key)
            vals = F.when(cond, val.c) if vals is None else vals.when(cond, val.c)
            if t == "dec":
                scales = F.when(cond, val.s) if scales is None else scales.when(cond, val.s)
        found = F.coalesce(s.isin(keys), F.lit(False)) if keys else F.lit(False)
        if otherwise == "keep":
            dflt = conv(v, t)
        elif otherwise == "value":
            dflt = conv(other, t)
        else:
            dflt = conv(V("null", None), t)
        vals = dflt.c if vals is None else vals.otherwise(dflt.c)
        if t == "dec":
            scales = (dflt.s if scales is None else scales.otherwise(dflt.s))
        err = None
        if otherwise == "reject":
            bad = v.c.isNotNull() & ~found
            tail = ("is not in " + lookup) if lookup is not None else "is not one of the mapped values"
            err = ctx.fail_value(bad, v, tail)
        return self.bind(V(t, F.when(v.c.isNotNull(), vals), scales if t == "dec" else None, errs(v.err, err)))

    # ---- numbers: exact decimals, half up ----
    def _dec_out(self, ctx, u, s, when_ok, *prior):
        ovf = when_ok & u.isNull()
        return self.bind(V("dec", u, s, errs(*prior, ctx.fail(ovf, F.lit("arithmetic overflow")))))

    def arith(self, ctx, op, a, b):
        present = a.c.isNotNull() & b.c.isNotNull()
        if a.t == "int" and b.t == "int" and op != "/":
            x, y = a.c.cast(DEC0), b.c.cast(DEC0)
            r = x + y if op == "+" else x - y if op == "-" else x * y
            r = F.when(r.between(INT64_MIN, INT64_MAX), r.cast(DEC0))
            ovf = present & r.isNull()
            return self.bind(V("int", r.cast("bigint"), None,
                               errs(a.err, b.err, ctx.fail(ovf, F.lit("arithmetic overflow")))))
        a, b = as_dec(a), as_dec(b)
        if op in "+-":
            m = F.greatest(a.s, b.s)
            x, y = mul_p10(a.c, m - a.s), mul_p10(b.c, m - b.s)
            r = (x + y if op == "+" else x - y).cast(DEC0)
            return self._dec_out(ctx, F.when(present, r), m, present, a.err, b.err)
        if op == "*":
            s = a.s + b.s
            r = F.when(s <= 38, (a.c * b.c).cast(DEC0))
            return self._dec_out(ctx, F.when(present, r), s, present, a.err, b.err)
        return self._div(ctx, a, b, present, a.err, b.err)

    def _div(self, ctx, a, b, present, *prior):
        zero = present & (b.c == 0)
        s = F.greatest(a.s, F.lit(12))
        k = s + b.s - a.s
        num = F.when(k >= 0, mul_p10(a.c, k)).otherwise(a.c)
        den = F.when(k >= 0, b.c).otherwise(mul_p10(b.c, -k))
        r = num % den
        q = ((num - r) / den).cast(DEC0)
        up = F.when(F.abs(r) >= F.abs(den) - F.abs(r), F.when((num < 0) != (den < 0), -1).otherwise(1)) \
              .otherwise(0)
        u = F.when(den.isNull() & num.isNotNull(), F.lit(0).cast(DEC0)).otherwise((q + up).cast(DEC0))
        u = F.when(present & ~zero, u)
        ovf = present & ~zero & u.isNull()
        return self.bind(V("dec", u, s, errs(*prior, ctx.fail(zero, F.lit("division by zero")),
                                             ctx.fail(ovf, F.lit("arithmetic overflow")))))

    def scaled(self, ctx, v, op, ku, ks):
        """multiplied by / divided by a literal (unscaled ku, scale ks)."""
        k = V("dec", F.lit(ku).cast(DEC0), F.lit(ks))
        a = as_dec(v)
        if op == "*":
            return self.arith(ctx, "*", a, k)
        return self._div(ctx, a, k, a.c.isNotNull(), a.err)

    def round(self, ctx, v, n, mode=0):
        """mode 0: half up; 1: up (away from zero); 2: down (toward zero)."""
        a = as_dec(v)
        present = a.c.isNotNull()
        if n > 38:
            return self._dec_out(ctx, F.lit(None).cast(DEC0), F.lit(n), present, a.err)
        # fewer decimals: drop digits, +1 when the first dropped digit is 5 or more (half up), when
        # any dropped digit is not 0 (up), never (down)
        digits = F.abs(a.c).cast("string")
        k = a.s - n
        ln = F.length(digits)
        kept = F.when(ln > k, digits.substr(F.lit(1), ln - k)).otherwise(F.lit("0")).cast(DEC0)
        first = F.when(ln >= k, digits.substr(ln - k + 1, F.lit(1))).otherwise(F.lit("0"))
        if mode == 1:
            dropped = F.when(ln > k, digits.substr(ln - k + 1, k)).otherwise(digits)
            bump = F.call_function("btrim", dropped, F.lit("0")) != F.lit("")
        else:
            bump = first >= F.lit("5") if mode == 0 else F.lit(False)
        mag = kept + F.when(bump, 1).otherwise(0)
        down = F.when(a.c < 0, -mag).otherwise(mag).cast(DEC0)
        u = F.when(k <= 0, mul_p10(a.c, -k)).otherwise(down)
        return self._dec_out(ctx, F.when(present, u), F.lit(n), present, a.err)

    def negate(self, ctx, v, when=None, absolute=False):
        flip = v.c.isNotNull()
        if absolute:
            flip = flip & (v.c < 0)
        prior = [v.err] + ([when.err] if when is not None else [])
        if when is not None:
            flip = flip & truthy(when)
        if v.t == "int":
            ovf = flip & (v.c == F.lit(INT64_MIN))
            c = F.when(flip, -v.c).otherwise(v.c)
            return self.bind(V("int", c, None, errs(*prior, ctx.fail(ovf, F.lit("arithmetic overflow")))))
        a = as_dec(v)
        return self.bind(V("dec", F.when(flip, -a.c).otherwise(a.c).cast(DEC0), a.s, errs(*prior)))

    def default(self, ctx, v, t, value):
        v, value = conv(v, t), conv(value, t)
        s = None
        if t == "dec":
            s = F.when(v.c.isNotNull(), v.s).otherwise(value.s)
        err = errs(v.err, F.when(v.c.isNull(), value.err) if value.err is not None else None)
        return self.bind(V(t, F.coalesce(v.c, value.c), s, err))

    # ---- operators ----
    def concat(self, ctx, a, b):
        c = nonempty(F.concat(F.coalesce(canon(a), F.lit("")), F.coalesce(canon(b), F.lit(""))))
        return self.bind(V("text", c, None, errs(a.err, b.err)))

    def days(self, ctx, a, b):
        return self.bind(V("int", F.datediff(b.c, a.c).cast("bigint"), None, errs(a.err, b.err)))

    def if_(self, ctx, t, c, a, b):
        a, b = conv(a, t), conv(b, t)
        ok = truthy(c)
        s = F.when(ok, a.s).otherwise(b.s) if t == "dec" else None
        berr = None
        if a.err is not None or b.err is not None:
            berr = F.when(ok, a.err if a.err is not None else F.lit(None).cast("string")) \
                    .otherwise(b.err if b.err is not None else F.lit(None).cast("string"))
        return self.bind(V(t, F.when(ok, a.c).otherwise(b.c), s, errs(c.err, berr)))

    # ---- conditions: never null; a null operand makes them false ----
    def cmp(self, ctx, op, a, b):
        if a.t in ("int", "dec") and b.t in ("int", "dec"):
            if a.t == "int" and b.t == "int":
                x, y = a.c, b.c
            else:
                a2, b2 = as_dec(a), as_dec(b)
                m = F.greatest(a2.s, b2.s)
                x, y = mul_p10(a2.c, m - a2.s), mul_p10(b2.c, m - b2.s)
        elif a.t == b.t and a.t in ("date", "bool", "text"):
            x, y = a.c, b.c
        else:
            x, y = canon(a), canon(b)
        r = {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
        return self.bind(V("bool", F.coalesce(r, F.lit(False)), None, errs(a.err, b.err)))

    def missing(self, ctx, v, present=False):
        return self.bind(V("bool", v.c.isNotNull() if present else v.c.isNull(), None, v.err))

    def is_one_of(self, ctx, v, items):
        r = F.coalesce(canon(v).isin(list(items)), F.lit(False)) if items else F.lit(False)
        return self.bind(V("bool", r, None, v.err))

    def text_test(self, ctx, v, kind, text):
        s = canon(v)
        r = s.contains(text) if kind == "contains" else s.startswith(text) if kind == "starts" \
            else s.endswith(text)
        return self.bind(V("bool", F.coalesce(r, F.lit(False)), None, v.err))

    def not_(self, ctx, v):
        return self.bind(V("bool", ~truthy(v), None, v.err))

    def and_or(self, ctx, is_and, a, b):
        ta, tb = truthy(a), truthy(b)
        r = (ta & tb) if is_and else (ta | tb)
        berr = None
        if b.err is not None:
            berr = F.when(ta if is_and else ~ta, b.err)
        return self.bind(V("bool", r, None, errs(a.err, berr)))

    # ---- assignment to the column's type ----
    def assign(self, ctx, v, t, required, length=0, prec=0, scale=0, small=False):
        missing = v.c.isNull()
        req = None
        if required:
            req = F.when(missing, F.lit(ctx.column + " is required but missing"))
        if t == "text":
            out = as_text(v)
            bad = None
            if length > 0:
                bad = ctx.fail_value(F.length(out.c) > length, v, "is longer than %d characters" % length)
            return self.bind(V("text", out.c, None, errs(v.err, req, bad)))
        if t == "int":
            if v.t == "int":
                c, whole, rng = v.c, None, None
                if small:
                    rng = ctx.fail_value(~v.c.between(-(2 ** 31), 2 ** 31 - 1), v, "is out of range for integer")
                return self.bind(V("int", c, None, errs(v.err, req, rng)))
            a = as_dec(v)
            frac_ok, u = self._rescale(a, F.lit(0))
            lo, hi = (-(2 ** 31), 2 ** 31 - 1) if small else (INT64_MIN, INT64_MAX)
            whole = ctx.fail_value(~missing & ~frac_ok, v, "is not a whole number")
            rng = ctx.fail_value(~missing & ~F.coalesce(u.between(lo, hi), F.lit(False)), v,
                                 "is out of range for integer" if small else "is out of range for bigint")
            return self.bind(V("int", u.cast("bigint"), None, errs(v.err, req, whole, rng)))
        if t == "dec":
            a = as_dec(v)
            p = prec if prec > 0 else 38
            frac_ok, u = self._rescale(a, F.lit(scale))
            lost = ~missing & ~frac_ok
            too_big = ~missing & frac_ok & F.coalesce(F.length(F.abs(u).cast("string")) > p, F.lit(True))
            err = errs(v.err, req, ctx.fail_value(lost, v, "has more than %d decimals" % scale),
                       ctx.fail_value(too_big, v, "has more than %d digits" % p))
            return self.bind(V("dec", u, F.lit(scale), err))
        return self.bind(V(t, v.c, None, errs(v.err, req)))

    @staticmethod
    def _rescale(a, s):
        """(no non-zero digit is lost, the unscaled value at scale s or null on overflow)"""
        k = a.s - s
        digits = F.abs(a.c).cast("string")
        ln = F.length(digits)
        dropped = F.when(ln > k, digits.substr(ln - k + 1, k)).otherwise(digits)
        exact = (k <= 0) | (F.call_function("btrim", dropped, F.lit("0")) == "")
        kept = F.when(ln > k, digits.substr(F.lit(1), ln - k)).otherwise(F.lit("0")).cast(DEC0)
        down = F.when(a.c < 0, -kept).otherwise(kept).cast(DEC0)
        u = F.when(k <= 0, mul_p10(a.c, -k)).otherwise(down)
        return F.coalesce(exact, F.lit(True)), u


_SEP = "\x01"


def count_char(c, ch):
    """How many times the one-byte character ch occurs in c (byte searches, no regex)."""
    return F.octet_length(c) - F.octet_length(F.replace(c, F.lit(ch), F.lit("")))


def drop_chars(c, chars):
    """c without the characters in chars: a byte-search replace per character (found nowhere in the
    usual value: no copy), cheaper on short values than translate's lookup per character."""
    for ch in dict.fromkeys(chars):
        c = F.replace(c, F.lit(ch), F.lit(""))
    return c


def split_pattern(ch):
    """The one character ch as a split pattern that takes Java's String.split fast path (no regex
    compiled per value): itself, or escaped when it is a regex metacharacter."""
    return "\\" + ch if ch in ".$|()[{^?*+\\" else ch


def match_groups(s, regex, n):
    """(matched, [group 1..n] as text, "" when a group took no part) of an anchored regex on s, with
    one regex pass: the match is replaced by SEP g1 SEP g2 ... and split (a one-character split is
    no regex in Java).  The result starts with SEP only when the regex matched, as long as s itself
    holds no SEP; a pattern that could match SEP itself (a literal \\x{1} in a date format) is read
    the plain way, one extract per group."""
    if "\\x{1}" in regex:
        return F.coalesce(s.rlike(regex), F.lit(False)), [F.regexp_extract(s, regex, i) for i in range(1, n + 1)]
    r = F.regexp_replace(s, regex, "".join(_SEP + "$%d" % i for i in range(1, n + 1)))
    matched = F.coalesce(~s.contains(_SEP) & r.startswith(_SEP), F.lit(False))
    parts = F.split(r, _SEP, -1)
    return matched, [parts.getItem(i) for i in range(1, n + 1)]


def _first(pairs):
    """Repeated keys keep their first value (the first mapping line wins)."""
    seen = set()
    for k, v in pairs:
        if k not in seen:
            seen.add(k)
            yield k, v


def ref(v):
    """An output column used by a later statement: its value (its failure is already counted)."""
    return V(v.t, v.c, v.s)


def lit_text(s):
    return V("text", F.lit(s) if s else F.lit(None).cast("string"))


def lit_int(i):
    return V("int", F.lit(i).cast("bigint"))


def lit_dec(u, s):
    return V("dec", F.lit(u).cast(DEC0), F.lit(s))


def lit_bool(b):
    return V("bool", F.lit(b))


def lit_null():
    return V("null", F.lit(None))


# ==== Reading the file: physical lines, records, fields =========================================

def csv_field(c):
    """RFC 4180, as the native writer: quoted iff the text holds , " CR or LF (byte searches: no
    regex on the row path for it)."""
    c = F.coalesce(c, F.lit(""))
    special = c.contains(",") | c.contains('"') | c.contains("\r") | c.contains("\n")
    return F.when(special, F.concat(F.lit('"'), F.replace(c, F.lit('"'), F.lit('""')), F.lit('"'))).otherwise(c)


def csv_text(v):
    """A value as its output CSV field: the canonical text of a number, a date or a boolean holds
    none of the characters that need quotes (digits, '-', '.', letters), so only text is checked."""
    if v.t in ("int", "dec", "date", "bool", "null"):
        return F.coalesce(canon(v), F.lit(""))
    return csv_field(canon(v))


def rx_char(ch):
    return "\\x{%x}" % ord(ch)


def _quote_rx(source):
    """Java regexes over one physical line (no LF in it), under the native rules: f0 — read from a
    field start, the line ends inside a quoted field; f1 — the same, read from inside a quoted
    field; g1 — read from inside a quoted field, the line holds no closing quote."""
    q, d = rx_char(source["quote"]), rx_char(source["delimiter"])
    inq = "[^%s]*+(?:%s%s[^%s]*+)*+" % (q, q, q, q)   # inside quotes, up to a lone quote or the end
    fld = "(?:%s%s%s[^%s]*+|[^%s%s][^%s]*+|)" % (q, inq, q, d, d, q, d)   # a field that ends on the line
    body = "(?:%s%s)*+%s%s\\z" % (fld, d, q, inq)   # whole fields, then one whose quote stays open
    return "\\A" + body, "\\A%s(?:\\z|%s[^%s]*+%s%s)" % (inq, q, d, d, body), "\\A%s\\z" % inq


# The quote state at the start of every line is a prefix computation over the file's lines.  A
# window without a partition would pull the whole file onto one task, so it is computed in two
# passes instead: each partition's effect (for either state at its start) is folded locally, the
# small per-partition results are chained on the driver, and a second pass walks each partition
# from its now known start.  These Python functions only move the per-line quote flags (data
# movement plumbing, not plan semantics); the flags themselves come from the regexes above.

def _pass1(p, rows, skips):
    """One row per partition: (p, lines, then for a start outside / inside quotes: the end state,
    the last local line that starts outside quotes or -1, and whether any line ends inside
    quotes).  Preamble lines are skipped."""
    skip, n = skips.get(p, 0), 0
    st, last, went = [False, True], [-1, -1], [False, True]
    for k, r in enumerate(rows):
        n = k + 1
        if k < skip:
            continue
        for s in (0, 1):
            if not st[s]:
                last[s] = k
            st[s] = r[1] if st[s] else r[0]
            went[s] = went[s] or st[s]
    yield p, n, st[0], last[0], went[0], st[1], last[1], went[1]


def _pass2(p, rows, skips, starts):
    """The lines of partition p that are not single-line records: (line index, record start or
    -1 for a blank line, whether a quote opened on it is still open at its end)."""
    skip, off, (state, rs) = skips.get(p, 0), starts[p][0], starts[p][1:]
    for k, (f0, f1, g1, blank) in enumerate(rows):
        if k < skip:
            continue
        i = off + k
        opened = (f1 and not g1) if state else f0
        if not state:
            rs = i
            if blank:
                yield i, -1, False
                continue
        if state or opened:
            yield i, rs, opened
        state = f1 if state else f0


def _line_stats(lines, source, blank):
    """One pass over the lines: per partition, its line count, its first non-blank line (local
    index and text) and whether any line leaves a quote open (then records may span lines)."""
    aggs = [F.count(F.lit(1)).alias("n"),
            F.min(F.when(~blank, F.col("_k"))).alias("k"),
            F.min_by("_text", F.when(~blank, F.col("_k"))).alias("t")]
    if source["quote"]:
        # a line without the quote character cannot leave one open: the regex runs on the others only
        aggs.append(F.max(F.col("_text").contains(source["quote"]) & F.col("_text").rlike(_quote_rx(source)[0]))
                    .alias("open"))
    else:
        aggs.append(F.lit(False).alias("open"))
    return {r["_p"]: r for r in lines.groupBy("_p").agg(*aggs).collect()}


def _records_by_lines(spark, path, source):
    """(records, header fields, in_order) from the file read as lines on many partitions.  Lines get
    their global index from the per-partition line counts (one pass that also finds the header
    and whether any record spans lines).  Usually every non-blank line is a record and the records
    stay in their partitions, in file order (in_order true).  When a line leaves a quote open, a
    record is a line that starts outside quotes and its continuation lines (rare: only those are
    grouped, by a shuffle, so in_order is false)."""
    pre = source["header_line"] - 1
    lines = spark.read.text(path, lineSep="\n").select(
        F.spark_partition_id().alias("_p"),
        F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1).alias("_k"),
        # the bytes as they are in the file (text is not re-encoded), decoded as the plan says
        F.decode(F.col("value").cast("binary"), source["charset"]).alias("_text"))
    if source["bom"]:
        lines = lines.withColumn("_text", F.when((F.col("_p") == 0) & (F.col("_k") == 0), F.regexp_replace(
            "_text", "\\A\\x{FEFF}", "")).otherwise(F.col("_text")))
    nparts = lines.rdd.getNumPartitions()
    blank = (F.col("_text") == "") | (F.col("_text") == "\r")
    stats = _line_stats(lines, source, blank)
    offs, o = [], 0
    for p in range(nparts):
        offs.append(o)
        o += stats[p]["n"] if p in stats else 0
    skips = {p: max(0, min(stats[p]["n"] if p in stats else 0, pre - offs[p])) for p in range(nparts) if pre > offs[p]}
    spans = any(r["open"] for r in stats.values())
    cont = None
    if spans:
        flags = lines.select(*[F.col("_text").rlike(rx) for rx in _quote_rx(source)], blank)
        summary = sorted(flags.rdd.mapPartitionsWithIndex(lambda p, rows: _pass1(p, rows, skips)).collect())
        starts, state, rs, went_in = [], False, -1, False
        for p, n, e0, l0, w0, e1, l1, w1 in summary:
            starts.append((offs[p], state, rs))
            end, last, went = (e1, l1, w1) if state else (e0, l0, w0)
            rs = offs[p] + last if last >= 0 else rs
            state, went_in = end, went_in or went
        if went_in:
            cont = spark.createDataFrame(flags.rdd.mapPartitionsWithIndex(
                lambda p, rows: _pass2(p, rows, skips, starts)), "_i long, _s long, _o boolean").cache()
        if state:
            opened = cont.where("_o").agg(F.max("_i")).first()[0] + 1
            raise JobError("line %d: unterminated quoted field: the quote opened on line %d is never closed "
                           "before the end of the file" % (opened, opened))
    idx = F.element_at(F.array(*[F.lit(o) for o in offs]), F.col("_p") + 1) + F.col("_k")
    lines = lines.withColumn("_i", idx).where(F.col("_i") >= pre)
    if cont is None:
        recs = lines.where(~blank).select(F.col("_i").alias("_start"), "_text")
    else:
        j = lines.join(F.broadcast(cont.select("_i", "_s")), "_i", "left")
        single = j.where(F.col("_s").isNull()).select(F.col("_i").alias("_start"), "_text")
        multi = j.where(F.col("_s") >= 0).groupBy("_s").agg(
            F.sort_array(F.collect_list(F.struct("_i", "_text"))).alias("_ls")).select(
            F.col("_s").alias("_start"), F.array_join(F.transform("_ls", lambda x: x["_text"]), "\n").alias("_text"))
        recs = single.unionByName(multi)
    # _rec orders the records (it need not count them): the physical line where each starts
    recs = recs.select((F.col("_start") + 1).alias("_rec"), (F.col("_start") + 1).alias("_line"), "_text")
    # the header: the first record.  From the statistics when it is a single line at or after the
    # preamble; else (a preamble with a blank-free partition start, or a header spanning lines)
    # by asking for the first record, which reads the file once more
    firsts = [(offs[p] + r["k"], r["t"]) for p, r in stats.items() if r["k"] is not None]
    first = min(firsts) if firsts else None
    header = None
    if cont is None and first is not None and first[0] >= pre:
        header = (first[0] + 1, first[1])
    else:
        row = recs.orderBy("_rec").select("_rec", "_text").first()
        header = (row[0], row[1]) if row is not None else None
    return recs, header, cont is None


def _records_whole(spark, path, source):
    """(_rec, _line, _text) of every record, reading the whole file as one value and splitting it
    with one regular expression: bounded by Spark's 2 GB value limit and one task.  Used for
    UTF-16 only, whose line ends are not the byte 0x0A that the line reader splits on."""
    text = spark.read.format("binaryFile").load(path).select(
        F.decode(F.col("content"), source["charset"]).alias("t"))
    t = F.col("t")
    if source["bom"]:
        t = F.regexp_replace(t, "\\A\\x{FEFF}", "")
    if source["header_line"] > 1:
        t = F.regexp_replace(t, "\\A(?:[^\\n]*+\\n){%d}" % (source["header_line"] - 1), "")
    q, d = source["quote"], rx_char(source["delimiter"])
    if q:
        qq = rx_char(q)
        # a quoted field (doubled quotes inside, then stray text) or an unquoted one
        quoted = "%s[^%s]*+(?:%s%s[^%s]*+)*+%s[^%s\\n]*+" % (qq, qq, qq, qq, qq, qq, d)
        fld = "(?:%s|[^%s\\n]*+)" % (quoted, d)
    else:
        fld = "[^%s\\n]*+" % d
    rec_rx = "(%s(?:%s%s)*+)(?:\\n|\\z)" % (fld, d, fld)
    lines = text.select(F.posexplode(F.call_function("regexp_extract_all", t, F.lit(rec_rx), F.lit(1)))
                        .alias("_idx", "_text"))
    nl = F.length("_text") - F.length(F.replace(F.col("_text"), F.lit("\n"), F.lit("")))
    w = Window.orderBy("_idx")
    lines = lines.withColumn("_line", F.col("_idx") + source["header_line"] + F.coalesce(
        F.sum(nl).over(w.rowsBetween(Window.unboundedPreceding, -1)), F.lit(0)))
    recs = lines.where((F.col("_text") != "") & (F.col("_text") != "\r"))
    return recs.withColumn("_rec", F.row_number().over(w)).select("_rec", "_line", "_text")


def _fields(recs, source, bad=False):
    """The records with _raw (the text without its CR), _f (the fields) and, when bad (the UTF-16
    path, which checks quotes after splitting), _bad."""
    q, d = source["quote"], rx_char(source["delimiter"])
    raw_text = F.when(F.col("_text").endswith("\r"), F.expr("substr(_text, 1, length(_text) - 1)")) \
                .otherwise(F.col("_text"))
    recs = recs.select("_rec", "_line", raw_text.alias("_raw"))
    line = F.concat(F.lit(source["delimiter"]), F.col("_raw"))
    # a record without the quote character: split on the delimiter (no regex)
    split = F.split(F.col("_raw"), split_pattern(source["delimiter"]), -1)
    unclosed = None
    if q:
        qq = rx_char(q)
        rx = "%s(?:%s([^%s]*+(?:%s%s[^%s]*+)*+)%s([^%s]*+)|([^%s]*+))" % (d, qq, qq, qq, qq, qq, qq, d, d)
        # each group's matches come from one scan of the record, zipped field by field: the function
        # applied to each field only reads them (a group's scan inside it would run once per field)
        parts = F.arrays_zip(*[F.call_function("regexp_extract_all", line, F.lit(rx), F.lit(i)).alias("g%d" % i)
                               for i in (1, 2, 3)])
        fields = F.transform(parts, lambda x: F.concat(F.replace(x["g1"], F.lit(q + q), F.lit(q)), x["g2"], x["g3"]))
        # a record whose quoted fields hold no doubled quote (and that holds no SEP): one regex pass
        # rewrites each field to SEP and its value, split on SEP (the first piece is empty): the
        # same fields as above, without the three scans and the per-field function (interpreted)
        flat = F.split(F.regexp_replace(line, rx, _SEP + "$1$2$3"), _SEP, -1)
        simple = ~F.col("_raw").contains(q + q) & ~F.col("_raw").contains(_SEP)
        # most records hold no quote character: split on the delimiter (one pass, no capture groups)
        plain = ~F.col("_raw").contains(q)
        fields = F.when(plain, split).when(simple, F.slice(flat, 2, 1 << 30)).otherwise(fields)
        if bad:
            # an unquoted field that starts with a quote: that quote is never closed.  _bad: the line
            # ends before it in the record (inside earlier quoted fields), else null
            pos = F.array_position(F.transform(parts, lambda x: x["g3"].startswith(q)), True)
            before = F.array_join(F.slice(F.transform(parts, lambda x: x["g1"]), F.lit(1), (pos - 1).cast("int")), "")
            unclosed = F.when(~plain & (pos > 0), F.length(before) - F.length(F.replace(before, F.lit("\n"), F.lit(""))))
    else:
        fields = split
    recs = recs.withColumn("_f", fields)
    return recs.withColumn("_bad", unclosed if unclosed is not None else F.lit(None).cast("int")) if bad else recs


def leaf(df):
    """df as a new plan leaf over the same rows, not materialised: its query is planned once here,
    and plans built on the result do not plan it again.  A plan is a chain of one projection per
    value (Job.bind) over the reader's projections and filters; without the cut Spark's planner
    walks that chain again for every operator above it, which grows faster than the chain (minutes
    for a few dozen values).  The rows are recomputed by each action (nothing is cached), and they
    are the same each time: the file's splits and the ids taken from them are deterministic."""
    jss = df.sparkSession._jsparkSession
    qe = df._jdf.queryExecution()
    return DataFrame(jss.internalCreateDataFrame(qe.toRdd(), df._jdf.schema(), False), df.sparkSession)


def _no_header(source):
    return JobError("no header row found: the file is empty (or has only blank lines) from line %d"
                    % source["header_line"])


def read_records(spark, path, source):
    """(records, header names, in_order).  records: _rec (orders them), _line (physical line where it
    starts, 1-based), _raw (its text), _f (its fields); in_order: the partitions hold the records in
    file order (partition i before i + 1, each in order), so writing them keeps the input order.
    The native reader's rules (src/read/csv.c): lines before the header line are the preamble; a
    quote opens a quoted field only at the start of a field (elsewhere it is text); inside, a doubled
    quote is a quote and line ends are text; text after the closing quote, up to the delimiter, is
    kept as part of the value; a record ends at LF (a CR before it is not part of the record); blank
    lines are not records."""
    if source["charset"].startswith("UTF-16"):
        recs = _fields(_records_whole(spark, path, source), source, bad=True).cache()
        first = recs.orderBy("_rec").select("_rec", "_f", "_line").first()
        if first is None:
            raise _no_header(source)
        bad = recs.where(F.col("_bad").isNotNull()).orderBy("_rec").select(F.col("_line") + F.col("_bad")).first()
        if bad is not None:
            raise JobError("line %d: unterminated quoted field: the quote opened on line %d is never closed "
                           "before the end of the file" % (bad[0], bad[0]))
        names, first_rec, in_order = first["_f"], first["_rec"], False
    else:
        lines, header, in_order = _records_by_lines(spark, path, source)
        if header is None:
            raise _no_header(source)
        first_rec = header[0]
        one = spark.createDataFrame([(first_rec, first_rec, header[1])], "_rec long, _line long, _text string")
        names = _fields(one, source).first()["_f"]
        recs = _fields(lines, source)
    names = [n.strip(" \t") for n in names]
    recs = leaf(recs)
    data = recs.where(F.col("_rec") > first_rec).withColumn("_rec", F.col("_rec") - first_rec)
    if "_bad" in data.columns:
        data = data.drop("_bad")
    return data, names, in_order


# ==== Writing: Spark's writers, part files in input order =========================================
# Every output is a directory of part files written by the executors (part-00000, part-00001, ...
# in input order) with _SUCCESS; the output and the rejects come from one pass (one write
# partitioned by the row's fate).  Only when the target is a plain local path are the part files
# concatenated into the single files the native engine writes, after the job.

def _jvm_fs(spark, uri):
    """(Hadoop FileSystem, Path) for any URI Spark can write (file:, hdfs:, abfss:, s3a:, ...)."""
    jpath = spark._jvm.org.apache.hadoop.fs.Path(uri)
    return jpath.getFileSystem(spark._jsc.hadoopConfiguration()), jpath


def is_local(uri):
    """A plain path (no scheme): the driver can write the single-file outputs there."""
    return "://" not in uri and not uri.startswith("file:")


def _join(base, name):
    return base.rstrip("/") + "/" + name


def _move(spark, src, dst):
    fs, s = _jvm_fs(spark, src)
    _, d = _jvm_fs(spark, dst)
    if fs.exists(d):
        fs.delete(d, True)
    if fs.exists(s):
        if not fs.rename(s, d):
            raise JobError("cannot move %s to %s" % (src, dst))
    else:
        fs.mkdirs(d)   # no rows of this kind: an empty directory
    fs.create(spark._jvm.org.apache.hadoop.fs.Path(_join(dst, "_SUCCESS")), True).close()


def _write_small(spark, uri, text):
    fs, path = _jvm_fs(spark, uri)
    out = fs.create(path, True)
    out.write(bytearray(text.encode("utf-8")))
    out.close()


def _parts(directory, suffix):
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if f.startswith("part-") and f.endswith(suffix))


def concat_lines(directory, header, path):
    """The single local file: the header, then the part files in order (then the directory goes)."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(header.encode("utf-8"))
        for part in _parts(directory, ".txt"):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    os.replace(tmp, path)
    shutil.rmtree(directory, ignore_errors=True)


def concat_parquet(directory, path):
    """The single local Parquet file: the parts' row groups in order, one at a time (pyarrow).
    Without pyarrow on the driver the directory stays (Spark's own layout, readable as one table)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(directory, path)
        return
    tmp, writer = path + ".tmp", None
    parts = _parts(directory, ".parquet")
    for part in parts:
        f = pq.ParquetFile(part)
        if writer is None:
            writer = pq.ParquetWriter(tmp, f.schema_arrow)
        for g in range(f.num_row_groups):
            writer.write_table(f.read_row_group(g))
    if writer is None:
        raise JobError("Spark wrote no Parquet file for %s" % path)
    writer.close()
    os.replace(tmp, path)
    shutil.rmtree(directory, ignore_errors=True)


def parquet_value(v, type_name):
    """An output value as the Parquet column of its plan type (what the native writer writes)."""
    if type_name.startswith("decimal"):
        ps = type_name[len("decimal("):-1].split(",") if "(" in type_name else ["38", "0"]
        return fmt_dec(v.c, v.s).cast(DecimalType(int(ps[0]), int(ps[1])))
    kinds = {"integer": "int", "bigint": "bigint", "date": "date", "timestamp": "timestamp",
             "boolean": "boolean"}
    return v.c.cast(kinds.get(type_name, "string"))


def number_rows(df):
    """_rn: each output row's (_k = 0) 1-based position in input (_rec) order, without a global sort
    or a single partition.  The _rec range is cut into about as many buckets as the data has
    partitions (approximate quantiles: they only balance the work, any cuts are correct); the rows
    are numbered within their bucket, and each bucket starts after the counted output rows of the
    buckets before it.  The result is no longer in input order (the numbering is a shuffle)."""
    n = df.rdd.getNumPartitions()
    out = df.where(F.col("_k") == 0)
    cuts = sorted(set(out.approxQuantile("_rec", [i / n for i in range(1, n)], 0.01))) if n > 1 else []
    bucket = F.size(F.filter(F.array(*[F.lit(c) for c in cuts]), lambda c: c < F.col("_rec"))) if cuts else F.lit(0)
    df = df.withColumn("_b", bucket)
    counts = dict(df.where(F.col("_k") == 0).groupBy("_b").count().collect())
    starts, total = [], 0
    for b in range(len(cuts) + 1):
        starts += [F.lit(b), F.lit(total)]
        total += counts.get(b, 0)
    within = F.row_number().over(Window.partitionBy("_b", "_k").orderBy("_rec"))
    return df.withColumn("_rn", (F.create_map(*starts)[F.col("_b")] + within).cast("bigint"))


def rownum_text(rn, type_name):
    """A row number as the column's type writes it: decimal(p,s) with s zeros."""
    if type_name.startswith("decimal(") and not type_name.endswith(",0)"):
        scale = int(type_name[len("decimal("):-1].split(",")[1])
        return F.concat(rn.cast("string"), F.lit("." + "0" * scale))
    return rn.cast("string")


def rownum_parquet(rn, type_name):
    if type_name.startswith("decimal"):
        ps = type_name[len("decimal("):-1].split(",")
        return rn.cast(DecimalType(int(ps[0]), int(ps[1])))
    return rn.cast({"integer": "int", "bigint": "bigint"}.get(type_name, "string"))


def _settings(spark):
    """Spark's defaults are not trusted where they differ from the plan language."""
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # Parquet: dates before 1582 as they are (proleptic Gregorian, as the plan language and the
    # native writer count them), timestamps as INT64 microseconds like the native writer
    for mode in ("datetimeRebaseModeInWrite", "datetimeRebaseModeInRead", "int96RebaseModeInWrite"):
        spark.conf.set("spark.sql.parquet." + mode, "CORRECTED")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    # the output and the rejects are one write partitioned by the row's fate: writers open side by
    # side (no sort by the partition column, which would not keep the input order within a task)
    spark.conf.set("spark.sql.optimizer.plannedWrite.enabled", "false")
    spark.conf.set("spark.sql.maxConcurrentOutputFileWriters", "4")
    # a plan's values make a whole-stage method far beyond the 8,000 bytes the JVM compiles (the
    # ACME plan: 20,562): left interpreted it costs more than the operators run one by one
    # (compiled expression projections); Spark falls back to those above this limit
    spark.conf.set("spark.sql.codegen.hugeMethodLimit", "8000")


def _fates(job, stages, names, plan):
    """(fate, output texts, typed values, row-number columns): fate is a struct (k: 0 output,
    1 rejected, 2 filtered; c: the column; r: the reason) decided by the first failure or rule a row
    meets in the engine's order."""
    fate = F.when(F.col("_nf") != len(names), F.struct(F.lit(1).alias("k"), F.lit(None).cast("string").alias("c"),
                  F.concat(F.lit("record has "), F.col("_nf").cast("string"),
                           F.lit(" fields, expected %d" % len(names))).alias("r")))

    def outcome(k, col, reason):
        return F.struct(F.lit(k).alias("k"), F.lit(col).cast("string").alias("c"), reason.alias("r"))
    texts, typed, rownums = [], [], []
    for st in stages:
        kind, v = st[0], st[1]
        if kind == "rownum":   # known once the output rows are known
            rownums.append(len(texts))
            texts.append(None)
            typed.append(None)
            continue
        if v.err is not None:
            fate = fate.when(v.err.isNotNull(), outcome(1, st[2] if kind == "column" else None, v.err))
        if kind == "skip":
            fate = fate.when(truthy(v), outcome(2, None, F.lit(None).cast("string")))
        elif kind == "reject":
            fate = fate.when(truthy(v), outcome(1, None, F.lit(st[2])))
        else:
            texts.append(csv_text(v))
            typed.append(parquet_value(v, plan["types"][len(typed)]).alias("_p%d" % len(typed)))
    fate = fate.otherwise(outcome(0, None, F.lit(None).cast("string")))
    if len(texts) == 1 and texts[0] is not None:
        # one column, null: written `""`, as the native writer (a blank line is no record)
        texts = [F.when(texts[0] == F.lit(""), F.lit('""')).otherwise(texts[0])]
    return fate, texts, typed, rownums


def run_job(spark, input_path, output_dir, plan, parquet=True):
    """Evaluate the plan on input_path (a path or URI); write into output_dir (a path or URI)
    <output>.csv, rejects.csv, <output>.parquet (unless parquet is false) and run.json.  A plain
    local output_dir gets single files (the native engine's layout); a URI gets Spark's layout:
    each output a directory of part files in input order with _SUCCESS and a _header.csv."""
    t0 = time.time()
    _settings(spark)
    data, names, in_order = read_records(spark, input_path, plan["source"])
    index = {}
    for name in plan["source_columns"]:
        if name not in names:
            raise JobError('%s: the data file has no column "%s"' % (input_path, name))
        index[name] = names.index(name)
    job = Job(data, index)
    fate, texts, typed, rownums = _fates(job, plan["evaluate"](job), names, plan)
    df = job.df.withColumn("_o", fate)
    skip_last = plan["source"]["skip_last"]
    if skip_last > 0:
        # the last skip_last records (_rec orders the records; it does not count them)
        last = data.select("_rec").orderBy(F.col("_rec").desc()).limit(skip_last).collect()
        since = min(r[0] for r in last) if last else 0
        df = df.withColumn("_o", F.when(F.col("_rec") >= since, F.struct(
            F.lit(2).alias("k"), F.lit(None).cast("string").alias("c"), F.lit(None).cast("string").alias("r")))
            .otherwise(F.col("_o")))
    df = leaf(df.select("_rec", "_line", "_raw", F.col("_o.k").alias("_k"), F.col("_o.c").alias("_c"),
                        F.col("_o.r").alias("_r"), *[t.alias("_t%d" % i) for i, t in enumerate(texts) if t is not None],
                        *[t for t in typed if t is not None]))
    if rownums:
        in_order = False
        df = number_rows(df)
        df = df.withColumns({"_t%d" % i: rownum_text(F.col("_rn"), plan["types"][i]) for i in rownums})
        df = df.withColumns({"_p%d" % i: rownum_parquet(F.col("_rn"), plan["types"][i]) for i in rownums})
    if not in_order:
        # records regrouped by a shuffle (lines of one record, row numbers): back into input order
        # by range partitioning on _rec (a distributed sort; never one task)
        df = df.repartitionByRange(max(df.rdd.getNumPartitions(), 1), "_rec").sortWithinPartitions("_rec")
    # the counts are observed during the write (no pass of their own), after any shuffle: a range
    # partitioner's sampling job would count the rows a second time
    counts = Observation("mapforge counts")
    observed = df.observe(counts, F.count(F.lit(1)).alias("rows_in"),
                          *[F.sum((F.col("_k") == k).cast("long")).alias(a)
                            for k, a in ((0, "rows_out"), (1, "rows_rejected"), (2, "rows_filtered"))])
    out_text = F.concat_ws(",", *[F.col("_t%d" % i) for i in range(len(texts))]) if texts else F.lit("")
    rej_text = F.concat_ws(",", F.col("_line").cast("string"), csv_field(F.col("_c")), csv_field(F.col("_r")),
                           csv_field(F.col("_raw")))
    stage = _join(output_dir, "_mapforge_stage")
    observed.where(F.col("_k") != 2).select(F.when(F.col("_k") == 0, out_text).otherwise(rej_text).alias("value"), "_k") \
      .write.mode("overwrite").partitionBy("_k").text(stage)
    n = counts.get
    report_counts = {k: int(n.get(k) or 0) for k in ("rows_in", "rows_out", "rows_rejected", "rows_filtered")}
    if parquet:   # a second pass over the input: the typed columns, output rows only
        df.where(F.col("_k") == 0).select(*[F.col("_p%d" % i).alias(name) for i, name in enumerate(plan["columns"])]) \
          .write.mode("overwrite").parquet(_join(stage, "parquet"))
    header = ",".join(_csv_text(c) for c in plan["columns"]) + "\n"
    rej_header = "line,column,reason,record\n"
    csv_out, rej_out = _join(output_dir, plan["output"] + ".csv"), _join(output_dir, "rejects.csv")
    pq_out = _join(output_dir, plan["output"] + ".parquet")
    if is_local(output_dir):
        for kind, head, path in (("_k=0", header, csv_out), ("_k=1", rej_header, rej_out)):
            part_dir = os.path.join(stage, kind)
            if not os.path.isdir(part_dir):
                os.makedirs(part_dir)
            concat_lines(part_dir, head, path)
        if parquet:
            concat_parquet(os.path.join(stage, "parquet"), pq_out)
        shutil.rmtree(stage, ignore_errors=True)
    else:
        for kind, head, path in (("_k=0", header, csv_out), ("_k=1", rej_header, rej_out)):
            _move(spark, _join(stage, kind), path)
            _write_small(spark, _join(path, "_header.csv"), head)
        if parquet:
            _move(spark, _join(stage, "parquet"), pq_out)
        fs, sp = _jvm_fs(spark, stage)
        fs.delete(sp, True)
    fs, ip = _jvm_fs(spark, input_path)
    size = fs.getFileStatus(ip).getLen()
    secs = time.time() - t0
    # run.json: the native engine's schema (write/run.c run_report_json); mapforge's own run
    # rewrites it with the input's SHA-256, its timings and the plan's approval (null here)
    report = {"plan_sha256": plan["sha256"], "cache_hit": False, "approval": None, "cache_key": None,
              "input": {"path": input_path, "bytes": size, "sha256": None},
              "output": {"csv": csv_out, "rejects": rej_out}, **report_counts,
              "timings": {"compile_seconds": 0.0, "run_seconds": secs, "total_seconds": secs,
                          "mb_per_s": size / 1e6 / secs if secs > 0 else 0.0}}
    text = json.dumps(report, indent=2) + "\n"
    if is_local(output_dir):
        with open(os.path.join(output_dir, "run.json.tmp"), "w") as f:
            f.write(text)
        os.replace(os.path.join(output_dir, "run.json.tmp"), os.path.join(output_dir, "run.json"))
    else:
        _write_small(spark, _join(output_dir, "run.json"), text)
    return report


def _csv_text(s):
    return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\r\n') else s


def main(plan):
    ap = argparse.ArgumentParser(description="Run the approved mapforge plan %s on Spark." % plan["name"])
    ap.add_argument("input", help="the client data file (a path or URI: file:, hdfs:, abfss:, s3a:)")
    ap.add_argument("output_dir", help="where %s.csv, rejects.csv and run.json are written (a path or URI)"
                    % plan["output"])
    ap.add_argument("--no-parquet", action="store_true", help="do not write %s.parquet" % plan["output"])
    ap.add_argument("--log-level", default="WARN", help="Spark's log level (default WARN)")
    args = ap.parse_args()
    spark = SparkSession.builder.appName("mapforge " + plan["name"]).getOrCreate()
    spark.sparkContext.setLogLevel(args.log_level)
    # Spark's own INFO lines are off: say where the job runs (tests/scripts/spark_cluster.sh reads it)
    print("mapforge job: plan %s on %s" % (plan["name"], spark.sparkContext.master), flush=True)
    try:
        report = run_job(spark, args.input, args.output_dir, plan, parquet=not args.no_parquet)
    except JobError as err:
        raise SystemExit("mapforge job: error: %s" % err)
    finally:
        spark.stop()
    print("mapforge job: %(rows_in)d rows in, %(rows_out)d out, %(rows_rejected)d rejected, "
          "%(rows_filtered)d filtered" % report)
