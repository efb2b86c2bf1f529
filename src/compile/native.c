/* native.c — compiling a checked plan into a program for the native engine (program.h).
 *
 * One pass over the plan: skip rules, columns, reject rules.  Each expression node gets a fresh
 * register; kids are compiled before their parent, so a node's operands are ready when its
 * instruction runs.  Everything the engine would otherwise look up per record is decided here:
 * field indices, constants, hash tables.  Invariant: the program owns all its memory (its arena);
 * it keeps no pointer into the plan except const strings the plan's arena keeps alive —
 * so the plan must outlive the program.
 */
#include "compile/program.h"
#include "util/date.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

typedef struct comp {
    eng_program *prog;
    const plan *p;
    const char *const *header;
    int nheader;
    const char *path;
    int col;          /* column being compiled, -1 in rules */
    int ncode_cap, nconst_cap;
    mf_err *e;
} comp;

static int fail_at(comp *c, const plan_expr *x, mf_code code, const char *what, const char *name)
{
    return mf_fail(c->e, code, c->path, x ? x->line : 0, x ? x->col : 0, "%s%s%s", what, name ? name : "",
                   name ? "\"" : "");
}

static uint32_t new_reg(comp *c)
{
    return (uint32_t)c->prog->nregs++;
}

static eng_ins *emit(comp *c, eng_op op)
{
    eng_program *g = c->prog;
    if (g->ncode == c->ncode_cap) {
        c->ncode_cap = c->ncode_cap ? c->ncode_cap * 2 : 64;
        g->code = mf_xrealloc(g->code, (size_t)c->ncode_cap * sizeof *g->code);
    }
    eng_ins *in = &g->code[g->ncode++];
    memset(in, 0, sizeof *in);
    in->op = (uint8_t)op;
    in->col = (int16_t)c->col;
    return in;
}

static uint32_t add_const(comp *c, eng_val v)
{
    eng_program *g = c->prog;
    if (g->nconsts == c->nconst_cap) {
        c->nconst_cap = c->nconst_cap ? c->nconst_cap * 2 : 16;
        g->consts = mf_xrealloc(g->consts, (size_t)c->nconst_cap * sizeof *g->consts);
    }
    g->consts[g->nconsts] = v;
    return (uint32_t)g->nconsts++;
}

static eng_val text_val(const char *s)
{
    eng_val v;
    memset(&v, 0, sizeof v);
    if (s && *s) {
        v.t = EV_TEXT;
        v.u.s.p = s;
        v.u.s.n = strlen(s);
    }
    return v;
}

/* A number literal: integer when it has no point, decimal otherwise. */
static int number_val(comp *c, const plan_expr *x, eng_val *v)
{
    mf_dec d;
    memset(v, 0, sizeof *v);
    if (!x->text || !mf_dec_parse(x->text, strlen(x->text), &d))
        return fail_at(c, x, MF_ETYPE, "not a number: \"", x->text);
    if (d.scale == 0 && d.v >= INT64_MIN && d.v <= INT64_MAX && !strchr(x->text, '.')) {
        v->t = EV_INT;
        v->u.i = (int64_t)d.v;
    } else {
        eng_set_dec(v, d);
    }
    return 0;
}

/* The value of a literal expression (map values, otherwise values). */
static int literal_val(comp *c, const plan_expr *x, eng_val *v)
{
    memset(v, 0, sizeof *v);
    if (!x)
        return 0;
    switch (x->kind) {
    case PE_TEXT: *v = text_val(x->text); return 0;
    case PE_NUMBER: return number_val(c, x, v);
    case PE_BOOL: v->t = EV_BOOL; v->u.b = x->flag; return 0;
    case PE_NULL: return 0;
    case PE_HOLE: return fail_at(c, x, MF_EQUESTION, "the plan has an open question (?)", NULL);
    default: return fail_at(c, x, MF_ETYPE, "expected a literal value here", NULL);
    }
}

/* ---- hash tables ------------------------------------------------------------------------------ */

