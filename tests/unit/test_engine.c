/* test_engine.c — the native back end: compile + engine on hand-built blocks (every step and
 * operator, nulls, Unicode, rounding, dates, maps/lookups, each reject reason, record order),
 * and run_plan end to end (row accounting, skip rules, skip_last, ragged records, quoting,
 * run.json, and no output files left behind on errors). */
#include "check.h"
#include "util/interrupt.h"
#include "compile/program.h"
#include "engine/engine.h"
#include "util/afile.h"
#include "write/run.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- hand-built blocks ------------------------------------------------------------------------ */

static const char *HEADER[] = {"A", "B", "C"};

typedef struct fake_block {
    csv_block b;
    char *text;
} fake_block;

/* Records are written with '|' between fields: "x|y|z". */
static void fake_init(fake_block *f, const char *const *recs, size_t n)
{
    memset(f, 0, sizeof *f);
    size_t total = 0, nf = 0;
    for (size_t i = 0; i < n; i++) {
        total += strlen(recs[i]) + 1;
        nf += 1;
        for (const char *s = recs[i]; *s; s++)
            nf += *s == '|';
    }
    f->text = malloc(total + 1);
    csv_block *b = &f->b;
    b->nrows = n;
    b->line = calloc(n, sizeof *b->line);
    b->first = calloc(n, sizeof *b->first);
    b->nfields = calloc(n, sizeof *b->nfields);
    b->raw = calloc(n, sizeof *b->raw);
    b->raw_len = calloc(n, sizeof *b->raw_len);
    b->fptr = calloc(nf, sizeof *b->fptr);
    b->flen = calloc(nf, sizeof *b->flen);
    size_t pos = 0, fi = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(recs[i]);
        char *t = f->text + pos;
        memcpy(t, recs[i], len);
        pos += len + 1;
        b->line[i] = (long)i + 2;
        b->raw[i] = t;
        b->raw_len[i] = (uint32_t)len;
        b->first[i] = (uint32_t)fi;
        const char *start = t;
        for (size_t k = 0; k <= len; k++) {
            if (k == len || t[k] == '|') {
                b->fptr[fi] = start;
                b->flen[fi] = (uint32_t)(t + k - start);
                fi++;
                b->nfields[i]++;
                start = t + k + 1;
            }
        }
    }
}

static void fake_free(fake_block *f)
{
    csv_block *b = &f->b;
    free(b->line);
    free(b->first);
    free(b->nfields);
    free(b->raw);
    free(b->raw_len);
    free(b->fptr);
    free(b->flen);
    free(f->text);
}

/* Run p over records; the result is the output text then the rejects, e.g.
 * "x,1\n" or "REJECT 2,COL,reason,raw\n" or "FILTERED\n" per record. */
static char result[8192];

static const char *run_records(plan *p, const char *const *recs, size_t n)
{
    mf_err e;
    mf_err_clear(&e);
    eng_program *g = eng_compile(p, HEADER, 3, "test.plan", &e);
    if (!g) {
        snprintf(result, sizeof result, "COMPILE: %s", e.msg);
        return result;
    }
    fake_block f;
    fake_init(&f, recs, n);
    eng_worker *w = eng_worker_new(g);
    eng_result r;
    eng_result_init(&r);
    eng_run_block(w, &f.b, &r);
    mf_buf all = {0};
    size_t c0 = 0, j0 = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        if (r.fate[i] == ENG_OUTPUT)
            mf_buf_add(&all, r.csv.data + c0, r.csv_end[i] - c0);
        else if (r.fate[i] == ENG_REJECTED) {
            mf_buf_adds(&all, "REJECT ");
            mf_buf_add(&all, r.rej.data + j0, r.rej_end[i] - j0);
        } else
            mf_buf_adds(&all, "FILTERED\n");
        c0 = r.csv_end[i];
        j0 = r.rej_end[i];
    }
    snprintf(result, sizeof result, "%s", mf_buf_str(&all));
    mf_buf_free(&all);
    eng_result_free(&r);
    eng_worker_free(w);
    fake_free(&f);
    eng_program_free(g);
    return result;
}

static const char *run1(plan *p, const char *rec)
{
    const char *recs[] = {rec};
    return run_records(p, recs, 1);
}

/* ---- plan building ---------------------------------------------------------------------------- */

static plan_type T_TEXT = {PT_TEXT, 0, 0, 0};
static plan_type T_DATE = {PT_DATE, 0, 0, 0};
static plan_type T_BIGINT = {PT_BIGINT, 0, 0, 0};
static plan_type T_INT = {PT_INTEGER, 0, 0, 0};
static plan_type T_BOOL = {PT_BOOLEAN, 0, 0, 0};

static plan_type text_n(int n)
{
    plan_type t = {PT_TEXT, n, 0, 0};
    return t;
}

static plan_type dec(int p, int s)
{
    plan_type t = {PT_DECIMAL, 0, p, s};
    return t;
}

static plan_expr *src(plan *p, const char *name)
{
    return plan_source_ref(p, name);
}

static plan_expr *step(plan *p, plan_expr *kid, plan_step_kind k, const char *s, long n, long m)
{
    plan_expr *e = plan_with_step(p, kid, k);
    e->step.s = s ? plan_strdup(p, s) : NULL;
    e->step.n = n;
    e->step.m = m;
    return e;
}

static plan_expr *outref(plan *p, const char *name)
{
    plan_expr *e = plan_new_expr(p, PE_OUTPUT);
    e->name = plan_strdup(p, name);
    return e;
}

static plan_expr *cond1(plan *p, plan_expr_kind k, plan_expr *a, const char *text)
{
    plan_expr *e = plan_new_expr(p, k);
    e->kid[0] = a;
    e->text = text ? plan_strdup(p, text) : NULL;
    return e;
}

static plan_column *col(plan *p, const char *name, plan_type t, plan_expr *e)
{
    plan_column *c = plan_add_column(p, name, t);
    c->expr = e;
    return c;
}

/* One text column X = step([A]) on a record "a|b|c". */
static const char *text_step(plan_step_kind k, const char *s, long n, long m, const char *a)
{
    plan p;
    plan_init(&p);
    col(&p, "X", T_TEXT, step(&p, src(&p, "A"), k, s, n, m));
    char rec[256];
    snprintf(rec, sizeof rec, "%s|b|c", a);
    const char *r = run1(&p, rec);
    plan_free(&p);
    return r;
}

/* ---- steps ------------------------------------------------------------------------------------ */

