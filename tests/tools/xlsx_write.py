#!/usr/bin/env python3
"""xlsx_write.py — a minimal, deterministic XLSX writer (Python standard library only).

Used by tests and examples to create mapping workbooks.

CLI:    python3 tests/tools/xlsx_write.py OUT.xlsx SPEC.json
Module: from xlsx_write import write_xlsx; write_xlsx("out.xlsx", spec)

SPEC = {"sheets": [{"name": "Mapping",
                    "rows": [["Source Field", "Target Field"], ["acct", 10], ...],
                    "merged": ["A1:F1"],
                    "inline_strings": false}]}

A cell is a string (shared string, or inline when the sheet says "inline_strings": true),
a number (numeric cell), a boolean (t="b"), or null (no cell written).  A dict cell
{"formula": "A1+1", "value": 3} writes a formula with its cached value.

Invariants: output is byte-for-byte deterministic (fixed zip timestamps, fixed part order);
all text is XML-escaped; characters illegal in XML 1.0 are refused with an error.
"""
import json
import math
import re
import sys
import zipfile

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)

# XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_ILLEGAL = re.compile("[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


class XlsxSpecError(ValueError):
    pass


def _esc(text, where):
    if not isinstance(text, str):
        text = str(text)
    m = _ILLEGAL.search(text)
    if m:
        raise XlsxSpecError("%s: character U+%04X is not allowed in XML 1.0"
                            % (where, ord(m.group(0))))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def _col_letters(ci):
    """0-based column index -> "A", "Z", "AA"..."""
    s = ""
    ci += 1
    while ci:
        ci, rem = divmod(ci - 1, 26)
        s = chr(65 + rem) + s
    return s


def _num_text(v):
    if isinstance(v, int):
        return str(v)
    if math.isnan(v) or math.isinf(v):
        raise XlsxSpecError("number %r cannot be stored in a workbook" % v)
    return repr(float(v))


def _t_elem(text, where):
    sp = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return "<t%s>%s</t>" % (sp, _esc(text, where))


class _Strings:
    def __init__(self):
        self.index = {}
        self.items = []
        self.count = 0

    def add(self, s):
        self.count += 1
        if s not in self.index:
            self.index[s] = len(self.items)
            self.items.append(s)
        return self.index[s]


def _cell_xml(ref, v, inline, strings, where):
    if v is None:
        return ""
    if isinstance(v, bool):
        return '<c r="%s" t="b"><v>%d</v></c>' % (ref, 1 if v else 0)
    if isinstance(v, (int, float)):
        return '<c r="%s"><v>%s</v></c>' % (ref, _num_text(v))
    if isinstance(v, dict) and "formula" in v:
        f = "<f>%s</f>" % _esc(v["formula"], where)
        val = v.get("value")
        if val is None:
            return '<c r="%s">%s</c>' % (ref, f)
        if isinstance(val, bool):
            return '<c r="%s" t="b">%s<v>%d</v></c>' % (ref, f, 1 if val else 0)
        if isinstance(val, (int, float)):
            return '<c r="%s">%s<v>%s</v></c>' % (ref, f, _num_text(val))
        return '<c r="%s" t="str">%s<v>%s</v></c>' % (ref, f, _esc(val, where))
    if isinstance(v, str):
        if inline:
            return '<c r="%s" t="inlineStr"><is>%s</is></c>' % (ref, _t_elem(v, where))
        return '<c r="%s" t="s"><v>%d</v></c>' % (ref, strings.add(v))
    raise XlsxSpecError("%s: unsupported cell value %r" % (where, v))