static eng_table *new_table(comp *c, int n)
{
    mf_arena *a = &c->prog->arena;
    eng_table *t = mf_arena_alloc(a, sizeof *t);
    uint32_t slots = 8;
    while (slots < (uint32_t)n * 2)
        slots *= 2;
    t->mask = slots - 1;
    t->slot = mf_arena_alloc(a, slots * sizeof *t->slot);
    for (uint32_t i = 0; i < slots; i++)
        t->slot[i] = -1;
    t->key = mf_arena_alloc(a, (size_t)(n + 1) * sizeof *t->key);
    t->klen = mf_arena_alloc(a, (size_t)(n + 1) * sizeof *t->klen);
    t->val = mf_arena_alloc(a, (size_t)(n + 1) * sizeof *t->val);
    return t;
}

/* Insert; a repeated key keeps its first value (the first mapping line wins). */
static void table_put(eng_table *t, const char *key, eng_val v)
{
    size_t n = strlen(key);
    uint32_t h = eng_hash(key, n) & t->mask;
    while (t->slot[h] >= 0) {
        int k = t->slot[h];
        if (t->klen[k] == n && memcmp(t->key[k], key, n) == 0)
            return;
        h = (h + 1) & t->mask;
    }
    t->key[t->n] = key;
    t->klen[t->n] = n;
    t->val[t->n] = v;
    t->slot[h] = t->n++;
}

static eng_table *map_table(comp *c, const plan_map *m, const plan_expr *at)
{
    eng_table *t = new_table(c, m->n);
    for (int i = 0; i < m->n; i++) {
        eng_val v;
        if (literal_val(c, m->to[i], &v) < 0)
            return NULL;
        table_put(t, m->from[i] ? m->from[i] : "", v);
    }
    t->otherwise = m->otherwise;
    if (m->otherwise == PO_VALUE && literal_val(c, m->other, &t->other) < 0)
        return NULL;
    (void)at;
    return t;
}

static eng_table *lookup_table(comp *c, const plan_step *s, const plan_expr *at)
{
    const plan_lookup *lk = NULL;
    for (int i = 0; i < c->p->nlookups && !lk; i++)
        if (s->s && !strcmp(c->p->lookups[i].name, s->s))
            lk = &c->p->lookups[i];
    if (!lk) {
        fail_at(c, at, MF_ETYPE, "no lookup named \"", s->s ? s->s : "");
        return NULL;
    }
    eng_table *t = new_table(c, lk->n);
    for (int i = 0; i < lk->n; i++)
        table_put(t, lk->key[i], text_val(lk->value[i]));
    t->otherwise = s->map.otherwise;
    t->name = lk->name;
    if (s->map.otherwise == PO_VALUE && literal_val(c, s->map.other, &t->other) < 0)
        return NULL;
    return t;
}

static eng_table *list_table(comp *c, const plan_expr *x)
{
    eng_table *t = new_table(c, x->nlist);
    eng_val yes;
    memset(&yes, 0, sizeof yes);
    yes.t = EV_BOOL;
    yes.u.b = true;
    for (int i = 0; i < x->nlist; i++)
        table_put(t, x->list[i] ? x->list[i] : "", yes);
    return t;
}

/* ---- expressions ------------------------------------------------------------------------------ */

static int compile_expr(comp *c, const plan_expr *x, uint32_t *out);

static int source_index(comp *c, const plan_expr *x)
{
    for (int i = 0; i < c->nheader; i++)
        if (c->header[i] && x->name && !strcmp(c->header[i], x->name))
            return i;
    return fail_at(c, x, MF_EDATA, "the data file has no column \"", x->name ? x->name : "");
}

static int output_index(comp *c, const plan_expr *x)
{
    int limit = c->col >= 0 ? c->col : c->p->ncols;   /* a column sees only the columns above it */
    for (int i = 0; i < limit; i++)
        if (x->name && !strcmp(c->p->cols[i].name, x->name))
            return i;
    return fail_at(c, x, MF_ETYPE, "no output column defined above named \"", x->name ? x->name : "");
}

static const char *date_what(comp *c, const plan_step *s)
{
    if (s->kind == PS_READ_ISO)
        return "an ISO date";
    if (s->kind == PS_READ_EXCEL)
        return "an Excel serial date";
    return mf_arena_printf(&c->prog->arena, "a %s date", s->s ? s->s : "");
}

