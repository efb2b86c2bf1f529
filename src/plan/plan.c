/* plan.c — the plan tree: construction in an arena, structural equality, and the few queries
 * other stages ask of a plan (open questions, source columns used).
 *
 * Invariants: everything a plan points to lives in p->arena (so plan_free releases it at once);
 * the statement arrays (cols, rules, lookups, questions) are grown only by the plan_add_*
 * functions, with capacity implied by the count (powers of two), so a pointer returned by an add
 * function is valid until the next add of the same kind.  Equality ignores line/col and checked
 * types, and treats spellings that render identically as equal (NULL and "" for names that are
 * always written, "otherwise null" and "otherwise <null literal>", decimal 0 and '.').
 */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

void plan_init(plan *p)
{
    memset(p, 0, sizeof *p);
    mf_arena_init(&p->arena);
}

void plan_free(plan *p)
{
    mf_arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}

const char *plan_strdup(plan *p, const char *s)
{
    return s ? mf_arena_strdup(&p->arena, s) : NULL;
}

/* ---- builders --------------------------------------------------------------------------------- */

plan_expr *plan_new_expr(plan *p, plan_expr_kind kind)
{
    plan_expr *e = mf_arena_alloc(&p->arena, sizeof *e);
    e->kind = kind;
    return e;
}

plan_expr *plan_source_ref(plan *p, const char *name)
{
    plan_expr *e = plan_new_expr(p, PE_SOURCE);
    e->name = plan_strdup(p, name);
    return e;
}

plan_expr *plan_text_lit(plan *p, const char *text)
{
    plan_expr *e = plan_new_expr(p, PE_TEXT);
    e->text = plan_strdup(p, text ? text : "");
    return e;
}

plan_expr *plan_number_lit(plan *p, const char *text)
{
    plan_expr *e = plan_new_expr(p, PE_NUMBER);
    e->text = plan_strdup(p, text ? text : "0");
    return e;
}

plan_expr *plan_with_step(plan *p, plan_expr *kid, plan_step_kind kind)
{
    plan_expr *e = plan_new_expr(p, PE_STEP);
    e->kid[0] = kid;
    e->step.kind = kind;
    if (kind == PS_READ_NUMBER)
        e->step.numfmt.decimal = '.';
    return e;
}

static bool is_cmp_op(int op)
{
    return op == PB_EQ || op == PB_NE || op == PB_LT || op == PB_LE || op == PB_GT || op == PB_GE;
}

/* Comparison operators make a PE_CMP node (a condition), the others a PE_BINARY. */
plan_expr *plan_binary(plan *p, int op, plan_expr *a, plan_expr *b)
{
    plan_expr *e = plan_new_expr(p, is_cmp_op(op) ? PE_CMP : PE_BINARY);
    e->op = op;
    e->kid[0] = a;
    e->kid[1] = b;
    return e;
}

/* Grow an arena array of n elements to hold n+1; capacity is the next power of two >= n. */
static void *grow(plan *p, void *arr, int n, size_t size)
{
    if (n > 0 && (n & (n - 1)) != 0)
        return arr;   /* not a power of two: room remains */
    size_t cap = n == 0 ? 4 : (size_t)n * 2;
    if (n > 0 && n < 4)
        return arr;   /* first block holds 4 */
    void *bigger = mf_arena_alloc(&p->arena, cap * size);
    if (n > 0)
        memcpy(bigger, arr, (size_t)n * size);
    return bigger;
}

plan_column *plan_add_column(plan *p, const char *name, plan_type type)
{
    p->cols = grow(p, p->cols, p->ncols, sizeof *p->cols);
    plan_column *c = &p->cols[p->ncols++];
    memset(c, 0, sizeof *c);
    c->name = plan_strdup(p, name ? name : "");
    c->type = type;
    return c;
}

