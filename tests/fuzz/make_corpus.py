#!/usr/bin/env python3
"""make_corpus.py — (re)write the small committed seed corpus of each fuzz target, tests/fuzz/corpus/<target>/,
from the examples and the case folders.  Files are named by the SHA-1 of their content (as libFuzzer names
them), so rerunning writes the same files.  scripts/fuzz.sh adds its finds to a working copy, never here."""
import csv, glob, hashlib, io, os, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX = 64 * 1024


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def small(paths, limit=12):
    out = [p for p in sorted(set(paths)) if os.path.getsize(p) <= MAX]
    return out[:limit]


def read(p):
    with open(p, "rb") as f:
        return f.read()


for p in small(glob.glob(ROOT + "/tests/cases/*/data.csv") + glob.glob(ROOT + "/examples/*/*.csv")):
    put("fuzz_csv", read(p))
for p in small(glob.glob(ROOT + "/tests/cases/*/*.xlsx") + glob.glob(ROOT + "/examples/*/mapping.xlsx")):
    put("fuzz_mapping_xlsx", read(p))
for p in small(glob.glob(ROOT + "/tests/cases/*/mapping.csv")):
    put("fuzz_mapping_csv", read(p))
plans = [p for p in glob.glob(ROOT + "/tests/cases/*/*.txt") + glob.glob(ROOT + "/examples/*/expected/plan.txt")
         if "deep" not in p and "long" not in p]
for p in small(plans, 16):
    put("fuzz_plan", read(p))

# rule texts: the Rule column of the case mappings (CSV, and the xlsx sheets' inline/shared strings)
rules = set()
for p in glob.glob(ROOT + "/tests/cases/*/mapping.csv"):
    rows = list(csv.reader(io.StringIO(read(p).decode("utf-8", "replace"))))
    for i, row in enumerate(rows):
        if "Rule" in row:
            k = row.index("Rule")
            rules.update(r[k] for r in rows[i + 1:] if len(r) > k and r[k])
            break
rules.update(["CASE WHEN DC_IND = 'C' THEN -1 * AMT ELSE AMT END",
              "=IFERROR(VLOOKUP([@Country],Countries!A:B,2,FALSE),\"Unknown\")",
              "LPAD(EMP_NO, 8, '0')", "=AND([@Amount]<>0,[@Type]<>\"TEST\")",
              "SUBSTR(ACCT, 1, 4) || '-' || TRIM(CC)", "=TEXT([@Date],\"yyyy-mm-dd\")"])
for i, r in enumerate(sorted(rules)[:40]):
    put("fuzz_rules", bytes([i % 48]) + r.encode("utf-8"))
    put("fuzz_formula", bytes([i % 48]) + r.encode("utf-8"))
# model answers (fuzz_llm): byte 0 = bit 0 Anthropic, bit 1 streamed; then the body a provider sends
import json
exprs = ['[Acct No] trimmed, padded left with "0" to 10', '[Posting Dt] read as MM/DD/YYYY',
         '[Amt] read as number (thousands ","), negated when [Dr/Cr] is "C"',
         'if [Qty] read as number > 0 then "BUY" else "SELL"', '[First] trimmed & " " & [Last] trimmed', '[B] read as number']