/* its year / month / day / quarter / fiscal year (starting month N): eng_ins.sub is the part */
static int date_part(comp *c, const plan_expr *x, eng_ins *in)
{
    int k = plan_date_part_of(x->step.s);
    if (k < 0)
        return fail_at(c, x, MF_ETYPE, "not a part of a date: \"", x->step.s ? x->step.s : "");
    if (k == PD_FISCAL_YEAR && (in->n < 2 || in->n > 12))
        return fail_at(c, x, MF_ETYPE, "a fiscal year starts in month 2 to 12", NULL);
    in->sub = (uint8_t)k;
    return 0;
}

static int compile_step(comp *c, const plan_expr *x, uint32_t *out)
{
    const plan_step *s = &x->step;
    uint32_t a;
    if (compile_expr(c, x->kid[0], &a) < 0)
        return -1;
    uint32_t dst = new_reg(c);
    *out = dst;
    if (s->kind == PS_DEFAULT) {   /* dst = a; if a is null: dst = value */
        uint32_t v;
        eng_ins *mv = emit(c, OP_MOVE);
        mv->dst = dst, mv->a = a;
        int jn = c->prog->ncode;
        emit(c, OP_JNN)->a = a;
        if (compile_expr(c, s->value, &v) < 0)
            return -1;
        eng_ins *mv2 = emit(c, OP_MOVE);
        mv2->dst = dst, mv2->a = v;
        c->prog->code[jn].jump = (uint32_t)c->prog->ncode;
        return 0;
    }
    uint32_t cond = 0;
    if (s->kind == PS_NEGATE_WHEN && compile_expr(c, s->cond, &cond) < 0)
        return -1;
    static const uint8_t ops[] = {
        [PS_TRIM] = OP_TRIM, [PS_UPPER] = OP_UPPER, [PS_LOWER] = OP_LOWER, [PS_PAD_LEFT] = OP_PADL,
        [PS_PAD_RIGHT] = OP_PADR, [PS_PREFIX] = OP_PREFIX, [PS_SUFFIX] = OP_SUFFIX, [PS_FIRST] = OP_FIRST,
        [PS_LAST] = OP_LAST, [PS_SUBSTR] = OP_SUBSTR, [PS_BEFORE] = OP_BEFORE, [PS_AFTER] = OP_AFTER,
        [PS_READ_DATE] = OP_RDATE, [PS_READ_ISO] = OP_RDATE, [PS_READ_EXCEL] = OP_RDATE,
        [PS_READ_NUMBER] = OP_RNUM, [PS_READ_INTEGER] = OP_RINT, [PS_READ_BOOL] = OP_RBOOL,
        [PS_MUL] = OP_MULK, [PS_DIV] = OP_DIVK, [PS_ROUND] = OP_ROUND, [PS_NEGATE] = OP_NEG,
        [PS_NEGATE_WHEN] = OP_NEGWHEN, [PS_ABS] = OP_ABS, [PS_MAP] = OP_MAP, [PS_LOOKUP] = OP_MAP,
        [PS_REPLACE] = OP_REPLACE, [PS_SQUISH] = OP_SQUISH, [PS_TITLE] = OP_TITLE, [PS_DIGITS] = OP_DIGITS,
        [PS_STRIP] = OP_STRIP,
        [PS_DATE_PART] = OP_DATEPART, [PS_FORMAT_DATE] = OP_FMTDATE, [PS_ADD_DAYS] = OP_ADDDAYS,
        [PS_END_OF_MONTH] = OP_EOM,
    };
    if ((size_t)s->kind >= sizeof ops || (!ops[s->kind] && s->kind != PS_TRIM))
        return fail_at(c, x, MF_ETYPE, "this step is not supported yet by the native engine", NULL);
    eng_ins *in = emit(c, (eng_op)ops[s->kind]);
    in->dst = dst, in->a = a, in->b = cond;
    in->n = s->n, in->m = s->m;
    in->s = s->s;
    in->slen = s->s ? strlen(s->s) : 0;
    switch (s->kind) {
    case PS_READ_DATE:
        in->what = date_what(c, s);
        if (!s->s || !mf_date_pattern_ok(s->s, NULL))
            return fail_at(c, x, MF_ETYPE, "not a date pattern: \"", s->s ? s->s : "");
        in->sub = !strcmp(s->s, "MM/DD/YYYY")   ? ENG_DATE_MDY
                  : !strcmp(s->s, "DD/MM/YYYY") ? ENG_DATE_DMY
                  : !strcmp(s->s, "YYYY-MM-DD") ? ENG_DATE_YMD
                  : !strcmp(s->s, "ISO")        ? ENG_DATE_ISO
                                                : ENG_DATE_GENERAL;
        break;
    case PS_READ_ISO: in->s = "ISO", in->what = date_what(c, s), in->sub = ENG_DATE_ISO; break;
    case PS_READ_EXCEL: in->s = "EXCEL", in->what = date_what(c, s); break;
    case PS_READ_NUMBER: in->fmt = &s->numfmt, in->what = "a number"; break;
    case PS_READ_INTEGER: in->what = "an integer"; break;
    case PS_READ_BOOL:
        in->what = "a boolean";
        if (!(in->tab = map_table(c, plan_bool_words(s), x)))
            return -1;
        break;
    case PS_MUL:
    case PS_DIV:
        if (!s->num || !mf_dec_parse(s->num, strlen(s->num), &in->k))
            return fail_at(c, x, MF_ETYPE, "not a number: \"", s->num ? s->num : "");
        break;
    case PS_MAP:
        if (!(in->tab = map_table(c, &s->map, x)))
            return -1;
        break;
    case PS_LOOKUP:
        if (!(in->tab = lookup_table(c, s, x)))
            return -1;
        break;
    case PS_STRIP:
        if (!s->s || !s->s[0])
            return fail_at(c, x, MF_ETYPE, "nothing to remove", NULL);
        break;
    case PS_REPLACE:
        if (!s->s || !s->s[0])
            return fail_at(c, x, MF_ETYPE, "nothing to replace", NULL);
        in->s2 = s->s2 ? s->s2 : "";
        in->s2len = strlen(in->s2);
        break;
    case PS_DATE_PART:
        return date_part(c, x, in);
    case PS_FORMAT_DATE:
        if (!s->s || !mf_date_format_pattern_ok(s->s, NULL))
            return fail_at(c, x, MF_ETYPE, "not a date pattern: \"", s->s ? s->s : "");
        break;
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT:
        if (!s->s || mf_utf8_count(s->s, strlen(s->s)) != 1)
            return fail_at(c, x, MF_ETYPE, "padding must be one character: \"", s->s ? s->s : "");
        break;
    default: break;
    }
    return 0;
}