static void test_text_steps(void)
{
    CHECK_STR(text_step(PS_TRIM, NULL, 0, 0, "  x y \t"), "x y\n");
    CHECK_STR(text_step(PS_TRIM, NULL, 0, 0, "\xC2\xA0\xE2\x80\x83z\xE3\x80\x80"), "z\n");   /* NBSP, em space, ideographic */
    CHECK_STR(text_step(PS_TRIM, NULL, 0, 0, "   "), "\"\"\n");                                   /* empty → null */
    CHECK_STR(text_step(PS_TRIM, NULL, 0, 0, ""), "\"\"\n");
    CHECK_STR(text_step(PS_UPPER, NULL, 0, 0, "straße ünï"), "STRAßE ÜNÏ\n");   /* simple mapping: ß stays */
    CHECK_STR(text_step(PS_LOWER, NULL, 0, 0, "ÀÉÎ Abc"), "àéî abc\n");
    /* eight ASCII bytes at a time: the bytes just outside A..Z and a..z (@ [ ` {) keep themselves,
     * a word holding a multibyte character goes byte by byte, at any offset */
    CHECK_STR(text_step(PS_UPPER, NULL, 0, 0, "@AZ[`az{~ 09 mixed@AZ[`az{"), "@AZ[`AZ{~ 09 MIXED@AZ[`AZ{\n");
    CHECK_STR(text_step(PS_LOWER, NULL, 0, 0, "@AZ[`az{~ 09 MIXED@AZ[`az{"), "@az[`az{~ 09 mixed@az[`az{\n");
    CHECK_STR(text_step(PS_UPPER, NULL, 0, 0, "abcdefgh\xC3\xA9ijklmnopqrstu"), "ABCDEFGH\xC3\x89IJKLMNOPQRSTU\n");
    CHECK_STR(text_step(PS_LOWER, NULL, 0, 0, "ABCDEFG\xC3\x89HIJKLMNOPQRSTU"), "abcdefg\xC3\xA9hijklmnopqrstu\n");
    CHECK_STR(text_step(PS_PAD_LEFT, "0", 6, 0, "42"), "000042\n");
    CHECK_STR(text_step(PS_PAD_LEFT, "0", 2, 0, "4242"), "4242\n");
    CHECK_STR(text_step(PS_PAD_RIGHT, "·", 4, 0, "é"), "é···\n");
    CHECK_STR(text_step(PS_PAD_LEFT, "0", 4, 0, ""), "\"\"\n");                    /* null passes through */
    /* one-byte pads of 1, 8 and 9 bytes (one 8-byte store up to 8), on both sides */
    CHECK_STR(text_step(PS_PAD_LEFT, "0", 10, 0, "123456789"), "0123456789\n");
    CHECK_STR(text_step(PS_PAD_LEFT, "0", 10, 0, "é1"), "00000000é1\n");
    CHECK_STR(text_step(PS_PAD_LEFT, "0", 10, 0, "1"), "0000000001\n");
    CHECK_STR(text_step(PS_PAD_RIGHT, "-", 9, 0, "a"), "a--------\n");
    CHECK_STR(text_step(PS_PAD_RIGHT, "-", 10, 0, "ab"), "ab--------\n");
    CHECK_STR(text_step(PS_PAD_RIGHT, "-", 11, 0, "ab"), "ab---------\n");
    CHECK_STR(text_step(PS_PREFIX, "ID-", 0, 0, "7"), "ID-7\n");
    CHECK_STR(text_step(PS_SUFFIX, "!", 0, 0, "7"), "7!\n");
    CHECK_STR(text_step(PS_PREFIX, "ID-", 0, 0, ""), "\"\"\n");
    CHECK_STR(text_step(PS_FIRST, NULL, 3, 0, "Ünïcödé"), "Ünï\n");
    CHECK_STR(text_step(PS_LAST, NULL, 3, 0, "Ünïcödé"), "ödé\n");
    CHECK_STR(text_step(PS_LAST, NULL, 30, 0, "ab"), "ab\n");
    CHECK_STR(text_step(PS_SUBSTR, NULL, 2, 4, "Ünïcödé"), "nïc\n");
    CHECK_STR(text_step(PS_SUBSTR, NULL, 9, 12, "abc"), "\"\"\n");
    CHECK_STR(text_step(PS_BEFORE, "-", 0, 0, "ab-cd-e"), "ab\n");
    CHECK_STR(text_step(PS_BEFORE, "-", 0, 0, "abcd"), "abcd\n");
    CHECK_STR(text_step(PS_BEFORE, "-", 0, 0, "-x"), "\"\"\n");
    CHECK_STR(text_step(PS_AFTER, "-", 0, 0, "ab-cd-e"), "cd-e\n");
    CHECK_STR(text_step(PS_AFTER, "-", 0, 0, "abcd"), "\"\"\n");
    CHECK_STR(text_step(PS_FIRST, NULL, 3, 0, "a,\"b"), "\"a,\"\"\"\n");        /* quoting in the output */
}

static const char *typed_step(plan_type t, plan_step_kind k, const char *s, long n, const char *a)
{
    plan p;
    plan_init(&p);
    col(&p, "X", t, step(&p, src(&p, "A"), k, s, n, 0));
    char rec[256];
    snprintf(rec, sizeof rec, "%s|b|c", a);
    const char *r = run1(&p, rec);
    plan_free(&p);
    return r;
}

static void test_dates(void)
{
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "MM/DD/YYYY", 0, "02/29/2024"), "2024-02-29\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "MM/DD/YYYY", 0, " 12/31/1999\t"), "1999-12-31\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "MM/DD/YYYY", 0, "02/29/2023"),
              "REJECT 2,X,\"X: \"\"02/29/2023\"\" is not a MM/DD/YYYY date\",02/29/2023|b|c\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "MM/DD/YYYY", 0, "13/45/2020"),
              "REJECT 2,X,\"X: \"\"13/45/2020\"\" is not a MM/DD/YYYY date\",13/45/2020|b|c\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "DD/MM/YYYY", 0, "01/01/2000"), "2000-01-01\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "DD.MM.YYYY", 0, "31.12.2000"), "2000-12-31\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "M/D/YY", 1950, "1/2/49"), "2049-01-02\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "M/D/YY", 1950, "1/2/50"), "1950-01-02\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "DD Mon YYYY", 0, "05 feb 2021"), "2021-02-05\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_ISO, NULL, 0, "2020-02-29T10:11:12Z"), "2020-02-29\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_ISO, NULL, 0, "2020-02-30"),
              "REJECT 2,X,\"X: \"\"2020-02-30\"\" is not an ISO date\",2020-02-30|b|c\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_EXCEL, NULL, 0, "45000"), "2023-03-15\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_EXCEL, NULL, 0, "x"),
              "REJECT 2,X,\"X: \"\"x\"\" is not an Excel serial date\",x|b|c\n");
    CHECK_STR(typed_step(T_DATE, PS_READ_DATE, "MM/DD/YYYY", 0, ""), "\"\"\n");   /* null */
    /* days from A to B across a year boundary and a leap day */
    plan p;
    plan_init(&p);
    plan_expr *d = plan_new_expr(&p, PE_DAYS);
    d->kid[0] = step(&p, src(&p, "A"), PS_READ_ISO, NULL, 0, 0);
    d->kid[1] = step(&p, src(&p, "B"), PS_READ_ISO, NULL, 0, 0);
    col(&p, "N", T_BIGINT, d);
    CHECK_STR(run1(&p, "2023-12-31|2024-03-01|c"), "61\n");
    CHECK_STR(run1(&p, "2024-03-01|2023-12-31|c"), "-61\n");
    CHECK_STR(run1(&p, "|2023-12-31|c"), "\"\"\n");
    plan_free(&p);
}

