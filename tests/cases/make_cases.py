#!/usr/bin/env python3
"""make_cases.py — writes the case folders of tests/cases/ whose inputs are awkward to hand-edit
(binary files, workbooks, exact bytes such as NUL, invalid UTF-8, CRLF) and the small positive
cases.  Expected outputs below are written out by hand from docs/plan-language.md "Semantics";
nothing here runs mapforge.  Deterministic: running it again rewrites identical bytes.

Run:  python3 tests/cases/make_cases.py      (see tests/cases/README.md for the folder convention)
"""
import io
import os
import shutil
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
from xlsx_write import write_xlsx  # noqa: E402

REJECTS_HEADER = "line,column,reason,record\n"
ONBOARD = "onboard --client TEST --mapping $CASE/{m} --data $CASE/{d} --out $OUT --yes"
RUN = "run --plan $CASE/{p} --data $CASE/{d} --out $OUT"


def case(name, files, cmd, exit_code, expected=None, stderr=None, stdout=None, output=None,
         no_files=False, env=None):
    d = os.path.join(HERE, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for fname, content in files.items():
        path = os.path.join(d, fname)
        if isinstance(content, dict):          # an xlsx spec
            write_xlsx(path, content)
        else:
            with open(path, "wb") as f:
                f.write(content.encode("utf-8") if isinstance(content, str) else content)
    put = lambda fname, text: open(os.path.join(d, fname), "w", encoding="utf-8", newline="").write(text)
    put("cmd", cmd + "\n")
    put("expected_exit", "%s\n" % exit_code)
    for fname, lines in (("expected_stderr_contains", stderr), ("expected_stdout_contains", stdout),
                         ("expected_output_contains", output)):
        if lines:
            put(fname, "".join(l + "\n" for l in lines))
    if env:
        put("env", "".join(l + "\n" for l in env))
    if no_files:
        put("expect_no_files_in_out", "")
    if expected:
        os.makedirs(os.path.join(d, "expected"))
        for fname, text in expected.items():
            put(os.path.join("expected", fname), text)


# ---- shared small inputs ------------------------------------------------------------------------

MAPPING_CSV = """Target table: PAYMENTS
Source Field,Target Field,Type,Rule,Mandatory
Ref,REF,Varchar(10),As is,Y
Amount,AMOUNT,"Decimal(18,2)",As is,Y
"""
DATA_CSV = "Ref,Amount\nA1,10.00\nA2,20.50\nA3,7.25\n"
PLAN = """plan TEST v1
source "data.csv": csv, delimiter ",", quote "\\"", encoding UTF-8, header on line 1
output PAYMENTS

REF     text(10) required      = [Ref]
AMOUNT  decimal(18,2) required = [Amount] read as number
"""


def source_line(delim_name, data="data.csv"):
    return 'source "%s": csv, delimiter "%s", quote "\\"", encoding UTF-8, header on line 1' % (data, delim_name)


def plan(body, output="OUT"):
    return "plan TEST v1\n%s\noutput %s\n\n%s" % (source_line(","), output, body)


def minimal_xlsx_parts(sheet_xml):
    """The parts of a one-sheet workbook, with sheet1.xml as given (may be malformed)."""
    return {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Mapping" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }


def zip_bytes(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buf.getvalue()


MALFORMED_SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\n'
                   '<sheetData>\n'
                   '<row r="1"><c r="A1" t="inlineStr"><is><t>Source Field</t></is></c>'
                   '<c r="B1" t="inlineStr"><is><t>Target Field</t></is></c></row>\n'
                   '<row r="2"><c r="A2" t="inlineStr"><is><t>Ref</t></is></c>'
                   '<c r="B2" t="inlineStr"><is><t>REF</t></is></row>\n'     # </c> missing
                   '</sheetData>\n</worksheet>\n')


def error_cases():
    base = {"mapping.csv": MAPPING_CSV, "data.csv": DATA_CSV}
    case("err_missing_data_file", {"mapping.csv": MAPPING_CSV},
         ONBOARD.format(m="mapping.csv", d="no_such_data.csv"), 1,
         stderr=["no_such_data.csv"], no_files=True)
    case("err_missing_mapping_file", {"data.csv": DATA_CSV},
         ONBOARD.format(m="no_such_mapping.xlsx", d="data.csv"), 1,
         stderr=["no_such_mapping.xlsx"], no_files=True)
    case("err_mapping_not_zip", {"mapping.xlsx": "This mapping was saved as plain text by mistake.\n",
                                 "data.csv": DATA_CSV},
         ONBOARD.format(m="mapping.xlsx", d="data.csv"), 1,
         stderr=["mapping.xlsx", "zip"], no_files=True)
    ole2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + bytes.fromhex("3E000300FEFF0900") + b"\0" * 488
    case("err_mapping_encrypted", {"mapping.xlsx": ole2, "data.csv": DATA_CSV},
         ONBOARD.format(m="mapping.xlsx", d="data.csv"), 1,
         stderr=["mapping.xlsx", "encrypted"], no_files=True)
    case("err_mapping_malformed_xml", {"mapping.xlsx": zip_bytes(minimal_xlsx_parts(MALFORMED_SHEET)),
                                       "data.csv": DATA_CSV},
         ONBOARD.format(m="mapping.xlsx", d="data.csv"), 1,
         stderr=["mapping.xlsx", "sheet1.xml"], no_files=True)
    case("err_mapping_no_header",
         {"mapping.csv": "Notes for the onboarding team\nPlease call Bob about the file\n1,2,3\n",
          "data.csv": DATA_CSV},
         ONBOARD.format(m="mapping.csv", d="data.csv"), 1,
         stderr=["mapping.csv", "header"], no_files=True)
    case("err_data_columns_match_nothing",
         {"mapping.csv": MAPPING_CSV, "data.csv": "Foo,Bar,Baz\n1,2,3\n4,5,6\n"},
         ONBOARD.format(m="mapping.csv", d="data.csv"), "nonzero",
         output=["Ref"], no_files=True)
    # The plan fixes the encoding to UTF-8, so the reader must not fall back to Windows-1252.
    case("err_invalid_utf8", dict(base, **{"plan.txt": PLAN,
                                           "data.csv": b"Ref,Amount\nA1,10.00\nA2,20.50\nA\xff\xfe3,7.25\n"}),
         RUN.format(p="plan.txt", d="data.csv"), 1, stderr=["data.csv:4", "UTF-8"], no_files=True)
    case("err_invalid_utf8_bom_onboard",
         dict(base, **{"data.csv": b"\xef\xbb\xbfRef,Amount\nA1,10.00\nA2,20.50\nA\xc3\x283,7.25\n"}),
         ONBOARD.format(m="mapping.csv", d="data.csv"), 1, stderr=["data.csv", "UTF-8"], no_files=True)
    case("err_nul_byte", dict(base, **{"plan.txt": PLAN,
                                       "data.csv": b"Ref,Amount\nA1,10.00\nA2,2\x000.50\nA3,7.25\n"}),
         RUN.format(p="plan.txt", d="data.csv"), 1, stderr=["data.csv:3", "NUL"], no_files=True)
    case("err_nul_byte_onboard", dict(base, **{"data.csv": b"Ref,Amount\nA1,10.00\nA2,2\x000.50\nA3,7.25\n"}),
         ONBOARD.format(m="mapping.csv", d="data.csv"), 1, stderr=["data.csv", "NUL"], no_files=True)
    case("err_unterminated_quote", dict(base, **{"plan.txt": PLAN,
                                                 "data.csv": 'Ref,Amount\nA1,10.00\nA2,20.50\nA3,"7.25'}),
         RUN.format(p="plan.txt", d="data.csv"), 1, stderr=["data.csv:4", "quote"], no_files=True)
    bad_plan = PLAN.replace("= [Amount] read as number", "= [Amount] reed as number")
    case("err_plan_parse", dict(base, **{"bad_plan.txt": bad_plan}),
         RUN.format(p="bad_plan.txt", d="data.csv"), 1, stderr=["bad_plan.txt:6:"], no_files=True)
    case("err_plan_type", dict(base, **{"plan.txt": PLAN.replace(" read as number", "")}),
         RUN.format(p="plan.txt", d="data.csv"), 1, stderr=["plan.txt:6:"], no_files=True)
    case("err_plan_decimal_without_scale",
         dict(base, **{"plan.txt": PLAN.replace("decimal(18,2) required", "decimal       required")}),
         RUN.format(p="plan.txt", d="data.csv"), 1, stderr=["plan.txt:6:", "decimal(18,2)"], no_files=True)
    case("err_plan_unknown_column", dict(base, **{"plan.txt": PLAN.replace("[Amount]", "[Amt]")}),
         RUN.format(p="plan.txt", d="data.csv"), 1, stderr=["Amt"], no_files=True)
    case("run_plan_with_hole", dict(base, **{"plan.txt": PLAN.replace("[Amount] read as number", "?")}),
         RUN.format(p="plan.txt", d="data.csv"), 2, output=["AMOUNT", "question"], no_files=True)
    fee_mapping = MAPPING_CSV + 'Fee,FEE,"Decimal(18,2)",Apply the standard fee logic,N\n'
    case("open_question_with_yes",
         {"mapping.csv": fee_mapping, "data.csv": "Ref,Amount,Fee\nA1,10.00,1.00\nA2,20.50,2.00\n"},
         ONBOARD.format(m="mapping.csv", d="data.csv"), 2, output=["FEE", "question"])


# ---- positive cases: hand-written plans (independent of the planner's phrasing) ----------------

def plan_cases():
    case("plan_text_steps", {
        "data.csv": "Code,Num,City,Ref\n ab ,42,Zürich,EQ-123\nxy,7,Genève,456\n,123456,Oslo,A-B-C\n",
        "plan.txt": plan(
            'CODE    text(10) = [Code] trimmed, upper cased\n'
            'PADDED  text(10) = [Num] padded left with "0" to 6\n'
            'PREF    text     = [Num] prefixed with "N-", suffixed with "/X"\n'
            'FIRST3  text(3)  = [City] first 3 characters\n'
            'LAST2   text     = [City] last 2 characters\n'
            'MID     text     = [City] characters 2 to 4\n'
            'BEFORE  text     = [Ref] text before "-"\n'
            'AFTER   text     = [Ref] text after "-"\n'
            'LOWER   text     = [City] lower cased\n')},
        RUN.format(p="plan.txt", d="data.csv"), 0, expected={
            "OUT.csv": "CODE,PADDED,PREF,FIRST3,LAST2,MID,BEFORE,AFTER,LOWER\n"
                       "AB,000042,N-42/X,Zür,ch,üri,EQ,123,zürich\n"
                       "XY,000007,N-7/X,Gen,ve,enè,456,,genève\n"
                       ",123456,N-123456/X,Osl,lo,slo,A,B-C,oslo\n",
            "rejects.csv": REJECTS_HEADER})
    case("plan_number_steps", {
        "data.csv": 'Amt,Euro,Qty,Cents,Px,DC,Ccy\n'
                    '"1,234.56","1.234,56",3,1999,2.345,D,EUR\n'
                    '(12.50),"-0,75",1,5,-2.345,C,\n'
                    '"(1,000.00)",10,0,100,0.005,C,GBP\n'
                    '12.345,1,1,1,1,D,USD\n',
        "plan.txt": plan(
            'AMT      decimal(18,2) = [Amt] read as number (thousands ",", negative in parentheses)\n'
            'EURO     decimal(18,2) = [Euro] read as number (thousands ".", decimal ",")\n'
            'KILO     decimal(18,2) = [Qty] read as integer multiplied by 1000\n'
            'UNITS    decimal(18,2) = [Cents] read as integer divided by 100\n'
            'ROUNDED  decimal(18,2) = [Px] read as number rounded to 2 decimals\n'
            'SIGNED   decimal(18,2) = [Amt] read as number (thousands ",", negative in parentheses),\n'
            '                         negated when [DC] is "C"\n'
            'ABS      decimal(18,2) = [Amt] read as number (thousands ",", negative in parentheses) absolute value\n'
            'QTYPX    decimal(18,2) = [Qty] read as integer * [Px] read as number, rounded to 2 decimals\n'
            'CCY      text(3)       = [Ccy] defaulting to "USD" when missing\n')},
        RUN.format(p="plan.txt", d="data.csv"), 0, expected={
            "OUT.csv": "AMT,EURO,KILO,UNITS,ROUNDED,SIGNED,ABS,QTYPX,CCY\n"
                       "1234.56,1234.56,3000.00,19.99,2.35,1234.56,1234.56,7.04,EUR\n"
                       "-12.50,-0.75,1000.00,0.05,-2.35,12.50,12.50,-2.35,USD\n"
                       "-1000.00,10.00,0.00,1.00,0.01,1000.00,1000.00,0.00,GBP\n",
            "rejects.csv": REJECTS_HEADER +
                           '5,AMT,"AMT: ""12.345"" has more than 2 decimals","12.345,1,1,1,1,D,USD"\n'})
    case("plan_dates", {
        "data.csv": "A,B,C,D,E\n"
                    "01/31/2025,31.01.2025,20250131,3-Feb-2025,2025-01-31T10:00:00\n"
                    "02/28/2024,29.02.2024,20240229,1-mar-2024,2024-02-29\n"
                    "02/29/2025,01.01.2025,20250101,1-Jan-2025,2025-01-01\n"
                    "12/31/2024,31.12.2024,20241231,31-Dec-2024,\n",
        "plan.txt": plan(
            "D1    date   = [A] read as MM/DD/YYYY\n"
            "D2    date   = [B] read as DD.MM.YYYY\n"
            "D3    date   = [C] read as YYYYMMDD\n"
            "D4    date   = [D] read as D-Mon-YYYY\n"
            "D5    date   = [E] read as ISO date\n"
            "DAYS  bigint = days from D1 to D4\n")},
        RUN.format(p="plan.txt", d="data.csv"), 0, expected={
            "OUT.csv": "D1,D2,D3,D4,D5,DAYS\n"
                       "2025-01-31,2025-01-31,2025-01-31,2025-02-03,2025-01-31,3\n"
                       "2024-02-28,2024-02-29,2024-02-29,2024-03-01,2024-02-29,2\n"
                       "2024-12-31,2024-12-31,2024-12-31,2024-12-31,,0\n",
            "rejects.csv": REJECTS_HEADER +
                           '4,D1,"D1: ""02/29/2025"" is not a MM/DD/YYYY date",'
                           '"02/29/2025,01.01.2025,20250101,1-Jan-2025,2025-01-01"\n'})
    case("plan_map_lookup_skip_reject", {
        "data.csv": "Side,DC,Broker,Amt,Status\n"
                    "B,D,GS,10.00,NEW\n"
                    "S,C,XX,-5.00,NEW\n"
                    "X,D,MS,7.5,VOID\n"
                    "S,D,,3,NEW\n"
                    "B,C,MS,,NEW\n"
                    "X,D,GS,1,NEW\n",
        "plan.txt": plan(
            'SIDE    text(4)                = [Side] mapped ("B" -> "Buy", "S" -> "Sell")\n'
            'DIR     text(6)                = [DC] mapped ("D" -> "DEBIT", "C" -> "CREDIT")\n'
            'BROKER  text                   = [Broker] looked up in BROKERS (otherwise "UNKNOWN")\n'
            'AMOUNT  decimal(18,2) required = [Amt] read as number\n'
            'skip rows where [Status] is "VOID"\n'
            'reject rows where AMOUNT < 0: "negative amount"\n'
            'lookup BROKERS from tab "Brokers" (key "Code", value "Name"):\n'
            '  "GS" -> "Goldman Sachs"\n'
            '  "MS" -> "Morgan Stanley"\n')},
        RUN.format(p="plan.txt", d="data.csv"), 0, expected={
            "OUT.csv": "SIDE,DIR,BROKER,AMOUNT\n"
                       "Buy,DEBIT,Goldman Sachs,10.00\n"
                       "Sell,DEBIT,,3.00\n"
                       "X,DEBIT,Goldman Sachs,1.00\n",
            "rejects.csv": REJECTS_HEADER +
                           '3,,negative amount,"S,C,XX,-5.00,NEW"\n'
                           '6,AMOUNT,AMOUNT is required but missing,"B,C,MS,,NEW"\n'})
    case("plan_skip_last_rows", {
        "data.csv": "Ref,Amount\nA1,10.00\nA2,20.50\nTOTAL,30.50\nCOUNT,2\n",
        "plan.txt": PLAN + "skip the last 2 rows\n"},
        RUN.format(p="plan.txt", d="data.csv"), 0, expected={
            "PAYMENTS.csv": "REF,AMOUNT\nA1,10.00\nA2,20.50\n", "rejects.csv": REJECTS_HEADER})
    case("plan_semicolon_cp1252_preamble", {
        "data.csv": "Export 31.01.2025\r\n\r\nRef;Name;Betrag\r\nA1;Müller;1.234,56\r\nA2;\"Café; Bar\";-9,99\r\n"
                    .encode("cp1252"),
        "plan.txt": "plan TEST v1\n"
                    'source "data.csv": csv, delimiter ";", quote "\\"", encoding Windows-1252, header on line 3\n'
                    "output OUT\n\n"
                    "REF     text(10)      = [Ref]\n"
                    "NAME    text          = [Name] upper cased\n"
                    'AMOUNT  decimal(18,2) = [Betrag] read as number (thousands ".", decimal ",")\n'},
        RUN.format(p="plan.txt", d="data.csv"), 0, expected={
            "OUT.csv": "REF,NAME,AMOUNT\nA1,MÜLLER,1234.56\nA2,CAFÉ; BAR,-9.99\n",
            "rejects.csv": REJECTS_HEADER})
    # read as boolean: the step's own words (surrounding spaces ignored), or true/false without a list
    case("plan_boolean_words", {
        "data.csv": 'Flag,Word\n"N ",true\nY,false\nX,TRUE\n',
        "plan.txt": "plan TEST v1\n"
                    'source "data.csv": csv, delimiter ",", quote "\\"", encoding UTF-8, header on line 1\n'
                    "output OUT\n\n"
                    'FLAG  boolean = [Flag] read as boolean ("Y" = true, "N" = false)\n'
                    "WORD  boolean = [Word] read as boolean\n"},
        RUN.format(p="plan.txt", d="data.csv") + " --no-parquet", 0, expected={
            "OUT.csv": "FLAG,WORD\nfalse,true\ntrue,false\n",
            "rejects.csv": REJECTS_HEADER + '4,FLAG,"FLAG: ""X"" is not a boolean","X,TRUE"\n'})
    case("plan_command_prints_plan", {"mapping.csv": MAPPING_CSV, "data.csv": DATA_CSV},
         "plan --client TEST --mapping $CASE/mapping.csv --data $CASE/data.csv --out $OUT", 0,
         stdout=["output PAYMENTS", "[Ref]", "[Amount]", "read as number"])


# ---- positive cases: analyst rules read by the planner (CSV or xlsx mappings) -----------------

def mapping_csv(title, rows):
    head = "Target table: %s\nSource Field,Target Field,Type,Rule,Mandatory\n" % title
    def q(v):
        return '"%s"' % v.replace('"', '""') if any(c in v for c in ',"\n') else v
    return head + "".join(",".join(q(v) for v in r) + "\n" for r in rows)


def onboard_case(name, rows, data, out_csv, rejects="", title="OUT", mapping=None):
    files = {"data.csv": data}
    if mapping is None:
        files["mapping.csv"] = mapping_csv(title, rows)
        m = "mapping.csv"
    else:
        files["mapping.xlsx"] = mapping
        m = "mapping.xlsx"
    case(name, files, ONBOARD.format(m=m, d="data.csv"), 0,
         expected={title + ".csv": out_csv, "rejects.csv": REJECTS_HEADER + rejects})


def rule_cases():
    onboard_case("ragged_rows",
                 [["Ref", "REF", "Varchar(10)", "As is", "Y"],
                  ["Amount", "AMOUNT", "Decimal(18,2)", "As is", "Y"],
                  ["Note", "NOTE", "Text", "As is", "N"]],
                 'Ref,Amount,Note\nA1,10.00,ok\nA2,20.00\nA3,30.00,x,extra\nA4,40.00,"quoted, with comma"\n',
                 'REF,AMOUNT,NOTE\nA1,10.00,ok\nA4,40.00,"quoted, with comma"\n',
                 '3,,"record has 2 fields, expected 3","A2,20.00"\n'
                 '4,,"record has 4 fields, expected 3","A3,30.00,x,extra"\n')
    onboard_case("rule_round_half_up",
                 [["Ref", "REF", "Varchar(10)", "As is", "Y"],
                  ["Rate", "RATE", "Decimal(18,2)", "Round half up to 2 decimals", "Y"]],
                 "Ref,Rate\nR1,2.345\nR2,-2.345\nR3,2.344\nR4,0.005\nR5,-0.005\nR6,7\n",
                 "REF,RATE\nR1,2.35\nR2,-2.35\nR3,2.34\nR4,0.01\nR5,-0.01\nR6,7.00\n")
    onboard_case("rule_constants",
                 [["Ref", "REF", "Varchar(10)", "Direct move", "Y"],
                  ["", "CURRENCY", "Varchar(3)", "hardcode USD", "Y"],
                  ["", "LEDGER", "Varchar(4)", "Constant 'GL'", "Y"]],
                 "Ref,Other\nA1,x\nA2,y\n",
                 "REF,CURRENCY,LEDGER\nA1,USD,GL\nA2,USD,GL\n")
    onboard_case("rule_text_before_after_first",
                 [["Account", "DESK", "Varchar(10)", "Text before the '-'", "N"],
                  ["Account", "ACCOUNT_NO", "Varchar(10)", "Text after the '-'", "N"],
                  ["City", "CITY_CODE", "Varchar(3)", "First 3 characters", "N"]],
                 "Account,City\nEQ-123,Zürich\n456,Genève\nA-B-C,Oslo\n",
                 "DESK,ACCOUNT_NO,CITY_CODE\nEQ,123,Zür\n456,,Gen\nA,B-C,Osl\n")
    onboard_case("rule_pad_prefix_upper",
                 [["Acct", "ACCOUNT_ID", "Varchar(10)", "Left-pad with zeros to 10 characters", "Y"],
                  ["Vendor", "VENDOR_ID", "Varchar(8)", "Prefix with 'V'", "Y"],
                  ["Code", "CODE", "Varchar(5)", "Trim and upper case", "N"]],
                 "Acct,Vendor,Code\n42,1001, ab \n1234567890,77,cd\n12345678901,5,\n",
                 "ACCOUNT_ID,VENDOR_ID,CODE\n0000000042,V1001,AB\n1234567890,V77,CD\n",
                 '4,ACCOUNT_ID,"ACCOUNT_ID: ""12345678901"" is longer than 10 characters","12345678901,5,"\n')
    onboard_case("rule_scale_units",
                 [["Ref", "REF", "Varchar(10)", "As is", "Y"],
                  ["Notional", "NOTIONAL", "Decimal(18,2)", "Multiply by 1000", "N"],
                  ["Cents", "FEE", "Decimal(18,2)", "Divide by 100 (cents to units)", "N"]],
                 "Ref,Notional,Cents\nA1,1.5,1999\nA2,0.001,5\nA3,,\n",
                 "REF,NOTIONAL,FEE\nA1,1500.00,19.99\nA2,1.00,0.05\nA3,,\n")
    onboard_case("rule_dates_and_days",
                 [["Trade Date", "TRADE_DATE", "Date", "Convert from YYYYMMDD to YYYY-MM-DD", "Y"],
                  ["Settle Date", "SETTLE_DATE", "Date", "Convert from D-Mon-YYYY", "Y"],
                  ["Trade Date, Settle Date", "SETTLE_DAYS", "Integer",
                   "Days between Trade Date and Settle Date", "N"],
                  ["Booked", "BOOKED", "Date", "Convert from DD.MM.YYYY to YYYY-MM-DD", "N"]],
                 "Trade Date,Settle Date,Booked\n20250131,3-Feb-2025,31.01.2025\n"
                 "20240228,1-Mar-2024,29.02.2024\n20250230,3-Mar-2025,01.03.2025\n",
                 "TRADE_DATE,SETTLE_DATE,SETTLE_DAYS,BOOKED\n2025-01-31,2025-02-03,3,2025-01-31\n"
                 "2024-02-28,2024-03-01,2,2024-02-29\n",
                 '4,TRADE_DATE,"TRADE_DATE: ""20250230"" is not a YYYYMMDD date",'
                 '"20250230,3-Mar-2025,01.03.2025"\n')
    onboard_case("rule_dc_negate_and_map",
                 [["Amt", "AMOUNT", "Decimal(18,2)",
                   "Values in parentheses are negative, remove thousands separators; negate when Dr/Cr = 'C'", "Y"],
                  ["Dr/Cr", "DIRECTION", "Varchar(6)", "D -> DEBIT, C -> CREDIT", "Y"],
                  ["Ccy", "CURRENCY", "Varchar(3)", "Default to USD when blank", "N"]],
                 'Amt,Dr/Cr,Ccy\n"1,234.56",D,EUR\n"(1,234.56)",D,\n100.00,C,GBP\n(5.00),C,\n',
                 "AMOUNT,DIRECTION,CURRENCY\n1234.56,DEBIT,EUR\n-1234.56,DEBIT,USD\n"
                 "-100.00,CREDIT,GBP\n5.00,CREDIT,USD\n")
    onboard_case("rule_concat_mandatory",
                 [["First Name + Last Name", "FULL_NAME", "Varchar(40)",
                   "Concatenate First Name and Last Name with a space", "N"],
                  ["Emp No", "EMPLOYEE_ID", "Varchar(8)", "As is", "Y"]],
                 "Emp No,First Name,Last Name\nE1,Renée,Müller\n,Zoë,Weiß\nE3,Ana,Ibáñez\n",
                 "FULL_NAME,EMPLOYEE_ID\nRenée Müller,E1\nAna Ibáñez,E3\n",
                 '3,EMPLOYEE_ID,EMPLOYEE_ID is required but missing,",Zoë,Weiß"\n')
    onboard_case("rule_european_trailer_exclude",
                 [["Ref", "REF", "Varchar(10)", "As is", "Y"],
                  ["Betrag", "AMOUNT", "Decimal(18,2)", "European format (1.234,56)", "Y"],
                  ["Status", "", "", "Exclude rows where Status = 'VOID'", ""],
                  ["", "", "", "Ignore the trailer row", ""]],
                 'Ref,Betrag,Status\nA1,"1.234,56",OK\nA2,"-0,50",VOID\nA3,"12.345.678,9",OK\nTOTAL,"12.346.913,96",\n',
                 "REF,AMOUNT\nA1,1234.56\nA3,12345678.90\n")
    lookup_book = {"sheets": [
        {"name": "Mapping", "merged": ["A1:E1"], "rows": [
            ["Trades mapping", None, None, None, None],
            ["Target table: OUT", None, None, None, None],
            [],
            ["Source Field", "Target Field", "Type", "Rule", "Mandatory"],
            ["Broker", "BROKER_NAME", "Varchar(30)",
             "Look up broker name on the Brokers tab, default 'UNKNOWN'", "N"],
            ["Side", "SIDE", "Varchar(4)", "B = Buy, S = Sell", "Y"],
            ["Qty, Px", "GROSS", "Decimal(18,2)", "QTY * PX, round half up to 2 decimals", "Y"]]},
        {"name": "Brokers", "rows": [["Code", "Name"], ["GS", "Goldman Sachs"], ["MS", "Morgan Stanley"]]}]}
    onboard_case("rule_lookup_map_product", None,
                 "Broker,Side,Qty,Px\nGS,B,1,10.125\nZZ,S,3,0.005\nMS,S,2,1.5\n",
                 "BROKER_NAME,SIDE,GROSS\nGoldman Sachs,Buy,10.13\nUNKNOWN,Sell,0.02\nMorgan Stanley,Sell,3.00\n",
                 mapping=lookup_book)


def limit_cases():
    """Plans past the expression limits (docs/limits.md): each one clear error naming plan.txt,
    its line and column, exit 1, no crash, nothing written.  Before the limits, each of these
    overflowed the stack of the parser, the checker or the renderer (deeper ones are in
    tests/scripts/deep_plans.sh)."""
    base = {"data.csv": DATA_CSV}
    col = "AMOUNT  decimal(18,2) required = "
    def with_amount(expr):
        return PLAN.replace(col + "[Amount] read as number", col + expr)
    # 10,000 nested parentheses: the 257th opens at column len(col) + 1 + 256
    case("err_plan_deep_parens",
         dict(base, **{"plan.txt": with_amount("(" * 10000 + "[Amount]" + ")" * 10000 + " read as number")}),
         RUN.format(p="plan.txt", d="data.csv"), 1,
         stderr=["plan.txt:6:%d: expression nested deeper than 256 levels" % (len(col) + 1 + 256)],
         no_files=True)
    case("err_plan_deep_parens_check",
         {"plan.txt": with_amount("(" * 10000 + "[Amount]" + ")" * 10000 + " read as number")},
         "check --plan $CASE/plan.txt", 1,
         stderr=["plan.txt:6:%d: expression nested deeper than 256 levels" % (len(col) + 1 + 256)])
    # a left-deep sum of 3,000 terms parses without recursing, then is one level per "+"
    case("err_plan_long_sum",
         dict(base, **{"plan.txt": with_amount(" + ".join(["([Amount] read as number)"] * 3000))}),
         RUN.format(p="plan.txt", d="data.csv"), 1,
         stderr=["plan.txt:6:", "expression nested deeper than 256 levels"], no_files=True)
    case("err_plan_long_concat_compile",
         {"plan.txt": PLAN.replace("= [Ref]", "= " + " & ".join(["[Ref]"] * 3000))},
         "compile --plan $CASE/plan.txt --to pyspark", 1,
         stderr=["plan.txt:5:", "expression nested deeper than 256 levels"])
    # "not not not ...": p_not recurses on itself
    rule = 'reject rows where ' + "not " * 5000 + '[Amount] is missing: "no amount"\n'
    case("err_plan_deep_not", dict(base, **{"plan.txt": PLAN + rule}),
         RUN.format(p="plan.txt", d="data.csv"), 1,
         stderr=["plan.txt:7:%d: expression nested deeper than 256 levels" % (len("reject rows where ") + 1 + 4 * 256)],
         no_files=True)
    # else if ... else if ...: one level per if
    ifs = "".join('if [Ref] is "A%d" then "%d" else ' % (i, i) for i in range(2000)) + '"x"'
    case("err_plan_deep_if",
         dict(base, **{"plan.txt": PLAN.replace("text(10) required      = [Ref]", "text(10) required      = " + ifs)}),
         RUN.format(p="plan.txt", d="data.csv"), 1,
         stderr=["plan.txt:5:", "expression nested deeper than 256 levels"], no_files=True)
    # at the limit it still works: 200 nested parentheses and a sum of 200 terms run
    case("plan_nesting_under_limit",
         dict(base, **{"plan.txt": with_amount("(" * 200 + "[Amount] read as number" + ")" * 200 + " + " +
                                               " + ".join(["0"] * 200))}),
         RUN.format(p="plan.txt", d="data.csv"), 0,
         expected={"PAYMENTS.csv": "REF,AMOUNT\nA1,10.00\nA2,20.50\nA3,7.25\n"})


def inline_sheet(rows, extra=""):
    """A worksheet of inline strings (rows of text), then extra XML inside <sheetData>."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, 1):
        out.append('<row r="%d">' % r)
        for c, text in enumerate(row):
            out.append('<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % ("ABCDEFGH"[c], r, text))
        out.append('</row>')
    out.append(extra + '</sheetData></worksheet>\n')
    return "".join(out)


def xlsx_limit_cases():
    """Workbooks that cost memory out of proportion to what they hold (docs/limits.md): each is
    one clear error naming the workbook and the part, exit 1, nothing written."""
    rows = [["Source Field", "Target Field", "Type", "Rule", "Mandatory"],
            ["Ref", "REF", "Varchar(10)", "As is", "Y"],
            ["Amount", "AMOUNT", "Decimal(18,2)", "As is", "Y"]]
    base = {"data.csv": DATA_CSV}
    cmd = ONBOARD.format(m="mapping.xlsx", d="data.csv")
    # one value at XFD3000: a 16384 x 3000 grid (49 M cells, ~390 MB) for 16 values
    far = '<row r="3000"><c r="XFD3000" t="inlineStr"><is><t>x</t></is></c></row>'
    case("err_mapping_far_cell", dict(base, **{"mapping.xlsx": zip_bytes(minimal_xlsx_parts(inline_sheet(rows, far)))}),
         cmd, 1, stderr=["mapping.xlsx", "xl/worksheets/sheet1.xml", "XFD3000"], no_files=True)
    # 1,000,000 elements nested inside a cell (a few KB zipped)
    deep = '<row r="4"><c r="A4" t="inlineStr"><is><t>' + "<x>" * 1000000 + "</x>" * 1000000 + '</t></is></c></row>'
    case("err_mapping_deep_xml", dict(base, **{"mapping.xlsx": zip_bytes(minimal_xlsx_parts(inline_sheet(rows, deep)))}),
         cmd, 1, stderr=["mapping.xlsx", "xl/worksheets/sheet1.xml:", "nested deeper than 128 levels"], no_files=True)
    # the per-workbook budget, lowered to 32 KB: one 60,000-character note goes past it
    note = '<row r="5"><c r="G5" t="inlineStr"><is><t>' + "n" * 60000 + '</t></is></c></row>'
    book = zip_bytes(minimal_xlsx_parts(inline_sheet(rows, note)))
    case("err_mapping_budget", dict(base, **{"mapping.xlsx": book}),
         cmd, 1, stderr=["mapping.xlsx", "xl/worksheets/sheet1.xml", "MAPFORGE_XLSX_BUDGET"], no_files=True,
         env=["MAPFORGE_XLSX_BUDGET=32768"])


def grid_limit_cases():
    """Inputs whose cost would follow what they declare rather than what they hold
    (docs/limits.md): one clear error naming the file, the line and the limit, exit 1, nothing
    written."""
    # a CSV mapping whose line 3000 has a value in field 16384: a 16384 x 3000 grid (49 M cells,
    # ~390 MB) for 17 values, from a 20 KB file
    far = MAPPING_CSV + "\n" * (3000 - 5) + "," * 16383 + "x\n"
    case("err_mapping_csv_far_cell", {"mapping.csv": far, "data.csv": DATA_CSV},
         ONBOARD.format(m="mapping.csv", d="data.csv"), 1,
         stderr=["mapping.csv:3000:", "XFD3000", "49152000 cells", "at most 4194304 cells"], no_files=True)
    # a data file whose header has 20,000 columns (Excel stops at 16,384)
    wide = ",".join("c%d" % i for i in range(20000)) + "\n" + ",".join("1" for _ in range(20000)) + "\n"
    case("err_data_too_many_columns", {"mapping.csv": MAPPING_CSV, "data.csv": wide},
         ONBOARD.format(m="mapping.csv", d="data.csv"), 1,
         stderr=["data.csv:1:", "20000 columns", "at most 16384 columns"], no_files=True)


if __name__ == "__main__":
    error_cases()
    plan_cases()
    rule_cases()
    limit_cases()
    xlsx_limit_cases()
    grid_limit_cases()
    print("cases written under", HERE)