/* if c then a else b  /  c and d  /  c or d: jumps so only the chosen side runs. */
static int compile_if(comp *c, const plan_expr *x, uint32_t *out)
{
    uint32_t cond, a, b, dst;
    if (compile_expr(c, x->kid[0], &cond) < 0)
        return -1;
    dst = new_reg(c);
    *out = dst;
    int jf = c->prog->ncode;
    emit(c, OP_JF)->a = cond;
    if (compile_expr(c, x->kid[1], &a) < 0)
        return -1;
    eng_ins *m1 = emit(c, OP_MOVE);
    m1->dst = dst, m1->a = a;
    int jend = c->prog->ncode;
    emit(c, OP_JMP);
    c->prog->code[jf].jump = (uint32_t)c->prog->ncode;
    if (compile_expr(c, x->kid[2], &b) < 0)
        return -1;
    eng_ins *m2 = emit(c, OP_MOVE);
    m2->dst = dst, m2->a = b;
    c->prog->code[jend].jump = (uint32_t)c->prog->ncode;
    return 0;
}

static int compile_andor(comp *c, const plan_expr *x, uint32_t *out)
{
    uint32_t a, b, dst;
    if (compile_expr(c, x->kid[0], &a) < 0)
        return -1;
    dst = new_reg(c);
    *out = dst;
    eng_ins *m1 = emit(c, OP_NOT);   /* dst = not not a: a boolean, null counted false */
    m1->dst = dst, m1->a = a;
    eng_ins *m1b = emit(c, OP_NOT);
    m1b->dst = dst, m1b->a = dst;
    int j = c->prog->ncode;
    emit(c, x->kind == PE_AND ? OP_JF : OP_JT)->a = dst;
    if (compile_expr(c, x->kid[1], &b) < 0)
        return -1;
    eng_ins *m2 = emit(c, OP_NOT);
    m2->dst = dst, m2->a = b;
    eng_ins *m2b = emit(c, OP_NOT);
    m2b->dst = dst, m2b->a = dst;
    c->prog->code[j].jump = (uint32_t)c->prog->ncode;
    return 0;
}