plan_rule *plan_add_rule(plan *p, plan_rule_kind kind, plan_expr *cond, const char *message)
{
    p->rules = grow(p, p->rules, p->nrules, sizeof *p->rules);
    plan_rule *r = &p->rules[p->nrules++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->cond = cond;
    r->message = plan_strdup(p, message);
    return r;
}

void plan_add_key(plan *p, const char *column)
{
    p->keys = grow(p, p->keys, p->nkeys, sizeof *p->keys);
    p->keys[p->nkeys++] = plan_strdup(p, column ? column : "");
}

plan_lookup *plan_add_lookup(plan *p, const char *name)
{
    p->lookups = grow(p, p->lookups, p->nlookups, sizeof *p->lookups);
    plan_lookup *l = &p->lookups[p->nlookups++];
    memset(l, 0, sizeof *l);
    l->name = plan_strdup(p, name ? name : "");
    return l;
}

plan_question *plan_add_question(plan *p, const char *column, int row, const char *text)
{
    p->questions = grow(p, p->questions, p->nquestions, sizeof *p->questions);
    plan_question *q = &p->questions[p->nquestions++];
    q->column = plan_strdup(p, column);
    q->row = row;
    q->text = plan_strdup(p, text ? text : "");
    return q;
}

plan_note *plan_add_note(plan *p, const char *text)
{
    p->notes = grow(p, p->notes, p->nnotes, sizeof *p->notes);
    plan_note *n = &p->notes[p->nnotes++];
    memset(n, 0, sizeof *n);
    n->text = plan_strdup(p, text ? text : "");
    return n;
}

/* Small lists (map entries, lookup entries, "is one of" literals) are copied to n+1 each time:
 * they are short, and this works whoever allocated the old array. */
static void *append(plan *p, const void *arr, int n, size_t size)
{
    void *bigger = mf_arena_alloc(&p->arena, (size_t)(n + 1) * size);
    if (n > 0)
        memcpy(bigger, arr, (size_t)n * size);
    return bigger;
}

void plan_map_add(plan *p, plan_map *m, const char *from, plan_expr *to)
{
    m->from = append(p, m->from, m->n, sizeof *m->from);
    m->to = append(p, m->to, m->n, sizeof *m->to);
    m->from[m->n] = plan_strdup(p, from ? from : "");
    m->to[m->n] = to;
    m->n++;
}

void plan_lookup_add_entry(plan *p, plan_lookup *l, const char *key, const char *value)
{
    l->key = append(p, l->key, l->n, sizeof *l->key);
    l->value = append(p, l->value, l->n, sizeof *l->value);
    l->key[l->n] = plan_strdup(p, key ? key : "");
    l->value[l->n] = plan_strdup(p, value ? value : "");
    l->n++;
}

void plan_list_add(plan *p, plan_expr *in, const char *text)
{
    in->list = append(p, in->list, in->nlist, sizeof *in->list);
    in->list[in->nlist++] = plan_strdup(p, text ? text : "");
}

/* ---- equality --------------------------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)   /* NULL only equals NULL */
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool str_eq0(const char *a, const char *b)  /* NULL counts as "" */
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool type_eq(plan_type a, plan_type b)
{
    if (a.base != b.base)
        return false;
    if (a.base == PT_TEXT)
        return a.len == b.len;
    if (a.base == PT_DECIMAL)
        return a.prec == b.prec && a.scale == b.scale;
    return true;
}

static bool expr_eq(const plan_expr *a, const plan_expr *b);

static bool other_is_null(const plan_map *m)
{
    return m->otherwise == PO_NULL || (m->otherwise == PO_VALUE && m->other && m->other->kind == PE_NULL);
}

static bool otherwise_eq(const plan_map *a, const plan_map *b)
{
    if (other_is_null(a) || other_is_null(b))
        return other_is_null(a) && other_is_null(b);
    if (a->otherwise != b->otherwise)
        return false;
    return a->otherwise != PO_VALUE || expr_eq(a->other, b->other);
}

static bool entries_eq(const plan_map *a, const plan_map *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (!str_eq0(a->from[i], b->from[i]) || !expr_eq(a->to[i], b->to[i]))
            return false;
    return true;
}

static bool numfmt_eq(const plan_numfmt *a, const plan_numfmt *b)
{
    char da = a->decimal ? a->decimal : '.', db = b->decimal ? b->decimal : '.';
    return a->thousands == b->thousands && da == db && a->paren_negative == b->paren_negative &&
           a->trailing_minus == b->trailing_minus && str_eq(a->currency, b->currency);
}

static bool step_eq(const plan_step *a, const plan_step *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT: return str_eq0(a->s, b->s) && a->n == b->n;
    case PS_PREFIX:
    case PS_SUFFIX:
    case PS_FORMAT_DATE: return str_eq0(a->s, b->s);
    case PS_BEFORE:
    case PS_AFTER: return str_eq0(a->s, b->s) && a->m == b->m;
    case PS_REPLACE: return str_eq0(a->s, b->s) && str_eq0(a->s2, b->s2);
    case PS_STRIP: return str_eq0(a->s, b->s) && a->m == b->m;
    case PS_DATE_PART: return str_eq0(a->s, b->s) && (plan_date_part_of(a->s) != PD_FISCAL_YEAR || a->n == b->n);
    case PS_FIRST:
    case PS_LAST:
    case PS_ADD_DAYS: return a->n == b->n;
    case PS_ROUND: return a->n == b->n && a->m == b->m;
    case PS_SUBSTR: return a->n == b->n && a->m == b->m;
    case PS_READ_DATE: return str_eq0(a->s, b->s) && a->n == b->n;
    case PS_READ_NUMBER: return numfmt_eq(&a->numfmt, &b->numfmt);
    case PS_MUL:
    case PS_DIV: return str_eq0(a->num, b->num);
    case PS_NEGATE_WHEN: return expr_eq(a->cond, b->cond);
    case PS_DEFAULT: return expr_eq(a->value, b->value);
    case PS_MAP: return entries_eq(&a->map, &b->map) && otherwise_eq(&a->map, &b->map);
    case PS_READ_BOOL: return entries_eq(&a->map, &b->map);
    case PS_LOOKUP: return str_eq0(a->s, b->s) && otherwise_eq(&a->map, &b->map);
    default: return true;   /* steps without arguments */
    }
}

