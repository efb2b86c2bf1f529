/* pyspark.c — the PySpark back end (see pyspark.h).
 *
 * The script has three parts: a header comment (plan, SHA-256, how to run it), the prelude — a
 * fixed Python module that states the plan language's semantics as Spark column expressions and
 * reads/writes files exactly as the native engine does — and the plan itself: one `evaluate(job)`
 * function with one line per expression node, in the native engine's evaluation order (skip
 * rules, columns, reject rules; operands before operators), so the first failure a row meets is
 * the one both back ends report.  Each column carries its provenance as an escaped comment.
 *
 * Safety: all plan text goes through py_str (a Python literal of printable ASCII; everything
 * else \xHH / \uXXXX / \UXXXXXXXX) or py_comment (the same escaping, in a comment that cannot
 * end its line).  Regular expressions built here escape every literal character as \x{H}.
 */
#include "compile/pyspark.h"
#include "util/decimal.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- the prelude (the semantics, as Python over pyspark.sql.functions) ------------------------ */

static const char *const prelude[] = {
    "import argparse\n",
    "import glob\n",
    "import json\n",
    "import os\n",
    "import shutil\n",
    "\n",
    "from pyspark.sql import SparkSession, Window\n",
    "from pyspark.sql import functions as F\n",
    "from pyspark.sql.types import DecimalType\n",
    "\n",
    "\n",
    "# ==== The plan language's semantics as Spark column expressions ==================================\n",
    "# docs/plan-language.md \"Semantics\" is the contract; the native engine is the reference.  Every\n",
    "# value is a V: its kind ('text', 'int', 'dec', 'date', 'bool', 'null'), a column holding it\n",
    "# (text: never \"\", an empty result is null; dec: the unscaled value as decimal(38,0), with its\n",
    "# scale in `s`, because a value's scale is part of it: \"1.50\" is not \"1.5\"), and `err`, the\n",
    "# reject reason of the first failure while computing it (None when it cannot fail).\n",
    "# Spark's defaults are not trusted where they differ from the plan: ANSI mode is off so that\n",
    "# overflow gives null (detected and reported), rounding is done on digits (half up), dates are\n",
    "# parsed with strict patterns and checked to round-trip, trimming uses an explicit class.\n",
    "\n",
    "DEC0 = DecimalType(38, 0)\n",
    "WHITE = (\"[\\\\t\\\\n\\\\x0B\\\\f\\\\r \\\\x{85}\\\\x{A0}\\\\x{1680}\\\\x{2000}-\\\\x{200A}\"\n",
    "         \"\\\\x{2028}\\\\x{2029}\\\\x{202F}\\\\x{205F}\\\\x{3000}]\")\n",
    "INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1\n",
    "MONTHS = [\"January\", \"February\", \"March\", \"April\", \"May\", \"June\", \"July\", \"August\",\n",
    "          \"September\", \"October\", \"November\", \"December\"]\n",
    "\n",
    "\n",
    "class JobError(Exception):\n",
    "    \"\"\"A failure the job reports as one line (no Python traceback).\"\"\"\n",
    "\n",
    "\n",
    "class V:\n",
    "    __slots__ = (\"t\", \"c\", \"s\", \"err\")\n",
    "\n",
    "    def __init__(self, t, c, s=None, err=None):\n",
    "        self.t, self.c, self.s, self.err = t, c, s, err\n",
    "\n",
    "\n",
    "def errs(*es):\n",
    "    \"\"\"The first failure, in evaluation order.\"\"\"\n",
    "    es = [e for e in es if e is not None]\n",
    "    if not es:\n",
    "        return None\n",
    "    return es[0] if len(es) == 1 else F.coalesce(*es)\n",
    "\n",
    "\n",
    "def nonempty(c):\n",
    "    return F.when(c != F.lit(\"\"), c)\n",
    "\n",
    "\n",
    "def truthy(v):\n",
    "    return F.coalesce(v.c, F.lit(False)) if v.t == \"bool\" else F.lit(False)\n",
    "\n",
    "\n",
    "def p10(k):\n",
    "    return F.concat(F.lit(\"1\"), F.call_function(\"repeat\", F.lit(\"0\"), k)).cast(DEC0)\n",
    "\n",
    "\n",
    "def mul_p10(u, k):\n",
    "    \"\"\"u * 10^k; null when it leaves 38 digits.\"\"\"\n",
    "    return F.when(u == 0, F.lit(0).cast(DEC0)).otherwise((u * p10(k)).cast(DEC0))\n",
    "\n",
    "\n",
    "def fmt_dec(u, s):\n",
    "    a = F.abs(u).cast(\"string\")\n",
    "    p = F.call_function(\"lpad\", a, F.greatest(F.length(a), s + 1), F.lit(\"0\"))\n",
    "    n = F.length(p)\n",
    "    return F.concat(F.when(u < 0, F.lit(\"-\")).otherwise(F.lit(\"\")), p.substr(F.lit(1), n - s),\n",
    "                    F.when(s > 0, F.concat(F.lit(\".\"), p.substr(n - s + 1, s))).otherwise(F.lit(\"\")))\n",
    "\n",
    "\n",
    "def canon(v):\n",
    "    \"\"\"The canonical text of a value (null for null).\"\"\"\n",
    "    if v.t == \"text\":\n",
    "        return v.c\n",
    "    if v.t == \"dec\":\n",
    "        return fmt_dec(v.c, v.s)\n",
    "    if v.t in (\"int\", \"date\", \"bool\"):\n",
    "        return v.c.cast(\"string\")\n",
    "    return F.lit(None).cast(\"string\")\n",
    "\n",
    "\n",
    "def as_text(v):\n",
    "    return V(\"text\", nonempty(canon(v)), None, v.err) if v.t != \"text\" else v\n",
    "\n",
    "\n",
    "def as_dec(v):\n",
    "    if v.t == \"dec\":\n",
    "        return v\n",
    "    if v.t == \"int\":\n",
    "        return V(\"dec\", v.c.cast(DEC0), F.lit(0), v.err)\n",
    "    return V(\"dec\", F.lit(None).cast(DEC0), F.lit(0), v.err)\n",
    "\n",
    "\n",
    "def conv(v, t):\n",
    "    \"\"\"v as kind t (the checked type of an if / defaulting / mapped value).\"\"\"\n",
    "    if v.t == t:\n",
    "        return v\n",
    "    if t == \"dec\":\n",
    "        return as_dec(v)\n",
    "    if t == \"text\":\n",
    "        return as_text(v)\n",
    "    if v.t == \"null\":\n",
    "        kinds = {\"int\": \"bigint\", \"date\": \"date\", \"bool\": \"boolean\"}\n",
    "        return V(t, F.lit(None).cast(kinds.get(t, \"string\")), None, v.err)\n",
    "    return v\n",
    "\n",
    "\n",
    "class Ctx:\n",
    "    \"\"\"Where a failure is reported: a column (\"COL: ...\") or a rule (no prefix).\"\"\"\n",
    "\n",
    "    def __init__(self, column=None):\n",
    "        self.column = column\n",
    "        self.prefix = column + \": \" if column is not None else \"\"\n",
    "\n",
    "    def fail(self, when, *msg):\n",
    "        return F.when(when, F.concat(F.lit(self.prefix), *msg))\n",
    "\n",
    "    def fail_value(self, when, v, tail):\n",
    "        return self.fail(when, F.lit('\"'), F.coalesce(canon(v), F.lit(\"\")), F.lit('\" ' + tail))\n",
    "\n",
    "\n",
    "class Job:\n",
    "    \"\"\"Builds the per-record evaluation; every intermediate value becomes a column of its own\n",
    "    (bind), so expressions never grow with the nesting depth of the plan.\"\"\"\n",
    "\n",
    "    def __init__(self, df, field_index):\n",
    "        self.df, self.n, self.field_index = df, 0, field_index\n",
    "\n",
    "    def bind(self, v):\n",
    "        self.n += 1\n",
    "        name = \"_v%d\" % self.n\n",
    "        cols = {name: v.c}\n",
    "        if v.s is not None:\n",
    "            cols[name + \"s\"] = v.s\n",
    "        if v.err is not None:\n",
    "            cols[name + \"e\"] = v.err\n",
    "        self.df = self.df.withColumns(cols)\n",
    "        return V(v.t, F.col(name), F.col(name + \"s\") if v.s is not None else None,\n",
    "                 F.col(name + \"e\") if v.err is not None else None)\n",
    "\n",
    "    # ---- values ----\n",
    "    def src(self, name):\n",
    "        return self.bind(V(\"text\", nonempty(F.col(\"_f\")[self.field_index[name]])))\n",
    "\n",
    "    def col(self, t, name, scale=None):\n",
    "        return V(t, F.col(name), F.lit(scale) if scale is not None else None)\n",
    "\n",
    "    # ---- text steps: a number or a date is used as its canonical text ----\n",
    "    def trim(self, ctx, v):\n",
    "        v = as_text(v)\n",
    "        pat = \"\\\\A\" + WHITE + \"+|\" + WHITE + \"+\\\\z\"\n",
    "        return self.bind(V(\"text\", nonempty(F.regexp_replace(v.c, pat, \"\")), None, v.err))\n",
    "\n",
    "    def case(self, ctx, v, upper, special, placeholder, simple):\n",
    "        # Spark's upper/lower use full case mappings (eszett -> SS); the plan says simple mappings:\n",
    "        # the characters whose mappings differ are set aside and mapped by the table.\n",
    "        v = as_text(v)\n",
    "        c = F.translate(v.c, special, placeholder) if special else v.c\n",
    "        c = F.upper(c) if upper else F.lower(c)\n",
    "        if special:\n",
    "            c = F.translate(c, placeholder, simple)\n",
    "        return self.bind(V(\"text\", nonempty(c), None, v.err))\n",
    "\n",
    "    def pad(self, ctx, v, ch, n, left):\n",
    "        v = as_text(v)\n",
    "        if n <= 0:\n",
    "            return v\n",
    "        fill = F.call_function(\"repeat\", F.lit(ch), F.lit(n) - F.length(v.c))\n",
    "        padded = F.concat(fill, v.c) if left else F.concat(v.c, fill)\n",
    "        return self.bind(V(\"text\", F.when(F.length(v.c) >= n, v.c).otherwise(padded), None, v.err))\n",
    "\n",
    "    def affix(self, ctx, v, text, prefix):\n",
    "        v = as_text(v)\n",
    "        c = F.concat(F.lit(text), v.c) if prefix else F.concat(v.c, F.lit(text))\n",
    "        return self.bind(V(\"text\", nonempty(c), None, v.err))\n",
    "\n",
    "    def chars(self, ctx, v, lo, hi):\n",
    "        \"\"\"Characters lo..hi (1-based, inclusive; code points).\"\"\"\n",
    "        v = as_text(v)\n",
    "        if hi < lo:\n",
    "            return V(\"text\", F.lit(None).cast(\"string\"), None, v.err)\n",
    "        return self.bind(V(\"text\", nonempty(v.c.substr(F.lit(lo), F.lit(hi - lo + 1))), None, v.err))\n",
    "\n",
    "    def last(self, ctx, v, n):\n",
    "        v = as_text(v)\n",
    "        if n <= 0:\n",
    "            return V(\"text\", F.lit(None).cast(\"string\"), None, v.err)\n",
    "        start = F.greatest(F.length(v.c) - n + 1, F.lit(1))\n",
    "        return self.bind(V(\"text\", nonempty(v.c.substr(start, F.lit(n))), None, v.err))\n",
    "\n",
    "    def before(self, ctx, v, sep):\n",
    "        v = as_text(v)\n",
    "        if sep == \"\":\n",
    "            return v\n",
    "        i = F.instr(v.c, sep)\n",
    "        return self.bind(V(\"text\", F.when(i == 0, v.c).otherwise(nonempty(v.c.substr(F.lit(1), i - 1))),\n",
    "                           None, v.err))\n",
    "\n",
    "    def after(self, ctx, v, sep):\n",
    "        v = as_text(v)\n",
    "        if sep == \"\":\n",
    "            return V(\"text\", F.lit(None).cast(\"string\"), None, v.err)\n",
    "        i = F.instr(v.c, sep)\n",
    "        rest = v.c.substr(i + len(sep), F.length(v.c))\n",
    "        return self.bind(V(\"text\", F.when(i > 0, nonempty(rest)), None, v.err))\n",
    "\n",
    "    def before_last(self, ctx, v, sep):\n",
    "        \"\"\"Text before the last sep (the whole text when there is none).\"\"\"\n",
    "        v = as_text(v)\n",
    "        after = F.substring_index(v.c, sep, -1)\n",
    "        cut = F.length(v.c) - F.length(after) - len(sep)\n",
    "        return self.bind(V(\"text\", F.when(F.instr(v.c, sep) == 0, v.c)\n",
    "                               .otherwise(nonempty(v.c.substr(F.lit(1), cut))), None, v.err))\n",
    "\n",
    "    def after_last(self, ctx, v, sep):\n",
    "        \"\"\"Text after the last sep (null when there is none).\"\"\"\n",
    "        v = as_text(v)\n",
    "        return self.bind(V(\"text\", F.when(F.instr(v.c, sep) > 0, nonempty(F.substring_index(v.c, sep, -1))),\n",
    "                           None, v.err))\n",
    "\n",
    "    def replace(self, ctx, v, old, new):\n",
    "        \"\"\"Every occurrence, left to right, not overlapping; literal text.\"\"\"\n",
    "        v = as_text(v)\n",
    "        return self.bind(V(\"text\", nonempty(F.replace(v.c, F.lit(old), F.lit(new))), None, v.err))\n",
    "\n",
    "    def squish(self, ctx, v):\n",
    "        \"\"\"Excel's TRIM over the plan's white space: ends removed, inner runs become one space.\"\"\"\n",
    "        v = as_text(v)\n",
    "        c = F.regexp_replace(v.c, \"\\\\A\" + WHITE + \"+|\" + WHITE + \"+\\\\z\", \"\")\n",
    "        return self.bind(V(\"text\", nonempty(F.regexp_replace(c, WHITE + \"+\", \" \")), None, v.err))\n",
    "\n",
    "    def title(self, ctx, v, special, placeholder, simple):\n",
    "        \"\"\"Simple lower case mappings (as `lower cased`), then initcap: the first character and each\n",
    "        one after a space title cased (Spark's own definition, which the native engine follows).\"\"\"\n",
    "        low = self.case(ctx, v, False, special, placeholder, simple)\n",
    "        return self.bind(V(\"text\", F.initcap(low.c), None, low.err))\n",
    "\n",
    "    def strip(self, ctx, v, x, trailing):\n",
    "        \"\"\"x removed again and again at the start (trailing: the end); a value made only of x keeps one x.\"\"\"\n",
    "        v = as_text(v)\n",
    "        q = \"\\\\Q\" + x.replace(\"\\\\E\", \"\\\\E\\\\\\\\E\\\\Q\") + \"\\\\E\"\n",
    "        pat = \"(?:\" + q + \")+\\\\z\" if trailing else \"\\\\A(?:\" + q + \")+\"\n",
    "        c = F.regexp_replace(v.c, pat, \"\")\n",
    "        return self.bind(V(\"text\", F.when(c == F.lit(\"\"), F.lit(x)).otherwise(c), None, v.err))\n",
    "\n",
    "    def digits(self, ctx, v):\n",
    "        v = as_text(v)\n",
    "        return self.bind(V(\"text\", nonempty(F.regexp_replace(v.c, \"[^0-9]\", \"\")), None, v.err))\n",
    "\n",
    "    def length(self, ctx, v):\n",
    "        v = as_text(v)\n",
    "        return self.bind(V(\"int\", F.length(v.c).cast(\"bigint\"), None, v.err))\n",
    "\n",
    "    # ---- dates: parts, writing, arithmetic ----\n",
    "    def _need_date(self, ctx, v):\n",
    "        if v.t in (\"date\", \"null\"):\n",
    "            return v\n",
    "        return V(\"date\", F.lit(None).cast(\"date\"), None,\n",
    "                 errs(v.err, ctx.fail_value(canon(v).isNotNull(), v, \"is not a date\")))\n",
    "\n",
    "    def date_part(self, ctx, v, part, start=0):\n",
    "        v = self._need_date(ctx, v)\n",
    "        if part == \"year\":\n",
    "            c = F.year(v.c)\n",
    "        elif part == \"month\":\n",
    "            c = F.month(v.c)\n",
    "        elif part == \"day\":\n",
    "            c = F.dayofmonth(v.c)\n",
    "        elif part == \"quarter\":\n",
    "            c = F.quarter(v.c)\n",
    "        else:   # a fiscal year is named by the calendar year it ends in\n",
    "            c = F.year(v.c) + F.when(F.month(v.c) >= start, 1).otherwise(0)\n",
    "        return self.bind(V(\"int\", c.cast(\"bigint\"), None, v.err))\n",
    "\n",
    "    def format_date(self, ctx, v, parts):\n",
    "        \"\"\"parts: (kind, literal) with kinds YYYY YY MM M DD D Mon Month and \"\" for literal text.\"\"\"\n",
    "        v = self._need_date(ctx, v)\n",
    "        names = F.array(*[F.lit(m) for m in MONTHS])\n",
    "        out = []\n",
    "        for kind, text in parts:\n",
    "            y, m, d = F.year(v.c), F.month(v.c), F.dayofmonth(v.c)\n",
    "            if kind == \"YYYY\":\n",
    "                out.append(F.lpad(y.cast(\"string\"), 4, \"0\"))\n",
    "            elif kind == \"YY\":\n",
    "                out.append(F.lpad((y % 100).cast(\"string\"), 2, \"0\"))\n",
    "            elif kind in (\"MM\", \"DD\"):\n",
    "                out.append(F.lpad((m if kind == \"MM\" else d).cast(\"string\"), 2, \"0\"))\n",
    "            elif kind in (\"M\", \"D\"):\n",
    "                out.append((m if kind == \"M\" else d).cast(\"string\"))\n",
    "            elif kind in (\"Mon\", \"Month\"):\n",
    "                name = F.element_at(names, m)\n",
    "                out.append(name.substr(1, 3) if kind == \"Mon\" else name)\n",
    "            else:\n",
    "                out.append(F.lit(text))\n",
    "        return self.bind(V(\"text\", F.when(v.c.isNotNull(), F.concat(*out)), None, v.err))\n",
    "\n",
    "    def add_days(self, ctx, v, n):\n",
    "        \"\"\"plus / minus n days; a result outside years 1 to 9999 rejects.\"\"\"\n",
    "        v = self._need_date(ctx, v)\n",
    "        r = F.date_add(v.c, n)\n",
    "        bad = v.c.isNotNull() & ((F.datediff(v.c, F.lit(\"0001-01-01\").cast(\"date\")) + n < 0) |\n",
    "                                 (F.datediff(F.lit(\"9999-12-31\").cast(\"date\"), v.c) - n < 0))\n",
    "        what = \"%s %d days is out of range for date\" % (\"minus\" if n < 0 else \"plus\", abs(n))\n",
    "        return self.bind(V(\"date\", F.when(~bad, r), None, errs(v.err, ctx.fail_value(bad, v, what))))\n",
    "\n",
    "    def end_of_month(self, ctx, v):\n",
    "        v = self._need_date(ctx, v)\n",
    "        return self.bind(V(\"date\", F.last_day(v.c), None, v.err))\n",
    "\n",
    "    # ---- reading: \"read as\" ignores leading and trailing spaces and tabs ----\n",
    "    @staticmethod\n",
    "    def blank_trimmed(v):\n",
    "        return F.regexp_replace(canon(v), \"\\\\A[ \\\\t]+|[ \\\\t]+\\\\z\", \"\")\n",
    "\n",
    "    def read_date(self, ctx, v, regex, year, month, day, pivot, what):\n",
    "        \"\"\"year/month/day: (group, kind); kinds YYYY, YY, MM (digits), MON, MONTH (names).\"\"\"\n",
    "        if v.t == \"date\":\n",
    "            return v\n",
    "        s = self.blank_trimmed(v)\n",
    "        g = {k: F.regexp_extract(s, regex, grp) for k, (grp, _) in\n",
    "             ((\"y\", year), (\"m\", month), (\"d\", day))}\n",
    "        y = g[\"y\"].cast(\"int\")\n",
    "        if year[1] == \"YY\":\n",
    "            base = pivot - pivot % 100\n",
    "            y = F.when(y + base < pivot, y + base + 100).otherwise(y + base)\n",
    "        if month[1] in (\"MON\", \"MONTH\"):\n",
    "            m = ((F.call_function(\"instr\", F.lit(\"janfebmaraprmayjunjulaugsepoctnovdec\"),\n",
    "                                  F.lower(g[\"m\"].substr(1, 3))) + 2) / 3).cast(\"int\")\n",
    "        else:\n",
    "            m = g[\"m\"].cast(\"int\")\n",
    "        d = g[\"d\"].cast(\"int\")\n",
    "        return self._date(ctx, v, s.rlike(regex), y, m, d, what)\n",
    "\n",
    "    def _date(self, ctx, v, ok, y, m, d, what):\n",
    "        dt = F.make_date(y, m, d)\n",
    "        # strict: the date must exist and read back as the same year, month and day\n",
    "        good = (ok & y.between(1, 9999) & dt.isNotNull() & (F.year(dt) == y) & (F.month(dt) == m)\n",
    "                & (F.dayofmonth(dt) == d))\n",
    "        good = F.coalesce(good, F.lit(False))\n",
    "        bad = v.c.isNotNull() & ~good\n",
    "        return self.bind(V(\"date\", F.when(good, dt), None, errs(v.err, ctx.fail_value(bad, v, \"is not \" + what))))\n",
    "\n",
    "    def read_iso(self, ctx, v):\n",
    "        if v.t == \"date\":\n",
    "            return v\n",
    "        s = self.blank_trimmed(v)\n",
    "        rx = (\"\\\\A([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?\"\n",
    "              \"(?:Z|[+-]([0-9]{2}):?([0-9]{2}))?)?\\\\z\")\n",
    "        g = [F.regexp_extract(s, rx, i) for i in range(9)]\n",
    "\n",
    "        def le(i, hi):   # an absent part is fine; a present one must be in range\n",
    "            return (g[i] == \"\") | (g[i].cast(\"int\") <= hi)\n",
    "        ok = s.rlike(rx) & le(4, 23) & le(5, 59) & le(6, 60) & le(7, 23) & le(8, 59)\n",
    "        return self._date(ctx, v, ok, g[1].cast(\"int\"), g[2].cast(\"int\"), g[3].cast(\"int\"), \"an ISO date\")\n",
    "\n",
    "    def read_excel(self, ctx, v):\n",
    "        if v.t == \"date\":\n",
    "            return v\n",
    "        s = self.blank_trimmed(v)\n",
    "        rx = \"\\\\A0*([0-9]*)(?:\\\\.[0-9]+)?\\\\z\"\n",
    "        digits = F.regexp_extract(s, rx, 1)\n",
    "        n = F.when(s.rlike(rx) & (F.length(digits) <= 8), digits.cast(\"int\"))\n",
    "        ok = F.coalesce(n.between(1, 2958465) & (n != 60), F.lit(False))\n",
    "        # serial 1 = 1900-01-01; after 60 one day ahead (Excel's fictitious 1900-02-29)\n",
    "        dt = F.date_add(F.lit(\"1899-12-31\").cast(\"date\"), n - F.when(n > 60, 1).otherwise(0))\n",
    "        bad = v.c.isNotNull() & ~ok\n",
    "        return self.bind(V(\"date\", F.when(ok, dt), None,\n",
    "                           errs(v.err, ctx.fail_value(bad, v, \"is not an Excel serial date\"))))\n",
    "\n",
    "    def read_number(self, ctx, v, regex, currency, decimal):\n",
    "        \"\"\"regex: the whole accepted language (markers in any order, once each); the sign is\n",
    "        negative when exactly one of '-', '(' marks it.\"\"\"\n",
    "        if v.t in (\"int\", \"dec\"):\n",
    "            return as_dec(v)\n",
    "        s = canon(v)\n",
    "        bare = F.replace(s, F.lit(currency), F.lit(\"\")) if currency else s\n",
    "        negs = F.length(bare) - F.length(F.regexp_replace(bare, \"[-(]\", \"\"))\n",
    "        body = F.regexp_replace(bare, \"[-+() \\\\t]\", \"\")\n",
    "        dec_rx = \"\\\\x{%x}([0-9]*)\" % ord(decimal)\n",
    "        frac = F.regexp_extract(body, dec_rx, 1)\n",
    "        u = F.regexp_replace(body, \"[^0-9]\", \"\").cast(DEC0)\n",
    "        scale = F.length(frac)\n",
    "        ok = F.coalesce(s.rlike(regex) & (negs <= 1) & u.isNotNull() & (scale <= 38), F.lit(False))\n",
    "        bad = v.c.isNotNull() & ~ok\n",
    "        u = F.when(ok, F.when(negs == 1, -u).otherwise(u))\n",
    "        return self.bind(V(\"dec\", u, F.when(ok, scale).otherwise(F.lit(0)),\n",
    "                           errs(v.err, ctx.fail_value(bad, v, \"is not a number\"))))\n",
    "\n",
    "    def read_integer(self, ctx, v):\n",
    "        if v.t == \"int\":\n",
    "            return v\n",
    "        s = self.blank_trimmed(v)\n",
    "        u = F.when(s.rlike(\"\\\\A[+-]?[0-9]+\\\\z\"), s.cast(DEC0))\n",
    "        ok = F.coalesce(u.between(INT64_MIN, INT64_MAX), F.lit(False))\n",
    "        bad = v.c.isNotNull() & ~ok\n",
    "        return self.bind(V(\"int\", F.when(ok, u.cast(\"bigint\")), None,\n",
    "                           errs(v.err, ctx.fail_value(bad, v, \"is not an integer\"))))\n",
    "\n",
    "    def read_boolean(self, ctx, v, pairs):\n",
    "        if v.t == \"bool\":\n",
    "            return v\n",
    "        s = self.blank_trimmed(v)\n",
    "        chain = None\n",
    "        for key, b in _first(pairs):   # a key mapped to anything but true/false does not read\n",
    "            cond = s == F.lit(key)\n",
    "            val = F.lit(b) if b is not None else F.lit(None).cast(\"boolean\")\n",
    "            chain = F.when(cond, val) if chain is None else chain.when(cond, val)\n",
    "        val = chain if chain is not None else F.lit(None).cast(\"boolean\")\n",
    "        ok = v.c.isNotNull() & val.isNotNull()\n",
    "        bad = v.c.isNotNull() & ~F.coalesce(ok, F.lit(False))\n",
    "        return self.bind(V(\"bool\", val, None, errs(v.err, ctx.fail_value(bad, v, \"is not a boolean\"))))\n",
    "\n",
    "    def mapped(self, ctx, v, t, pairs, otherwise, other, lookup=None):\n",
    "        \"\"\"pairs: [(key, V literal)], first wins.  otherwise: keep | null | value | reject.\"\"\"\n",
    "        s = canon(v)\n",
    "        found = F.lit(False)\n",
    "        vals, scales = None, None\n",
    "        keys = []\n",
    "        for key, val in _first(pairs):\n",
    "            keys.append(key)\n",
    "            val = conv(val, t)\n",
    "            cond = s == F.lit(key)\n",
    "            vals = F.when(cond, val.c) if vals is None else vals.when(cond, val.c)\n",
    "            if t == \"dec\":\n",
    "                scales = F.when(cond, val.s) if scales is None else scales.when(cond, val.s)\n",
    "        found = F.coalesce(s.isin(keys), F.lit(False)) if keys else F.lit(False)\n",
    "        if otherwise == \"keep\":\n",
    "            dflt = conv(v, t)\n",
    "        elif otherwise == \"value\":\n",
    "            dflt = conv(other, t)\n",
    "        else:\n",
    "            dflt = conv(V(\"null\", None), t)\n",
    "        vals = dflt.c if vals is None else vals.otherwise(dflt.c)\n",
    "        if t == \"dec\":\n",
    "            scales = (dflt.s if scales is None else scales.otherwise(dflt.s))\n",
    "        err = None\n",
    "        if otherwise == \"reject\":\n",
    "            bad = v.c.isNotNull() & ~found\n",
    "            tail = (\"is not in \" + lookup) if lookup is not None else \"is not one of the mapped values\"\n",
    "            err = ctx.fail_value(bad, v, tail)\n",
    "        return self.bind(V(t, F.when(v.c.isNotNull(), vals), scales if t == \"dec\" else None, errs(v.err, err)))\n",
    "\n",
    "    # ---- numbers: exact decimals, half up ----\n",
    "    def _dec_out(self, ctx, u, s, when_ok, *prior):\n",
    "        ovf = when_ok & u.isNull()\n",
    "        return self.bind(V(\"dec\", u, s, errs(*prior, ctx.fail(ovf, F.lit(\"arithmetic overflow\")))))\n",
    "\n",
    "    def arith(self, ctx, op, a, b):\n",
    "        present = a.c.isNotNull() & b.c.isNotNull()\n",
    "        if a.t == \"int\" and b.t == \"int\" and op != \"/\":\n",
    "            x, y = a.c.cast(DEC0), b.c.cast(DEC0)\n",
    "            r = x + y if op == \"+\" else x - y if op == \"-\" else x * y\n",
    "            r = F.when(r.between(INT64_MIN, INT64_MAX), r.cast(DEC0))\n",
    "            ovf = present & r.isNull()\n",
    "            return self.bind(V(\"int\", r.cast(\"bigint\"), None,\n",
    "                               errs(a.err, b.err, ctx.fail(ovf, F.lit(\"arithmetic overflow\")))))\n",
    "        a, b = as_dec(a), as_dec(b)\n",
    "        if op in \"+-\":\n",
    "            m = F.greatest(a.s, b.s)\n",
    "            x, y = mul_p10(a.c, m - a.s), mul_p10(b.c, m - b.s)\n",
    "            r = (x + y if op == \"+\" else x - y).cast(DEC0)\n",
    "            return self._dec_out(ctx, F.when(present, r), m, present, a.err, b.err)\n",
    "        if op == \"*\":\n",
    "            s = a.s + b.s\n",
    "            r = F.when(s <= 38, (a.c * b.c).cast(DEC0))\n",
    "            return self._dec_out(ctx, F.when(present, r), s, present, a.err, b.err)\n",
    "        return self._div(ctx, a, b, present, a.err, b.err)\n",
    "\n",
    "    def _div(self, ctx, a, b, present, *prior):\n",
    "        zero = present & (b.c == 0)\n",
    "        s = F.greatest(a.s, F.lit(12))\n",
    "        k = s + b.s - a.s\n",
    "        num = F.when(k >= 0, mul_p10(a.c, k)).otherwise(a.c)\n",
    "        den = F.when(k >= 0, b.c).otherwise(mul_p10(b.c, -k))\n",
    "        r = num % den\n",
    "        q = ((num - r) / den).cast(DEC0)\n",
    "        up = F.when(F.abs(r) >= F.abs(den) - F.abs(r), F.when((num < 0) != (den < 0), -1).otherwise(1)) \\\n",
    "              .otherwise(0)\n",
    "        u = F.when(den.isNull() & num.isNotNull(), F.lit(0).cast(DEC0)).otherwise((q + up).cast(DEC0))\n",
    "        u = F.when(present & ~zero, u)\n",
    "        ovf = present & ~zero & u.isNull()\n",
    "        return self.bind(V(\"dec\", u, s, errs(*prior, ctx.fail(zero, F.lit(\"division by zero\")),\n",
    "                                             ctx.fail(ovf, F.lit(\"arithmetic overflow\")))))\n",
    "\n",
    "    def scaled(self, ctx, v, op, ku, ks):\n",
    "        \"\"\"multiplied by / divided by a literal (unscaled ku, scale ks).\"\"\"\n",
    "        k = V(\"dec\", F.lit(ku).cast(DEC0), F.lit(ks))\n",
    "        a = as_dec(v)\n",
    "        if op == \"*\":\n",
    "            return self.arith(ctx, \"*\", a, k)\n",
    "        return self._div(ctx, a, k, a.c.isNotNull(), a.err)\n",
    "\n",
    "    def round(self, ctx, v, n, mode=0):\n",
    "        \"\"\"mode 0: half up; 1: up (away from zero); 2: down (toward zero).\"\"\"\n",
    "        a = as_dec(v)\n",
    "        present = a.c.isNotNull()\n",
    "        if n > 38:\n",
    "            return self._dec_out(ctx, F.lit(None).cast(DEC0), F.lit(n), present, a.err)\n",
    "        # fewer decimals: drop digits, +1 when the first dropped digit is 5 or more (half up), when\n",
    "        # any dropped digit is not 0 (up), never (down)\n",
    "        digits = F.abs(a.c).cast(\"string\")\n",
    "        k = a.s - n\n",
    "        ln = F.length(digits)\n",
    "        kept = F.when(ln > k, digits.substr(F.lit(1), ln - k)).otherwise(F.lit(\"0\")).cast(DEC0)\n",
    "        first = F.when(ln >= k, digits.substr(ln - k + 1, F.lit(1))).otherwise(F.lit(\"0\"))\n",
    "        if mode == 1:\n",
    "            dropped = F.when(ln > k, digits.substr(ln - k + 1, k)).otherwise(digits)\n",
    "            bump = F.regexp_replace(dropped, \"0\", \"\") != F.lit(\"\")\n",
    "        else:\n",
    "            bump = first >= F.lit(\"5\") if mode == 0 else F.lit(False)\n",
    "        mag = kept + F.when(bump, 1).otherwise(0)\n",
    "        down = F.when(a.c < 0, -mag).otherwise(mag).cast(DEC0)\n",
    "        u = F.when(k <= 0, mul_p10(a.c, -k)).otherwise(down)\n",
    "        return self._dec_out(ctx, F.when(present, u), F.lit(n), present, a.err)\n",
    "\n",
    "    def negate(self, ctx, v, when=None, absolute=False):\n",
    "        flip = v.c.isNotNull()\n",
    "        if absolute:\n",
    "            flip = flip & (v.c < 0)\n",
    "        prior = [v.err] + ([when.err] if when is not None else [])\n",
    "        if when is not None:\n",
    "            flip = flip & truthy(when)\n",
    "        if v.t == \"int\":\n",
    "            ovf = flip & (v.c == F.lit(INT64_MIN))\n",
    "            c = F.when(flip, -v.c).otherwise(v.c)\n",
    "            return self.bind(V(\"int\", c, None, errs(*prior, ctx.fail(ovf, F.lit(\"arithmetic overflow\")))))\n",
    "        a = as_dec(v)\n",
    "        return self.bind(V(\"dec\", F.when(flip, -a.c).otherwise(a.c).cast(DEC0), a.s, errs(*prior)))\n",
    "\n",
    "    def default(self, ctx, v, t, value):\n",
    "        v, value = conv(v, t), conv(value, t)\n",
    "        s = None\n",
    "        if t == \"dec\":\n",
    "            s = F.when(v.c.isNotNull(), v.s).otherwise(value.s)\n",
    "        err = errs(v.err, F.when(v.c.isNull(), value.err) if value.err is not None else None)\n",
    "        return self.bind(V(t, F.coalesce(v.c, value.c), s, err))\n",
    "\n",
    "    # ---- operators ----\n",
    "    def concat(self, ctx, a, b):\n",
    "        c = nonempty(F.concat(F.coalesce(canon(a), F.lit(\"\")), F.coalesce(canon(b), F.lit(\"\"))))\n",
    "        return self.bind(V(\"text\", c, None, errs(a.err, b.err)))\n",
    "\n",
    "    def days(self, ctx, a, b):\n",
    "        return self.bind(V(\"int\", F.datediff(b.c, a.c).cast(\"bigint\"), None, errs(a.err, b.err)))\n",
    "\n",
    "    def if_(self, ctx, t, c, a, b):\n",
    "        a, b = conv(a, t), conv(b, t)\n",
    "        ok = truthy(c)\n",
    "        s = F.when(ok, a.s).otherwise(b.s) if t == \"dec\" else None\n",
    "        berr = None\n",
    "        if a.err is not None or b.err is not None:\n",
    "            berr = F.when(ok, a.err if a.err is not None else F.lit(None).cast(\"string\")) \\\n",
    "                    .otherwise(b.err if b.err is not None else F.lit(None).cast(\"string\"))\n",
    "        return self.bind(V(t, F.when(ok, a.c).otherwise(b.c), s, errs(c.err, berr)))\n",
    "\n",
    "    # ---- conditions: never null; a null operand makes them false ----\n",
    "    def cmp(self, ctx, op, a, b):\n",
    "        if a.t in (\"int\", \"dec\") and b.t in (\"int\", \"dec\"):\n",
    "            if a.t == \"int\" and b.t == \"int\":\n",
    "                x, y = a.c, b.c\n",
    "            else:\n",
    "                a2, b2 = as_dec(a), as_dec(b)\n",
    "                m = F.greatest(a2.s, b2.s)\n",
    "                x, y = mul_p10(a2.c, m - a2.s), mul_p10(b2.c, m - b2.s)\n",
    "        elif a.t == b.t and a.t in (\"date\", \"bool\", \"text\"):\n",
    "            x, y = a.c, b.c\n",
    "        else:\n",
    "            x, y = canon(a), canon(b)\n",
    "        r = {\"=\": x == y, \"!=\": x != y, \"<\": x < y, \"<=\": x <= y, \">\": x > y, \">=\": x >= y}[op]\n",
    "        return self.bind(V(\"bool\", F.coalesce(r, F.lit(False)), None, errs(a.err, b.err)))\n",
    "\n",
    "    def missing(self, ctx, v, present=False):\n",
    "        return self.bind(V(\"bool\", v.c.isNotNull() if present else v.c.isNull(), None, v.err))\n",
    "\n",
    "    def is_one_of(self, ctx, v, items):\n",
    "        r = F.coalesce(canon(v).isin(list(items)), F.lit(False)) if items else F.lit(False)\n",
    "        return self.bind(V(\"bool\", r, None, v.err))\n",
    "\n",
    "    def text_test(self, ctx, v, kind, text):\n",
    "        s = canon(v)\n",
    "        r = s.contains(text) if kind == \"contains\" else s.startswith(text) if kind == \"starts\" \\\n",
    "            else s.endswith(text)\n",
    "        return self.bind(V(\"bool\", F.coalesce(r, F.lit(False)), None, v.err))\n",
    "\n",
    "    def not_(self, ctx, v):\n",
    "        return self.bind(V(\"bool\", ~truthy(v), None, v.err))\n",
    "\n",
    "    def and_or(self, ctx, is_and, a, b):\n",
    "        ta, tb = truthy(a), truthy(b)\n",
    "        r = (ta & tb) if is_and else (ta | tb)\n",
    "        berr = None\n",
    "        if b.err is not None:\n",
    "            berr = F.when(ta if is_and else ~ta, b.err)\n",
    "        return self.bind(V(\"bool\", r, None, errs(a.err, berr)))\n",
    "\n",
    "    # ---- assignment to the column's type ----\n",
    "    def assign(self, ctx, v, t, required, length=0, prec=0, scale=0, small=False):\n",
    "        missing = v.c.isNull()\n",
    "        req = None\n",
    "        if required:\n",
    "            req = F.when(missing, F.lit(ctx.column + \" is required but missing\"))\n",
    "        if t == \"text\":\n",
    "            out = as_text(v)\n",
    "            bad = None\n",
    "            if length > 0:\n",
    "                bad = ctx.fail_value(F.length(out.c) > length, v, \"is longer than %d characters\" % length)\n",
    "            return self.bind(V(\"text\", out.c, None, errs(v.err, req, bad)))\n",
    "        if t == \"int\":\n",
    "            if v.t == \"int\":\n",
    "                c, whole, rng = v.c, None, None\n",
    "                if small:\n",
    "                    rng = ctx.fail_value(~v.c.between(-(2 ** 31), 2 ** 31 - 1), v, \"is out of range for integer\")\n",
    "                return self.bind(V(\"int\", c, None, errs(v.err, req, rng)))\n",
    "            a = as_dec(v)\n",
    "            frac_ok, u = self._rescale(a, F.lit(0))\n",
    "            lo, hi = (-(2 ** 31), 2 ** 31 - 1) if small else (INT64_MIN, INT64_MAX)\n",
    "            whole = ctx.fail_value(~missing & ~frac_ok, v, \"is not a whole number\")\n",
    "            rng = ctx.fail_value(~missing & ~F.coalesce(u.between(lo, hi), F.lit(False)), v,\n",
    "                                 \"is out of range for integer\" if small else \"is out of range for bigint\")\n",
    "            return self.bind(V(\"int\", u.cast(\"bigint\"), None, errs(v.err, req, whole, rng)))\n",
    "        if t == \"dec\":\n",
    "            a = as_dec(v)\n",
    "            p = prec if prec > 0 else 38\n",
    "            frac_ok, u = self._rescale(a, F.lit(scale))\n",
    "            lost = ~missing & ~frac_ok\n",
    "            too_big = ~missing & frac_ok & F.coalesce(F.length(F.abs(u).cast(\"string\")) > p, F.lit(True))\n",
    "            err = errs(v.err, req, ctx.fail_value(lost, v, \"has more than %d decimals\" % scale),\n",
    "                       ctx.fail_value(too_big, v, \"has more than %d digits\" % p))\n",
    "            return self.bind(V(\"dec\", u, F.lit(scale), err))\n",
    "        return self.bind(V(t, v.c, None, errs(v.err, req)))\n",
    "\n",
    "    @staticmethod\n",
    "    def _rescale(a, s):\n",
    "        \"\"\"(no non-zero digit is lost, the unscaled value at scale s or null on overflow)\"\"\"\n",
    "        k = a.s - s\n",
    "        digits = F.abs(a.c).cast(\"string\")\n",
    "        ln = F.length(digits)\n",
    "        dropped = F.when(ln > k, digits.substr(ln - k + 1, k)).otherwise(digits)\n",
    "        exact = (k <= 0) | (F.regexp_replace(dropped, \"0\", \"\") == \"\")\n",
    "        kept = F.when(ln > k, digits.substr(F.lit(1), ln - k)).otherwise(F.lit(\"0\")).cast(DEC0)\n",
    "        down = F.when(a.c < 0, -kept).otherwise(kept).cast(DEC0)\n",
    "        u = F.when(k <= 0, mul_p10(a.c, -k)).otherwise(down)\n",
    "        return F.coalesce(exact, F.lit(True)), u\n",
    "\n",
    "\n",
    "def _first(pairs):\n",
    "    \"\"\"Repeated keys keep their first value (the first mapping line wins).\"\"\"\n",
    "    seen = set()\n",
    "    for k, v in pairs:\n",
    "        if k not in seen:\n",
    "            seen.add(k)\n",
    "            yield k, v\n",
    "\n",
    "\n",
    "def ref(v):\n",
    "    \"\"\"An output column used by a later statement: its value (its failure is already counted).\"\"\"\n",
    "    return V(v.t, v.c, v.s)\n",
    "\n",
    "\n",
    "def lit_text(s):\n",
    "    return V(\"text\", F.lit(s) if s else F.lit(None).cast(\"string\"))\n",
    "\n",
    "\n",
    "def lit_int(i):\n",
    "    return V(\"int\", F.lit(i).cast(\"bigint\"))\n",
    "\n",
    "\n",
    "def lit_dec(u, s):\n",
    "    return V(\"dec\", F.lit(u).cast(DEC0), F.lit(s))\n",
    "\n",
    "\n",
    "def lit_bool(b):\n",
    "    return V(\"bool\", F.lit(b))\n",
    "\n",
    "\n",
    "def lit_null():\n",
    "    return V(\"null\", F.lit(None))\n",
    "\n",
    "\n",
    "# ==== Reading the file: physical lines, records, fields =========================================\n",
    "\n",
    "def csv_field(c):\n",
    "    \"\"\"RFC 4180, as the native writer: quoted iff the text holds , \" CR or LF.\"\"\"\n",
    "    c = F.coalesce(c, F.lit(\"\"))\n",
    "    return F.when(c.rlike('[,\"\\\\r\\\\n]'), F.concat(F.lit('\"'), F.replace(c, F.lit('\"'), F.lit('\"\"')), F.lit('\"'))) \\\n",
    "            .otherwise(c)\n",
    "\n",
    "\n",
    "def rx_char(ch):\n",
    "    return \"\\\\x{%x}\" % ord(ch)\n",
    "\n",
    "\n",
    "def _quote_rx(source):\n",
    "    \"\"\"Java regexes over one physical line (no LF in it), under the native rules: f0 — read from a\n",
    "    field start, the line ends inside a quoted field; f1 — the same, read from inside a quoted\n",
    "    field; g1 — read from inside a quoted field, the line holds no closing quote.\"\"\"\n",
    "    q, d = rx_char(source[\"quote\"]), rx_char(source[\"delimiter\"])\n",
    "    inq = \"[^%s]*+(?:%s%s[^%s]*+)*+\" % (q, q, q, q)   # inside quotes, up to a lone quote or the end\n",
    "    fld = \"(?:%s%s%s[^%s]*+|[^%s%s][^%s]*+|)\" % (q, inq, q, d, d, q, d)   # a field that ends on the line\n",
    "    body = \"(?:%s%s)*+%s%s\\\\z\" % (fld, d, q, inq)   # whole fields, then one whose quote stays open\n",
    "    return \"\\\\A\" + body, \"\\\\A%s(?:\\\\z|%s[^%s]*+%s%s)\" % (inq, q, d, d, body), \"\\\\A%s\\\\z\" % inq\n",
    "\n",
    "\n",
    "# The quote state at the start of every line is a prefix computation over the file's lines.  A\n",
    "# window without a partition would pull the whole file onto one task, so it is computed in two\n",
    "# passes instead: each partition's effect (for either state at its start) is folded locally, the\n",
    "# small per-partition results are chained on the driver, and a second pass walks each partition\n",
    "# from its now known start.  These Python functions only move the per-line quote flags (data\n",
    "# movement plumbing, not plan semantics); the flags themselves come from the regexes above.\n",
    "\n",
    "def _pass1(p, rows, skips):\n",
    "    \"\"\"One row per partition: (p, lines, then for a start outside / inside quotes: the end state,\n",
    "    the last local line that starts outside quotes or -1, and whether any line ends inside\n",
    "    quotes).  Preamble lines are skipped.\"\"\"\n",
    "    skip, n = skips.get(p, 0), 0\n",
    "    st, last, went = [False, True], [-1, -1], [False, True]\n",
    "    for k, r in enumerate(rows):\n",
    "        n = k + 1\n",
    "        if k < skip:\n",
    "            continue\n",
    "        for s in (0, 1):\n",
    "            if not st[s]:\n",
    "                last[s] = k\n",
    "            st[s] = r[1] if st[s] else r[0]\n",
    "            went[s] = went[s] or st[s]\n",
    "    yield p, n, st[0], last[0], went[0], st[1], last[1], went[1]\n",
    "\n",
    "\n",
    "def _pass2(p, rows, skips, starts):\n",
    "    \"\"\"The lines of partition p that are not single-line records: (line index, record start or\n",
    "    -1 for a blank line, whether a quote opened on it is still open at its end).\"\"\"\n",
    "    skip, off, (state, rs) = skips.get(p, 0), starts[p][0], starts[p][1:]\n",
    "    for k, (f0, f1, g1, blank) in enumerate(rows):\n",
    "        if k < skip:\n",
    "            continue\n",
    "        i = off + k\n",
    "        opened = (f1 and not g1) if state else f0\n",
    "        if not state:\n",
    "            rs = i\n",
    "            if blank:\n",
    "                yield i, -1, False\n",
    "                continue\n",
    "        if state or opened:\n",
    "            yield i, rs, opened\n",
    "        state = f1 if state else f0\n",
    "\n",
    "\n",
    "def _records_by_lines(spark, path, source, spans):\n",
    "    \"\"\"(_rec, _line, _text) of every record, from the file read as lines on many partitions:\n",
    "    lines get their global index from the per-partition line counts.  spans false: every\n",
    "    non-blank line is a record (right when no line leaves a quote open); true: a record is a line\n",
    "    that starts outside quotes and its continuation lines (rare: only those are grouped).\"\"\"\n",
    "    pre = source[\"header_line\"] - 1\n",
    "    lines = spark.read.text(path, lineSep=\"\\n\").select(\n",
    "        F.spark_partition_id().alias(\"_p\"),\n",
    "        F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1).alias(\"_k\"),\n",
    "        # the bytes as they are in the file (text is not re-encoded), decoded as the plan says\n",
    "        F.decode(F.col(\"value\").cast(\"binary\"), source[\"charset\"]).alias(\"_text\"))\n",
    "    if source[\"bom\"]:\n",
    "        lines = lines.withColumn(\"_text\", F.when((F.col(\"_p\") == 0) & (F.col(\"_k\") == 0), F.regexp_replace(\n",
    "            \"_text\", \"\\\\A\\\\x{FEFF}\", \"\")).otherwise(F.col(\"_text\")))\n",
    "    nparts = lines.rdd.getNumPartitions()\n",
    "    blank = (F.col(\"_text\") == \"\") | (F.col(\"_text\") == \"\\r\")\n",
    "\n",
    "    def chain(counts):\n",
    "        offs, o = [], 0\n",
    "        for p in range(nparts):\n",
    "            offs.append(o)\n",
    "            o += counts.get(p, 0)\n",
    "        return offs, {p: max(0, min(counts.get(p, 0), pre - offs[p])) for p in range(nparts) if pre > offs[p]}\n",
    "    cont, offs, skips = None, [0], {0: pre} if pre else {}\n",
    "    if nparts > 1:   # one pass for the line counts\n",
    "        offs, skips = chain(dict(lines.groupBy(\"_p\").count().collect()))\n",
    "    if spans:\n",
    "        flags = lines.select(*[F.col(\"_text\").rlike(rx) for rx in _quote_rx(source)], blank)\n",
    "        summary = sorted(flags.rdd.mapPartitionsWithIndex(lambda p, rows: _pass1(p, rows, skips)).collect())\n",
    "        starts, state, rs, went_in = [], False, -1, False\n",
    "        for p, n, e0, l0, w0, e1, l1, w1 in summary:\n",
    "            starts.append((offs[p], state, rs))\n",
    "            end, last, went = (e1, l1, w1) if state else (e0, l0, w0)\n",
    "            rs = offs[p] + last if last >= 0 else rs\n",
    "            state, went_in = end, went_in or went\n",
    "        if went_in:\n",
    "            cont = spark.createDataFrame(flags.rdd.mapPartitionsWithIndex(\n",
    "                lambda p, rows: _pass2(p, rows, skips, starts)), \"_i long, _s long, _o boolean\").cache()\n",
    "        if state:\n",
    "            opened = cont.where(\"_o\").agg(F.max(\"_i\")).first()[0] + 1\n",
    "            raise JobError(\"line %d: unterminated quoted field: the quote opened on line %d is never closed \"\n",
    "                           \"before the end of the file\" % (opened, opened))\n",
    "    idx = F.element_at(F.array(*[F.lit(o) for o in offs]), F.col(\"_p\") + 1) + F.col(\"_k\")\n",
    "    lines = lines.withColumn(\"_i\", idx).where(F.col(\"_i\") >= pre)\n",
    "    if cont is None:\n",
    "        recs = lines.where(~blank).select(F.col(\"_i\").alias(\"_start\"), \"_text\")\n",
    "    else:\n",
    "        j = lines.join(F.broadcast(cont.select(\"_i\", \"_s\")), \"_i\", \"left\")\n",
    "        single = j.where(F.col(\"_s\").isNull()).select(F.col(\"_i\").alias(\"_start\"), \"_text\")\n",
    "        multi = j.where(F.col(\"_s\") >= 0).groupBy(\"_s\").agg(\n",
    "            F.sort_array(F.collect_list(F.struct(\"_i\", \"_text\"))).alias(\"_ls\")).select(\n",
    "            F.col(\"_s\").alias(\"_start\"), F.array_join(F.transform(\"_ls\", lambda x: x[\"_text\"]), \"\\n\").alias(\"_text\"))\n",
    "        recs = single.unionByName(multi)\n",
    "    # _rec orders the records (it need not count them): the physical line where each starts\n",
    "    return recs.select((F.col(\"_start\") + 1).alias(\"_rec\"), (F.col(\"_start\") + 1).alias(\"_line\"), \"_text\")\n",
    "\n",
    "\n",
    "def _records_whole(spark, path, source):\n",
    "    \"\"\"(_rec, _line, _text) of every record, reading the whole file as one value and splitting it\n",
    "    with one regular expression: bounded by Spark's 2 GB value limit and one task.  Used for\n",
    "    UTF-16 only, whose line ends are not the byte 0x0A that the line reader splits on.\"\"\"\n",
    "    text = spark.read.format(\"binaryFile\").load(path).select(\n",
    "        F.decode(F.col(\"content\"), source[\"charset\"]).alias(\"t\"))\n",
    "    t = F.col(\"t\")\n",
    "    if source[\"bom\"]:\n",
    "        t = F.regexp_replace(t, \"\\\\A\\\\x{FEFF}\", \"\")\n",
    "    if source[\"header_line\"] > 1:\n",
    "        t = F.regexp_replace(t, \"\\\\A(?:[^\\\\n]*+\\\\n){%d}\" % (source[\"header_line\"] - 1), \"\")\n",
    "    q, d = source[\"quote\"], rx_char(source[\"delimiter\"])\n",
    "    if q:\n",
    "        qq = rx_char(q)\n",
    "        # a quoted field (doubled quotes inside, then stray text) or an unquoted one\n",
    "        quoted = \"%s[^%s]*+(?:%s%s[^%s]*+)*+%s[^%s\\\\n]*+\" % (qq, qq, qq, qq, qq, qq, d)\n",
    "        fld = \"(?:%s|[^%s\\\\n]*+)\" % (quoted, d)\n",
    "    else:\n",
    "        fld = \"[^%s\\\\n]*+\" % d\n",
    "    rec_rx = \"(%s(?:%s%s)*+)(?:\\\\n|\\\\z)\" % (fld, d, fld)\n",
    "    lines = text.select(F.posexplode(F.call_function(\"regexp_extract_all\", t, F.lit(rec_rx), F.lit(1)))\n",
    "                        .alias(\"_idx\", \"_text\"))\n",
    "    nl = F.length(\"_text\") - F.length(F.replace(F.col(\"_text\"), F.lit(\"\\n\"), F.lit(\"\")))\n",
    "    w = Window.orderBy(\"_idx\")\n",
    "    lines = lines.withColumn(\"_line\", F.col(\"_idx\") + source[\"header_line\"] + F.coalesce(\n",
    "        F.sum(nl).over(w.rowsBetween(Window.unboundedPreceding, -1)), F.lit(0)))\n",
    "    recs = lines.where((F.col(\"_text\") != \"\") & (F.col(\"_text\") != \"\\r\"))\n",
    "    return recs.withColumn(\"_rec\", F.row_number().over(w)).select(\"_rec\", \"_line\", \"_text\")\n",
    "\n",
    "\n",
    "def _fields(recs, source):\n",
    "    \"\"\"The records with _raw (the text without its CR), _f (the fields) and _bad, cached.\"\"\"\n",
    "    q, d = source[\"quote\"], rx_char(source[\"delimiter\"])\n",
    "    raw_text = F.when(F.col(\"_text\").endswith(\"\\r\"), F.expr(\"substr(_text, 1, length(_text) - 1)\")) \\\n",
    "                .otherwise(F.col(\"_text\"))\n",
    "    recs = recs.select(\"_rec\", \"_line\", raw_text.alias(\"_raw\"))\n",
    "    line = F.concat(F.lit(source[\"delimiter\"]), F.col(\"_raw\"))\n",
    "    if q:\n",
    "        qq = rx_char(q)\n",
    "        rx = \"%s(?:%s([^%s]*+(?:%s%s[^%s]*+)*+)%s([^%s]*+)|([^%s]*+))\" % (d, qq, qq, qq, qq, qq, qq, d, d)\n",
    "        g1, g2, g3 = [F.call_function(\"regexp_extract_all\", line, F.lit(rx), F.lit(i)) for i in (1, 2, 3)]\n",
    "        fields = F.transform(g3, lambda x, i: F.concat(F.replace(g1[i], F.lit(q + q), F.lit(q)), g2[i], x))\n",
    "        # an unquoted field that starts with a quote: that quote is never closed.  _bad: the line\n",
    "        # ends before it in the record (inside earlier quoted fields), else null\n",
    "        pos = F.array_position(F.transform(g3, lambda x: x.startswith(q)), True)\n",
    "        before = F.array_join(F.slice(g1, F.lit(1), (pos - 1).cast(\"int\")), \"\")\n",
    "        unclosed = F.when(pos > 0, F.length(before) - F.length(F.replace(before, F.lit(\"\\n\"), F.lit(\"\"))))\n",
    "    else:\n",
    "        fields = F.call_function(\"regexp_extract_all\", line, F.lit(\"%s([^%s]*+)\" % (d, d)), F.lit(1))\n",
    "        unclosed = F.lit(None).cast(\"int\")\n",
    "    return recs.withColumn(\"_f\", fields).withColumn(\"_bad\", unclosed).cache()\n",
    "\n",
    "\n",
    "def _first_and_bad(recs, source):\n",
    "    first = recs.orderBy(\"_rec\").select(\"_rec\", \"_f\", \"_line\").first()\n",
    "    if first is None:\n",
    "        raise JobError(\"no header row found: the file is empty (or has only blank lines) from line %d\"\n",
    "                       % source[\"header_line\"])\n",
    "    return first, recs.where(F.col(\"_bad\").isNotNull()).orderBy(\"_rec\").select(F.col(\"_line\") + F.col(\"_bad\")).first()\n",
    "\n",
    "\n",
    "def read_records(spark, path, source):\n",
    "    \"\"\"(records, header names).  records: _rec (orders them), _line (physical line where it starts,\n",
    "    1-based), _raw (its text), _f (its fields).  The native reader's rules (src/read/csv.c): lines\n",
    "    before the header line are the preamble; a quote opens a quoted field only at the start of a\n",
    "    field (elsewhere it is text); inside, a doubled quote is a quote and line ends are text; text\n",
    "    after the closing quote, up to the delimiter, is kept as part of the value; a record ends at LF\n",
    "    (a CR before it is not part of the record); blank lines are not records.\"\"\"\n",
    "    if source[\"charset\"].startswith(\"UTF-16\"):\n",
    "        recs = _fields(_records_whole(spark, path, source), source)\n",
    "        first, bad = _first_and_bad(recs, source)\n",
    "    else:\n",
    "        # first as if every line were a record: a line that leaves a quote open shows as a record\n",
    "        # with an unclosed quote (_bad); only then are records that span lines looked for\n",
    "        recs = _fields(_records_by_lines(spark, path, source, False), source)\n",
    "        first, bad = _first_and_bad(recs, source)\n",
    "        if bad is not None:\n",
    "            recs.unpersist()\n",
    "            recs = _fields(_records_by_lines(spark, path, source, True), source)\n",
    "            first, bad = _first_and_bad(recs, source)\n",
    "    if bad is not None:\n",
    "        opened = bad[0]\n",
    "        raise JobError(\"line %d: unterminated quoted field: the quote opened on line %d is never closed \"\n",
    "                       \"before the end of the file\" % (opened, opened))\n",
    "    names = [n.strip(\" \\t\") for n in first[\"_f\"]]\n",
    "    data = recs.where(F.col(\"_rec\") > first[\"_rec\"]).withColumn(\"_rec\", F.col(\"_rec\") - first[\"_rec\"]) \\\n",
    "               .drop(\"_bad\")\n",
    "    return data, names\n",
    "\n",
    "\n",
    "\n",
    "def write_lines(df, text_col, order_col, header, path, scratch):\n",
    "    \"\"\"One file in input order: Spark writes its part, the driver renames it into place.\"\"\"\n",
    "    tmp = scratch + \"/part\"\n",
    "    df.select(order_col, text_col.alias(\"_t\")).repartition(1).sortWithinPartitions(order_col) \\\n",
    "      .select(\"_t\").write.mode(\"overwrite\").text(tmp)\n",
    "    staging = path + \".tmp\"\n",
    "    with open(staging, \"wb\") as out:\n",
    "        out.write(header.encode(\"utf-8\"))\n",
    "        for part in sorted(glob.glob(tmp + \"/part-*\")):\n",
    "            with open(part, \"rb\") as f:\n",
    "                shutil.copyfileobj(f, out)\n",
    "    os.replace(staging, path)\n",
    "    shutil.rmtree(tmp, ignore_errors=True)\n",
    "\n",
    "\n",
    "def parquet_value(v, type_name):\n",
    "    \"\"\"An output value as the Parquet column of its plan type (what the native writer writes).\"\"\"\n",
    "    if type_name.startswith(\"decimal\"):\n",
    "        ps = type_name[len(\"decimal(\"):-1].split(\",\") if \"(\" in type_name else [\"38\", \"0\"]\n",
    "        return fmt_dec(v.c, v.s).cast(DecimalType(int(ps[0]), int(ps[1])))\n",
    "    kinds = {\"integer\": \"int\", \"bigint\": \"bigint\", \"date\": \"date\", \"timestamp\": \"timestamp\",\n",
    "             \"boolean\": \"boolean\"}\n",
    "    return v.c.cast(kinds.get(type_name, \"string\"))\n",
    "\n",
    "\n",
    "def write_parquet(df, plan, path, scratch):\n",
    "    \"\"\"OUT/<output>.parquet: one file, rows in input order, the plan's column names and types.\"\"\"\n",
    "    tmp = scratch + \"/parquet\"\n",
    "    cols = [F.col(\"_p%d\" % i).alias(name) for i, name in enumerate(plan[\"columns\"])]\n",
    "    df.repartition(1).sortWithinPartitions(\"_rec\").select(*cols).write.mode(\"overwrite\").parquet(tmp)\n",
    "    parts = sorted(glob.glob(tmp + \"/part-*.parquet\"))\n",
    "    if not parts:\n",
    "        raise JobError(\"Spark wrote no Parquet file for %s\" % path)\n",
    "    os.replace(parts[0], path)\n",
    "    shutil.rmtree(tmp, ignore_errors=True)\n",
    "\n",
    "\n",
    "def number_rows(df):\n",
    "    \"\"\"_rn: each output row's 1-based position in input (_rec) order, without a global sort or a\n",
    "    single partition.  The _rec range is cut into about as many buckets as the data has partitions\n",
    "    (approximate quantiles: they only balance the work, any cuts are correct); the rows are numbered\n",
    "    within their bucket, and each bucket starts after the counted rows of the buckets before it.\n",
    "    (The partitions themselves may interleave: multi-line records come from a shuffle.)\"\"\"\n",
    "    n = df.rdd.getNumPartitions()\n",
    "    cuts = sorted(set(df.approxQuantile(\"_rec\", [i / n for i in range(1, n)], 0.01))) if n > 1 else []\n",
    "    bucket = F.size(F.filter(F.array(*[F.lit(c) for c in cuts]), lambda c: c < F.col(\"_rec\"))) if cuts else F.lit(0)\n",
    "    df = df.withColumn(\"_b\", bucket)\n",
    "    counts = dict(df.groupBy(\"_b\").count().collect())\n",
    "    starts, total = [], 0\n",
    "    for b in range(len(cuts) + 1):\n",
    "        starts += [F.lit(b), F.lit(total)]\n",
    "        total += counts.get(b, 0)\n",
    "    within = F.row_number().over(Window.partitionBy(\"_b\").orderBy(\"_rec\"))\n",
    "    return df.withColumn(\"_rn\", (F.create_map(*starts)[F.col(\"_b\")] + within).cast(\"bigint\"))\n",
    "\n",
    "\n",
    "def rownum_text(rn, type_name):\n",
    "    \"\"\"A row number as the column's type writes it: decimal(p,s) with s zeros.\"\"\"\n",
    "    if type_name.startswith(\"decimal(\") and not type_name.endswith(\",0)\"):\n",
    "        scale = int(type_name[len(\"decimal(\"):-1].split(\",\")[1])\n",
    "        return F.concat(rn.cast(\"string\"), F.lit(\".\" + \"0\" * scale))\n",
    "    return rn.cast(\"string\")\n",
    "\n",
    "\n",
    "def rownum_parquet(rn, type_name):\n",
    "    if type_name.startswith(\"decimal\"):\n",
    "        ps = type_name[len(\"decimal(\"):-1].split(\",\")\n",
    "        return rn.cast(DecimalType(int(ps[0]), int(ps[1])))\n",
    "    return rn.cast({\"integer\": \"int\", \"bigint\": \"bigint\"}.get(type_name, \"string\"))\n",
    "\n",
    "\n",
    "def run_job(spark, input_path, output_dir, plan):\n",
    "    \"\"\"Evaluate the plan on input_path; write output_dir/<output>.csv, rejects.csv, run.json.\"\"\"\n",
    "    spark.conf.set(\"spark.sql.ansi.enabled\", \"false\")\n",
    "    spark.conf.set(\"spark.sql.session.timeZone\", \"UTC\")\n",
    "    # Parquet: dates before 1582 as they are (proleptic Gregorian, as the plan language and the\n",
    "    # native writer count them), timestamps as INT64 microseconds like the native writer\n",
    "    for mode in (\"datetimeRebaseModeInWrite\", \"datetimeRebaseModeInRead\", \"int96RebaseModeInWrite\"):\n",
    "        spark.conf.set(\"spark.sql.parquet.\" + mode, \"CORRECTED\")\n",
    "    spark.conf.set(\"spark.sql.parquet.outputTimestampType\", \"TIMESTAMP_MICROS\")\n",
    "    os.makedirs(output_dir, exist_ok=True)\n",
    "    scratch = os.path.join(output_dir, \"_spark_scratch\")\n",
    "    data, names = read_records(spark, input_path, plan[\"source\"])\n",
    "    index = {}\n",
    "    for name in plan[\"source_columns\"]:\n",
    "        if name not in names:\n",
    "            raise JobError('%s: the data file has no column \"%s\"' % (input_path, name))\n",
    "        index[name] = names.index(name)\n",
    "    job = Job(data, index)\n",
    "    stages = plan[\"evaluate\"](job)\n",
    "    fate = F.when(F.size(\"_f\") != len(names), F.struct(F.lit(1).alias(\"k\"), F.lit(None).cast(\"string\").alias(\"c\"),\n",
    "                  F.concat(F.lit(\"record has \"), F.size(\"_f\").cast(\"string\"),\n",
    "                           F.lit(\" fields, expected %d\" % len(names))).alias(\"r\")))\n",
    "\n",
    "    def outcome(k, col, reason):\n",
    "        return F.struct(F.lit(k).alias(\"k\"), F.lit(col).cast(\"string\").alias(\"c\"), reason.alias(\"r\"))\n",
    "    texts, typed, rownums = [], [], []\n",
    "    for st in stages:\n",
    "        kind, v = st[0], st[1]\n",
    "        if kind == \"rownum\":   # known once the output rows are known (below)\n",
    "            rownums.append(len(texts))\n",
    "            texts.append(None)\n",
    "            typed.append(None)\n",
    "            continue\n",
    "        if v.err is not None:\n",
    "            fate = fate.when(v.err.isNotNull(), outcome(1, st[2] if kind == \"column\" else None, v.err))\n",
    "        if kind == \"skip\":\n",
    "            fate = fate.when(truthy(v), outcome(2, None, F.lit(None).cast(\"string\")))\n",
    "        elif kind == \"reject\":\n",
    "            fate = fate.when(truthy(v), outcome(1, None, F.lit(st[2])))\n",
    "        else:\n",
    "            texts.append(csv_field(canon(v)))\n",
    "            typed.append(parquet_value(v, plan[\"types\"][len(typed)]).alias(\"_p%d\" % len(typed)))\n",
    "    fate = fate.otherwise(outcome(0, None, F.lit(None).cast(\"string\")))\n",
    "    skip_last = plan[\"source\"][\"skip_last\"]\n",
    "    if len(texts) == 1:\n",
    "        # one column, null: written `\"\"`, as the native writer (a blank line is no record)\n",
    "        texts = [F.when(texts[0] == F.lit(\"\"), F.lit('\"\"')).otherwise(texts[0])]\n",
    "    df = job.df.withColumn(\"_o\", fate)\n",
    "    if skip_last > 0:\n",
    "        # the last skip_last records (_rec orders the records; it does not count them)\n",
    "        last = data.select(\"_rec\").orderBy(F.col(\"_rec\").desc()).limit(skip_last).collect()\n",
    "        since = min(r[0] for r in last) if last else 0\n",
    "        df = df.withColumn(\"_o\", F.when(F.col(\"_rec\") >= since, outcome(2, None, F.lit(None)\n",
    "                                                                                   .cast(\"string\")))\n",
    "                           .otherwise(F.col(\"_o\")))\n",
    "    if rownums:   # the texts stay apart until the row numbers are known\n",
    "        outs = [t.alias(\"_t%d\" % i) for i, t in enumerate(texts) if t is not None]\n",
    "    else:\n",
    "        outs = [F.concat_ws(\",\", *texts).alias(\"_out\") if texts else F.lit(\"\").alias(\"_out\")]\n",
    "    df = df.select(\"_rec\", \"_line\", \"_raw\", F.col(\"_o.k\").alias(\"_k\"), F.col(\"_o.c\").alias(\"_c\"),\n",
    "                   F.col(\"_o.r\").alias(\"_r\"), *outs, *[t for t in typed if t is not None]).cache()\n",
    "    counts = {r[\"_k\"]: r[\"count\"] for r in df.groupBy(\"_k\").count().collect()}\n",
    "    out_path = os.path.join(output_dir, plan[\"output\"] + \".csv\")\n",
    "    header = \",\".join(_csv_text(n) for n in plan[\"columns\"]) + \"\\n\"\n",
    "    out = df.where(F.col(\"_k\") == 0)\n",
    "    if rownums:\n",
    "        out = number_rows(out)\n",
    "        parts = [rownum_text(F.col(\"_rn\"), plan[\"types\"][i]) if i in rownums else F.col(\"_t%d\" % i)\n",
    "                 for i in range(len(texts))]\n",
    "        out = out.withColumns({\"_out\": F.concat_ws(\",\", *parts),\n",
    "                               **{\"_p%d\" % i: rownum_parquet(F.col(\"_rn\"), plan[\"types\"][i]) for i in rownums}})\n",
    "    write_lines(out, F.col(\"_out\"), \"_rec\", header, out_path, scratch)\n",
    "    rej = F.concat_ws(\",\", F.col(\"_line\").cast(\"string\"), csv_field(F.col(\"_c\")), csv_field(F.col(\"_r\")),\n",
    "                      csv_field(F.col(\"_raw\")))\n",
    "    write_lines(df.where(F.col(\"_k\") == 1), rej, \"_rec\", \"line,column,reason,record\\n\",\n",
    "                os.path.join(output_dir, \"rejects.csv\"), scratch)\n",
    "    write_parquet(out, plan, os.path.join(output_dir, plan[\"output\"] + \".parquet\"), scratch)\n",
    "    shutil.rmtree(scratch, ignore_errors=True)\n",
    "    report = {\"plan_sha256\": plan[\"sha256\"], \"input\": input_path,\n",
    "              \"rows_in\": sum(counts.values()), \"rows_out\": counts.get(0, 0),\n",
    "              \"rows_rejected\": counts.get(1, 0), \"rows_filtered\": counts.get(2, 0)}\n",
    "    with open(os.path.join(output_dir, \"run.json.tmp\"), \"w\") as f:\n",
    "        json.dump(report, f, indent=2)\n",
    "        f.write(\"\\n\")\n",
    "    os.replace(os.path.join(output_dir, \"run.json.tmp\"), os.path.join(output_dir, \"run.json\"))\n",
    "    df.unpersist()\n",
    "    data.unpersist()\n",
    "    return report\n",
    "\n",
    "\n",
    "def _csv_text(s):\n",
    "    return '\"' + s.replace('\"', '\"\"') + '\"' if any(ch in s for ch in ',\"\\r\\n') else s\n",
    "\n",
    "\n",
    "def main(plan):\n",
    "    ap = argparse.ArgumentParser(description=\"Run the approved mapforge plan %s on Spark.\" % plan[\"name\"])\n",
    "    ap.add_argument(\"input\", help=\"the client data file\")\n",
    "    ap.add_argument(\"output_dir\", help=\"where %s.csv, rejects.csv and run.json are written\" % plan[\"output\"])\n",
    "    args = ap.parse_args()\n",
    "    spark = SparkSession.builder.appName(\"mapforge \" + plan[\"name\"]).getOrCreate()\n",
    "    try:\n",
    "        report = run_job(spark, args.input, args.output_dir, plan)\n",
    "    except JobError as err:\n",
    "        raise SystemExit(\"mapforge job: error: %s\" % err)\n",
    "    finally:\n",
    "        spark.stop()\n",
    "    print(\"mapforge job: %(rows_in)d rows in, %(rows_out)d out, %(rows_rejected)d rejected, \"\n",
    "          \"%(rows_filtered)d filtered\" % report)\n"
};