static const char *number(plan_type t, plan_numfmt f, const char *a)
{
    plan p;
    plan_init(&p);
    plan_expr *e = step(&p, src(&p, "A"), PS_READ_NUMBER, NULL, 0, 0);
    e->step.numfmt = f;
    col(&p, "AMOUNT", t, e);
    char rec[256];
    snprintf(rec, sizeof rec, "%s|b|c", a);
    const char *r = run1(&p, rec);
    plan_free(&p);
    return r;
}

static void test_numbers(void)
{
    plan_numfmt f = {',', '.', true, false, "$"};
    CHECK_STR(number(dec(18, 2), f, "$1,234.5"), "1234.50\n");
    CHECK_STR(number(dec(18, 2), f, "($1,234.50)"), "-1234.50\n");
    CHECK_STR(number(dec(18, 2), f, "12.345"),
              "REJECT 2,AMOUNT,\"AMOUNT: \"\"12.345\"\" has more than 2 decimals\",12.345|b|c\n");
    CHECK_STR(number(dec(18, 2), f, "12.3400"), "12.34\n");
    CHECK_STR(number(dec(5, 2), f, "1,234.00"),
              "REJECT 2,AMOUNT,\"AMOUNT: \"\"1234.00\"\" has more than 5 digits\",\"1,234.00|b|c\"\n");
    CHECK_STR(number(dec(18, 2), f, "1,23,456"),
              "REJECT 2,AMOUNT,\"AMOUNT: \"\"1,23,456\"\" is not a number\",\"1,23,456|b|c\"\n");
    CHECK_STR(number(dec(18, 2), f, ""), "\"\"\n");
    CHECK_STR(number(T_BIGINT, f, "12.00"), "12\n");
    CHECK_STR(number(T_BIGINT, f, "12.50"),
              "REJECT 2,AMOUNT,\"AMOUNT: \"\"12.50\"\" is not a whole number\",12.50|b|c\n");
    CHECK_STR(number(T_INT, f, "3,000,000,000"),
              "REJECT 2,AMOUNT,\"AMOUNT: \"\"3000000000\"\" is out of range for integer\",\"3,000,000,000|b|c\"\n");
    CHECK_STR(number(T_TEXT, f, "(5)"), "-5\n");   /* a number assigned to text: canonical form */

    CHECK_STR(typed_step(T_BIGINT, PS_READ_INTEGER, NULL, 0, " -42 "), "-42\n");
    CHECK_STR(typed_step(T_BIGINT, PS_READ_INTEGER, NULL, 0, "9223372036854775808"),
              "REJECT 2,X,\"X: \"\"9223372036854775808\"\" is not an integer\",9223372036854775808|b|c\n");
    CHECK_STR(typed_step(T_BIGINT, PS_READ_INTEGER, NULL, 0, "-9223372036854775808"), "-9223372036854775808\n");

    /* rounding, scaling, negation */
    plan p;
    plan_init(&p);
    plan_expr *r = step(&p, step(&p, src(&p, "A"), PS_READ_NUMBER, NULL, 0, 0), PS_ROUND, NULL, 2, 0);
    col(&p, "R", dec(18, 2), r);
    plan_expr *dv = step(&p, step(&p, src(&p, "B"), PS_READ_NUMBER, NULL, 0, 0), PS_DIV, NULL, 0, 0);
    dv->step.num = "8";
    col(&p, "D", dec(20, 12), dv);
    plan_expr *ng = step(&p, step(&p, src(&p, "A"), PS_READ_NUMBER, NULL, 0, 0), PS_NEGATE_WHEN, NULL, 0, 0);
    plan_expr *isc = plan_binary(&p, PB_EQ, src(&p, "C"), plan_text_lit(&p, "C"));
    ng->step.cond = isc;
    col(&p, "N", dec(18, 3), ng);
    col(&p, "ABS", dec(18, 3), step(&p, outref(&p, "N"), PS_ABS, NULL, 0, 0));
    CHECK_STR(run1(&p, "2.345|1|C"), "2.35,0.125000000000,-2.345,2.345\n");
    CHECK_STR(run1(&p, "-2.345|-1|D"), "-2.35,-0.125000000000,-2.345,2.345\n");
    CHECK_STR(run1(&p, "2.344||"), "2.34,,2.344,2.344\n");   /* null condition: not negated */
    plan_free(&p);
}

static void test_arith_concat_if(void)
{
    plan p;
    plan_init(&p);
    plan_expr *a = step(&p, src(&p, "A"), PS_READ_NUMBER, NULL, 0, 0);
    plan_expr *b = step(&p, src(&p, "B"), PS_READ_INTEGER, NULL, 0, 0);
    col(&p, "SUM", dec(18, 2), plan_binary(&p, PB_ADD, a, b));
    col(&p, "PROD", dec(18, 4), plan_binary(&p, PB_MUL, outref(&p, "SUM"), plan_number_lit(&p, "1.5")));
    col(&p, "QUOT", dec(30, 12), plan_binary(&p, PB_DIV, outref(&p, "SUM"), plan_number_lit(&p, "3")));
    col(&p, "CAT", T_TEXT, plan_binary(&p, PB_CONCAT, src(&p, "C"), plan_binary(&p, PB_CONCAT, plan_text_lit(&p, "-"), outref(&p, "SUM"))));
    plan_expr *iff = plan_new_expr(&p, PE_IF);
    iff->kid[0] = plan_binary(&p, PB_GT, outref(&p, "SUM"), plan_number_lit(&p, "0"));
    iff->kid[1] = plan_text_lit(&p, "pos");
    iff->kid[2] = plan_text_lit(&p, "neg or null");
    col(&p, "SIGN", T_TEXT, iff);
    CHECK_STR(run1(&p, "1.25|2|x"), "3.25,4.8750,1.083333333333,x-3.25,pos\n");
    CHECK_STR(run1(&p, "-1.25|||"), "REJECT 2,,\"record has 4 fields, expected 3\",-1.25|||\n");
    CHECK_STR(run1(&p, "-1.25||"), ",,,-,neg or null\n");    /* null + anything = null; & treats null as empty */
    CHECK_STR(run1(&p, "1|x|y"), "REJECT 2,SUM,\"SUM: \"\"x\"\" is not an integer\",1|x|y\n");
    plan_free(&p);

    plan_init(&p);
    col(&p, "Q", dec(18, 2), plan_binary(&p, PB_DIV, step(&p, src(&p, "A"), PS_READ_INTEGER, NULL, 0, 0),
                                         step(&p, src(&p, "B"), PS_READ_INTEGER, NULL, 0, 0)));
    CHECK_STR(run1(&p, "1|0|c"), "REJECT 2,Q,Q: division by zero,1|0|c\n");
    CHECK_STR(run1(&p, "2|8|c"), "0.25\n");
    plan_free(&p);

    plan_init(&p);
    col(&p, "Q", T_BIGINT, plan_binary(&p, PB_MUL, step(&p, src(&p, "A"), PS_READ_INTEGER, NULL, 0, 0),
                                       step(&p, src(&p, "B"), PS_READ_INTEGER, NULL, 0, 0)));
    CHECK_STR(run1(&p, "9223372036854775807|2|c"), "REJECT 2,Q,Q: arithmetic overflow,9223372036854775807|2|c\n");
    CHECK_STR(run1(&p, "-4|5|c"), "-20\n");
    plan_free(&p);
}