static bool expr_eq(const plan_expr *a, const plan_expr *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case PE_SOURCE:
    case PE_OUTPUT: return str_eq0(a->name, b->name);
    case PE_TEXT:
    case PE_NUMBER: return str_eq0(a->text, b->text);
    case PE_BOOL: return a->flag == b->flag;
    case PE_NULL:
    case PE_HOLE: return true;
    case PE_BINARY:
    case PE_CMP: return a->op == b->op && expr_eq(a->kid[0], b->kid[0]) && expr_eq(a->kid[1], b->kid[1]);
    case PE_STEP: return step_eq(&a->step, &b->step) && expr_eq(a->kid[0], b->kid[0]);
    case PE_IF:
        return expr_eq(a->kid[0], b->kid[0]) && expr_eq(a->kid[1], b->kid[1]) &&
               expr_eq(a->kid[2], b->kid[2]);
    case PE_DAYS:
    case PE_AND:
    case PE_OR: return expr_eq(a->kid[0], b->kid[0]) && expr_eq(a->kid[1], b->kid[1]);
    case PE_NOT:
    case PE_LENGTH:
    case PE_MISSING:
    case PE_PRESENT: return expr_eq(a->kid[0], b->kid[0]);
    case PE_ROWNUM: return true;
    case PE_IN:
        if (a->nlist != b->nlist || !expr_eq(a->kid[0], b->kid[0]))
            return false;
        for (int i = 0; i < a->nlist; i++)
            if (!str_eq0(a->list[i], b->list[i]))
                return false;
        return true;
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS: return str_eq0(a->text, b->text) && expr_eq(a->kid[0], b->kid[0]);
    }
    return false;
}

/* A whole expression: expr_eq recurses once per level, so a tree past the limits (which no
 * checked plan holds) is unequal to everything rather than walked. */
static bool top_eq(const plan_expr *a, const plan_expr *b)
{
    if (plan_expr_over_limits(a, NULL) || plan_expr_over_limits(b, NULL))
        return false;
    return expr_eq(a, b);
}

static bool prov_eq(plan_prov a, plan_prov b)
{
    return a.row == b.row && str_eq0(a.text, b.text);
}

static bool source_eq(const plan_source *a, const plan_source *b)
{
    return str_eq0(a->file, b->file) && a->delimiter == b->delimiter && a->quote == b->quote &&
           a->encoding == b->encoding && a->header_line == b->header_line && a->skip_last == b->skip_last;
}

static bool lookup_eq(const plan_lookup *a, const plan_lookup *b)
{
    if (!str_eq0(a->name, b->name) || !str_eq(a->tab, b->tab) || !str_eq(a->key_col, b->key_col) ||
        !str_eq(a->value_col, b->value_col) || a->n != b->n || !prov_eq(a->prov, b->prov))
        return false;
    for (int i = 0; i < a->n; i++)
        if (!str_eq0(a->key[i], b->key[i]) || !str_eq0(a->value[i], b->value[i]))
            return false;
    return true;
}