/* ---- escaping --------------------------------------------------------------------------------- */

/* Characters of s as Python escapes (no quotes around): printable ASCII raw except \ and ". */
static void py_escape(mf_buf *b, const char *s, bool for_comment)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) {
            if (c == '\\' || (c == '"' && !for_comment))
                mf_buf_addc(b, '\\');
            mf_buf_addc(b, (char)c);
            i++;
            continue;
        }
        uint32_t cp = c;
        int k = 1;
        if (c >= 0x80 && mf_utf8_invalid_at(s + i, n - i) > 0)   /* a valid sequence starts here */
            k = mf_utf8_decode(s + i, n - i, &cp);
        if (cp < 0x100)
            mf_buf_printf(b, "\\x%02x", cp);
        else if (cp < 0x10000)
            mf_buf_printf(b, "\\u%04x", cp);
        else
            mf_buf_printf(b, "\\U%08x", cp);
        i += (size_t)(k > 0 ? k : 1);
    }
}

static void py_str(mf_buf *b, const char *s)
{
    mf_buf_addc(b, '"');
    py_escape(b, s ? s : "", false);
    mf_buf_addc(b, '"');
}

static void py_comment(mf_buf *b, const char *indent, const char *s)
{
    mf_buf_printf(b, "%s# ", indent);
    py_escape(b, s ? s : "", true);
    mf_buf_addc(b, '\n');
}