static void test_maps(void)
{
    plan p;
    plan_init(&p);
    for (int mode = 0; mode < 4; mode++) {
        plan_expr *m = step(&p, src(&p, "A"), PS_MAP, NULL, 0, 0);
        plan_map_add(&p, &m->step.map, "D", plan_text_lit(&p, "DEBIT"));
        plan_map_add(&p, &m->step.map, "C", plan_text_lit(&p, "CREDIT"));
        plan_map_add(&p, &m->step.map, "X", plan_new_expr(&p, PE_NULL));
        m->step.map.otherwise = (plan_otherwise)mode;
        m->step.map.other = plan_text_lit(&p, "OTHER");
        char name[16];
        snprintf(name, sizeof name, "M%d", mode);
        col(&p, name, text_n(6), m);
    }
    CHECK_STR(run1(&p, "D|b|c"), "DEBIT,DEBIT,DEBIT,DEBIT\n");
    CHECK_STR(run1(&p, "X|b|c"), ",,,\n");
    CHECK_STR(run1(&p, "|b|c"), ",,,\n");
    CHECK_STR(run1(&p, "Q|b|c"), "REJECT 2,M1,\"M1: \"\"Q\"\" is not one of the mapped values\",Q|b|c\n");
    CHECK_STR(run1(&p, "dd|b|c"), "REJECT 2,M1,\"M1: \"\"dd\"\" is not one of the mapped values\",dd|b|c\n");
    plan_free(&p);

    /* up to 8 keys are scanned, more are hashed: both find every key and nothing else */
    for (int nkeys = 7; nkeys <= 12; nkeys++) {
        plan_init(&p);
        plan_expr *m = step(&p, src(&p, "A"), PS_MAP, NULL, 0, 0);
        char key[16], val[16];
        for (int k = 0; k < nkeys; k++) {
            snprintf(key, sizeof key, "k%d", k);
            snprintf(val, sizeof val, "v%d", k);
            plan_map_add(&p, &m->step.map, key, plan_text_lit(&p, val));
        }
        m->step.map.otherwise = PO_NULL;
        col(&p, "M", T_TEXT, m);
        for (int k = 0; k <= nkeys; k++) {
            char rec[32], want[16];
            snprintf(rec, sizeof rec, "k%d|b|c", k);
            snprintf(want, sizeof want, k < nkeys ? "v%d\n" : "\"\"\n", k);
            CHECK_STR(run1(&p, rec), want);
        }
        CHECK_STR(run1(&p, "k|b|c"), "\"\"\n");
        plan_free(&p);
    }

    plan_init(&p);
    plan_lookup *lk = plan_add_lookup(&p, "BROKERS");
    plan_lookup_add_entry(&p, lk, "GS", "Goldman Sachs");
    plan_lookup_add_entry(&p, lk, "MS", "Morgan Stanley");
    plan_expr *l1 = step(&p, src(&p, "A"), PS_LOOKUP, "BROKERS", 0, 0);
    l1->step.map.otherwise = PO_VALUE;
    l1->step.map.other = plan_text_lit(&p, "UNKNOWN");
    col(&p, "B1", T_TEXT, l1);
    plan_expr *l2 = step(&p, src(&p, "A"), PS_LOOKUP, "BROKERS", 0, 0);
    l2->step.map.otherwise = PO_REJECT;
    col(&p, "B2", text_n(14), l2);
    CHECK_STR(run1(&p, "MS|b|c"), "Morgan Stanley,Morgan Stanley\n");
    CHECK_STR(run1(&p, "JP|b|c"), "REJECT 2,B2,\"B2: \"\"JP\"\" is not in BROKERS\",JP|b|c\n");
    plan_free(&p);

    plan_init(&p);
    plan_expr *rb = step(&p, src(&p, "A"), PS_READ_BOOL, NULL, 0, 0);
    plan_expr *t = plan_new_expr(&p, PE_BOOL), *f = plan_new_expr(&p, PE_BOOL);
    t->flag = true;
    plan_map_add(&p, &rb->step.map, "Y", t);
    plan_map_add(&p, &rb->step.map, "N", f);
    col(&p, "FLAG", T_BOOL, rb);
    plan_expr *dflt = step(&p, src(&p, "B"), PS_DEFAULT, NULL, 0, 0);
    dflt->step.value = plan_text_lit(&p, "USD");
    col(&p, "CUR", T_TEXT, dflt);
    CHECK_STR(run1(&p, "Y|EUR|c"), "true,EUR\n");
    CHECK_STR(run1(&p, " N ||c"), "false,USD\n");
    CHECK_STR(run1(&p, "maybe|x|c"), "REJECT 2,FLAG,\"FLAG: \"\"maybe\"\" is not a boolean\",maybe|x|c\n");
    plan_free(&p);
}

/* ---- conditions, rules, record order ---------------------------------------------------------- */

static void test_conditions_and_rules(void)
{
    plan p;
    plan_init(&p);
    plan_add_rule(&p, PR_SKIP, plan_binary(&p, PB_EQ, src(&p, "C"), plan_text_lit(&p, "VOID")), NULL);
    plan_column *id = col(&p, "ID", text_n(4), step(&p, src(&p, "A"), PS_TRIM, NULL, 0, 0));
    id->required = true;
    plan_expr *in = plan_new_expr(&p, PE_IN);
    in->kid[0] = src(&p, "B");
    plan_list_add(&p, in, "x");
    plan_list_add(&p, in, "y");
    plan_expr *either = plan_new_expr(&p, PE_OR);
    either->kid[0] = in;
    either->kid[1] = cond1(&p, PE_STARTS, src(&p, "B"), "pre");
    plan_expr *both = plan_new_expr(&p, PE_AND);
    both->kid[0] = either;
    both->kid[1] = cond1(&p, PE_PRESENT, src(&p, "C"), NULL);
    plan_expr *iff = plan_new_expr(&p, PE_IF);
    iff->kid[0] = both;
    iff->kid[1] = plan_text_lit(&p, "T");
    iff->kid[2] = plan_text_lit(&p, "F");
    col(&p, "K", T_TEXT, iff);
    plan_expr *nt = plan_new_expr(&p, PE_NOT);
    nt->kid[0] = cond1(&p, PE_CONTAINS, src(&p, "B"), "zz");
    plan_expr *iff2 = plan_new_expr(&p, PE_IF);
    iff2->kid[0] = nt;
    iff2->kid[1] = plan_text_lit(&p, "no zz");
    iff2->kid[2] = cond1(&p, PE_ENDS, src(&p, "B"), "zz");   /* a condition as a value: boolean */
    col(&p, "Z", T_TEXT, iff2);
    plan_add_rule(&p, PR_REJECT, cond1(&p, PE_MISSING, outref(&p, "K"), NULL), "K is missing");
    plan_add_rule(&p, PR_REJECT, plan_binary(&p, PB_EQ, outref(&p, "ID"), plan_text_lit(&p, "BAD")), "bad id");
    const char *recs[] = {
        " a1 |x|c",            /* output */
        "a2|prefix|",          /* C missing → F */
        "a3|y|VOID",           /* skipped before columns */
        "   |x|c",             /* required */
        "ABCDE|x|c",           /* too long */
        "BAD|azz|c",           /* reject rule message */
        "a4|azz|c",            /* ends with zz */
        "a5|x",                /* ragged */
    };
    CHECK_STR(run_records(&p, recs, 8),
              "a1,T,no zz\n"
              "a2,F,no zz\n"
              "FILTERED\n"
              "REJECT 5,ID,ID is required but missing,   |x|c\n"
              "REJECT 6,ID,\"ID: \"\"ABCDE\"\" is longer than 4 characters\",ABCDE|x|c\n"
              "REJECT 7,,bad id,BAD|azz|c\n"
              "a4,F,true\n"
              "REJECT 9,,\"record has 2 fields, expected 3\",a5|x\n");
    plan_free(&p);

    /* comparisons: numbers by value, dates by day, text by code point, null is false */
    plan_init(&p);
    plan_expr *lt = plan_binary(&p, PB_LT, step(&p, src(&p, "A"), PS_READ_NUMBER, NULL, 0, 0), plan_number_lit(&p, "10"));
    plan_expr *i1 = plan_new_expr(&p, PE_IF);
    i1->kid[0] = lt, i1->kid[1] = plan_text_lit(&p, "lt"), i1->kid[2] = plan_text_lit(&p, "ge/null");
    col(&p, "N", T_TEXT, i1);
    plan_expr *tl = plan_binary(&p, PB_LT, src(&p, "B"), src(&p, "C"));
    plan_expr *i2 = plan_new_expr(&p, PE_IF);
    i2->kid[0] = tl, i2->kid[1] = plan_text_lit(&p, "lt"), i2->kid[2] = plan_text_lit(&p, "ge/null");
    col(&p, "T", T_TEXT, i2);
    CHECK_STR(run1(&p, "9.99|é|z"), "lt,ge/null\n");        /* é (U+00E9) > z */
    CHECK_STR(run1(&p, "10.00|a|b"), "ge/null,lt\n");
    CHECK_STR(run1(&p, "||b"), "ge/null,ge/null\n");
    plan_free(&p);
}

