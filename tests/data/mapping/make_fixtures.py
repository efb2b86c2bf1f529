#!/usr/bin/env python3
"""make_fixtures.py — regenerates the mapping stage's test workbooks (deterministic output).

Run from the repo root:  python3 tests/data/mapping/make_fixtures.py
Good workbooks come from tests/tools/xlsx_write.py; broken ones are built by hand here.
"""
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from xlsx_write import write_xlsx  # noqa: E402

T = (1980, 1, 1, 0, 0, 0)


def out(name):
    return os.path.join(HERE, name)


def zip_parts(path, parts):
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=T)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8") if isinstance(text, str) else text)


def replace_part(src, dst, name, text):
    with zipfile.ZipFile(src) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    parts = [(n, text if n == name else d) for n, d in parts if text is not None or n != name]
    zip_parts(dst, parts)


GL = {"sheets": [
    {"name": "Cover", "rows": [["ACME onboarding pack"], ["Prepared by", "J. Analyst"]]},
    {"name": "Mapping", "merged": ["A1:F1"], "rows": [
        ["ACME GL mapping v2"],
        ["Target table: GL_ENTRIES"],
        None,
        ["Source Field", "Target Field", "Data Type", "Transformation Rule", "Mandatory", "Comments"],
        ["Acct No", "ACCOUNT_ID", "VARCHAR(10)", "Left-pad with zeros to 10 characters", "Y", None],
        ["Posting Dt", "POSTING_DATE", "Date", "Convert from MM/DD/YYYY to YYYY-MM-DD", "Yes", "US dates"],
        None,
        [None, None, None, None, None, None],
        ["Amt", "AMOUNT", "Decimal(18,2)", "Negate when Dr/Cr is C", "N", None],
        ["First Name + Last Name", "FULL_NAME", "VARCHAR(100)", "Concatenate with a space", None, None],
        ["Dr/Cr", "DC_FLAG", "CHAR(1)", "Copy", "x", None],
        ["Ccy, Amt", "AMOUNT_EUR", "Decimal(18,2)", "Convert using the Currency Codes tab", True, None],
        [None, None, None, "Exclude rows where Status is VOID", None, None],
    ]},
    {"name": "Currency Codes", "rows": [
        ["Code", "Rate", "Tiny", "Huge", "Int"],
        ["USD", 1, 1e-05, 1e+20, 10],
        ["EUR", 1.1, -0.25, 2.5, 0],
        ["JPY", 0.0065, None, None, 42]]},
]}

INLINE = {"sheets": [
    {"name": "Spec", "inline_strings": True, "rows": [
        ["Client Column", "Standard Column", "Format", "Logic", "Nullable", "Notes", "Target Table"],
        ["cust_id", "CUSTOMER_ID", "Integer", "Copy", "N", "  key  ", "CUSTOMERS"],
        ["name", "CUSTOMER_NAME", "Text(50)", "Trim", "Y", None, None],
        ["street & city", "ADDRESS", "Text", "Join", "n", None, None],
    ]},
]}

# Two candidate tables: a lookup with From/To and the real mapping (more columns) on a later tab.
TWO = {"sheets": [
    {"name": "Codes", "rows": [["From", "To"], ["C", "Credit"], ["D", "Debit"]]},
    {"name": "Field Map", "rows": [
        ["Output: TRADES"],
        ["Src Column", "Dest Column", "Datatype", "Business Rule", "M/O", "Remarks"],
        ["Trade Dt", "TRADE_DATE", "Date", "DD/MM/YYYY", "M", None],
        ["Qty", "QUANTITY", "Integer", None, "O", None],
    ]},
]}

# A specification-template layout: one target spread over two rows by merged cells (B3:B4, C3:C4),
# a not-mapped row, and a notes line merged across the table (A7:E7, one row: stays one cell).
SPREAD = {"sheets": [
    {"name": "Spec", "merged": ["B3:B4", "C3:C4", "A7:E7"], "rows": [
        ["Source Variable", "Destination Field", "Data Type", "Mapping Algorithm", "Comment field"],
        ["CUST_NO", "CUSTOMER_ID", "Text(10)", "Pad with zeros to 10", None],
        ["FIRST", "FULL_NAME", "Text(60)", "Concatenate FIRST", None],
        ["LAST", None, None, "and LAST with a space", None],
        ["FAX", "N/A", None, None, "not needed"],
        None,
        ["Exclude rows where STATUS = 'X'"],
    ]},
]}

NOHEADER = {"sheets": [
    {"name": "Sheet1", "rows": [["Column A", "Column B"], ["x", "y"]]},
    {"name": "Notes", "rows": [["Nothing to see"]]},
]}