/* A literal character for a Java regular expression: always an escape. */
static void rx_cp(mf_buf *b, uint32_t cp)
{
    mf_buf_printf(b, "\\x{%x}", cp);
}

static void rx_text(mf_buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        int k = 1;
        if (cp >= 0x80)
            k = mf_utf8_decode(s + i, n - i, &cp);
        rx_cp(b, cp);
        i += (size_t)(k > 0 ? k : 1);
    }
}

/* ---- the compiler state ----------------------------------------------------------------------- */

typedef struct gen {
    const plan *p;
    mf_buf *out;
    int nvar;
    int col;          /* column being compiled, -1 in rules */
    mf_err *e;
} gen;

static const char *kind_of(plan_type t)
{
    switch (t.base) {
    case PT_TEXT: return "text";
    case PT_INTEGER:
    case PT_BIGINT: return "int";
    case PT_DECIMAL: return "dec";
    case PT_DATE:
    case PT_TIMESTAMP: return "date";
    case PT_BOOLEAN: return "bool";
    case PT_NULL: return "null";
    default: return NULL;
    }
}

static int fail(gen *g, const plan_expr *x, mf_code code, const char *msg)
{
    return mf_fail(g->e, code, NULL, x ? x->line : 0, x ? x->col : 0, "%s", msg);
}