bool plan_equal(const plan *a, const plan *b)
{
    if (!str_eq0(a->client, b->client) || a->version != b->version || !source_eq(&a->source, &b->source) ||
        !str_eq0(a->mapping.file, b->mapping.file) || !str_eq0(a->mapping.sheet, b->mapping.sheet) ||
        !str_eq0(a->mapping.sha256, b->mapping.sha256) ||
        !str_eq0(a->output, b->output) || a->ncols != b->ncols || a->nrules != b->nrules ||
        a->nlookups != b->nlookups || a->nquestions != b->nquestions || a->nkeys != b->nkeys ||
        a->nnotes != b->nnotes)
        return false;
    for (int i = 0; i < a->nnotes; i++)
        if (!str_eq0(a->notes[i].text, b->notes[i].text) || !prov_eq(a->notes[i].prov, b->notes[i].prov))
            return false;
    for (int i = 0; i < a->nkeys; i++)
        if (!str_eq0(a->keys[i], b->keys[i]))
            return false;
    if (a->nkeys && !prov_eq(a->key_prov, b->key_prov))
        return false;
    for (int i = 0; i < a->ncols; i++) {
        const plan_column *x = &a->cols[i], *y = &b->cols[i];
        if (!str_eq0(x->name, y->name) || !type_eq(x->type, y->type) || x->required != y->required ||
            !top_eq(x->expr, y->expr) || !prov_eq(x->prov, y->prov))
            return false;
    }
    for (int i = 0; i < a->nrules; i++) {
        const plan_rule *x = &a->rules[i], *y = &b->rules[i];
        if (x->kind != y->kind || !top_eq(x->cond, y->cond) || !prov_eq(x->prov, y->prov) ||
            (x->kind != PR_SKIP && !str_eq(x->message, y->message)))
            return false;
    }
    for (int i = 0; i < a->nlookups; i++)
        if (!lookup_eq(&a->lookups[i], &b->lookups[i]))
            return false;
    for (int i = 0; i < a->nquestions; i++) {
        const plan_question *x = &a->questions[i], *y = &b->questions[i];
        if (!str_eq(x->column, y->column) || x->row != y->row || !str_eq0(x->text, y->text))
            return false;
    }
    return true;
}

/* ---- limits ----------------------------------------------------------------------------------- */

#define LIMIT_STR_(x) #x
#define LIMIT_STR(x) LIMIT_STR_(x)

typedef struct limit_ctx {
    long nodes;
    const char *why;
} limit_ctx;

static const plan_expr *over_limits(const plan_expr *e, int depth, limit_ctx *lc)
{
    if (!e)
        return NULL;
    if (depth > PLAN_MAX_DEPTH) {
        lc->why = "expression nested deeper than " LIMIT_STR(PLAN_MAX_DEPTH) " levels";
        return e;
    }
    if (++lc->nodes > PLAN_MAX_NODES) {
        lc->why = "expression longer than " LIMIT_STR(PLAN_MAX_NODES) " terms";
        return e;
    }
    const plan_expr *bad = NULL;
    for (int i = 0; i < 3 && !bad; i++)
        bad = over_limits(e->kid[i], depth + 1, lc);
    if (bad || e->kind != PE_STEP)
        return bad;
    const plan_step *s = &e->step;
    if (!(bad = over_limits(s->cond, depth + 1, lc)))
        bad = over_limits(s->value, depth + 1, lc);
    if (s->kind == PS_MAP || s->kind == PS_READ_BOOL)
        for (int i = 0; !bad && i < s->map.n; i++)
            bad = over_limits(s->map.to[i], depth + 1, lc);
    if (!bad && s->map.otherwise == PO_VALUE)
        bad = over_limits(s->map.other, depth + 1, lc);
    return bad;
}

const plan_expr *plan_expr_over_limits(const plan_expr *e, const char **why)
{
    limit_ctx lc = {0, NULL};
    const plan_expr *bad = over_limits(e, 1, &lc);
    if (why)
        *why = lc.why;
    return bad;
}

static int limit_fail(const plan_expr *x, const char *what, const char *path, mf_err *e)
{
    const char *why;
    const plan_expr *bad = plan_expr_over_limits(x, &why);
    if (!bad)
        return 0;
    return mf_fail(e, MF_ETYPE, path, bad->line, bad->col, "%s: %s: split it into several columns", what, why);
}

int plan_check_limits(const plan *p, const char *path, mf_err *e)
{
    for (int i = 0; i < p->ncols; i++)
        if (limit_fail(p->cols[i].expr, p->cols[i].name, path, e))
            return -1;
    for (int i = 0; i < p->nrules; i++)
        if (limit_fail(p->rules[i].cond, "a rule", path, e))
            return -1;
    return 0;
}

/* ---- queries ---------------------------------------------------------------------------------- */