static int compile_binary(comp *c, const plan_expr *x, eng_op op, uint32_t *out)
{
    uint32_t a, b = 0;
    if (compile_expr(c, x->kid[0], &a) < 0 || (x->kid[1] && compile_expr(c, x->kid[1], &b) < 0))
        return -1;
    eng_ins *in = emit(c, op);
    in->dst = *out = new_reg(c);
    in->a = a, in->b = b;
    in->n = x->op;
    in->s = x->text;
    in->slen = x->text ? strlen(x->text) : 0;
    return 0;
}

static int compile_expr(comp *c, const plan_expr *x, uint32_t *out)
{
    if (!x)
        return fail_at(c, NULL, MF_ETYPE, "missing expression", NULL);
    eng_ins *in;
    eng_val v;
    int k;
    switch (x->kind) {
    case PE_SOURCE:
        if ((k = source_index(c, x)) < 0)
            return -1;
        in = emit(c, OP_SRC);
        in->dst = *out = new_reg(c);
        in->a = (uint32_t)k;
        return 0;
    case PE_OUTPUT:
        if ((k = output_index(c, x)) < 0)
            return -1;
        in = emit(c, OP_COL);
        in->dst = *out = new_reg(c);
        in->a = (uint32_t)k;
        return 0;
    case PE_TEXT:
    case PE_NUMBER:
    case PE_BOOL:
    case PE_NULL:
    case PE_HOLE:
        if (literal_val(c, x, &v) < 0)
            return -1;
        in = emit(c, OP_CONST);
        in->dst = *out = new_reg(c);
        in->a = add_const(c, v);
        return 0;
    case PE_STEP: return compile_step(c, x, out);
    case PE_IF: return compile_if(c, x, out);
    case PE_AND:
    case PE_OR: return compile_andor(c, x, out);
    case PE_BINARY: {
        eng_op op = x->op == PB_ADD ? OP_ADD : x->op == PB_SUB ? OP_SUB : x->op == PB_MUL ? OP_MUL
                  : x->op == PB_DIV ? OP_DIV : x->op == PB_CONCAT ? OP_CONCAT : OP_END;
        if (op == OP_END)   /* a comparison written as a binary node */
            op = OP_CMP;
        return compile_binary(c, x, op, out);
    }
    case PE_DAYS: return compile_binary(c, x, OP_DAYS, out);
    case PE_CMP: return compile_binary(c, x, OP_CMP, out);
    case PE_MISSING: return compile_binary(c, x, OP_MISSING, out);
    case PE_PRESENT: return compile_binary(c, x, OP_PRESENT, out);
    case PE_CONTAINS: return compile_binary(c, x, OP_CONTAINS, out);
    case PE_STARTS: return compile_binary(c, x, OP_STARTS, out);
    case PE_ENDS: return compile_binary(c, x, OP_ENDS, out);
    case PE_NOT: return compile_binary(c, x, OP_NOT, out);
    case PE_LENGTH: return compile_binary(c, x, OP_LENGTH, out);
    case PE_ROWNUM:   /* only a column's whole expression, which compile_columns handles */
        return fail_at(c, x, MF_ETYPE, "\"row number\" can only be a whole column", NULL);
    case PE_IN:
        if (compile_binary(c, x, OP_IN, out) < 0)
            return -1;
        c->prog->code[c->prog->ncode - 1].tab = list_table(c, x);
        return 0;
    }
    return fail_at(c, x, MF_ETYPE, "unknown expression", NULL);
}

/* ---- statements ------------------------------------------------------------------------------- */

static int compile_rules(comp *c, plan_rule_kind kind)
{
    c->col = -1;
    for (int i = 0; i < c->p->nrules; i++) {
        const plan_rule *r = &c->p->rules[i];
        if (r->kind != kind)
            continue;
        uint32_t cond;
        if (compile_expr(c, r->cond, &cond) < 0)
            return -1;
        eng_ins *in = emit(c, kind == PR_SKIP ? OP_SKIP : OP_REJECT);
        in->a = cond;
        in->s = r->message ? r->message : "rejected by a rule";
        in->slen = strlen(in->s);
    }
    return 0;
}