/* Start the line "    vN = " and return N. */
static int begin(gen *g)
{
    int v = ++g->nvar;
    mf_buf_printf(g->out, "    v%d = ", v);
    return v;
}

/* A decimal literal as (unscaled text, scale). */
static int dec_parts(const char *text, char *u, int *scale)
{
    mf_dec d;
    if (!text || !mf_dec_parse(text, strlen(text), &d))
        return -1;
    *scale = d.scale;
    d.scale = 0;
    mf_dec_format(d, u);
    return 0;
}

/* The Python expression of a literal (map values, otherwise values). */
static int literal(gen *g, const plan_expr *x, mf_buf *b)
{
    char u[64];
    int s;
    if (!x) {
        mf_buf_adds(b, "lit_null()");
        return 0;
    }
    switch (x->kind) {
    case PE_TEXT:
        mf_buf_adds(b, "lit_text(");
        py_str(b, x->text);
        mf_buf_addc(b, ')');
        return 0;
    case PE_NUMBER:
        if (dec_parts(x->text, u, &s) < 0)
            return fail(g, x, MF_ETYPE, "not a number");
        if (!strchr(x->text, '.') && strlen(u) <= 18)
            mf_buf_printf(b, "lit_int(%s)", u);
        else
            mf_buf_printf(b, "lit_dec(\"%s\", %d)", u, s);
        return 0;
    case PE_BOOL: mf_buf_adds(b, x->flag ? "lit_bool(True)" : "lit_bool(False)"); return 0;
    case PE_NULL: mf_buf_adds(b, "lit_null()"); return 0;
    case PE_HOLE: return fail(g, x, MF_EQUESTION, "the plan has an open question (?): it cannot be compiled");
    default: return fail(g, x, MF_ETYPE, "expected a literal value here");
    }
}

