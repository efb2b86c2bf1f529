"""oracle.py — the plan language's semantics, written independently of mapforge in Python, shared
by the examples' generators (make_example.py) to compute their expected outputs.  Each generator
keeps its own per-column transform; this module holds what they all need: nulls, the column-type
assignments and their reject reasons (docs/plan-language.md, "Semantics"), and the output CSV's
quoting (design.md, "Output conventions")."""
from decimal import Decimal


class Reject(Exception):
    """A record rejected at `column` with `reason`, exactly as rejects.csv states it."""
    def __init__(self, column, reason):
        super().__init__(reason)
        self.column, self.reason = column, reason


def nz(s):
    """Empty text is null (None)."""
    return s if s else None


def required(col, v):
    if v is None:
        raise Reject(col, "%s is required but missing" % col)
    return v


def as_text(col, v, n):
    """Assignment to text(n) (n = 0: unbounded)."""
    if v is not None and n and len(v) > n:
        raise Reject(col, '%s: "%s" is longer than %d characters' % (col, v, n))
    return v


def as_decimal(col, v, p, s):
    """Assignment to decimal(p,s): exact, or the row is rejected."""
    if v is None:
        return None
    q = Decimal(v).quantize(Decimal(1).scaleb(-s))
    if q != v:
        raise Reject(col, '%s: "%s" has more than %d decimals' % (col, v, s))
    if len(q.as_tuple().digits) > p:
        raise Reject(col, '%s: "%s" has more than %d digits' % (col, v, p))
    return "{:.{}f}".format(q, s)


def out_field(v):
    """RFC 4180: quoted only when it holds a comma, a quote, CR or LF; null is empty."""
    if v is None:
        return ""
    v = str(v)
    if any(c in v for c in (",", '"', "\r", "\n")):
        return '"' + v.replace('"', '""') + '"'
    return v


def out_line(fields):
    return ",".join(out_field(f) for f in fields) + "\n"
