/* test_plan.c — the plan language: parse(render(p)) == p on hand-written and random plans,
 * render is a fixed point, parse errors carry exact line:col, the type checker rejects ill-typed
 * plans with a useful message, hostile provenance stays a comment, mutations never crash. */
#include "check.h"
#include "util/utf8.h"
#include "plan/plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, (1 << 20) - 1, f);
    buf[*n] = 0;
    fclose(f);
    return buf;
}

static char *errstr(const mf_err *e)
{
    static char m[2048];
    mf_err_format(e, m, sizeof m);
    return m;
}

/* parse(render(p)) == p and render(parse(render(p))) == render(p).  Returns 0 when both hold. */
static int round_trip(const plan *p, const char *label)
{
    char *r = plan_render(p);
    plan q;
    mf_err e = {0};
    int bad = 0;
    if (plan_parse(r, strlen(r), "rendered.plan", &q, &e)) {
        fprintf(stderr, "%s: rendered plan does not parse: %s\n---\n%s---\n", label, errstr(&e), r);
        free(r);
        return 1;
    }
    if (!plan_equal(p, &q)) {
        char *r2 = plan_render(&q);
        fprintf(stderr, "%s: parse(render(p)) != p\n---\n%s---\n%s---\n", label, r, r2);
        free(r2);
        bad = 1;
    }
    char *r2 = plan_render(&q);
    if (strcmp(r, r2) != 0) {
        fprintf(stderr, "%s: render is not a fixed point\n---\n%s---\n%s---\n", label, r, r2);
        bad = 1;
    }
    free(r);
    free(r2);
    plan_free(&q);
    return bad;
}

static void test_example(void)
{
    size_t n;
    char *text = read_file("tests/data/plan/example.plan", &n);
    CHECK(text != NULL);
    if (!text)
        return;
    plan p;
    mf_err e = {0};
    CHECK_INT(plan_parse(text, n, "example.plan", &p, &e), 0);
    CHECK_INT(p.ncols, 4);
    CHECK_INT(p.nrules, 2);
    CHECK_INT(p.nlookups, 1);
    CHECK_INT(p.nquestions, 1);
    CHECK_STR(p.client, "ACME");
    CHECK_INT(p.version, 1);
    CHECK_STR(p.output, "GL_ENTRIES");
    CHECK_INT(p.source.delimiter, ',');
    CHECK_INT(p.source.quote, '"');
    CHECK_INT(p.source.header_line, 1);
    CHECK_STR(p.cols[0].name, "ACCOUNT_ID");
    CHECK(p.cols[0].required);
    CHECK_INT(p.cols[0].type.base, PT_TEXT);
    CHECK_INT(p.cols[0].type.len, 10);
    CHECK_INT(p.cols[0].prov.row, 4);
    CHECK_STR(p.cols[0].prov.text, "Left-pad with zeros");
    CHECK_INT(p.cols[2].type.prec, 18);
    CHECK_INT(p.cols[2].prov.row, 6);   /* comment on the continuation line */
    CHECK_INT(p.cols[3].expr->kind, PE_HOLE);
    CHECK(p.rules[1].prov.row == 0 && p.rules[1].prov.text && !strcmp(p.rules[1].prov.text, "feedback"));
    CHECK_STR(p.rules[1].message, "negative amount");
    CHECK_INT(p.lookups[0].n, 2);
    CHECK_STR(p.lookups[0].value[1], "Morgan Stanley");
    CHECK(plan_has_open_questions(&p));
    /* the tree of AMOUNT: negated when (read as number ([Amt])) */
    const plan_expr *a = p.cols[2].expr;
    CHECK(a->kind == PE_STEP && a->step.kind == PS_NEGATE_WHEN);
    CHECK(a->kid[0]->kind == PE_STEP && a->kid[0]->step.kind == PS_READ_NUMBER);
    CHECK_INT(a->kid[0]->step.numfmt.thousands, ',');
    CHECK(a->kid[0]->step.numfmt.paren_negative);
    CHECK_INT(a->step.cond->kind, PE_CMP);
    CHECK_INT(a->line, 7);   /* where the expression's text starts */
    CHECK_INT(a->col, 36);
    const char **used;
    int nu = plan_used_sources(&p, &used);
    CHECK_INT(nu, 5);
    if (nu == 5) {
        CHECK_STR(used[0], "Acct No");
        CHECK_STR(used[3], "Dr/Cr");
        CHECK_STR(used[4], "Status");
    }
    const char *cols[] = {"Acct No", "Posting Dt", "Amt", "Dr/Cr", "Status"};
    mf_err te = {0};
    CHECK_INT(plan_check(&p, cols, 5, "example.plan", &te), 0);
    if (te.code)
        fprintf(stderr, "%s\n", errstr(&te));
    CHECK_INT(p.cols[2].expr->type.base, PT_DECIMAL);
    CHECK_INT(p.rules[1].cond->type.base, PT_BOOLEAN);
    CHECK(!round_trip(&p, "example"));
    /* the doc's rendering of the first lines is kept */
    char *r = plan_render(&p);
    CHECK(strstr(r, "ACCOUNT_ID    text(10) required  = [Acct No] trimmed, padded left with \"0\" to 10") != NULL);
    CHECK(strstr(r, "question about FEE (row 7): \"What is the standard fee logic?\"\n") != NULL);
    free(r);
    plan_free(&p);
    free(text);
}