def main():
    write_xlsx(out("gl_mapping.xlsx"), GL)
    write_xlsx(out("inline.xlsx"), INLINE)
    write_xlsx(out("two_tables.xlsx"), TWO)
    write_xlsx(out("no_header.xlsx"), NOHEADER)
    write_xlsx(out("spread.xlsx"), SPREAD)
    # Same content as gl_mapping.xlsx, but strings inline and in another row order of parts:
    # the content hash must not change.
    gl2 = {"sheets": [dict(s, inline_strings=True) for s in GL["sheets"]]}
    write_xlsx(out("gl_mapping_inline.xlsx"), gl2)
    # One cell edited: the hash must change.
    gl3 = {"sheets": [dict(s) for s in GL["sheets"]]}
    gl3["sheets"][2] = dict(gl3["sheets"][2], rows=[r[:] for r in GL["sheets"][2]["rows"]])
    gl3["sheets"][2]["rows"][2][1] = 1.2
    write_xlsx(out("gl_mapping_edited.xlsx"), gl3)

    small = {"sheets": [{"name": "Mapping", "rows": [["Source", "Target"], ["a", "A"]]}]}
    write_xlsx(out("small.xlsx"), small)
    # A shared string index past the end of sharedStrings.xml, in cell B2.
    replace_part(out("small.xlsx"), out("bad_sst.xlsx"), "xl/worksheets/sheet1.xml",
                 '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                 'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
                 '<c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c>'
                 '<c r="B2" t="s"><v>99</v></c></row></sheetData></worksheet>')
    # Malformed XML on line 3 of the sheet part.
    replace_part(out("small.xlsx"), out("malformed.xlsx"), "xl/worksheets/sheet1.xml",
                 '<?xml version="1.0"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
                 'spreadsheetml/2006/main">\n<sheetData><row r="1"><c r="A1"><v>1</v></row>'
                 '</sheetData></worksheet>')
    replace_part(out("small.xlsx"), out("missing_sheet.xlsx"), "xl/worksheets/sheet1.xml", None)
    replace_part(out("small.xlsx"), out("no_workbook.xlsx"), "xl/workbook.xml", None)
    os.remove(out("small.xlsx"))
    with open(out("encrypted.xlsx"), "wb") as f:
        f.write(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    with open(out("text.xlsx"), "w") as f:
        f.write("Source,Target\nthis is a CSV file renamed to .xlsx\n")

    # Hand-made workbook with the harder cell kinds: rich text runs and phonetic runs in
    # sharedStrings, xml:space, formulas with cached values, t="str"/"b"/"e", cells without r,
    # sparse columns, a sheet part outside the usual folder, and the "x:" prefix on elements.
    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rt = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    zip_parts(out("rich.xlsx"), [
        ("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
        ("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="%sofficeDocument" Target="/xl/workbook.xml"/></Relationships>' % rt),
        ("xl/workbook.xml", '<?xml version="1.0"?><x:workbook %s %s><x:sheets>'
         '<x:sheet name="Map &amp; Rules" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>' % (ns, rns)),
        ("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId7" Type="%sworksheet" Target="../xl/sheets/data.xml"/>'
         '<Relationship Id="rId8" Type="%ssharedStrings" Target="strings.xml"/></Relationships>' % (rt, rt)),
        ("xl/strings.xml", '<?xml version="1.0"?><x:sst %s>'
         '<x:si><x:r><x:t>Source </x:t></x:r><x:r><x:rPr/><x:t>Field</x:t></x:r>'
         '<x:rPh><x:t>IGNORED</x:t></x:rPh></x:si>'
         '<x:si><x:t xml:space="preserve">  Target  </x:t></x:si>'
         '<x:si><x:t>a&lt;b&amp;c</x:t></x:si></x:sst>' % ns),
        ("xl/sheets/data.xml", '<?xml version="1.0"?><x:worksheet %s><x:sheetData>'
         '<x:row r="2"><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c>'
         '<x:c r="E2" t="inlineStr"><x:is><x:r><x:t>Ru</x:t></x:r><x:r><x:t>le</x:t></x:r></x:is></x:c></x:row>'
         '<x:row r="4"><x:c r="A4" t="s"><x:v>2</x:v></x:c><x:c r="B4" t="str"><x:f>UPPER(A4)</x:f><x:v>A&lt;B&amp;C</x:v></x:c>'
         '<x:c r="E4"><x:f>2*5</x:f><x:v>10.0</x:v></x:c></x:row>'
         '<x:row r="5"><x:c r="A5" t="b"><x:v>1</x:v></x:c><x:c r="B5" t="e"><x:v>#N/A</x:v></x:c>'
         '<x:c r="C5" s="3"/><x:c r="E5"><x:v>-1.50E+2</x:v></x:c><x:c r="Z9" s="1"><x:v></x:v></x:c></x:row>'
         '</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A1:E1"/></x:mergeCells></x:worksheet>' % ns),
    ])


if __name__ == "__main__":
    main()