static int expr(gen *g, const plan_expr *x);

/* ---- regular expressions for reading -------------------------------------------------------- */

/* A date pattern (util/date.h notation) as an anchored Java regex; the groups of year, month
 * and day with their kinds.  Digits are read greedily without backtracking, as the native
 * parser does (possessive quantifiers). */
static void date_regex(const char *pat, mf_buf *rx, mf_buf *groups)
{
    int grp = 0, gy = 0, gm = 0, gd = 0;
    const char *ky = "YYYY", *km = "MM";
    mf_buf_adds(rx, "\\A");
    for (const char *p = pat; *p;) {
        if (!strncmp(p, "YYYY", 4)) {
            mf_buf_adds(rx, "([0-9]{4})"), gy = ++grp, ky = "YYYY", p += 4;
        } else if (!strncmp(p, "YY", 2)) {
            mf_buf_adds(rx, "([0-9]{2})"), gy = ++grp, ky = "YY", p += 2;
        } else if (!strncmp(p, "Month", 5)) {
            mf_buf_adds(rx, "((?i:january|february|march|april|may|june|july|august|september|october|"
                            "november|december))");
            gm = ++grp, km = "MONTH", p += 5;
        } else if (!strncmp(p, "Mon", 3)) {
            mf_buf_adds(rx, "((?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"), gm = ++grp, km = "MON", p += 3;
        } else if (!strncmp(p, "MM", 2)) {
            mf_buf_adds(rx, "([0-9]{2})"), gm = ++grp, km = "MM", p += 2;
        } else if (*p == 'M') {
            mf_buf_adds(rx, "([0-9]{1,2}+)"), gm = ++grp, km = "MM", p += 1;
        } else if (!strncmp(p, "DD", 2)) {
            mf_buf_adds(rx, "([0-9]{2})"), gd = ++grp, p += 2;
        } else if (*p == 'D') {
            mf_buf_adds(rx, "([0-9]{1,2}+)"), gd = ++grp, p += 1;
        } else {
            uint32_t cp = (unsigned char)*p;
            int k = 1;
            if (cp >= 0x80)
                k = mf_utf8_decode(p, strlen(p), &cp);
            rx_cp(rx, cp);
            p += k > 0 ? k : 1;
        }
    }
    mf_buf_adds(rx, "\\z");
    mf_buf_printf(groups, "(%d, \"%s\"), (%d, \"%s\"), (%d, \"DD\")", gy, ky, gm, km, gd);
}