/* Calls fn on e and every expression below it, in the order the text shows them, down to
 * PLAN_MAX_DEPTH levels (a deeper tree fails plan_check; the walk stays on a bounded stack). */
static void walk_at(const plan_expr *e, int depth, void (*fn)(const plan_expr *, void *), void *ctx)
{
    if (!e || depth > PLAN_MAX_DEPTH)
        return;
    fn(e, ctx);
    for (int i = 0; i < 3; i++)
        walk_at(e->kid[i], depth + 1, fn, ctx);
    if (e->kind != PE_STEP)
        return;
    walk_at(e->step.cond, depth + 1, fn, ctx);
    walk_at(e->step.value, depth + 1, fn, ctx);
    if (e->step.kind == PS_MAP || e->step.kind == PS_READ_BOOL)
        for (int i = 0; i < e->step.map.n; i++)
            walk_at(e->step.map.to[i], depth + 1, fn, ctx);
    if (e->step.map.otherwise == PO_VALUE)
        walk_at(e->step.map.other, depth + 1, fn, ctx);
}

static void walk(const plan_expr *e, void (*fn)(const plan_expr *, void *), void *ctx)
{
    walk_at(e, 1, fn, ctx);
}

static void find_hole(const plan_expr *e, void *ctx)
{
    if (e->kind == PE_HOLE)
        *(bool *)ctx = true;
}

bool plan_expr_has_hole(const plan_expr *e)
{
    bool hole = plan_expr_over_limits(e, NULL) != NULL;   /* cannot run: as good as a hole */
    if (e && !hole)
        walk(e, find_hole, &hole);
    return hole;
}

bool plan_has_open_questions(const plan *p)
{
    if (p->nquestions > 0)
        return true;
    bool hole = false;
    for (int i = 0; i < p->ncols && !hole; i++)
        hole = plan_expr_has_hole(p->cols[i].expr);
    for (int i = 0; i < p->nrules && !hole; i++)
        hole = plan_expr_has_hole(p->rules[i].cond);
    return hole;
}

typedef struct used_ctx {
    plan *p;
    const char **names;
    int n, cap;
} used_ctx;

static void note_source(const plan_expr *e, void *vctx)
{
    used_ctx *u = vctx;
    if (e->kind != PE_SOURCE || !e->name)
        return;
    for (int i = 0; i < u->n; i++)
        if (!strcmp(u->names[i], e->name))
            return;
    if (u->n == u->cap) {
        int cap = u->cap ? u->cap * 2 : 16;
        const char **bigger = mf_arena_alloc(&u->p->arena, (size_t)cap * sizeof *bigger);
        if (u->n)
            memcpy(bigger, u->names, (size_t)u->n * sizeof *bigger);
        u->names = bigger;
        u->cap = cap;
    }
    u->names[u->n++] = e->name;
}

/* Columns in order, then skip rules, then reject rules (the order the engine meets them does
 * not matter here; a fixed order keeps cache keys stable). */
int plan_used_sources(const plan *p, const char ***names)
{
    used_ctx u = {(plan *)p, NULL, 0, 0};   /* the arena is the plan's own scratch space */
    for (int i = 0; i < p->ncols; i++)
        walk(p->cols[i].expr, note_source, &u);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < p->nrules; i++)
            if ((int)p->rules[i].kind == (k == 0 ? PR_SKIP : PR_REJECT))
                walk(p->rules[i].cond, note_source, &u);
    *names = u.names;
    return u.n;
}

const char *const plan_date_part_names[PD_COUNT] = {"year", "month", "day", "quarter", "fiscal year"};

int plan_date_part_of(const char *s)
{
    for (int k = 0; s && k < PD_COUNT; k++)
        if (!strcmp(s, plan_date_part_names[k]))
            return k;
    return -1;
}

bool plan_column_is_rownum(const plan *p, int i)
{
    return i >= 0 && i < p->ncols && p->cols[i].expr && p->cols[i].expr->kind == PE_ROWNUM;
}

const plan_map *plan_bool_words(const plan_step *s)
{
    static plan_expr yes = {.kind = PE_BOOL, .type = {.base = PT_BOOLEAN}, .flag = true};
    static plan_expr no = {.kind = PE_BOOL, .type = {.base = PT_BOOLEAN}, .flag = false};
    static const char *from[] = {"true", "false"};
    static plan_expr *to[] = {&yes, &no};
    static const plan_map words = {.n = 2, .from = from, .to = to, .otherwise = PO_REJECT};
    return s->map.n > 0 ? &s->map : &words;
}