static void test_all_steps(void)
{
    size_t n;
    char *text = read_file("tests/data/plan/all_steps.plan", &n);
    CHECK(text != NULL);
    if (!text)
        return;
    plan p;
    mf_err e = {0};
    int rc = plan_parse(text, n, "all_steps.plan", &p, &e);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", errstr(&e));
        free(text);
        return;
    }
    CHECK_STR(p.client, "Acme Corp");
    CHECK_STR(p.output, "GL entries");
    CHECK_INT(p.source.quote, 0);
    CHECK_INT(p.source.delimiter, ';');
    CHECK_INT(p.source.skip_last, 2);
    CHECK_INT(p.ncols, 22);
    CHECK_STR(p.cols[21].name, "two words");
    CHECK_INT(p.nrules, 5);
    CHECK_INT(p.rules[3].kind, PR_CHECK);
    CHECK_STR(p.rules[3].message, "I is not negative");
    CHECK_INT(p.rules[4].kind, PR_CHECK);
    CHECK(p.rules[4].message == NULL);
    CHECK_INT(p.nkeys, 2);
    CHECK_STR(p.keys[0], "A");
    CHECK_STR(p.keys[1], "two words");
    CHECK_STR(p.key_prov.text, "the key");
    CHECK_INT(p.nquestions, 2);
    CHECK(p.questions[1].column == NULL);
    /* every step kind appears */
    bool seen[PS_LOOKUP + 1] = {0};
    for (int i = 0; i < p.ncols; i++)
        for (const plan_expr *x = p.cols[i].expr; x; x = x->kid[0])
            if (x->kind == PE_STEP)
                seen[x->step.kind] = true;
    /* steps inside binary operands */
    for (int i = 0; i < p.ncols; i++) {
        const plan_expr *x = p.cols[i].expr;
        while (x && x->kind == PE_BINARY)
            x = x->kid[1];
        for (; x; x = x->kid[0])
            if (x->kind == PE_STEP)
                seen[x->step.kind] = true;
        for (x = p.cols[i].expr; x && (x->kind == PE_BINARY || x->kind == PE_STEP); x = x->kid[0])
            if (x->kind == PE_BINARY && x->kid[1] && x->kid[1]->kind == PE_STEP)
                seen[x->kid[1]->step.kind] = true;
    }
    for (int k = 0; k <= PS_LOOKUP; k++)
        if (!seen[k])
            fprintf(stderr, "all_steps.plan lacks step kind %d\n", k);
    const char *cols[] = {"Acct No", "Name", "Code", "Ref", "D1", "D2", "D3", "D4", "Amt", "Dr/Cr", "X", "Qty",
                          "Flag", "Cur", "Broker", "S", "A", "Status"};
    mf_err te = {0};
    CHECK_INT(plan_check(&p, cols, (int)(sizeof cols / sizeof cols[0]), "all_steps.plan", &te), 0);
    if (te.code)
        fprintf(stderr, "%s\n", errstr(&te));
    CHECK(!round_trip(&p, "all_steps"));
    plan_free(&p);
    free(text);
}

/* ---- random plans ------------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static const char *rnd_text(plan *p, int maxlen)
{
    static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "[", "]", "]]", "`", "#", "\n", "\t", "\r",
                                         "\x01", "\x7f", "é", "日本", "€", ",", "(", ")", "-", "row 5: ", "?", "'",
                                         "u{41}", "\\n", "x", "Acct", "  "};
    char buf[512] = "";
    int n = (int)rnd((uint32_t)maxlen + 1);
    for (int i = 0; i < n; i++)
        strcat(buf, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
    return plan_strdup(p, buf);
}

static const char *rnd_char(plan *p)
{
    static const char *const c[] = {"0", " ", "x", "\"", "\\", "é", "\n"};
    return plan_strdup(p, c[rnd(7)]);
}

static const char *rnd_number(plan *p, bool allow_neg)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s%u%s", allow_neg && rnd(3) == 0 ? "-" : "", rnd(100000),
             rnd(2) ? "" : (rnd(2) ? ".5" : ".25"));
    return plan_strdup(p, buf);
}

typedef struct gen {
    plan *p;
    int ncols_visible;     /* output columns that may be referenced */
    const char **lookups;
    int nlookups;
} gen;

static plan_expr *g_expr(gen *g, int depth);
static plan_expr *g_cond(gen *g, int depth);

static plan_expr *g_literal(gen *g)
{
    plan *p = g->p;
    switch (rnd(4)) {
    case 0: return plan_text_lit(p, rnd_text(p, 4));
    case 1: return plan_number_lit(p, rnd_number(p, true));
    case 2: {
        plan_expr *e = plan_new_expr(p, PE_BOOL);
        e->flag = rnd(2);
        return e;
    }
    default: return plan_new_expr(p, PE_NULL);
    }
}

static void g_otherwise(gen *g, plan_map *m)
{
    m->otherwise = (plan_otherwise)rnd(4);
    if (m->otherwise == PO_VALUE) {
        do
            m->other = g_literal(g);
        while (m->other->kind == PE_NULL);
    }
}

static plan_expr *g_step(gen *g, plan_expr *kid, int depth)
{
    plan *p = g->p;
    static const char *const patterns[] = {"MM/DD/YYYY", "M/D/YY", "YYYY-MM-DD", "DD.MM.YYYY", "D Mon, YYYY",
                                           "Month D YYYY", "ISO", "YYYYMMDD"};
    static const char *const parts[] = {"year", "month", "day", "quarter", "fiscal year"};
    static const char *const out_patterns[] = {"YYYYMM", "Mon", "Month D, YYYY", "YY-M-D", "DD/MM"};
    plan_step_kind k = (plan_step_kind)rnd(PS_END_OF_MONTH + 1);
    if (k == PS_LOOKUP && !g->nlookups)
        k = PS_TRIM;
    plan_expr *e = plan_with_step(p, kid, k);
    plan_step *s = &e->step;
    switch (k) {
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT: s->s = rnd_char(p); s->n = rnd(40); break;
    case PS_PREFIX:
    case PS_SUFFIX:
    case PS_BEFORE:
    case PS_AFTER: s->s = rnd_text(p, 3); s->m = rnd(2); break;
    case PS_REPLACE:
        do
            s->s = rnd_text(p, 3);
        while (!s->s[0]);
        s->s2 = rnd_text(p, 2);
        break;
    case PS_STRIP:
        do
            s->s = rnd_text(p, 2);
        while (!s->s[0]);
        s->m = rnd(2);
        break;
    case PS_DATE_PART:
        s->s = parts[rnd(5)];
        s->n = !strcmp(s->s, "fiscal year") ? 2 + rnd(11) : 0;
        break;
    case PS_FORMAT_DATE: s->s = out_patterns[rnd(5)]; break;
    case PS_ADD_DAYS: s->n = (long)rnd(2000) - 1000; break;
    case PS_ROUND: s->n = rnd(20); s->m = rnd(3); break;
    case PS_FIRST:
    case PS_LAST: s->n = rnd(20); break;
    case PS_SUBSTR: s->n = rnd(9); s->m = rnd(99); break;
    case PS_READ_DATE: s->s = plan_strdup(p, patterns[rnd(8)]); s->n = rnd(2) ? 0 : 1900 + rnd(100); break;
    case PS_READ_NUMBER:
        s->numfmt.thousands = ",. '"[rnd(4)] * (char)rnd(2);
        s->numfmt.decimal = rnd(2) ? '.' : ',';
        s->numfmt.paren_negative = rnd(2);
        s->numfmt.trailing_minus = rnd(2);
        s->numfmt.currency = rnd(2) ? NULL : rnd_text(p, 2);
        break;
    case PS_READ_BOOL: {
        int n = (int)rnd(3);
        for (int i = 0; i < n; i++) {
            plan_expr *b = plan_new_expr(p, PE_BOOL);
            b->flag = rnd(2);
            plan_map_add(p, &s->map, rnd_text(p, 3), b);
        }
        break;
    }
    case PS_MUL:
    case PS_DIV: s->num = rnd_number(p, true); break;
    case PS_NEGATE_WHEN: s->cond = g_cond(g, depth + 1); break;
    case PS_DEFAULT: s->value = rnd(2) ? g_literal(g) : g_expr(g, depth + 1); break;
    case PS_MAP: {
        int n = (int)rnd(4);
        for (int i = 0; i < n; i++)
            plan_map_add(p, &s->map, rnd_text(p, 3), g_literal(g));
        g_otherwise(g, &s->map);
        break;
    }
    case PS_LOOKUP:
        s->s = g->lookups[rnd((uint32_t)g->nlookups)];
        g_otherwise(g, &s->map);
        break;
    default: break;
    }
    return e;
}