static void test_compile_errors(void)
{
    plan p;
    plan_init(&p);
    col(&p, "X", T_TEXT, src(&p, "Nope"));
    CHECK(strstr(run1(&p, "a|b|c"), "COMPILE: the data file has no column \"Nope\"") != NULL);
    plan_free(&p);
    plan_init(&p);
    col(&p, "X", T_TEXT, plan_new_expr(&p, PE_HOLE));
    CHECK(strncmp(run1(&p, "a|b|c"), "COMPILE:", 8) == 0);
    plan_free(&p);
    plan_init(&p);
    col(&p, "X", T_TEXT, outref(&p, "Y"));   /* a later column is not visible */
    col(&p, "Y", T_TEXT, src(&p, "A"));
    CHECK(strncmp(run1(&p, "a|b|c"), "COMPILE:", 8) == 0);
    plan_free(&p);
}

/* ---- run_plan end to end ---------------------------------------------------------------------- */

static char tmpdir[256];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    mf_err e;
    mf_err_clear(&e);
    return mf_read_file(path, NULL, &e);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int count_entries(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = -1;
        pclose(f);
    }
    return n;
}

static void mapping_plan(plan *p, long skip_last)
{
    plan_init(p);
    p->output = plan_strdup(p, "GL");
    p->source.delimiter = ',';
    p->source.quote = '"';
    p->source.encoding = CSV_UTF8;
    p->source.header_line = 1;
    p->source.skip_last = skip_last;
    plan_add_rule(p, PR_SKIP, plan_binary(p, PB_EQ, src(p, "C"), plan_text_lit(p, "VOID")), NULL);
    col(p, "ID", text_n(6), step(p, step(p, src(p, "A"), PS_TRIM, NULL, 0, 0), PS_PAD_LEFT, "0", 6, 0));
    plan_numfmt f = {',', '.', true, false, NULL};
    plan_expr *amt = step(p, src(p, "B"), PS_READ_NUMBER, NULL, 0, 0);
    amt->step.numfmt = f;
    col(p, "AMT", dec(18, 2), amt);
    col(p, "NOTE", T_TEXT, src(p, "C"));
}

static void test_run_plan(void)
{
    char data[512], out[512], path[600];
    snprintf(data, sizeof data, "%s/in.csv", tmpdir);
    snprintf(out, sizeof out, "%s/out/nested", tmpdir);
    write_text(data, "A,B,C\n"
                     " 7 ,\"1,234.5\",\"say \"\"hi\"\", ok\"\n"
                     "8,(2),VOID\n"
                     "9,x,\n"
                     "10,1\n"
                     "11,3,\"multi\nline\"\n"
                     "TOTAL,5,trailer\n");
    plan p;
    mapping_plan(&p, 1);
    run_options opt = {.plan_sha256 = "abc", .threads = 2};
    run_report rep;
    mf_err e;
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, &opt, &rep, &e), 0);
    if (e.msg[0])
        fprintf(stderr, "run_plan: %s\n", e.msg);
    CHECK_INT(rep.rows_in, 6);
    CHECK_INT(rep.rows_out, 2);
    CHECK_INT(rep.rows_rejected, 2);
    CHECK_INT(rep.rows_filtered, 2);   /* VOID + the trailer */
    CHECK_INT(strlen(rep.input_sha256), 64);
    snprintf(path, sizeof path, "%s/GL.csv", out);
    char *csv = slurp(path);
    CHECK_STR(csv, "ID,AMT,NOTE\n"
                   "000007,1234.50,\"say \"\"hi\"\", ok\"\n"
                   "000011,3.00,\"multi\nline\"\n");
    free(csv);
    snprintf(path, sizeof path, "%s/rejects.csv", out);
    char *rej = slurp(path);
    CHECK_STR(rej, "line,column,reason,record\n"
                   "4,AMT,\"AMT: \"\"x\"\" is not a number\",\"9,x,\"\n"
                   "5,,\"record has 2 fields, expected 3\",\"10,1\"\n");
    free(rej);
    snprintf(path, sizeof path, "%s/run.json", out);
    char *js = slurp(path);
    json_error_t je;
    json_t *j = js ? json_loads(js, 0, &je) : NULL;
    CHECK(j != NULL);
    if (j) {
        CHECK_INT(json_integer_value(json_object_get(j, "rows_in")), 6);
        CHECK_INT(json_integer_value(json_object_get(j, "rows_filtered")), 2);
        CHECK_STR(json_string_value(json_object_get(j, "plan_sha256")), "abc");
        CHECK(json_is_null(json_object_get(j, "cache_key")));
        CHECK(json_is_false(json_object_get(j, "cache_hit")));
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "input"), "sha256")), rep.input_sha256);
        CHECK(json_object_get(json_object_get(j, "timings"), "mb_per_s") != NULL);
        const char *first = json_object_iter_key(json_object_iter(j));
        CHECK_STR(first, "plan_sha256");
        json_decref(j);
    }
    free(js);
    CHECK_INT(count_entries(out), 3);   /* no temporaries left */
    plan_free(&p);
}