static uint8_t assign_kind(const plan_type *t)
{
    switch (t->base) {
    case PT_TEXT: return ENG_ASG_TEXT;
    case PT_DECIMAL: return ENG_ASG_DEC;
    case PT_DATE:
    case PT_TIMESTAMP: return ENG_ASG_DATE;
    default: return ENG_ASG_ANY;
    }
}

static int compile_columns(comp *c)
{
    eng_program *g = c->prog;
    g->ncols = c->p->ncols;
    g->cols = mf_arena_alloc(&g->arena, (size_t)(g->ncols + 1) * sizeof *g->cols);
    for (int i = 0; i < c->p->ncols; i++) {
        const plan_column *col = &c->p->cols[i];
        g->cols[i].name = mf_arena_strdup(&g->arena, col->name ? col->name : "");
        g->cols[i].type = col->type;
        g->cols[i].required = col->required;
        c->col = i;
        if (col->expr && col->expr->kind == PE_ROWNUM) {   /* the writer numbers the rows */
            g->cols[i].rownum = true;
            g->nrownum++;
            continue;
        }
        uint32_t r;
        if (compile_expr(c, col->expr, &r) < 0)
            return -1;
        eng_ins *in = emit(c, OP_ASSIGN);
        in->a = (uint32_t)i;
        in->b = r;
        in->sub = assign_kind(&col->type);   /* the kind; see eng_ins.assign */
    }
    return 0;
}

/* ---- peephole pass ---------------------------------------------------------------------------- */

/* Does op read register a / register b?  (SRC, COL, CONST and ASSIGN use a as an index.) */
static bool reads_a(uint8_t op)
{
    return op != OP_END && op != OP_SRC && op != OP_COL && op != OP_CONST && op != OP_JMP && op != OP_ASSIGN;
}

static bool reads_b(uint8_t op)
{
    return op == OP_NEGWHEN || (op >= OP_ADD && op <= OP_DAYS) || op == OP_CMP || op == OP_ASSIGN;
}

static bool is_jump(uint8_t op)
{
    return op == OP_JMP || op == OP_JF || op == OP_JT || op == OP_JNN;
}

/* Does op write its dst and go on to the next instruction (so an OP_ASSIGN can ride on it)? */
static bool fusible(uint8_t op)
{
    return op != OP_END && !is_jump(op) && op != OP_SKIP && op != OP_REJECT && op != OP_ASSIGN;
}

/* An OP_ASSIGN of the value the previous kept instruction just computed, for the column that
 * instruction belongs to, becomes that instruction's assign flag — unless a jump lands between
 * them (or on the ASSIGN): then the ASSIGN has other ways in and stays. */
static void fuse_assigns(eng_program *g, bool *drop)
{
    int n = g->ncode;
    bool *target = mf_xcalloc((size_t)n + 1, sizeof *target);
    for (int i = 0; i < n; i++)
        if (is_jump(g->code[i].op))
            target[g->code[i].jump] = true;
    for (int j = 0; j < n; j++) {
        const eng_ins *as = &g->code[j];
        if (as->op != OP_ASSIGN || drop[j])
            continue;
        int p = j - 1;
        while (p >= 0 && drop[p])
            p--;
        if (p < 0)
            continue;
        bool landed = false;
        for (int k = p + 1; k <= j; k++)
            landed |= target[k];
        eng_ins *prev = &g->code[p];
        if (!landed && fusible(prev->op) && !prev->assign && prev->dst == as->b && prev->col == (int)as->a) {
            prev->assign = as->sub;
            drop[j] = true;
        }
    }
    free(target);
}

/* Shorten the per-record loop without changing what it computes:
 *  - OP_CONST goes: its register is preloaded once per worker (nothing else writes it, since
 *    every node owns its register);
 *  - an OP_SRC whose register is read once, by the next kept instruction's operand a, is folded
 *    into that instruction (afield): it reads the field itself.  Whether or not a jump lands
 *    between them, the fused instruction sees the same value.
 *  - an OP_ASSIGN right after the instruction computing its value is folded into it (assign).
 * Jumps to a removed instruction go to the next kept one (a removed instruction has no effect
 * there: a constant is already loaded, a fused field is read by its user). */