static plan_expr *g_primary(gen *g)
{
    plan *p = g->p;
    switch (rnd(7)) {
    case 5: {
        plan_expr *e = plan_new_expr(p, PE_LENGTH);
        e->kid[0] = rnd(2) ? plan_source_ref(p, rnd_text(p, 4)) : g_step(g, plan_source_ref(p, "x"), 5);
        return e;
    }
    case 6: return plan_new_expr(p, PE_ROWNUM);
    case 0:
    case 1: return plan_source_ref(p, rnd_text(p, 4));
    case 2:
        if (g->ncols_visible) {
            plan_expr *e = plan_new_expr(p, PE_OUTPUT);
            e->name = p->cols[rnd((uint32_t)g->ncols_visible)].name;
            return e;
        }
        return plan_new_expr(p, PE_HOLE);
    case 3: return g_literal(g);
    default: return plan_new_expr(p, PE_HOLE);
    }
}

static plan_expr *g_cond(gen *g, int depth)
{
    plan *p = g->p;
    if (depth > 4)
        return plan_binary(p, PB_EQ, g_primary(g), g_primary(g));
    static const int cmp_ops[] = {PB_EQ, PB_NE, PB_LT, PB_LE, PB_GT, PB_GE};
    plan_expr *e;
    switch (rnd(9)) {
    case 0: return plan_binary(p, cmp_ops[rnd(6)], g_expr(g, depth + 1), g_expr(g, depth + 1));
    case 1:
    case 2:
        e = plan_new_expr(p, rnd(2) ? PE_MISSING : PE_PRESENT);
        e->kid[0] = g_expr(g, depth + 1);
        return e;
    case 3:
        e = plan_new_expr(p, PE_IN);
        e->kid[0] = g_expr(g, depth + 1);
        for (int i = (int)rnd(4); i > 0; i--)
            plan_list_add(p, e, rnd_text(p, 3));
        return e;
    case 4:
        e = plan_new_expr(p, rnd(3) == 0 ? PE_CONTAINS : rnd(2) ? PE_STARTS : PE_ENDS);
        e->kid[0] = g_expr(g, depth + 1);
        e->text = rnd_text(p, 3);
        return e;
    case 5:
    case 6:
        e = plan_new_expr(p, rnd(2) ? PE_AND : PE_OR);
        e->kid[0] = g_cond(g, depth + 1);
        e->kid[1] = g_cond(g, depth + 1);
        return e;
    case 7:
        e = plan_new_expr(p, PE_NOT);
        e->kid[0] = g_cond(g, depth + 1);
        return e;
    default: return g_expr(g, depth + 1);   /* a value used as a condition: checker's business */
    }
}

static plan_expr *g_expr(gen *g, int depth)
{
    plan *p = g->p;
    if (depth > 4)
        return g_primary(g);
    static const int ops[] = {PB_ADD, PB_SUB, PB_MUL, PB_DIV, PB_CONCAT};
    plan_expr *e;
    switch (rnd(10)) {
    case 0:
    case 1: return g_primary(g);
    case 2:
    case 3:
    case 4: return g_step(g, g_expr(g, depth + 1), depth);
    case 5:
    case 6: return plan_binary(p, ops[rnd(5)], g_expr(g, depth + 1), g_expr(g, depth + 1));
    case 7:
        e = plan_new_expr(p, PE_IF);
        e->kid[0] = g_cond(g, depth + 1);
        e->kid[1] = g_expr(g, depth + 1);
        e->kid[2] = g_expr(g, depth + 1);
        return e;
    case 8:
        e = plan_new_expr(p, PE_DAYS);
        e->kid[0] = g_expr(g, depth + 1);
        e->kid[1] = g_expr(g, depth + 1);
        return e;
    default: return g_cond(g, depth + 1);
    }
}

static plan_prov g_prov(plan *p)
{
    plan_prov pv = {0, NULL};
    if (rnd(3))
        pv.row = (int)rnd(500);
    if (rnd(3))
        pv.text = rnd_text(p, 8);
    return pv;
}

static void gen_plan(plan *p)
{
    static const char *const bare[] = {"ACME", "x_1", "skip", "date", "Amount", "if", "`", "a b", "", "名前"};
    gen g = {p, 0, NULL, 0};
    plan_init(p);
    p->client = rnd(2) ? bare[rnd(10)] : rnd_text(p, 4);
    p->version = (int)rnd(30);
    p->source.file = rnd_text(p, 5);
    p->source.delimiter = ",;|\t"[rnd(4)];
    p->source.quote = rnd(3) ? '"' : 0;
    p->source.encoding = (csv_encoding)rnd(6);
    p->source.header_line = rnd(5);
    p->source.skip_last = rnd(3) ? 0 : rnd(4);
    if (rnd(2)) {
        p->mapping.file = rnd_text(p, 6);
        p->mapping.sheet = rnd_text(p, 4);
        p->mapping.sha256 = rnd(2) ? "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" : "";
    }
    p->output = rnd(2) ? bare[rnd(10)] : rnd_text(p, 4);
    int nl = (int)rnd(3);
    const char **lnames = malloc(sizeof *lnames * 4);
    for (int i = 0; i < nl; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s%d", rnd(2) ? "L" : "look up ", i);
        plan_lookup *l = plan_add_lookup(p, nm);
        lnames[i] = l->name;
        l->tab = rnd(2) ? rnd_text(p, 3) : NULL;
        l->key_col = rnd(2) ? rnd_text(p, 3) : NULL;
        l->value_col = rnd(2) ? rnd_text(p, 3) : NULL;
        for (int k = (int)rnd(3); k > 0; k--)
            plan_lookup_add_entry(p, l, rnd_text(p, 3), rnd_text(p, 3));
        l->prov = g_prov(p);
    }
    g.lookups = lnames;
    g.nlookups = nl;
    int nc = 1 + (int)rnd(6);
    for (int i = 0; i < nc; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s%d", rnd(2) ? bare[rnd(10)] : "C", i);
        plan_type t = {(plan_base)(PT_TEXT + rnd(7)), 0, 0, 0};
        if (t.base == PT_TEXT)
            t.len = (int)rnd(3) * 10;
        if (t.base == PT_DECIMAL) {
            t.prec = 1 + (int)rnd(38);
            t.scale = (int)rnd((uint32_t)t.prec + 1);
        }
        g.ncols_visible = i;
        plan_expr *x = g_expr(&g, 0);
        plan_column *c = plan_add_column(p, nm, t);
        c->required = rnd(2);
        c->expr = x;
        c->prov = g_prov(p);
    }
    g.ncols_visible = nc;
    for (int i = (int)rnd(4); i > 0; i--) {
        static const plan_rule_kind kinds[] = {PR_SKIP, PR_REJECT, PR_CHECK};
        plan_rule *r = plan_add_rule(p, kinds[rnd(3)], g_cond(&g, 1), NULL);
        if (r->kind != PR_SKIP && rnd(3))
            r->message = rnd_text(p, 5);
        r->prov = g_prov(p);
    }
    for (int i = 0; i < nc; i++)   /* a declared key: a random subset of the columns */
        if (rnd(4) == 0)
            plan_add_key(p, p->cols[i].name);
    if (p->nkeys && rnd(2))
        p->key_prov = g_prov(p);
    for (int i = (int)rnd(3); i > 0; i--)
        plan_add_note(p, rnd_text(p, 5))->prov = g_prov(p);
    for (int i = (int)rnd(3); i > 0; i--)
        plan_add_question(p, rnd(2) ? p->cols[rnd((uint32_t)nc)].name : NULL, (int)rnd(20), rnd_text(p, 6));
    free(lnames);
}