static void test_run_plan_failures(void)
{
    char data[512], out[512], path[600];
    plan p;
    mapping_plan(&p, 0);
    run_report rep;
    mf_err e;

    /* invalid UTF-8 at line 5000: nothing may be left behind */
    snprintf(data, sizeof data, "%s/bad.csv", tmpdir);
    FILE *f = fopen(data, "wb");
    fputs("A,B,C\n", f);
    for (int i = 2; i < 5000; i++)
        fprintf(f, "%d,%d.5,note\n", i, i);
    fputs("5000,1,\xff\xfe\n5001,1,x\n", f);
    fclose(f);
    snprintf(out, sizeof out, "%s/out_bad", tmpdir);
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, NULL, &rep, &e), -1);
    CHECK(e.line == 5000);
    CHECK_INT(count_entries(out), 0);
    snprintf(path, sizeof path, "%s/GL.csv", out);
    CHECK(!exists(path));

    /* an output directory that cannot be created */
    snprintf(data, sizeof data, "%s/ok.csv", tmpdir);
    write_text(data, "A,B,C\n1,2,3\n");
    snprintf(path, sizeof path, "%s/afile", tmpdir);
    write_text(path, "x");
    snprintf(out, sizeof out, "%s/afile/sub", tmpdir);
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, NULL, &rep, &e), -1);
    CHECK(e.code == MF_EIO);

    /* a read-only output directory (root may write anywhere: the file-size limit below fails the
     * writes for everyone) */
    snprintf(out, sizeof out, "%s/ro", tmpdir);
    mkdir(out, 0555);
    if (geteuid() != 0) {
        mf_err_clear(&e);
        CHECK_INT(run_plan(&p, data, out, NULL, &rep, &e), -1);
        CHECK_INT(count_entries(out), 0);
    }

    /* writes that fail part-way (a full disk, here a file-size limit of 8 bytes, as root too):
     * an error, and no file left behind — neither outputs nor temporaries */
    snprintf(out, sizeof out, "%s/full", tmpdir);
    struct rlimit old_lim;
    CHECK(getrlimit(RLIMIT_FSIZE, &old_lim) == 0);
    struct rlimit small = {8, old_lim.rlim_max};
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    mf_err_clear(&e);
    int full_rc = run_plan(&p, data, out, NULL, &rep, &e);
    CHECK(setrlimit(RLIMIT_FSIZE, &old_lim) == 0);
    signal(SIGXFSZ, old_sig);
    CHECK_INT(full_rc, -1);
    CHECK(e.code == MF_EIO);
    CHECK_INT(count_entries(out), 0);

    /* the row-accounting check fires (a writer that lost a row): an internal error, nothing published */
    snprintf(out, sizeof out, "%s/lost", tmpdir);
    run_test_lost_rows = 1;
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, NULL, &rep, &e), -1);
    run_test_lost_rows = 0;
    CHECK(strstr(e.msg, "internal error") != NULL);
    CHECK_INT(count_entries(out), 0);

    /* a column the data does not have */
    plan q;
    mapping_plan(&q, 0);
    col(&q, "MISSING", T_TEXT, src(&q, "Nope"));
    snprintf(out, sizeof out, "%s/out_nope", tmpdir);
    mf_err_clear(&e);
    CHECK_INT(run_plan(&q, data, out, NULL, &rep, &e), -1);
    CHECK(e.code == MF_EDATA);
    CHECK_INT(count_entries(out), 0);
    plan_free(&q);
    plan_free(&p);
}

/* Many blocks through the pipeline: order and accounting hold with several workers. */
static void test_run_plan_many_blocks(void)
{
    char data[512], out[512], path[600];
    snprintf(data, sizeof data, "%s/big.csv", tmpdir);
    FILE *f = fopen(data, "wb");
    fputs("A,B,C\n", f);
    const int n = 50000;
    for (int i = 1; i <= n; i++)
        fprintf(f, "%d,%d.25,%s\n", i, i % 7 == 0 ? -i : i, i % 10 == 0 ? "VOID" : "n");
    fclose(f);
    plan p;
    mapping_plan(&p, 3);
    snprintf(out, sizeof out, "%s/out_big", tmpdir);
    for (int threads = 1; threads <= 4; threads += 3) {
        run_options opt = {.threads = threads, .skip_input_sha256 = threads == 4};
        run_report rep;
        mf_err e;
        mf_err_clear(&e);
        CHECK_INT(run_plan(&p, data, out, &opt, &rep, &e), 0);
        CHECK_INT(rep.rows_in, n);
        CHECK_INT(rep.rows_filtered, n / 10 + 3 - 1);   /* 50000 is VOID and among the last 3 */
        CHECK_INT(rep.rows_out, n - rep.rows_filtered);
        CHECK_INT(strlen(rep.input_sha256), threads == 4 ? 0 : 64);
        snprintf(path, sizeof path, "%s/GL.csv", out);
        char *csv = slurp(path);
        /* rows in input order: check a line from the middle and the last one */
        CHECK(csv && strstr(csv, "\n012344,12344.25,n\n012345,12345.25,n\n") != NULL);
        CHECK(csv && strstr(csv, "049997,49997.25,n\n") != NULL);
        CHECK(csv && strstr(csv, "049998") == NULL);
        CHECK(csv && strstr(csv, "\n000014,-14.25,n\n") != NULL);
        free(csv);
    }
    plan_free(&p);
}

/* The trim set is Unicode White_Space, every member of it; U+200B (zero width space) and U+FEFF are not
 * white space and stay. */
static void test_trim_set(void)
{
    static const unsigned ws[] = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002,
                                  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029,
                                  0x202F, 0x205F, 0x3000};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
        char cp[8] = {0}, rec[64];
        unsigned c = ws[i];
        if (c < 0x80) {
            cp[0] = (char)c;
        } else if (c < 0x800) {
            cp[0] = (char)(0xC0 | (c >> 6));
            cp[1] = (char)(0x80 | (c & 0x3F));
        } else {
            cp[0] = (char)(0xE0 | (c >> 12));
            cp[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            cp[2] = (char)(0x80 | (c & 0x3F));
        }
        if (c == 0x0A || c == 0x0D)
            continue;                      /* record separators: covered by the CSV reader's tests */
        snprintf(rec, sizeof rec, "%sab%s", cp, cp);
        const char *got = text_step(PS_TRIM, NULL, 0, 0, rec);
        if (strcmp(got, "ab\n"))
            fprintf(stderr, "U+%04X is not trimmed\n", c);
        CHECK_STR(got, "ab\n");
    }
    CHECK_STR(text_step(PS_TRIM, NULL, 0, 0, "\xE2\x80\x8B" "ab"), "\xE2\x80\x8B" "ab\n");   /* U+200B stays */
    CHECK_STR(text_step(PS_TRIM, NULL, 0, 0, "ab\xEF\xBB\xBF"), "ab\xEF\xBB\xBF\n");   /* U+FEFF stays */
}

/* ---- the rule reader's steps --------------------------------------------------------------------- */