/* One level of number markers: prefixes (sign, currency) and suffixes (trailing minus,
 * currency), each at most once, in either order. */
static void marker_level(mf_buf *rx, bool sign, bool cur_pre, bool cur_suf, bool trail, const char *cur,
                         const char *core)
{
    const char *S = "[ \\t]*";
    mf_buf cb = {0};
    rx_text(&cb, cur ? cur : "");
    const char *C = mf_buf_str(&cb);
    if (sign && cur_pre)
        mf_buf_printf(rx, "(?:[-+]%s%s|%s%s[-+])%s", S, C, C, S, S);
    else if (sign)
        mf_buf_printf(rx, "[-+]%s", S);
    else if (cur_pre)
        mf_buf_printf(rx, "%s%s", C, S);
    mf_buf_adds(rx, core);
    if (trail && cur_suf)
        mf_buf_printf(rx, "%s(?:-%s%s|%s%s-)", S, S, C, C, S);
    else if (trail)
        mf_buf_printf(rx, "%s-", S);
    else if (cur_suf)
        mf_buf_printf(rx, "%s%s", S, C);
    mf_buf_free(&cb);
}

/* The language mf_dec_parse_fmt accepts, as one anchored regex: every placement of the markers
 * (outside or inside the parentheses), spaces and tabs between them. */
static void number_regex(const plan_numfmt *f, mf_buf *rx)
{
    char dec = f->decimal == ',' ? ',' : '.';
    char th = f->thousands == dec ? 0 : f->thousands;
    bool has_cur = f->currency && *f->currency;
    mf_buf body = {0};
    mf_buf_adds(&body, "(?:");
    if (th) {
        mf_buf_adds(&body, "(?:[0-9]{1,3}(?:");
        rx_cp(&body, (unsigned char)th);
        mf_buf_adds(&body, "[0-9]{3})+|[0-9]+)");
    } else
        mf_buf_adds(&body, "[0-9]+");
    mf_buf_adds(&body, "(?:");
    rx_cp(&body, (unsigned char)dec);
    mf_buf_adds(&body, "[0-9]*)?|");
    rx_cp(&body, (unsigned char)dec);
    mf_buf_adds(&body, "[0-9]+)");
    mf_buf_adds(rx, "\\A[ \\t]*(?:");
    bool first = true;
    /* sign: 0 none, 1 outside, 2 inside; cur: 0 none, 1 out-pre, 2 out-suf, 3 in-pre, 4 in-suf;
     * trail: 0 none, 1 outside, 2 inside; paren 0/1 */
    for (int paren = 0; paren <= (f->paren_negative ? 1 : 0); paren++)
        for (int sg = 0; sg <= (paren ? 2 : 1); sg++)
            for (int cu = 0; cu <= (has_cur ? (paren ? 4 : 2) : 0); cu++)
                for (int tr = 0; tr <= (f->trailing_minus ? (paren ? 2 : 1) : 0); tr++) {
                    mf_buf core = {0};
                    if (paren) {
                        mf_buf inner = {0};
                        marker_level(&inner, sg == 2, cu == 3, cu == 4, tr == 2, f->currency, mf_buf_str(&body));
                        mf_buf_printf(&core, "\\([ \\t]*%s[ \\t]*\\)", mf_buf_str(&inner));
                        mf_buf_free(&inner);
                    } else
                        mf_buf_adds(&core, mf_buf_str(&body));
                    if (!first)
                        mf_buf_addc(rx, '|');
                    first = false;
                    marker_level(rx, sg == 1, cu == 1, cu == 2, tr == 1, f->currency, mf_buf_str(&core));
                    mf_buf_free(&core);
                }
    mf_buf_adds(rx, ")[ \\t]*\\z");
    mf_buf_free(&body);
}

/* ---- expressions ------------------------------------------------------------------------------ */

static const plan_lookup *find_lookup(const plan *p, const char *name)
{
    for (int i = 0; i < p->nlookups; i++)
        if (name && !strcmp(p->lookups[i].name, name))
            return &p->lookups[i];
    return NULL;
}