/* Random edits of valid plan text: the parser must answer (plan or error), never crash. */
static void fuzz_text(const char *text)
{
    static const char *const inserts[] = {"\"", "[", "]", "`", "(", ")", "\n", "\n  ", "#", ",", "\\", "\\u{",
                                          " read as ", " if ", "?", "-", "\xff", "\xc3", "é", "\x00", "\r"};
    size_t n = strlen(text);
    char *buf = malloc(n + 64);
    for (int round = 0; round < 20; round++) {
        memcpy(buf, text, n);
        size_t len = n;
        for (int k = 1 + (int)rnd(3); k > 0 && len > 0; k--) {
            size_t at = rnd((uint32_t)len);
            switch (rnd(3)) {
            case 0: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;   /* delete */
            case 1: buf[at] = (char)rnd(256); break;                               /* replace */
            default: {
                const char *ins = inserts[rnd(sizeof inserts / sizeof inserts[0])];
                size_t il = strlen(ins) ? strlen(ins) : 1;
                if (len + il >= n + 60)
                    break;
                memmove(buf + at + il, buf + at, len - at);
                memcpy(buf + at, ins, il);
                len += il;
            }
            }
        }
        plan q;
        mf_err e = {0};
        if (plan_parse(buf, len, "fuzz.plan", &q, &e) == 0) {
            mf_err te = {0};
            (void)plan_check(&q, NULL, 0, "fuzz.plan", &te);
            char *r = plan_render(&q);
            free(r);
        } else {
            CHECK(e.code == MF_EPARSE && e.line >= 1 && e.msg[0]);
        }
        plan_free(&q);
    }
    free(buf);
}

static void test_random(void)
{
    int failures = 0;
    for (int i = 0; i < 400 && failures < 3; i++) {
        plan p;
        gen_plan(&p);
        char label[32];
        snprintf(label, sizeof label, "random plan %d", i);
        if (round_trip(&p, label))
            failures++;
        /* the checker never crashes on random trees */
        mf_err te = {0};
        (void)plan_check(&p, NULL, 0, "random.plan", &te);
        if (i < 100) {
            char *r = plan_render(&p);
            fuzz_text(r);
            free(r);
        }
        plan_free(&p);
    }
    CHECK_INT(failures, 0);
}

/* ---- hostile provenance ------------------------------------------------------------------------ */

static void test_hostile_provenance(void)
{
    plan p;
    plan_init(&p);
    p.client = "X";
    p.output = "OUT";
    p.source.delimiter = ',';
    p.source.quote = '"';
    plan_column *c = plan_add_column(&p, "A", (plan_type){PT_TEXT, 0, 0, 0});
    c->expr = plan_source_ref(&p, "a");
    c->prov.row = 3;
    c->prov.text = "\"); import os\n reject rows where [a] is \"x\": \"pwned\"\nskip rows where [a] is missing\r\n# x \\";
    plan_rule *r = plan_add_rule(&p, PR_SKIP, plan_binary(&p, PB_EQ, plan_source_ref(&p, "b"), plan_text_lit(&p, "1")), NULL);
    r->prov.text = "row 7: not a row   ";
    char *text = plan_render(&p);
    plan q;
    mf_err e = {0};
    CHECK_INT(plan_parse(text, strlen(text), "h.plan", &q, &e), 0);
    CHECK_INT(q.ncols, 1);
    CHECK_INT(q.nrules, 1);
    CHECK(plan_equal(&p, &q));
    if (q.ncols == 1)
        CHECK_STR(q.cols[0].prov.text, c->prov.text);
    if (q.nrules == 1) {
        CHECK_INT(q.rules[0].prov.row, 0);
        CHECK_STR(q.rules[0].prov.text, "row 7: not a row   ");
    }
    CHECK(strchr(strstr(text, "import os"), '\n') > strstr(text, "pwned"));   /* one line */
    free(text);
    plan_free(&q);
    plan_free(&p);
}

/* A long rule text wraps onto indented comment lines: no line passes 120 columns, the text (double
 * spaces, escapes, a "row 9:" in the middle, non-ASCII) comes back exactly, and a hand-written
 * indented comment line after a statement without provenance stays a mere comment. */
