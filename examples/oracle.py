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


def run_records(records, ncols, skip, transform):
    """The documented order for each record: a ragged record is rejected, then skip rules filter,
    then the columns (the first failure rejects).  records: (line_no, fields, raw text).
    Returns the output lines, the reject lines (each with its header) and the counts."""
    outputs, rejects = [], [out_line(["line", "column", "reason", "record"])]
    counts = {"in": 0, "out": 0, "rejected": 0, "filtered": 0}
    for line_no, r, raw in records:
        counts["in"] += 1
        if len(r) != ncols:
            rejects.append(out_line([line_no, "", "record has %d fields, expected %d" % (len(r), ncols), raw]))
            counts["rejected"] += 1
        elif skip(r):
            counts["filtered"] += 1
        else:
            try:
                outputs.append(out_line(transform(r)))
                counts["out"] += 1
            except Reject as rj:
                rejects.append(out_line([line_no, rj.column, rj.reason, raw]))
                counts["rejected"] += 1
    return outputs, rejects, counts


def write_example(here, client, mapping, data_name, data_text, data_encoding, output, out_columns, result):
    """Write mapping.json + mapping.xlsx, the data file, client.txt and expected/ for one example."""
    import json
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "tools"))
    from xlsx_write import write_xlsx
    outputs, rejects, counts = result
    os.makedirs(os.path.join(here, "expected"), exist_ok=True)
    with open(os.path.join(here, "mapping.json"), "w", encoding="utf-8") as f:
        json.dump(mapping, f, indent=1, ensure_ascii=False)
        f.write("\n")
    write_xlsx(os.path.join(here, "mapping.xlsx"), mapping)
    with open(os.path.join(here, data_name), "w", encoding=data_encoding, newline="") as f:
        f.write(data_text)
    with open(os.path.join(here, "expected", output + ".csv"), "w", encoding="utf-8", newline="") as f:
        f.write(out_line(out_columns) + "".join(outputs))
    with open(os.path.join(here, "expected", "rejects.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("".join(rejects))
    with open(os.path.join(here, "client.txt"), "w") as f:
        f.write(client + "\n")
    print("%s: %d records: %d out, %d rejected, %d filtered"
          % (os.path.basename(here), counts["in"], counts["out"], counts["rejected"], counts["filtered"]))