/* Parse a plan body (header A, B, C), check it, run it on one record "a|b|c". */
static const char *run_text(const char *body, const char *rec)
{
    static const char *head = "plan T v1\nsource \"f.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, "
                              "header on line 1\noutput OUT\n\n";
    char text[4096];
    snprintf(text, sizeof text, "%s%s", head, body);
    plan p;
    mf_err e;
    mf_err_clear(&e);
    if (plan_parse(text, strlen(text), "t.plan", &p, &e) || plan_check(&p, HEADER, 3, "t.plan", &e)) {
        snprintf(result, sizeof result, "PLAN: %s", e.msg);
        plan_free(&p);
        return result;
    }
    run1(&p, rec);
    plan_free(&p);
    return result;
}

static void test_rule_text_steps(void)
{
    CHECK_STR(run_text("X text = [A] with spaces collapsed\n", "  a \t\xC2\xA0 b\xE3\x80\x80\xE3\x80\x80" "c  |b|c"), "a b c\n");
    CHECK_STR(run_text("X text = [A] with spaces collapsed\n", " \t |b|c"), "\"\"\n");   /* empty → null */
    CHECK_STR(run_text("X text = [A] title cased\n", "hELLO wORLD  x\ty|b|c"), "Hello World  X\ty\n");
    /* non-ASCII: simple mappings, title case of the first letter (ǆ → ǅ, ı → I); ß and astral
     * letters keep themselves (Spark's initcap works on UTF-16 units) */
    CHECK_STR(run_text("X text = [A] title cased\n", "\xC3\xA9LAN \xC7\x86ungla \xC4\xB1x \xC3\x9F \xF0\x90\x90\x80\xF0\x90\x90\x80|b|c"),
              "\xC3\x89lan \xC7\x85ungla Ix \xC3\x9F \xF0\x90\x90\xA8\xF0\x90\x90\xA8\n");
    CHECK_STR(run_text("X text = [A] with \"aa\" replaced by \"b\"\n", "aaaaa|b|c"), "bba\n");   /* left to right */
    CHECK_STR(run_text("X text = [A] with \"-\" removed\n", "--|b|c"), "\"\"\n");
    CHECK_STR(run_text("X text = [A] with \".\" replaced by \"\\\\.\"\n", "a.b|b|c"), "a\\.b\n");   /* literal */
    CHECK_STR(run_text("X text = [A] with \"\xC3\xA9\" replaced by \"e\"\n", "\xC3\xA9t\xC3\xA9|b|c"), "ete\n");
    CHECK_STR(run_text("X text = [A] digits only\n", "ab-12 3\xD9\xA1x|b|c"), "123\n");   /* ASCII digits only */
    CHECK_STR(run_text("X text = [A] digits only\n", "abc|b|c"), "\"\"\n");
    CHECK_STR(run_text("X text = [A] text before last \"-\"\n", "a-b-c|b|c"), "a-b\n");
    CHECK_STR(run_text("X text = [A] text before last \"-\"\n", "abc|b|c"), "abc\n");
    CHECK_STR(run_text("X text = [A] text after last \"-\"\n", "a-b-c|b|c"), "c\n");
    CHECK_STR(run_text("X text = [A] text after last \"-\"\n", "abc|b|c"), "\"\"\n");
    CHECK_STR(run_text("X text = [A] text after last \"aa\"\n", "xaaa|b|c"), "\"\"\n");   /* last start: "x" "a" [aa] */
    CHECK_STR(run_text("X text = [A] text before last \"aa\"\n", "xaaa|b|c"), "xa\n");
    CHECK_STR(run_text("X bigint = length of [A]\n", "\xC3\xA9t\xC3\xA9\xF0\x9F\x98\x80|b|c"), "4\n");
    CHECK_STR(run_text("X bigint = length of [A]\n", "|b|c"), "\"\"\n");
    CHECK_STR(run_text("X bigint = length of [A] trimmed * 2\n", " ab |b|c"), "4\n");
}