static void test_wrapped_provenance(void)
{
    plan p;
    plan_init(&p);
    p.client = "X";
    p.output = "OUT";
    p.source.delimiter = ',';
    p.source.quote = '"';
    p.mapping.file = "map ping.xlsx";
    p.mapping.sheet = "Mapping";
    p.mapping.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static const char *const texts[] = {
        "Remove thousands separators; values in parentheses are negative. If Dr/Cr = C then reverse the sign, "
        "otherwise keep it as it is. row 9: see the  Währung column — 東京 office uses \\ and \"quotes\" here too",
        "Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword "
        "then short words after it",
    };
    for (int i = 0; i < 2; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "C%d", i);
        plan_column *c = plan_add_column(&p, nm, (plan_type){PT_TEXT, 0, 0, 0});
        c->expr = plan_source_ref(&p, "a");
        c->prov.row = 8 + i;
        c->prov.text = texts[i];
    }
    char *text = plan_render(&p);
    int over = 0;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (mf_utf8_count(l, n) > 120 && !strstr(l, "Averyvery"))
            over++;
        l += n + (nl != NULL);
    }
    CHECK_INT(over, 0);
    CHECK(strstr(text, "\nmapping \"map ping.xlsx\", sheet \"Mapping\", sha256 \"0123") != NULL);
    plan q;
    mf_err e = {0};
    CHECK_INT(plan_parse(text, strlen(text), "w.plan", &q, &e), 0);
    CHECK(plan_equal(&p, &q));
    if (q.ncols == 2) {
        CHECK_STR(q.cols[0].prov.text, texts[0]);
        CHECK_STR(q.cols[1].prov.text, texts[1]);
        CHECK_STR(q.mapping.sheet, "Mapping");
    }
    free(text);
    plan_free(&q);
    static const char hand[] = "plan X v1\n"
                               "source \"f.csv\": csv, delimiter \",\", quote none, encoding UTF-8, header on line 1\n"
                               "output OUT\n\n"
                               "A text = [a]\n"
                               "   # a remark, not provenance\n"
                               "B text = [b]  # row 2: copy\n";
    mf_err_clear(&e);
    CHECK_INT(plan_parse(hand, strlen(hand), "h.plan", &q, &e), 0);
    if (q.ncols == 2) {
        CHECK(q.cols[0].prov.text == NULL);
        CHECK_STR(q.cols[1].prov.text, "copy");
        CHECK(q.mapping.file == NULL);
    }
    plan_free(&q);
    plan_free(&p);
}

/* ---- parse errors ------------------------------------------------------------------------------ */

static const char *HEAD = "plan ACME v1\n"
                          "source \"f.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
                          "output OUT\n\n";

/* ---- the rule reader's constructs: exact spellings ------------------------------------------------ */

/* text parses as one expression whose outermost node is a step of kind k (or an expression of
 * kind ek when k < 0), and renders back to exactly text. */
static const plan_expr *spelled(plan *p, const char *text, int k, int ek)
{
    mf_err e = {0};
    plan_expr *x = plan_parse_expr(p, text, strlen(text), "expr", &e);
    if (!x) {
        fprintf(stderr, "%s: does not parse: %s\n", text, errstr(&e));
        check_failures++;
        return NULL;
    }
    if (k >= 0)
        CHECK(x->kind == PE_STEP && (int)x->step.kind == k);
    else
        CHECK_INT(x->kind, ek);
    char *r = plan_render_expr(x);
    CHECK_STR(r, text);
    free(r);
    return x;
}

static void test_new_spellings(void)
{
    plan p;
    plan_init(&p);
    const plan_expr *x;
    if ((x = spelled(&p, "[a] with \"x\" replaced by \"y\"", PS_REPLACE, 0))) {
        CHECK_STR(x->step.s, "x");
        CHECK_STR(x->step.s2, "y");
    }
    if ((x = spelled(&p, "[a] with \"-\" removed", PS_REPLACE, 0)))
        CHECK_STR(x->step.s2, "");
    spelled(&p, "[a] with spaces collapsed", PS_SQUISH, 0);
    spelled(&p, "[a] title cased", PS_TITLE, 0);
    spelled(&p, "[a] digits only", PS_DIGITS, 0);
    if ((x = spelled(&p, "[a] with leading \"0\" removed", PS_STRIP, 0))) {
        CHECK_STR(x->step.s, "0");
        CHECK_INT(x->step.m, 0);
    }
    if ((x = spelled(&p, "[a] with trailing \"*\" removed", PS_STRIP, 0))) {
        CHECK_STR(x->step.s, "*");
        CHECK_INT(x->step.m, 1);
    }
    static const char *const parts[] = {"year", "month", "day", "quarter"};
    for (int i = 0; i < 4; i++) {
        char t[64];
        snprintf(t, sizeof t, "D its %s", parts[i]);
        if ((x = spelled(&p, t, PS_DATE_PART, 0)))
            CHECK_STR(x->step.s, parts[i]);
    }
    if ((x = spelled(&p, "D its fiscal year (starting month 7)", PS_DATE_PART, 0))) {
        CHECK_STR(x->step.s, "fiscal year");
        CHECK_INT(x->step.n, 7);
    }
    if ((x = spelled(&p, "D written as \"YYYYMM\"", PS_FORMAT_DATE, 0)))
        CHECK_STR(x->step.s, "YYYYMM");
    spelled(&p, "D written as \"Mon\"", PS_FORMAT_DATE, 0);
    if ((x = spelled(&p, "N rounded up to 0 decimals", PS_ROUND, 0)))
        CHECK(x->step.m == 1 && x->step.n == 0);
    if ((x = spelled(&p, "N rounded down to 2 decimals", PS_ROUND, 0)))
        CHECK(x->step.m == 2 && x->step.n == 2);
    if ((x = spelled(&p, "N rounded to 2 decimals", PS_ROUND, 0)))
        CHECK_INT(x->step.m, 0);
    if ((x = spelled(&p, "[a] text before last \"-\"", PS_BEFORE, 0)))
        CHECK(x->step.m == 1 && !strcmp(x->step.s, "-"));
    if ((x = spelled(&p, "[a] text after last \"-\"", PS_AFTER, 0)))
        CHECK_INT(x->step.m, 1);
    if ((x = spelled(&p, "[a] text after \"-\"", PS_AFTER, 0)))
        CHECK_INT(x->step.m, 0);
    if ((x = spelled(&p, "D plus 30 days", PS_ADD_DAYS, 0)))
        CHECK_INT(x->step.n, 30);
    if ((x = spelled(&p, "D minus 30 days", PS_ADD_DAYS, 0)))
        CHECK_INT(x->step.n, -30);
    spelled(&p, "D end of month", PS_END_OF_MONTH, 0);
    if ((x = spelled(&p, "length of [a]", -1, PE_LENGTH)))
        CHECK_INT(x->kid[0]->kind, PE_SOURCE);
    spelled(&p, "row number", -1, PE_ROWNUM);
    /* length of binds a term: its steps, not the operators after it */
    if ((x = spelled(&p, "length of [a] trimmed + 1", -1, PE_BINARY))) {
        CHECK_INT(x->kid[0]->kind, PE_LENGTH);
        CHECK(x->kid[0]->kid[0]->kind == PE_STEP && x->kid[0]->kid[0]->step.kind == PS_TRIM);
    }
    /* a step on a length is written after a comma (or inside parentheses) */
    if ((x = spelled(&p, "length of [a], negated", PS_NEGATE, 0)))
        CHECK_INT(x->kid[0]->kind, PE_LENGTH);
    if ((x = spelled(&p, "(length of [a]) negated & \"x\"", -1, PE_BINARY)))
        CHECK(x->kid[0]->kind == PE_STEP && x->kid[0]->kid[0]->kind == PE_LENGTH);
    /* steps chain in a column: the canonical top form */
    spelled(&p, "[a] with spaces collapsed, title cased, with \"A\" replaced by \"B\"", PS_REPLACE, 0);
    spelled(&p, "[d] read as ISO date, plus 1 days, end of month, written as \"YYYY-MM\"", PS_FORMAT_DATE, 0);
    /* names that are also words of the new spellings stay plain column names */
    spelled(&p, "length & row & with & title & digits & its & plus & minus & end & written", -1, PE_BINARY);
    /* accepted variants */
    mf_err e = {0};
    x = plan_parse_expr(&p, "D plus 1 day", 12, "expr", &e);
    CHECK(x && x->step.n == 1);
    plan_free(&p);

    /* notes: a statement with provenance, in the canonical place */
    const char *body = "A  text  = [x]\nquestion: \"why?\"\nnote: \"REC is not mapped\"  # row 16: Not mapped\n";
    char text[1024];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    mf_err pe = {0};
    int rc = plan_parse(text, strlen(text), "plan.txt", &p, &pe);
    CHECK_INT(rc, 0);
    if (rc == 0) {
        CHECK_INT(p.nnotes, 1);
        CHECK_STR(p.notes[0].text, "REC is not mapped");
        CHECK_INT(p.notes[0].prov.row, 16);
        CHECK_STR(p.notes[0].prov.text, "Not mapped");
        char *r = plan_render(&p);
        CHECK(strstr(r, "note: \"REC is not mapped\"  # row 16: Not mapped\nquestion: \"why?\"\n") != NULL);
        free(r);
        CHECK(!round_trip(&p, "notes"));
        plan_free(&p);
    } else {
        fprintf(stderr, "%s\n", errstr(&pe));
    }
    /* a column named note is still a column */
    snprintf(text, sizeof text, "%snote text = [x]\nB text = note\n", HEAD);
    CHECK_INT(plan_parse(text, strlen(text), "plan.txt", &p, &pe), 0);
    CHECK_INT(p.ncols, 2);
    plan_free(&p);
}