static void optimize(comp *c)
{
    eng_program *g = c->prog;
    int n = g->ncode;
    int *uses = mf_xcalloc((size_t)g->nregs + 1, sizeof *uses);
    int *newpc = mf_xmalloc(((size_t)n + 1) * sizeof *newpc);
    bool *drop = mf_xcalloc((size_t)n + 1, sizeof *drop);
    for (int i = 0; i < n; i++) {
        const eng_ins *in = &g->code[i];
        if (reads_a(in->op))
            uses[in->a]++;
        if (reads_b(in->op))
            uses[in->b]++;
    }
    g->pre = mf_arena_alloc(&g->arena, ((size_t)n + 1) * sizeof *g->pre);
    for (int i = 0; i < n; i++) {
        eng_ins *in = &g->code[i];
        if (in->op == OP_CONST) {
            g->pre[g->npre].reg = in->dst;
            g->pre[g->npre++].k = in->a;
            drop[i] = true;
        }
    }
    for (int i = 0; i < n; i++) {
        eng_ins *in = &g->code[i];
        if (in->op != OP_SRC || uses[in->dst] != 1)
            continue;
        int j = i + 1;
        while (j < n && drop[j])
            j++;
        eng_ins *next = &g->code[j];
        if (j < n && reads_a(next->op) && !next->afield && next->a == in->dst &&
            !(reads_b(next->op) && next->b == in->dst)) {
            next->afield = 1;
            next->a = in->a;
            drop[i] = true;
        }
    }
    fuse_assigns(g, drop);
    int k = 0;
    for (int i = 0; i <= n; i++) {
        newpc[i] = k;
        if (i < n && !drop[i])
            k++;
    }
    k = 0;
    for (int i = 0; i < n; i++) {
        if (drop[i])
            continue;
        eng_ins in = g->code[i];
        if (is_jump(in.op))
            in.jump = (uint32_t)newpc[in.jump];
        g->code[k++] = in;
    }
    g->ncode = k;
    free(uses);
    free(newpc);
    free(drop);
}

eng_program *eng_compile(const plan *p, const char *const *header, int nheader, const char *path, mf_err *e)
{
    if (plan_check_limits(p, path, e))   /* the compiler recurses once per level of an expression */
        return NULL;
    eng_program *g = mf_xcalloc(1, sizeof *g);
    mf_arena_init(&g->arena);
    comp c = {.prog = g, .p = p, .header = header, .nheader = nheader, .path = path, .col = -1, .e = e};
    g->nfields = nheader;
    if (p->ncols > INT16_MAX) {
        mf_fail(e, MF_ELIMIT, path, 0, 0, "a plan may have at most %d columns", INT16_MAX);
        eng_program_free(g);
        return NULL;
    }
    if (compile_rules(&c, PR_SKIP) < 0 || compile_columns(&c) < 0 || compile_rules(&c, PR_REJECT) < 0) {
        eng_program_free(g);
        return NULL;
    }
    c.col = -1;
    emit(&c, OP_END);
    optimize(&c);
    return g;
}

void eng_program_free(eng_program *prog)
{
    if (!prog)
        return;
    free(prog->code);
    free(prog->consts);
    mf_arena_free(&prog->arena);
    free(prog);
}

/* ---- pruning for the control totals ----------------------------------------------------------- */

/* Can an assignment to column c reject a row?  Only a text column with no length, not required,
 * takes every value (assign() turns any value into its text form). */
static bool assign_may_fail(const eng_colspec *c)
{
    return !(c->type.base == PT_TEXT && c->type.len <= 0 && !c->required);
}

/* Can the instruction end the record (skip or reject it) or steer control?  Such an instruction
 * decides a row's fate, so it is always kept. */