static const char *otherwise_name(plan_otherwise o)
{
    return o == PO_REJECT ? "reject" : o == PO_NULL ? "null" : o == PO_VALUE ? "value" : "keep";
}

/* Chars whose full case mapping (Java's, so Spark's) differs from the simple one the plan uses:
 * SpecialCasing.txt's unconditional entries, plus İ and Σ (final sigma) for lower case. */
static const uint32_t upper_special[] = {
    0xDF, 0x149, 0x1F0, 0x390, 0x3B0, 0x587, 0x1E96, 0x1E97, 0x1E98, 0x1E99, 0x1E9A, 0x1F50, 0x1F52, 0x1F54,
    0x1F56, 0x1F80, 0x1F81, 0x1F82, 0x1F83, 0x1F84, 0x1F85, 0x1F86, 0x1F87, 0x1F88, 0x1F89, 0x1F8A, 0x1F8B,
    0x1F8C, 0x1F8D, 0x1F8E, 0x1F8F, 0x1F90, 0x1F91, 0x1F92, 0x1F93, 0x1F94, 0x1F95, 0x1F96, 0x1F97, 0x1F98,
    0x1F99, 0x1F9A, 0x1F9B, 0x1F9C, 0x1F9D, 0x1F9E, 0x1F9F, 0x1FA0, 0x1FA1, 0x1FA2, 0x1FA3, 0x1FA4, 0x1FA5,
    0x1FA6, 0x1FA7, 0x1FA8, 0x1FA9, 0x1FAA, 0x1FAB, 0x1FAC, 0x1FAD, 0x1FAE, 0x1FAF, 0x1FB2, 0x1FB3, 0x1FB4,
    0x1FB6, 0x1FB7, 0x1FBC, 0x1FC2, 0x1FC3, 0x1FC4, 0x1FC6, 0x1FC7, 0x1FCC, 0x1FD2, 0x1FD3, 0x1FD6, 0x1FD7,
    0x1FE2, 0x1FE3, 0x1FE4, 0x1FE6, 0x1FE7, 0x1FF2, 0x1FF3, 0x1FF4, 0x1FF6, 0x1FF7, 0x1FFC, 0xFB00, 0xFB01,
    0xFB02, 0xFB03, 0xFB04, 0xFB05, 0xFB06, 0xFB13, 0xFB14, 0xFB15, 0xFB16, 0xFB17};
static const uint32_t lower_special[] = {0x130, 0x3A3};

/* (special, placeholder, simple mapping) as three Python strings; placeholders are private-use
 * characters U+E000... */
static void case_table(mf_buf *b, bool upper)
{
    const uint32_t *t = upper ? upper_special : lower_special;
    size_t n = upper ? sizeof upper_special / sizeof *t : sizeof lower_special / sizeof *t;
    for (int part = 0; part < 3; part++) {
        mf_buf s = {0};
        for (size_t i = 0; i < n; i++) {
            uint32_t cp = part == 0 ? t[i] : part == 1 ? 0xE000 + (uint32_t)i
                        : (uint32_t)(upper ? utf8proc_toupper((utf8proc_int32_t)t[i])
                                           : utf8proc_tolower((utf8proc_int32_t)t[i]));
            if (part == 2 && t[i] == 0xDF)
                cp = 0xDF;
            char u[5];
            u[mf_utf8_encode(cp, u)] = '\0';
            mf_buf_adds(&s, u);
        }
        if (part)
            mf_buf_adds(b, ", ");
        py_str(b, mf_buf_str(&s));
        mf_buf_free(&s);
    }
}

static int map_pairs(gen *g, const plan_map *m, bool bools, mf_buf *b)
{
    mf_buf_addc(b, '[');
    for (int i = 0; i < m->n; i++) {
        if (i)
            mf_buf_adds(b, ", ");
        mf_buf_addc(b, '(');
        py_str(b, m->from[i] ? m->from[i] : "");
        mf_buf_adds(b, ", ");
        if (bools) {
            const plan_expr *v = m->to[i];
            mf_buf_adds(b, v && v->kind == PE_BOOL ? (v->flag ? "True" : "False") : "None");
        } else if (literal(g, m->to[i], b) < 0)
            return -1;
        mf_buf_addc(b, ')');
    }
    mf_buf_addc(b, ']');
    return 0;
}

/* A "written as" pattern as a Python list of (kind, literal) pairs for Job.format_date; the
 * tokens are util/date.h's (longest first). */
static void format_parts(const char *pat, mf_buf *b)
{
    static const char *const tokens[] = {"YYYY", "YY", "Month", "Mon", "MM", "M", "DD", "D", NULL};
    mf_buf_addc(b, '[');
    for (const char *p = pat; *p;) {
        int k = 0;
        while (tokens[k] && strncmp(p, tokens[k], strlen(tokens[k])))
            k++;
        if (p != pat)
            mf_buf_adds(b, ", ");
        if (tokens[k]) {
            mf_buf_printf(b, "(\"%s\", None)", tokens[k]);
            p += strlen(tokens[k]);
        } else {
            char one[5] = {0};
            int n = 1;
            uint32_t cp;
            if ((unsigned char)*p >= 0x80)
                n = mf_utf8_decode(p, strlen(p), &cp);
            memcpy(one, p, (size_t)n);
            mf_buf_adds(b, "(\"\", ");
            py_str(b, one);
            mf_buf_addc(b, ')');
            p += n;
        }
    }
    mf_buf_addc(b, ']');
}