static void expect_parse_error(const char *body, const char *where, const char *needle)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    plan p;
    mf_err e = {0};
    int rc = plan_parse(text, strlen(text), "plan.txt", &p, &e);
    CHECK_INT(rc, -1);
    char *m = errstr(&e);
    if (strncmp(m, where, strlen(where)) != 0 || !strstr(m, needle)) {
        fprintf(stderr, "for %s\n  got  %s\n  want %s ... %s\n", body, m, where, needle);
        check_failures++;
    }
    CHECK_INT(e.code, MF_EPARSE);
    plan_free(&p);
}

static void test_parse_errors(void)
{
    expect_parse_error("A text = [x] trimmed, padd left with \"0\" to 3\n", "plan.txt:5:23:",
                       "expected a step such as \"trimmed\" or \"read as ...\", found \"padd\"");
    expect_parse_error("A text = [x] trimmed padd\n", "plan.txt:5:22:", "found \"padd\"");
    expect_parse_error("A text = B\n", "plan.txt:5:10:", "unknown column B");
    expect_parse_error("A text = [x]\nB text = C\nC text = [y]\n", "plan.txt:6:10:", "defined below");
    expect_parse_error("A text = [x]\nA text = [y]\n", "plan.txt:6:1:", "duplicate column A");
    expect_parse_error("A text = [x] looked up in NOPE\n", "plan.txt:5:10:", "unknown lookup NOPE");
    expect_parse_error("A date = [x] read as MM/QQ/YYYY\n", "plan.txt:5:25:", "bad date pattern");
    expect_parse_error("A decimal(39,2) = [x]\n", "plan.txt:5:11:", "precision must be 1 to 38");
    expect_parse_error("A decimal(5,6) = [x]\n", "plan.txt:5:11:", "scale cannot exceed");
    expect_parse_error("A text = [x] padded left with \"00\" to 3\n", "plan.txt:5:31:", "exactly one character");
    expect_parse_error("A text = [x] & \"ab\xff\"\n", "plan.txt:5:19:", "invalid UTF-8");
    expect_parse_error("A text = \"abc\n", "plan.txt:5:10:", "not closed");
    expect_parse_error("A text = [abc\n", "plan.txt:5:10:", "not closed");
    expect_parse_error("A text = \"a\\qb\"\n", "plan.txt:5:12:", "unknown escape");
    expect_parse_error("A txt = [x]\n", "plan.txt:5:3:", "expected a type");
    expect_parse_error("A text = [x] is one of (\"a\" \"b\")\n", "plan.txt:5:29:", "expected \",\"");
    expect_parse_error("A text = [x]\nskip rows where\n", "plan.txt:6:16:", "expected a value");
    expect_parse_error("A text = [x]\n  B text = [y]\n", "plan.txt:6:3:", "expected");
    expect_parse_error("A text = [x] read as number (thousands \"x\")\n", "plan.txt:5:40:", "thousands separator");
    expect_parse_error("A text = [x]\nquestion about Z: \"?\"\n", "plan.txt:6:1:", "not a column");
    expect_parse_error("A text = [x]\nkey A, Z\n", "plan.txt:6:1:", "the key names Z");
    expect_parse_error("A text = [x]\nkey A\nkey A\n", "plan.txt:7:1:", "may appear only once");
    expect_parse_error("A text = [x]\nkey A, A\n", "plan.txt:6:8:", "already part of the key");
    expect_parse_error("A text = [x]\nkey\n", "plan.txt:6:4:", "expected an output column name");
    expect_parse_error("A text = [x]\ncheck A is \"1\" \"m\"\n", "plan.txt:6:16:", "expected \":\"");
    expect_parse_error("A text = [x] with \"\" removed\n", "plan.txt:5:19:", "cannot be empty");
    expect_parse_error("A text = [x] with leading \"\" removed\n", "plan.txt:5:27:", "cannot be empty");
    expect_parse_error("A text = [x] with \"a\" replaced \"b\"\n", "plan.txt:5:32:", "expected \"by\"");
    expect_parse_error("A text = [x] written as \"YYYY-QQ\"\n", "plan.txt:5:31:", "bad date pattern");
    expect_parse_error("A text = [x] written as YYYY\n", "plan.txt:5:25:", "expected a \"date pattern\"");
    expect_parse_error("A text = [x] its week\n", "plan.txt:5:18:", "expected year, month, day, quarter");
    expect_parse_error("A text = [x] plus 3 weeks\n", "plan.txt:5:21:", "expected \"days\"");
    expect_parse_error("A text = [x] its fiscal year (month 7)\n", "plan.txt:5:31:", "expected \"starting\"");
    expect_parse_error("A text = [x] rounded sideways to 2 decimals\n", "plan.txt:5:22:", "expected \"to\"");
    expect_parse_error("A text = [x]\nnote \"x\"\n", "plan.txt:6:6:", "expected");
    /* NUL bytes */
    {
        char text[512];
        int n = snprintf(text, sizeof text, "%sA text = \"ab", HEAD);
        memcpy(text + n, "\0c\"\n", 4);
        plan p0;
        mf_err e0 = {0};
        CHECK_INT(plan_parse(text, (size_t)n + 4, "plan.txt", &p0, &e0), -1);
        CHECK(strstr(errstr(&e0), "plan.txt:5:13: NUL") != NULL);
        plan_free(&p0);
    }
    /* header problems */
    plan p;
    mf_err e = {0};
    const char *bad_enc = "plan A v1\nsource \"f\": csv, delimiter \",\", quote none, encoding EBCDIC, header on line 1\n";
    CHECK_INT(plan_parse(bad_enc, strlen(bad_enc), "plan.txt", &p, &e), -1);
    CHECK(strstr(errstr(&e), "plan.txt:2:54: unknown encoding \"EBCDIC\"") != NULL);
    if (!strstr(errstr(&e), "plan.txt:2:54:"))
        fprintf(stderr, "%s\n", errstr(&e));
    plan_free(&p);
    mf_err e2 = {0};
    CHECK_INT(plan_parse("", 0, "plan.txt", &p, &e2), -1);
    CHECK(strstr(errstr(&e2), "expected \"plan\"") != NULL);
    plan_free(&p);
}