def _sheet_xml(sheet, strings):
    name = sheet["name"]
    inline = bool(sheet.get("inline_strings", False))
    rows = sheet.get("rows", [])
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">']
    maxr, maxc = 0, 0
    body = []
    for ri, row in enumerate(rows):
        if row is None:
            continue
        cells = []
        for ci, v in enumerate(row):
            ref = "%s%d" % (_col_letters(ci), ri + 1)
            x = _cell_xml(ref, v, inline, strings, "sheet %r cell %s" % (name, ref))
            if x:
                cells.append(x)
                maxr, maxc = max(maxr, ri + 1), max(maxc, ci + 1)
        if cells:
            body.append('<row r="%d">%s</row>' % (ri + 1, "".join(cells)))
    if maxr:
        out.append('<dimension ref="A1:%s%d"/>' % (_col_letters(maxc - 1), maxr))
    else:
        out.append('<dimension ref="A1"/>')
    out.append("<sheetData>%s</sheetData>" % "".join(body))
    merged = sheet.get("merged", [])
    if merged:
        for m in merged:
            if not re.fullmatch(r"[A-Z]{1,3}[0-9]+:[A-Z]{1,3}[0-9]+", m):
                raise XlsxSpecError("sheet %r: bad merged range %r (expected like A1:F1)" % (name, m))
        out.append('<mergeCells count="%d">%s</mergeCells>'
                   % (len(merged), "".join('<mergeCell ref="%s"/>' % m for m in merged)))
    out.append("</worksheet>")
    return "".join(out)


def _shared_xml(strings):
    items = "".join("<si>%s</si>" % _t_elem(s, "shared string %d" % i)
                    for i, s in enumerate(strings.items))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'count="%d" uniqueCount="%d">%s</sst>' % (strings.count, len(strings.items), items))


_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')


def _check_spec(spec):
    if not isinstance(spec, dict) or not isinstance(spec.get("sheets"), list) or not spec["sheets"]:
        raise XlsxSpecError('spec must be {"sheets": [ {"name": ..., "rows": [...]}, ... ]}')
    seen = set()
    for i, sh in enumerate(spec["sheets"]):
        name = sh.get("name") if isinstance(sh, dict) else None
        if not isinstance(name, str) or not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise XlsxSpecError("sheet %d: bad name %r (1-31 chars, none of []:*?/\\)" % (i + 1, name))
        if name.lower() in seen:
            raise XlsxSpecError("sheet %d: duplicate name %r" % (i + 1, name))
        seen.add(name.lower())
        if not isinstance(sh.get("rows", []), list):
            raise XlsxSpecError("sheet %r: rows must be a list of lists" % name)


def write_xlsx(path, spec):
    """Write the workbook described by spec (see module doc) to path."""
    _check_spec(spec)
    sheets = spec["sheets"]
    strings = _Strings()
    sheet_parts = [_sheet_xml(sh, strings) for sh in sheets]
    use_sst = bool(strings.items)

    ct = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>']
    for i in range(len(sheets)):
        ct.append('<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1))
    ct.append('<Override PartName="/xl/styles.xml" ContentType="application/'
              'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
    if use_sst:
        ct.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    ct.append("</Types>")

    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')

    wb = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>']
    for i, sh in enumerate(sheets):
        wb.append('<sheet name="%s" sheetId="%d" r:id="rId%d"/>'
                  % (_esc(sh["name"], "sheet name"), i + 1, i + 1))
    wb.append("</sheets></workbook>")

    wrels = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    rt = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    n = len(sheets)
    for i in range(n):
        wrels.append('<Relationship Id="rId%d" Type="%sworksheet" Target="worksheets/sheet%d.xml"/>'
                     % (i + 1, rt, i + 1))
    wrels.append('<Relationship Id="rId%d" Type="%sstyles" Target="styles.xml"/>' % (n + 1, rt))
    if use_sst:
        wrels.append('<Relationship Id="rId%d" Type="%ssharedStrings" Target="sharedStrings.xml"/>'
                     % (n + 2, rt))
    wrels.append("</Relationships>")

    parts = [("[Content_Types].xml", "".join(ct)), ("_rels/.rels", rels),
             ("xl/workbook.xml", "".join(wb)), ("xl/_rels/workbook.xml.rels", "".join(wrels))]
    parts += [("xl/worksheets/sheet%d.xml" % (i + 1), x) for i, x in enumerate(sheet_parts)]
    if use_sst:
        parts.append(("xl/sharedStrings.xml", _shared_xml(strings)))
    parts.append(("xl/styles.xml", _STYLES))

    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, text.encode("utf-8"))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: xlsx_write.py OUT.xlsx SPEC.json\n")
        return 2
    try:
        with open(argv[2], encoding="utf-8") as f:
            spec = json.load(f)
        write_xlsx(argv[1], spec)
    except (OSError, ValueError) as ex:
        sys.stderr.write("xlsx_write.py: %s: %s\n" % (argv[2], ex))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