/* Emit the step node x applied to variable a; the result variable is returned. */
static int step(gen *g, const plan_expr *x, int a)
{
    const plan_step *s = &x->step;
    mf_buf *o = g->out;
    int c = 0, v;
    const char *kind = kind_of(x->type);
    if (s->kind == PS_DEFAULT) {
        if ((c = expr(g, s->value)) < 0)
            return -1;
        v = begin(g);
        mf_buf_printf(o, "job.default(ctx, v%d, \"%s\", v%d)\n", a, kind ? kind : "text", c);
        return v;
    }
    if (s->kind == PS_NEGATE_WHEN && (c = expr(g, s->cond)) < 0)
        return -1;
    mf_buf tmp = {0};
    int rc = 0;
    switch (s->kind) {
    case PS_TRIM: mf_buf_printf(&tmp, "job.trim(ctx, v%d)", a); break;
    case PS_UPPER:
    case PS_LOWER:
        mf_buf_printf(&tmp, "job.case(ctx, v%d, %s, *%s)", a, s->kind == PS_UPPER ? "True" : "False",
                      s->kind == PS_UPPER ? "UPPER_FIX" : "LOWER_FIX");
        break;
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT:
        mf_buf_printf(&tmp, "job.pad(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_printf(&tmp, ", %ld, %s)", s->n, s->kind == PS_PAD_LEFT ? "True" : "False");
        break;
    case PS_PREFIX:
    case PS_SUFFIX:
        mf_buf_printf(&tmp, "job.affix(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_printf(&tmp, ", %s)", s->kind == PS_PREFIX ? "True" : "False");
        break;
    case PS_FIRST: mf_buf_printf(&tmp, "job.chars(ctx, v%d, 1, %ld)", a, s->n); break;
    case PS_LAST: mf_buf_printf(&tmp, "job.last(ctx, v%d, %ld)", a, s->n); break;
    case PS_SUBSTR: mf_buf_printf(&tmp, "job.chars(ctx, v%d, %ld, %ld)", a, s->n < 1 ? 1 : s->n, s->m); break;
    case PS_BEFORE:
    case PS_AFTER:
        mf_buf_printf(&tmp, "job.%s%s(ctx, v%d, ", s->kind == PS_BEFORE ? "before" : "after", s->m == 1 ? "_last" : "", a);
        py_str(&tmp, s->s);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_READ_DATE: {
        mf_buf rx = {0}, gr = {0};
        date_regex(s->s ? s->s : "", &rx, &gr);
        mf_buf_printf(&tmp, "job.read_date(ctx, v%d, ", a);
        py_str(&tmp, mf_buf_str(&rx));
        mf_buf_printf(&tmp, ", %s, %ld, ", mf_buf_str(&gr), s->n > 0 ? s->n : 1950);
        mf_buf what = {0};
        mf_buf_printf(&what, "a %s date", s->s ? s->s : "");
        py_str(&tmp, mf_buf_str(&what));
        mf_buf_addc(&tmp, ')');
        mf_buf_free(&rx);
        mf_buf_free(&gr);
        mf_buf_free(&what);
        break;
    }
    case PS_READ_ISO: mf_buf_printf(&tmp, "job.read_iso(ctx, v%d)", a); break;
    case PS_READ_EXCEL: mf_buf_printf(&tmp, "job.read_excel(ctx, v%d)", a); break;
    case PS_READ_NUMBER: {
        mf_buf rx = {0};
        number_regex(&s->numfmt, &rx);
        mf_buf_printf(&tmp, "job.read_number(ctx, v%d, ", a);
        py_str(&tmp, mf_buf_str(&rx));
        mf_buf_adds(&tmp, ", ");
        if (s->numfmt.currency && *s->numfmt.currency)
            py_str(&tmp, s->numfmt.currency);
        else
            mf_buf_adds(&tmp, "None");
        mf_buf_printf(&tmp, ", \"%c\")", s->numfmt.decimal == ',' ? ',' : '.');
        mf_buf_free(&rx);
        break;
    }
    case PS_READ_INTEGER: mf_buf_printf(&tmp, "job.read_integer(ctx, v%d)", a); break;
    case PS_READ_BOOL:
        mf_buf_printf(&tmp, "job.read_boolean(ctx, v%d, ", a);
        rc = map_pairs(g, plan_bool_words(s), true, &tmp);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_MUL:
    case PS_DIV: {
        char u[64];
        int sc;
        if (dec_parts(s->num, u, &sc) < 0) {
            rc = fail(g, x, MF_ETYPE, "not a number");
            break;
        }
        mf_buf_printf(&tmp, "job.scaled(ctx, v%d, \"%c\", \"%s\", %d)", a, s->kind == PS_MUL ? '*' : '/', u, sc);
        break;
    }
    case PS_ROUND:
        if (s->m)
            mf_buf_printf(&tmp, "job.round(ctx, v%d, %ld, mode=%ld)", a, s->n, s->m);
        else
            mf_buf_printf(&tmp, "job.round(ctx, v%d, %ld)", a, s->n);
        break;
    case PS_REPLACE:
        mf_buf_printf(&tmp, "job.replace(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_adds(&tmp, ", ");
        py_str(&tmp, s->s2 ? s->s2 : "");
        mf_buf_addc(&tmp, ')');
        break;
    case PS_SQUISH: mf_buf_printf(&tmp, "job.squish(ctx, v%d)", a); break;
    case PS_TITLE: mf_buf_printf(&tmp, "job.title(ctx, v%d, *LOWER_FIX)", a); break;
    case PS_DIGITS: mf_buf_printf(&tmp, "job.digits(ctx, v%d)", a); break;
    case PS_STRIP:
        mf_buf_printf(&tmp, "job.strip(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_printf(&tmp, ", %s)", s->m == 1 ? "True" : "False");
        break;
    case PS_DATE_PART:
        mf_buf_printf(&tmp, "job.date_part(ctx, v%d, ", a);
        py_str(&tmp, s->s ? s->s : "year");
        if (plan_date_part_of(s->s) == PD_FISCAL_YEAR)
            mf_buf_printf(&tmp, ", %ld", s->n);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_FORMAT_DATE:
        mf_buf_printf(&tmp, "job.format_date(ctx, v%d, ", a);
        format_parts(s->s ? s->s : "", &tmp);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_ADD_DAYS: mf_buf_printf(&tmp, "job.add_days(ctx, v%d, %ld)", a, s->n); break;
    case PS_END_OF_MONTH: mf_buf_printf(&tmp, "job.end_of_month(ctx, v%d)", a); break;
    case PS_NEGATE: mf_buf_printf(&tmp, "job.negate(ctx, v%d)", a); break;
    case PS_ABS: mf_buf_printf(&tmp, "job.negate(ctx, v%d, absolute=True)", a); break;
    case PS_NEGATE_WHEN: mf_buf_printf(&tmp, "job.negate(ctx, v%d, when=v%d)", a, c); break;
    case PS_MAP:
    case PS_LOOKUP: {
        const plan_map *m = &s->map;
        mf_buf_printf(&tmp, "job.mapped(ctx, v%d, \"%s\", ", a, kind ? kind : "text");
        const plan_lookup *lk = NULL;
        if (s->kind == PS_LOOKUP) {
            if (!(lk = find_lookup(g->p, s->s))) {
                rc = fail(g, x, MF_ETYPE, "no lookup of that name in the plan");
                break;
            }
            mf_buf_addc(&tmp, '[');
            for (int i = 0; i < lk->n; i++) {
                mf_buf_adds(&tmp, i ? ", (" : "(");
                py_str(&tmp, lk->key[i]);
                mf_buf_adds(&tmp, ", lit_text(");
                py_str(&tmp, lk->value[i]);
                mf_buf_adds(&tmp, "))");
            }
            mf_buf_addc(&tmp, ']');
        } else if ((rc = map_pairs(g, m, false, &tmp)) < 0)
            break;
        mf_buf_printf(&tmp, ", \"%s\", ", otherwise_name(m->otherwise));
        if (m->otherwise == PO_VALUE)
            rc = literal(g, m->other, &tmp);
        else
            mf_buf_adds(&tmp, "None");
        if (lk) {
            mf_buf_adds(&tmp, ", ");
            py_str(&tmp, lk->name);
        }
        mf_buf_addc(&tmp, ')');
        break;
    }
    default: rc = fail(g, x, MF_ETYPE, "this step is not supported yet by the PySpark back end"); break;
    }
    if (rc < 0) {
        mf_buf_free(&tmp);
        return -1;
    }
    v = begin(g);
    mf_buf_adds(o, mf_buf_str(&tmp));
    mf_buf_addc(o, '\n');
    mf_buf_free(&tmp);
    return v;
}

static const char *cmp_op(int op)
{
    switch (op) {
    case PB_EQ: return "=";
    case PB_NE: return "!=";
    case PB_LT: return "<";
    case PB_LE: return "<=";
    case PB_GT: return ">";
    case PB_GE: return ">=";
    default: return NULL;
    }
}

static int binary(gen *g, const plan_expr *x)
{
    int a = expr(g, x->kid[0]), b;
    if (a < 0 || (b = expr(g, x->kid[1])) < 0)
        return -1;
    int v = begin(g);
    if (x->kind == PE_DAYS)
        mf_buf_printf(g->out, "job.days(ctx, v%d, v%d)\n", a, b);
    else if (x->op == PB_CONCAT)
        mf_buf_printf(g->out, "job.concat(ctx, v%d, v%d)\n", a, b);
    else if (cmp_op(x->op))
        mf_buf_printf(g->out, "job.cmp(ctx, \"%s\", v%d, v%d)\n", cmp_op(x->op), a, b);
    else
        mf_buf_printf(g->out, "job.arith(ctx, \"%c\", v%d, v%d)\n", x->op, a, b);
    return v;
}

static int if_expr(gen *g, const plan_expr *x)
{
    int c = expr(g, x->kid[0]), a, b;
    if (c < 0 || (a = expr(g, x->kid[1])) < 0 || (b = expr(g, x->kid[2])) < 0)
        return -1;
    const char *k = kind_of(x->type);
    int v = begin(g);
    mf_buf_printf(g->out, "job.if_(ctx, \"%s\", v%d, v%d, v%d)\n", k ? k : "text", c, a, b);
    return v;
}

static int cond1(gen *g, const plan_expr *x)
{
    int a = expr(g, x->kid[0]);
    if (a < 0)
        return -1;
    int v = begin(g);
    mf_buf *o = g->out;
    switch (x->kind) {
    case PE_MISSING: mf_buf_printf(o, "job.missing(ctx, v%d)\n", a); break;
    case PE_PRESENT: mf_buf_printf(o, "job.missing(ctx, v%d, present=True)\n", a); break;
    case PE_NOT: mf_buf_printf(o, "job.not_(ctx, v%d)\n", a); break;
    case PE_IN:
        mf_buf_printf(o, "job.is_one_of(ctx, v%d, [", a);
        for (int i = 0; i < x->nlist; i++) {
            if (i)
                mf_buf_adds(o, ", ");
            py_str(o, x->list[i]);
        }
        mf_buf_adds(o, "])\n");
        break;
    default:
        mf_buf_printf(o, "job.text_test(ctx, v%d, \"%s\", ", a,
                      x->kind == PE_CONTAINS ? "contains" : x->kind == PE_STARTS ? "starts" : "ends");
        py_str(o, x->text);
        mf_buf_adds(o, ")\n");
        break;
    }
    return v;
}

static int output_index(gen *g, const char *name)
{
    int limit = g->col >= 0 ? g->col : g->p->ncols;
    for (int i = 0; i < limit; i++)
        if (name && !strcmp(g->p->cols[i].name, name))
            return i;
    return -1;
}

static int expr(gen *g, const plan_expr *x)
{
    if (!x)
        return fail(g, NULL, MF_ETYPE, "missing expression");
    int v, k;
    switch (x->kind) {
    case PE_LENGTH:
        if ((k = expr(g, x->kid[0])) < 0)
            return -1;
        v = begin(g);
        mf_buf_printf(g->out, "job.length(ctx, v%d)\n", k);
        return v;
    case PE_ROWNUM:   /* only a column's whole expression, which columns() handles */
        return fail(g, x, MF_ETYPE, "\"row number\" can only be a whole column");
    case PE_SOURCE:
        v = begin(g);
        mf_buf_adds(g->out, "job.src(");
        py_str(g->out, x->name);
        mf_buf_adds(g->out, ")\n");
        return v;
    case PE_OUTPUT:
        if ((k = output_index(g, x->name)) < 0)
            return fail(g, x, MF_ETYPE, "no output column defined above of that name");
        v = begin(g);
        mf_buf_printf(g->out, "ref(c%d)\n", k + 1);
        return v;
    case PE_TEXT:
    case PE_NUMBER:
    case PE_BOOL:
    case PE_NULL:
    case PE_HOLE: {
        mf_buf lit = {0};
        if (literal(g, x, &lit) < 0) {
            mf_buf_free(&lit);
            return -1;
        }
        v = begin(g);
        mf_buf_adds(g->out, mf_buf_str(&lit));
        mf_buf_addc(g->out, '\n');
        mf_buf_free(&lit);
        return v;
    }
    case PE_STEP:
        if ((k = expr(g, x->kid[0])) < 0)
            return -1;
        return step(g, x, k);
    case PE_IF: return if_expr(g, x);
    case PE_AND:
    case PE_OR: {
        int a = expr(g, x->kid[0]), b;
        if (a < 0 || (b = expr(g, x->kid[1])) < 0)
            return -1;
        v = begin(g);
        mf_buf_printf(g->out, "job.and_or(ctx, %s, v%d, v%d)\n", x->kind == PE_AND ? "True" : "False", a, b);
        return v;
    }
    case PE_BINARY:
    case PE_CMP:
    case PE_DAYS: return binary(g, x);
    case PE_MISSING:
    case PE_PRESENT:
    case PE_IN:
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS:
    case PE_NOT: return cond1(g, x);
    }
    return fail(g, x, MF_ETYPE, "an expression the PySpark back end does not know");
}

/* ---- statements ------------------------------------------------------------------------------- */

static void provenance(gen *g, const plan_prov *pv)
{
    if (pv->row || pv->text) {
        mf_buf t = {0};
        if (pv->row)
            mf_buf_printf(&t, "row %d: ", pv->row);
        mf_buf_adds(&t, pv->text ? pv->text : "");
        py_comment(g->out, "    ", mf_buf_str(&t));
        mf_buf_free(&t);
    }
}

static int rules(gen *g, plan_rule_kind kind)
{
    g->col = -1;
    for (int i = 0; i < g->p->nrules; i++) {
        const plan_rule *r = &g->p->rules[i];
        if (r->kind != kind)
            continue;
        char *text = plan_render_expr(r->cond);
        mf_buf t = {0};
        mf_buf_printf(&t, "%s rows where %s", kind == PR_SKIP ? "skip" : "reject", text ? text : "");
        free(text);
        mf_buf_adds(g->out, "\n");
        py_comment(g->out, "    ", mf_buf_str(&t));
        mf_buf_free(&t);
        provenance(g, &r->prov);
        mf_buf_adds(g->out, "    ctx = Ctx()\n");
        int v = expr(g, r->cond);
        if (v < 0)
            return -1;
        if (kind == PR_SKIP)
            mf_buf_printf(g->out, "    stages.append((\"skip\", v%d))\n", v);
        else {
            mf_buf_printf(g->out, "    stages.append((\"reject\", v%d, ", v);
            py_str(g->out, r->message ? r->message : "rejected by a rule");
            mf_buf_adds(g->out, "))\n");
        }
    }
    return 0;
}

static int columns(gen *g)
{
    for (int i = 0; i < g->p->ncols; i++) {
        const plan_column *c = &g->p->cols[i];
        char type[64];
        plan_type_name(c->type, type, sizeof type);
        mf_buf t = {0};
        mf_buf_printf(&t, "column %d: %s  %s%s", i + 1, c->name, type, c->required ? " required" : "");
        mf_buf_adds(g->out, "\n");
        py_comment(g->out, "    ", mf_buf_str(&t));
        mf_buf_free(&t);
        provenance(g, &c->prov);
        g->col = i;
        mf_buf_adds(g->out, "    ctx = Ctx(");
        py_str(g->out, c->name);
        mf_buf_adds(g->out, ")\n");
        if (c->expr && c->expr->kind == PE_ROWNUM) {   /* numbered by run_job, after filters and rejects */
            mf_buf_adds(g->out, "    stages.append((\"rownum\", None, ");
            py_str(g->out, c->name);
            mf_buf_adds(g->out, "))\n");
            continue;
        }
        int v = expr(g, c->expr);
        if (v < 0)
            return -1;
        const char *k = kind_of(c->type);
        if (!k || !strcmp(k, "null"))
            return fail(g, c->expr, MF_ETYPE, "a column without a type");
        mf_buf_printf(g->out, "    c%d = job.assign(ctx, v%d, \"%s\", %s", i + 1, v, k, c->required ? "True" : "False");
        if (c->type.base == PT_TEXT)
            mf_buf_printf(g->out, ", length=%d", c->type.len);
        else if (c->type.base == PT_DECIMAL)
            mf_buf_printf(g->out, ", prec=%d, scale=%d", c->type.prec, c->type.scale);
        else if (c->type.base == PT_INTEGER)
            mf_buf_adds(g->out, ", small=True");
        mf_buf_adds(g->out, ")\n");
        mf_buf_printf(g->out, "    stages.append((\"column\", c%d, ", i + 1);
        py_str(g->out, c->name);
        mf_buf_adds(g->out, "))\n");
    }
    return 0;
}

static const char *charset(csv_encoding enc)
{
    switch (enc) {
    case CSV_CP1252: return "windows-1252";
    case CSV_LATIN1: return "ISO-8859-1";
    case CSV_UTF16LE: return "UTF-16LE";
    case CSV_UTF16BE: return "UTF-16BE";
    default: return "UTF-8";
    }
}

static void plan_dict(gen *g, const char *sha)
{
    const plan *p = g->p;
    mf_buf *o = g->out;
    char name[64];
    const char **used;
    int nused = plan_used_sources(p, &used);
    snprintf(name, sizeof name, " v%d", p->version);
    mf_buf full = {0};
    mf_buf_adds(&full, p->client ? p->client : "");
    mf_buf_adds(&full, name);
    mf_buf_adds(o, "\nPLAN = {\n    \"name\": ");
    py_str(o, mf_buf_str(&full));
    mf_buf_free(&full);
    mf_buf_adds(o, ",\n    \"sha256\": ");
    if (sha)
        py_str(o, sha);
    else
        mf_buf_adds(o, "None");
    mf_buf_adds(o, ",\n    \"output\": ");
    py_str(o, p->output && *p->output ? p->output : "output");
    char d[2] = {p->source.delimiter ? p->source.delimiter : ',', 0}, q[2] = {p->source.quote, 0};
    mf_buf_printf(o, ",\n    \"source\": {\"charset\": \"%s\", \"bom\": %s, \"delimiter\": ", charset(p->source.encoding),
                  p->source.encoding == CSV_CP1252 || p->source.encoding == CSV_LATIN1 ? "False" : "True");
    py_str(o, d);
    mf_buf_adds(o, ", \"quote\": ");
    if (q[0])
        py_str(o, q);
    else
        mf_buf_adds(o, "None");
    mf_buf_printf(o, ",\n               \"header_line\": %ld, \"skip_last\": %ld},\n",
                  p->source.header_line > 0 ? p->source.header_line : 1, p->source.skip_last > 0 ? p->source.skip_last : 0);
    mf_buf_adds(o, "    # the source columns the plan reads (their positions come from the file's header)\n");
    mf_buf_adds(o, "    \"source_columns\": [");
    int kept = 0;
    for (int i = 0; i < nused; i++) {
        bool dup = false;
        for (int j = 0; j < i && !dup; j++)
            dup = !strcmp(used[i], used[j]);
        if (dup)
            continue;
        mf_buf_adds(o, kept++ ? ",\n                       " : "");
        py_str(o, used[i]);
    }
    mf_buf_adds(o, "],\n    \"columns\": [");
    for (int i = 0; i < p->ncols; i++) {
        mf_buf_adds(o, i ? ",\n                " : "");
        py_str(o, p->cols[i].name);
    }
    mf_buf_adds(o, "],\n    \"types\": [");
    for (int i = 0; i < p->ncols; i++) {
        char type[64];
        plan_type_name(p->cols[i].type, type, sizeof type);
        mf_buf_adds(o, i ? ", " : "");
        py_str(o, type);
    }
    mf_buf_adds(o, "],\n    \"evaluate\": evaluate,\n}\n");
}

int pyspark_compile(const plan *p, const char *plan_sha256, mf_buf *out, mf_err *e)
{
    if (plan_check_limits(p, NULL, e))   /* the generator recurses once per level of an expression */
        return -1;
    if (plan_has_open_questions(p))
        return mf_fail(e, MF_EQUESTION, NULL, 0, 0, "the plan has open questions: it cannot be compiled");
    gen g = {.p = p, .out = out, .col = -1, .e = e};
    mf_buf_adds(out, "#!/usr/bin/env python3\n");
    mf_buf t = {0};
    mf_buf_printf(&t, "mapforge PySpark job for plan %s v%d (generated by mapforge; do not edit: change the plan)",
                  p->client ? p->client : "", p->version);
    py_comment(out, "", mf_buf_str(&t));
    mf_buf_free(&t);
    mf_buf_printf(out, "# plan sha256: %s\n", plan_sha256 ? plan_sha256 : "(not given)");
    mf_buf_adds(out, "# run: spark-submit job.py INPUT OUTPUT_DIR   (writes OUTPUT_DIR/");
    py_escape(out, p->output && *p->output ? p->output : "output", true);
    mf_buf_adds(out, ".csv, .parquet, rejects.csv, run.json)\n\n");
    for (size_t i = 0; i < sizeof prelude / sizeof *prelude; i++)
        mf_buf_adds(out, prelude[i]);
    mf_buf_adds(out, "\n\n# ==== The approved plan ===========================================================================\n\n");
    mf_buf_adds(out, "UPPER_FIX = (");
    case_table(out, true);
    mf_buf_adds(out, ")\nLOWER_FIX = (");
    case_table(out, false);
    mf_buf_adds(out, ")\n\n\ndef evaluate(job):\n");
    mf_buf_adds(out, "    \"\"\"The plan's statements in the engine's order: skip rules, columns, reject rules.\"\"\"\n");
    mf_buf_adds(out, "    stages = []\n");
    if (rules(&g, PR_SKIP) < 0 || columns(&g) < 0 || rules(&g, PR_REJECT) < 0)
        return -1;
    mf_buf_adds(out, "    return stages\n\n");
    plan_dict(&g, plan_sha256);
    mf_buf_adds(out, "\n\nif __name__ == \"__main__\":\n    main(PLAN)\n");
    return 0;
}