static void test_rule_date_steps(void)
{
    const char *d = "D date = [A] read as ISO date\n";
    char body[512];
    static const struct { const char *step, *in, *want; } cases[] = {
        {"its year", "2023-06-30", "2023\n"},
        {"its month", "2023-06-30", "6\n"},
        {"its day", "2023-06-30", "30\n"},
        {"its quarter", "2023-12-31", "4\n"},
        {"its quarter", "2023-01-01", "1\n"},
        {"its fiscal year (starting month 7)", "2023-06-30", "2023\n"},
        {"its fiscal year (starting month 7)", "2023-07-01", "2024\n"},
        {"its fiscal year (starting month 12)", "2023-12-01", "2024\n"},
        {"its fiscal year (starting month 2)", "2024-01-31", "2024\n"},
        {"written as \"YYYYMM\"", "2023-04-05", "202304\n"},
        {"written as \"Mon\"", "2023-04-05", "Apr\n"},
        {"written as \"YYYY-MM\"", "2023-04-05", "2023-04\n"},
        {"written as \"Month D, YY\"", "2009-09-05", "\"September 5, 09\"\n"},
        {"written as \"DD/M/YYYY\"", "0099-01-05", "05/1/0099\n"},
        {"plus 30 days", "2024-02-15", "2024-03-16\n"},
        {"plus 1 days", "2024-02-28", "2024-02-29\n"},
        {"minus 365 days", "2024-02-29", "2023-03-01\n"},
        {"end of month", "2024-02-10", "2024-02-29\n"},
        {"end of month", "2023-02-10", "2023-02-28\n"},
        {"end of month", "1900-02-01", "1900-02-28\n"},
        {"end of month", "2000-02-01", "2000-02-29\n"},
        {"end of month", "2023-12-31", "2023-12-31\n"},
        {"its year", "", "\n"},
        {"end of month", "", "\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool date_out = strstr(cases[i].step, "days") || strstr(cases[i].step, "month") == cases[i].step + 7;
        const char *ty = strncmp(cases[i].step, "its", 3) == 0 ? "bigint" : date_out ? "date" : "text";
        snprintf(body, sizeof body, "%sX %s = D %s\n", d, ty, cases[i].step);
        char rec[64];
        snprintf(rec, sizeof rec, "%s|b|c", cases[i].in);
        const char *r = run_text(body, rec);
        const char *comma = strchr(r, ',');   /* the output is D,X */
        if (!comma || strcmp(comma + 1, cases[i].want)) {
            fprintf(stderr, "D %s on %s: got %s want %s", cases[i].step, cases[i].in, r, cases[i].want);
            check_failures++;
        }
    }
    snprintf(body, sizeof body, "%sX date = D plus 30 days\n", d);
    CHECK_STR(run_text(body, "9999-12-20|b|c"),
              "REJECT 2,X,\"X: \"\"9999-12-20\"\" plus 30 days is out of range for date\",9999-12-20|b|c\n");
    snprintf(body, sizeof body, "%sX date = D minus 2 days\n", d);
    CHECK_STR(run_text(body, "0001-01-02|b|c"),
              "REJECT 2,X,\"X: \"\"0001-01-02\"\" minus 2 days is out of range for date\",0001-01-02|b|c\n");
    CHECK_STR(run_text(body, "0001-01-03|b|c"), "0001-01-03,0001-01-01\n");
}

static void test_rule_rounding(void)
{
    static const struct { const char *step, *in, *want; } cases[] = {
        {"rounded up to 0 decimals", "1.001", "2\n"},
        {"rounded up to 0 decimals", "-1.001", "-2\n"},
        {"rounded up to 0 decimals", "3", "3\n"},
        {"rounded up to 2 decimals", "-0.001", "-0.01\n"},
        {"rounded up to 2 decimals", "2.3400", "2.34\n"},
        {"rounded down to 0 decimals", "1.999", "1\n"},
        {"rounded down to 0 decimals", "-1.999", "-1\n"},
        {"rounded down to 2 decimals", "-0.009", "0.00\n"},
        {"rounded down to 2 decimals", "7", "7.00\n"},
        {"rounded to 0 decimals", "-2.5", "-3\n"},
        {"rounded up to 0 decimals", "", "\"\"\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256], rec[64];
        int scale = strstr(cases[i].step, "2 decimals") ? 2 : 0;
        snprintf(body, sizeof body, "X decimal(20,%d) = [A] read as number, %s\n", scale, cases[i].step);
        snprintf(rec, sizeof rec, "%s|b|c", cases[i].in);
        const char *r = run_text(body, rec);
        if (strcmp(r, cases[i].want)) {
            fprintf(stderr, "%s on %s: got %s want %s", cases[i].step, cases[i].in, r, cases[i].want);
            check_failures++;
        }
    }
    /* 38 nines rounded up overflows: a reject, not a wrong number */
    char rec[64];
    snprintf(rec, sizeof rec, "0.%s|b|c", "99999999999999999999999999999999999999");
    CHECK(strstr(run_text("X decimal(38,0) = [A] read as number, rounded up to 0 decimals\n", rec), "REJECT") != NULL ||
          strcmp(result, "1\n") == 0);
}

/* row number: the writer numbers output rows in order, after skips, rejects and the held-back
 * last rows; several workers and blocks. */
static void test_row_number(void)
{
    char data[512], out[512], path[600];
    snprintf(data, sizeof data, "%s/rn.csv", tmpdir);
    FILE *f = fopen(data, "wb");
    fputs("A,B,C\n", f);
    const int n = 30000;
    for (int i = 1; i <= n; i++)
        fprintf(f, "%d,%s,%s\n", i, i % 7 == 0 ? "x" : "1", i % 10 == 0 ? "VOID" : "n");
    fclose(f);
    const char *text = "plan T v1\nsource \"f.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, "
                       "header on line 1\noutput RN\n\n"
                       "ID   text           = [A]\n"
                       "N    bigint         = row number\n"
                       "B    decimal(10,2)  = [B] read as number\n"
                       "N2   decimal(12,2)  = row number\n"
                       "skip the last 2 rows\n"
                       "skip rows where [C] is \"VOID\"\n";
    plan p;
    mf_err e;
    mf_err_clear(&e);
    CHECK_INT(plan_parse(text, strlen(text), "rn.plan", &p, &e), 0);
    CHECK_INT(plan_check(&p, HEADER, 3, "rn.plan", &e), 0);
    snprintf(out, sizeof out, "%s/out_rn", tmpdir);
    for (int threads = 1; threads <= 3; threads += 2) {
        run_options opt = {.threads = threads, .skip_input_sha256 = true};
        run_report rep;
        mf_err_clear(&e);
        CHECK_INT(run_plan(&p, data, out, &opt, &rep, &e), 0);
        snprintf(path, sizeof path, "%s/RN.csv", out);
        char *csv = slurp(path);
        CHECK(csv != NULL);
        if (!csv)
            break;
        /* every output row carries its line's position: 1, 2, ... without gaps */
        long expect = 0;
        bool ok = true;
        for (char *line = strchr(csv, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
            long id, num, num2;
            char b[32];
            if (sscanf(line, "%ld,%ld,%31[^,],%ld.00", &id, &num, b, &num2) != 4 || num != ++expect || num2 != num) {
                fprintf(stderr, "row number: bad line %.60s (expected %ld)\n", line, expect);
                ok = false;
                break;
            }
        }
        CHECK(ok);
        CHECK_INT(expect, rep.rows_out);
        CHECK_INT(rep.rows_out, n - n / 10 - n / 7 + n / 70 - 1);   /* the last row: VOID, one of the last 2 */
        CHECK(strstr(csv, "\n1,1,1.00,1.00\n") != NULL);
        free(csv);
    }
    plan_free(&p);
}

/* The outputs as one set: a second run into the same directory with Parquet and a companion
 * replaces the whole set; a run without Parquet removes the earlier Parquet file (no older file
 * beside newer ones); an interrupt before publishing leaves the earlier set exactly as it was and
 * no temporary behind. */
static void test_run_plan_set(void)
{
    char data[512], out[512], path[600];
    snprintf(data, sizeof data, "%s/set.csv", tmpdir);
    snprintf(out, sizeof out, "%s/set_out", tmpdir);
    write_text(data, "A,B,C\n1,2,x\n3,4,y\n");
    plan p;
    mapping_plan(&p, 0);
    run_companion comp = {"job.py", "print(1)\n", 9};
    run_options opt = {.plan_sha256 = "abc", .threads = 1, .parquet = 1, .companions = &comp, .ncompanions = 1};
    run_report rep;
    mf_err e;
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, &opt, &rep, &e), 0);
    CHECK_INT(count_entries(out), 5);   /* GL.csv rejects.csv GL.parquet job.py run.json */
    snprintf(path, sizeof path, "%s/GL.parquet", out);
    char *pq = slurp(path);
    CHECK(pq && !memcmp(pq, "PAR1", 4));
    free(pq);
    snprintf(path, sizeof path, "%s/job.py", out);
    char *job = slurp(path);
    CHECK_STR(job, "print(1)\n");
    free(job);
    /* an interrupt: nothing of the new set appears, the earlier set stays whole */
    write_text(data, "A,B,C\n5,6,z\n");
    mf_interrupt_simulate(SIGINT);
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, &opt, &rep, &e), -1);
    CHECK_INT(e.code, MF_EINTR);
    mf_interrupt_simulate(0);
    CHECK_INT(count_entries(out), 5);
    snprintf(path, sizeof path, "%s/GL.csv", out);
    char *csv = slurp(path);
    CHECK(csv && strstr(csv, "000003") && !strstr(csv, "000005"));
    free(csv);
    /* without Parquet: the earlier Parquet file goes with the earlier set */
    opt.parquet = 0;
    mf_err_clear(&e);
    CHECK_INT(run_plan(&p, data, out, &opt, &rep, &e), 0);
    CHECK_INT(count_entries(out), 4);
    snprintf(path, sizeof path, "%s/GL.parquet", out);
    CHECK(access(path, F_OK) != 0);
    plan_free(&p);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mf_test_engine_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_text_steps();
    test_trim_set();
    test_dates();
    test_numbers();
    test_arith_concat_if();
    test_maps();
    test_conditions_and_rules();
    test_compile_errors();
    test_run_plan();
    test_run_plan_failures();
    test_run_plan_many_blocks();
    test_run_plan_set();
    test_rule_text_steps();
    test_rule_date_steps();
    test_rule_rounding();
    test_row_number();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", tmpdir, tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    CHECK_DONE();
}