for i, x in enumerate(exprs):
    ans = json.dumps({"expression": x, "explanation": "why %d" % i, "confidence": [0.8, 70, 1][i % 3]})
    usage = {"prompt_tokens": 10, "completion_tokens": 5}
    if i % 2:
        msg = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "plan_expression", "arguments": ans}}]}
    else:
        msg = {"role": "assistant", "content": ans}
    put("fuzz_llm", b"\x00" + json.dumps({"model": "m", "choices": [{"message": msg}], "usage": usage}).encode())
    half = len(ans) // 2
    sse = "".join("data: %s\n\n" % json.dumps({"model": "m", "choices": [{"delta": {"content": part}}]})
                  for part in (ans[:half], ans[half:]))
    put("fuzz_llm", b"\x02" + (sse + "data: %s\n\ndata: [DONE]\n\n" % json.dumps({"choices": [], "usage": usage})).encode())
    doc = {"model": "claude", "content": [{"type": "tool_use", "name": "plan_expression", "input": json.loads(ans)}],
           "usage": {"input_tokens": 10, "output_tokens": 5}}
    put("fuzz_llm", b"\x01" + json.dumps(doc).encode())
    ev = [("message_start", {"type": "message_start", "message": {"model": "claude", "usage": {"input_tokens": 9}}}),
          ("content_block_delta", {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": ans[:half]}}),
          ("content_block_delta", {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": ans[half:]}}),
          ("message_delta", {"type": "message_delta", "usage": {"output_tokens": 4}}), ("message_stop", {"type": "message_stop"})]
    put("fuzz_llm", b"\x03" + "".join("event: %s\r\ndata: %s\r\n\r\n" % (k, json.dumps(d)) for k, d in ev).encode())
put("fuzz_llm", b"\x02" + b'data: {"error": {"message": "overloaded"}}\n\n')
put("fuzz_llm", b"\x03" + b'event: error\ndata: {"type": "error", "error": {"message": "bad"}}\n\n')

# HTTP requests (fuzz_serve): @SESSION@ / @CSRF@ become a signed-in session's tokens
def req(method, path, headers=(), body=b""):
    h = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:8321"] + list(headers)
    if body or method == "POST":
        # the length the server sees: the placeholders become 64-character tokens
        n = len(body) + (64 - 6) * body.count(b"@CSRF@") + (64 - 9) * body.count(b"@SESSION@")
        h += ["Content-Type: application/x-www-form-urlencoded", "Content-Length: %d" % n]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body
ses = "Cookie: mf_session=@SESSION@"
for path in ["/", "/clients", "/client?name=ACME", "/plan?client=ACME&sha=abc", "/review?id=1", "/runs",
             "/run?id=1&job=2", "/cache", "/audit?client=A&event=login&actor=fuzz", "/rejects?run=1", "/events?job=1",
             "/static/app.css", "/static/app.js", "/nothing"]:
    put("fuzz_serve", req("GET", path, [ses]))
put("fuzz_serve", req("GET", "/login"))
put("fuzz_serve", req("HEAD", "/login", ["Cookie: mf_pre=" + "ab" * 32]))
put("fuzz_serve", req("POST", "/login", ["Cookie: mf_pre=" + "ab" * 32, "Origin: http://127.0.0.1:8321"],
                      b"pre=" + b"ab" * 32 + b"&user=fuzz&password=wrong+one"))
for path, body in [("/review/feedback", b"csrf=@CSRF@&id=1&text=use+%22the+fee%22"), ("/review/answer", b"csrf=@CSRF@&id=1&n=2&text=yes"),
                   ("/review/accept", b"csrf=@CSRF@&id=1&n=0"), ("/review/discard", b"csrf=@CSRF@&id=1&n=0"),
                   ("/review/approve", b"csrf=@CSRF@&id=1&comment=ok"), ("/review/reject", b"csrf=@CSRF@&id=1&comment=no"),
                   ("/review/run", b"csrf=@CSRF@&id=1"), ("/logout", b"csrf=@CSRF@"), ("/review/feedback", b"id=1&text=x")]:
    put("fuzz_serve", req("POST", path, [ses, "Origin: http://127.0.0.1:8321"], body))
put("fuzz_serve", req("POST", "/review/approve", [ses, "X-CSRF-Token: @CSRF@", "Origin: http://evil.example"], b"id=1"))
put("fuzz_serve", req("PUT", "/", [ses]))
put("fuzz_serve", req("GET", "/", [ses, "Connection: keep-alive"]) + req("GET", "/runs", [ses]))
# a review started by upload (multipart/form-data to /review/new, main's upload form)
mapping = read(ROOT + "/tests/llm/case/mapping.csv")
data = read(ROOT + "/tests/llm/case/data.csv")
parts = [(b'name="csrf"', b"@CSRF@"), (b'name="client"', b"NEWCO"),
         (b'name="mapping"; filename="mapping.csv"\r\nContent-Type: text/csv', mapping),
         (b'name="data"; filename="data.csv"\r\nContent-Type: text/csv', data)]
mp = b"".join(b"--xyzzy\r\nContent-Disposition: form-data; " + h + b"\r\n\r\n" + v + b"\r\n" for h, v in parts) + b"--xyzzy--\r\n"
n = len(mp) + (64 - 6) * mp.count(b"@CSRF@")
put("fuzz_serve", ("POST /review/new HTTP/1.1\r\nHost: 127.0.0.1:8321\r\nCookie: mf_session=@SESSION@\r\n"
                   "Content-Type: multipart/form-data; boundary=xyzzy\r\nContent-Length: %d\r\n\r\n" % n).encode() + mp)
# review feedback lines (fuzz_feedback: first byte even = a feedback line, odd = the answer to open item 1..3)
for line in ["add validation for negative values on AMOUNT", "AMOUNT should be divided by 100, not multiplied",
             "take POSTED from Posting Dt instead", "reject rows where Acct No is empty", "make AMOUNT required",
             "remove the filter on Status", "ACCOUNT_ID must be unique", "check that AMOUNT is not zero",
             "default KIND to \"DEBIT\"; trim ACCOUNT_ID and upper case it", "skip rows where Status is \"X\" and Amt is 0"]:
    put("fuzz_feedback", b"\x00" + line.encode())
for answer in ["[Dr/Cr] mapped (\"D\" -> \"DEBIT\", \"C\" -> \"CREDIT\", otherwise rejected)", "\"GL\"",
               "D -> DEBIT, C -> CREDIT", "Constant 'X'"]:
    put("fuzz_feedback", b"\x01" + answer.encode())
print("corpus written under", os.path.join(HERE, "corpus"))