/* ---- type errors ------------------------------------------------------------------------------- */

static void expect_type_error(const char *body, const char *where, const char *needle)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    plan p;
    mf_err e = {0};
    if (plan_parse(text, strlen(text), "plan.txt", &p, &e)) {
        fprintf(stderr, "for %s\n  does not parse: %s\n", body, errstr(&e));
        check_failures++;
        return;
    }
    const char *cols[] = {"Posting Dt", "Amt", "Flag", "Status", "Acct No"};
    int rc = plan_check(&p, cols, 5, "plan.txt", &e);
    CHECK_INT(rc, -1);
    char *m = errstr(&e);
    if (strncmp(m, where, strlen(where)) != 0 || !strstr(m, needle)) {
        fprintf(stderr, "for %s\n  got  %s\n  want %s ... %s\n", body, m, where, needle);
        check_failures++;
    }
    CHECK_INT(e.code, MF_ETYPE);
    plan_free(&p);
}

static void test_type_errors(void)
{
    expect_type_error("POSTING_DATE  date  = [Posting Dt]\n", "plan.txt:5:23:",
                      "POSTING_DATE is date but [Posting Dt] is text: add \"read as <pattern>\"");
    expect_type_error("A decimal(10,2) = [Amt]\n", "plan.txt:5:19:", "add \"read as number\"");
    expect_type_error("A text = [Amount]\n", "plan.txt:5:10:", "did you mean [Amt]?");
    expect_type_error("A text = [Amt] read as number, trimmed\n", "plan.txt:5:10:", "\"trimmed\" needs text");
    expect_type_error("A decimal(10,2) = [Amt] negated\n", "plan.txt:5:19:", "add \"read as number\" first");
    expect_type_error("A text = [Amt]\nskip rows where A is \"x\"\n", "plan.txt:6:17:", "skip rule cannot use");
    expect_type_error("A text = [Amt]\nreject rows where A: \"m\"\n", "plan.txt:6:19:", "needs a condition");
    expect_type_error("A text = [Amt] mapped (\"a\" -> 1, \"b\" -> \"x\", otherwise null)\n", "plan.txt:5:41:",
                      "one type");
    expect_type_error("A integer = [Amt] mapped (\"a\" -> 1)\n", "plan.txt:5:13:", "unchanged");
    expect_type_error("A date = [Posting Dt] read as ISO date\nB bigint = A + 1\n", "plan.txt:6:12:",
                      "needs numbers but A is a date");
    expect_type_error("A boolean = [Flag] is 3\n", "plan.txt:5:13:", "cannot compare");
    expect_type_error("A text = [Amt] & [Flag] read as integer\n", "plan.txt:5:18:", "joins text");
    expect_type_error("A bigint = days from [Posting Dt] to [Posting Dt]\n", "plan.txt:5:22:", "needs dates");
    expect_type_error("A text = if [Flag] then \"a\" else \"b\"\n", "plan.txt:5:13:", "needs a condition");
    expect_type_error("A text = [Amt]\ncheck [Amt] is \"1\": \"m\"\n", "plan.txt:6:7:", "check cannot use the source column");
    expect_type_error("A text = [Amt]\ncheck A: \"m\"\n", "plan.txt:6:7:", "needs a condition");
    /* the rule reader's constructs */
    expect_type_error("A bigint = [Posting Dt] its year\n", "plan.txt:5:12:", "needs a date but [Posting Dt] is text");
    expect_type_error("A bigint = [Posting Dt] read as ISO date, its fiscal year (starting month 13)\n", "plan.txt:5:12:",
                      "month 2 to 12");
    expect_type_error("A bigint = [Posting Dt] read as ISO date, its fiscal year (starting month 1)\n", "plan.txt:5:12:",
                      "is \"its year\"");
    expect_type_error("A date = [Amt] read as number, plus 3 days\n", "plan.txt:5:10:", "needs a date but");
    expect_type_error("A date = [Amt] end of month\n", "plan.txt:5:10:", "add \"read as <pattern>\" first");
    expect_type_error("A text = [Posting Dt] read as ISO date, with spaces collapsed\n", "plan.txt:5:10:", "needs text");
    expect_type_error("A text = [Amt] read as number, title cased\n", "plan.txt:5:10:", "\"title cased\" needs text");
    expect_type_error("A bigint = length of ([Amt] read as number)\n", "plan.txt:5:23:", "counts the characters of text");
    expect_type_error("A text = [Amt] written as \"YYYY\"\n", "plan.txt:5:10:", "needs a date");
    expect_type_error("A decimal(10,2) = [Amt] rounded up to 2 decimals\n", "plan.txt:5:19:", "add \"read as number\"");
    expect_type_error("A bigint = row number + 1\n", "plan.txt:5:12:", "can only be a whole column");
    expect_type_error("A bigint = row number\nB bigint = A\n", "plan.txt:6:12:", "which is the row number");
    expect_type_error("A bigint = row number\nreject rows where A > 3: \"m\"\n", "plan.txt:6:19:", "which is the row number");
    expect_type_error("A bigint = row number\ncheck A > 0: \"m\"\n", "plan.txt:6:7:", "which is the row number");
    expect_type_error("A text(5) = row number\n", "plan.txt:5:13:", "cannot hold every row number");
    expect_type_error("A decimal(9,0) = row number\n", "plan.txt:5:18:", "cannot hold every row number");
}