static bool decides_fate(uint8_t op)
{
    switch ((eng_op)op) {
    case OP_END: case OP_JMP: case OP_JF: case OP_JT: case OP_JNN: case OP_SKIP: case OP_REJECT:
    case OP_RDATE: case OP_RNUM: case OP_RINT: case OP_RBOOL: case OP_MAP:
    case OP_MULK: case OP_DIVK: case OP_ROUND: case OP_NEG: case OP_ABS: case OP_NEGWHEN:
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_DAYS:
    case OP_DATEPART: case OP_FMTDATE: case OP_ADDDAYS: case OP_EOM:
        return true;
    default:
        return false;
    }
}

/* Steps whose result is longer than a text(N) column exactly when their operand is, and null
 * exactly when it is: padding with one character up to a width within N; upper and lower casing
 * (one code point in, one out: a simple case mapping; the text is valid UTF-8, the reader and the
 * plan parser refuse anything else, and no step splits a character). */
static bool length_step_keeps_fate(const eng_ins *in, const eng_colspec *c)
{
    if (c->type.base != PT_TEXT || c->type.len <= 0)
        return false;
    if (in->op == OP_UPPER || in->op == OP_LOWER)
        return true;
    return (in->op == OP_PADL || in->op == OP_PADR) && in->n <= c->type.len && in->slen > 0 &&
           mf_utf8_count(in->s, in->slen) == 1;
}

void eng_prune_for_totals(eng_program *g, const bool *keep_col)
{
    int n = g->ncode;
    bool *live = mf_xcalloc((size_t)n + 1, sizeof *live);
    bool *need = mf_xcalloc((size_t)g->nregs + 1, sizeof *need);
    bool *colneed = mf_xcalloc((size_t)g->ncols + 1, sizeof *colneed);
    int *readers = mf_xcalloc((size_t)g->nregs + 1, sizeof *readers);
    bool *colread = mf_xcalloc((size_t)g->ncols + 1, sizeof *colread);
    for (int c = 0; c < g->ncols; c++)
        colneed[c] = keep_col[c] || assign_may_fail(&g->cols[c]);
    for (int i = 0; i < n; i++) {
        const eng_ins *in = &g->code[i];
        if (reads_a(in->op) && !in->afield)
            readers[in->a]++;
        if (reads_b(in->op))
            readers[in->b]++;
        if (in->op == OP_COL)
            colread[in->a] = true;
    }
    /* Such a step whose result only feeds its own column's length check, in a column nothing reads
     * back and no total sums, becomes a move: the row's fate is the same, the copy is saved. */
    for (int i = 0; i < n; i++) {
        eng_ins *in = &g->code[i];
        if (in->assign && in->col >= 0 && !keep_col[in->col] && !colread[in->col] && readers[in->dst] == 0 &&
            length_step_keeps_fate(in, &g->cols[in->col]))
            in->op = OP_MOVE;
    }
    /* Flow-insensitive liveness to a fixpoint: a kept instruction needs the registers it reads and
     * the columns it reads back; a needed register keeps every instruction writing it; a needed
     * column keeps every assignment to it. */
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < n; i++) {
            const eng_ins *in = &g->code[i];
            bool l = decides_fate(in->op) ||
                     (in->op == OP_ASSIGN && colneed[in->a]) ||
                     (in->assign && in->col >= 0 && colneed[in->col]) ||
                     (in->op != OP_ASSIGN && fusible(in->op) && need[in->dst]);
            if (!l || live[i])
                continue;
            live[i] = changed = true;
            if (reads_a(in->op) && !in->afield)
                need[in->a] = true;
            if (reads_b(in->op))
                need[in->b] = true;
            if (in->op == OP_COL)
                colneed[in->a] = true;
        }
    }
    int *newpc = mf_xmalloc(((size_t)n + 1) * sizeof *newpc);
    int k = 0;
    for (int i = 0; i <= n; i++) {
        newpc[i] = k;
        if (i < n && live[i])
            k++;
    }
    k = 0;
    for (int i = 0; i < n; i++) {
        if (!live[i])
            continue;
        eng_ins in = g->code[i];
        if (is_jump(in.op))
            in.jump = (uint32_t)newpc[in.jump];
        if (in.assign && in.col >= 0 && !colneed[in.col])
            in.assign = 0;   /* computed for another reader; the column itself is not needed */
        g->code[k++] = in;
    }
    g->ncode = k;
    free(newpc);
    free(live);
    free(need);
    free(colneed);
    free(readers);
    free(colread);
}