/* A plan built with the builders (as the planner does) checks and renders. */
static void test_builders(void)
{
    plan p;
    plan_init(&p);
    p.client = plan_strdup(&p, "ACME");
    p.version = 2;
    p.output = plan_strdup(&p, "OUT");
    p.source.delimiter = ',';
    plan_expr *x = plan_with_step(&p, plan_source_ref(&p, "Amt"), PS_READ_NUMBER);
    plan_column *c = plan_add_column(&p, "AMOUNT", (plan_type){PT_DECIMAL, 0, 18, 2});
    c->expr = plan_with_step(&p, x, PS_ROUND);
    c->expr->step.n = 2;
    for (int i = 0; i < 40; i++) {   /* grows the column array several times */
        char nm[16];
        snprintf(nm, sizeof nm, "C%d", i);
        plan_add_column(&p, nm, (plan_type){PT_TEXT, 5, 0, 0})->expr = plan_text_lit(&p, "x");
    }
    plan_add_question(&p, "AMOUNT", 3, "why?");
    mf_err e = {0};
    CHECK_INT(plan_check(&p, NULL, 0, "built", &e), 0);
    CHECK_INT(p.cols[0].expr->type.base, PT_DECIMAL);
    CHECK_INT(p.cols[0].expr->type.scale, 2);
    CHECK_STR(p.cols[40].name, "C39");
    CHECK(plan_has_open_questions(&p));
    CHECK(!round_trip(&p, "builders"));
    char ty[32];
    plan_type_name(p.cols[0].type, ty, sizeof ty);
    CHECK_STR(ty, "decimal(18,2)");
    char *s = plan_render_expr(p.cols[0].expr);
    CHECK_STR(s, "[Amt] read as number, rounded to 2 decimals");
    free(s);
    /* precedence: (a + b) * c keeps its parentheses, a + (b * c) loses them */
    plan_expr *sum = plan_binary(&p, PB_ADD, plan_number_lit(&p, "1"), plan_number_lit(&p, "2"));
    s = plan_render_expr(plan_binary(&p, PB_MUL, sum, plan_number_lit(&p, "3")));
    CHECK_STR(s, "(1 + 2) * 3");
    free(s);
    s = plan_render_expr(plan_binary(&p, PB_SUB, plan_number_lit(&p, "1"), sum));
    CHECK_STR(s, "1 - (1 + 2)");
    free(s);
    plan_free(&p);
}

/* Expression limits (docs/limits.md): trees at PLAN_MAX_DEPTH still round-trip; trees past it,
 * as only the planner could build them, are refused by plan_check and walked by nothing. */
static void limits_plan(plan *p)
{
    plan_init(p);
    p->client = plan_strdup(p, "ACME");
    p->version = 1;
    p->output = plan_strdup(p, "OUT");
    p->source.delimiter = ',';
}

static plan_expr *balanced(plan *p, int levels)   /* 2^levels - 1 nodes */
{
    if (levels <= 1)
        return plan_number_lit(p, "1");
    return plan_binary(p, PB_ADD, balanced(p, levels - 1), balanced(p, levels - 1));
}

static void test_limits(void)
{
    plan p;
    limits_plan(&p);
    plan_expr *right = plan_number_lit(&p, "1"), *left = plan_number_lit(&p, "1");
    plan_expr *nots = plan_new_expr(&p, PE_BOOL);
    for (int i = 1; i < PLAN_MAX_DEPTH; i++) {   /* height exactly PLAN_MAX_DEPTH */
        right = plan_binary(&p, PB_SUB, plan_number_lit(&p, "2"), right);   /* 2 - (2 - (... 1)) */
        left = plan_binary(&p, PB_ADD, left, plan_number_lit(&p, "2"));
        plan_expr *n = plan_new_expr(&p, PE_NOT);
        n->kid[0] = nots;
        nots = n;
    }
    plan_add_column(&p, "R", (plan_type){PT_DECIMAL, 0, 18, 2})->expr = right;
    plan_add_column(&p, "L", (plan_type){PT_DECIMAL, 0, 18, 2})->expr = left;
    plan_add_rule(&p, PR_SKIP, nots, NULL);
    CHECK(plan_expr_over_limits(right, NULL) == NULL);
    CHECK(!round_trip(&p, "at the depth limit"));
    mf_err e = {0};
    CHECK_INT(plan_check(&p, NULL, 0, "plan", &e), 0);
    CHECK(!plan_has_open_questions(&p));
    /* one level more: refused, reported at the node past the limit */
    plan_expr *deeper = plan_binary(&p, PB_SUB, plan_number_lit(&p, "2"), right);
    const char *why = NULL;
    CHECK(plan_expr_over_limits(deeper, &why) != NULL);
    CHECK(why && strstr(why, "nested deeper than 256 levels"));
    plan_free(&p);

    /* a planner-built chain 100,000 deep: every walker stays on a bounded stack */
    limits_plan(&p);
    plan_expr *x = plan_source_ref(&p, "Amt");
    for (int i = 0; i < 100000; i++)
        x = plan_binary(&p, PB_CONCAT, x, plan_text_lit(&p, "-"));
    plan_add_column(&p, "T", (plan_type){PT_TEXT, 0, 0, 0})->expr = x;
    mf_err e2 = {0};
    CHECK_INT(plan_check(&p, NULL, 0, "plan", &e2), -1);
    CHECK(strstr(errstr(&e2), "T: expression nested deeper than 256 levels"));
    CHECK(plan_has_open_questions(&p));   /* it cannot run */
    CHECK(!plan_equal(&p, &p));
    char *r = plan_render(&p);   /* written with ? past the limit: the text cannot run either */
    CHECK(r && strchr(r, '?'));
    plan q;
    mf_err e3 = {0};
    if (plan_parse(r, strlen(r), "rendered.plan", &q, &e3) == 0) {
        CHECK(plan_has_open_questions(&q));
        plan_free(&q);
    }
    free(r);
    plan_free(&p);

    /* shallow but huge: 65,535 nodes in 16 levels */
    limits_plan(&p);
    plan_add_column(&p, "N", (plan_type){PT_DECIMAL, 0, 18, 2})->expr = balanced(&p, 16);
    mf_err e4 = {0};
    CHECK_INT(plan_check(&p, NULL, 0, "plan", &e4), -1);
    CHECK(strstr(errstr(&e4), "expression longer than 20000 terms"));
    plan_free(&p);
}

int main(void)
{
    test_example();
    test_all_steps();
    test_builders();
    test_hostile_provenance();
    test_wrapped_provenance();
    test_parse_errors();
    test_type_errors();
    test_new_spellings();
    test_random();
    test_limits();
    CHECK_DONE();
}
