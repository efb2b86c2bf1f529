/* build.c — a reading turned into one plan expression, in a fixed order: base (source, constant,
 * concatenation, arithmetic, days) -> text steps -> conversion (code map, read as ..., implied by the target
 * type and checked against the sample) -> numeric steps -> rounding made visible -> default.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"
#include "util/date.h"

#include <stdlib.h>
#include <string.h>

/* ---- building the expression ----------------------------------------------------------------- */

static int cmp_pos(const void *a, const void *b)
{
    const tstep *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static plan_expr *apply(reading *r, plan_expr *e, const plan_step *st)
{
    plan_expr *x = plan_with_step(r->p, e, st->kind);
    plan_step_kind kind = x->step.kind;
    x->step = *st;
    x->step.kind = kind;
    return x;
}

/* A copy of the tree e (steps' own expressions shared: nothing changes them after reading); NULL when it is
 * deeper than any plan may be. */
static plan_expr *clone_expr(reading *r, const plan_expr *e, int depth)
{
    if (!e)
        return NULL;
    if (depth > PLAN_MAX_DEPTH) {
        rd_problem(r, "The expression is nested too deeply.");
        return NULL;
    }
    plan_expr *x = plan_new_expr(r->p, e->kind);
    *x = *e;
    for (int i = 0; i < 3; i++)
        if (e->kid[i] && !(x->kid[i] = clone_expr(r, e->kid[i], depth + 1)))
            return NULL;
    return x;
}

/* "remove the 'CUST-' prefix": if e starts with "CUST-" then e text after "CUST-" else e (the first occurrence
 * is the prefix then); a suffix: if e ends with "X" then e text before last "X" else e.  Values without the
 * affix are unchanged. */
static plan_expr *drop_affix(reading *r, plan_expr *e, const tstep *ts)
{
    plan_expr *has = plan_new_expr(r->p, ts->drop == AFFIX_PREFIX ? PE_STARTS : PE_ENDS);
    plan_expr *iff = plan_new_expr(r->p, PE_IF);
    has->text = ts->st.s;
    if (!(has->kid[0] = clone_expr(r, e, 0)))
        return NULL;
    plan_expr *cut = clone_expr(r, e, 0);
    if (!cut)
        return NULL;
    iff->kid[0] = has;
    iff->kid[1] = apply(r, cut, &ts->st);
    iff->kid[2] = e;
    return iff;
}

bool rd_numeric_base(plan_base b)
{
    return b == PT_DECIMAL || b == PT_INTEGER || b == PT_BIGINT;
}

/* read as number with the profile's format overlaid by what the rule said (plan/infer.c). */
/* The sample the number is read from: pc's values with the rule's removals and replacements
 * (`with "%" removed`) applied first, so that the format is checked on what the read step sees.
 * pc itself when the rule replaces nothing. */
static const prof_column *replaced_sample(reading *r, const prof_column *pc)
{
    bool any = false;
    for (int i = 0; i < r->ntext; i++)
        any |= r->text_steps[i].st.kind == PS_REPLACE;
    if (!pc || !any)
        return pc;
    prof_column *d = mf_arena_alloc(&r->p->arena, sizeof *d);
    *d = *pc;
    d->ndate_formats = 0;
    d->thousands = d->decimal = 0;
    d->paren_negative = d->trailing_minus = false;
    d->currency = NULL;
    d->sample = mf_arena_alloc(&r->p->arena, sizeof(char *) * (size_t)(pc->nsample ? pc->nsample : 1));
    for (long i = 0; i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        for (int k = 0; v && k < r->ntext; k++) {
            const plan_step *st = &r->text_steps[k].st;
            if (st->kind != PS_REPLACE || !st->s || !st->s[0])
                continue;
            v = infer_replace_all(&r->p->arena, v, st->s, st->s2);
        }
        d->sample[i] = v;
    }
    return d;
}

static plan_expr *read_number(reading *r, plan_expr *e, const prof_column *pc, bool want_integer)
{
    infer_numhint h = {.nf = r->nf, .thousands_set = r->nf_thousands_set, .decimal_set = r->nf_decimal_set,
                       .stated = r->nf_any};
    return infer_read_number(r->p, e, pc, &h, want_integer, &r->problems);
}

static plan_expr *read_bool(reading *r, plan_expr *e, const char *col)
{
    if (!r->map_bool)
        return infer_read_bool(r->p, e, rd_prof_of(r, col), col, &r->problems);
    plan_expr *x = plan_with_step(r->p, e, PS_READ_BOOL);
    x->step.map = r->map;
    return x;
}

/* The output column above that reads [col] itself as a date ("CAP_DATE date = [Capitalization Date] read as
 * Excel serial date"), as a reference; NULL when none or more than one. */
static plan_expr *date_above(reading *r, const plan_expr *e, const char *col)
{
    if (!e || e->kind != PE_SOURCE || !col)
        return NULL;
    const plan_column *found = NULL;
    for (int i = 0; i < r->p->ncols; i++) {
        const plan_column *pcol = &r->p->cols[i];
        const plan_expr *x = pcol->expr;
        if (pcol->type.base != PT_DATE || !x || x->kind != PE_STEP || !x->kid[0] || x->kid[0]->kind != PE_SOURCE ||
            strcmp(x->kid[0]->name, col) ||
            !(x->step.kind == PS_READ_DATE || x->step.kind == PS_READ_ISO || x->step.kind == PS_READ_EXCEL))
            continue;
        if (found)
            return NULL;
        found = pcol;
    }
    if (!found)
        return NULL;
    plan_expr *o = plan_new_expr(r->p, PE_OUTPUT);
    o->name = plan_strdup(r->p, found->name);
    return o;
}

/* read as a date: the rule's pattern (checked against each column it reads), else the pattern
 * the sample shows, else (when the sample shows none) the reading of that same column by a date
 * column above. */
static plan_expr *read_date(reading *r, plan_expr *e, const char *col)
{
    const prof_column *pc = rd_prof_of(r, col);
    if (r->date_kind == D_NONE) {
        mf_buf why = {0};
        const char *pat = infer_date_pattern(pc, col, &why);
        mf_buf_free(&why);
        plan_expr *above = pat ? NULL : date_above(r, e, col);
        if (above)
            return above;
    }
    if (r->date_kind == D_ISO)
        return plan_with_step(r->p, e, PS_READ_ISO);
    if (r->date_kind == D_EXCEL)
        return plan_with_step(r->p, e, PS_READ_EXCEL);
    const char *pat = r->date_pat;
    int pivot = r->pivot;
    if (r->date_kind == D_PATTERN && r->base == B_DAYS) {
        const char *bad, *better;
        if (!infer_date_fits(pc, pat, &bad, &better)) {
            rd_problem(r, "It says %s, but the sampled value \"%s\" of [%s] does not read with it%s%s. Which "
                       "format is right?", pat, bad ? bad : "", col, better ? "; more of the sample reads as " : "",
                    better ? better : "");
            return NULL;
        }
    } else if (r->date_kind != D_PATTERN) {
        if (!(pat = infer_date_pattern(pc, col, &r->problems)))
            return NULL;
        pivot = strstr(pat, "YY") && !strstr(pat, "YYYY") ? 1950 : 0;
        if (!strcmp(pat, "ISO"))
            return plan_with_step(r->p, e, PS_READ_ISO);
        if (!strcmp(pat, "EXCEL"))
            return plan_with_step(r->p, e, PS_READ_EXCEL);
    }
    plan_expr *x = plan_with_step(r->p, e, PS_READ_DATE);
    x->step.s = plan_strdup(r->p, pat);
    x->step.n = pivot;
    return x;
}

static plan_expr *source_ref(reading *r, const char *name)
{
    if (!name) {
        /* rules_read names the unmatched source itself (once) */
        if (!r->c->nsrc)
            rd_problem(r, "The row has no source field.");
        return NULL;
    }
    return plan_source_ref(r->p, name);
}

/* `its quarter` written "Q1".."Q4": if ... its quarter = 1 then "Q1" else ... */
static plan_expr *quarter_q(reading *r, plan_expr *q)
{
    static const char *const Q[] = {"Q1", "Q2", "Q3", "Q4"};
    plan_expr *e = plan_new_expr(r->p, PE_NULL);
    for (int i = 3; i >= 0; i--) {
        char n[2] = {(char)('1' + i), 0};
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = rd_cmp_expr(r, PB_EQ, q, n, true);
        x->kid[1] = plan_text_lit(r->p, Q[i]);
        x->kid[2] = e;
        e = x;
    }
    if (r->except_cond) {               /* "... unless Status = 'VOID', in which case 0" */
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = r->except_cond;
        x->kid[1] = r->except_val;
        x->kid[2] = e;
        e = x;
    }
    return e;
}

/* Has the expression so far produced a number/date (vs still text)? */
typedef enum vkind { V_TEXT, V_NUMBER, V_DATE, V_BOOL } vkind;

/* The date steps (its year, written as, end of month, plus N days) on a date value. */
static plan_expr *date_steps(reading *r, plan_expr *e, vkind *vk)
{
    qsort(r->date_steps, (size_t)r->ndsteps, sizeof(tstep), cmp_pos);
    for (int i = 0; i < r->ndsteps; i++) {
        if (*vk != V_DATE) {
            rd_problem(r, "It takes a part of a date from a value that is not a date.");
            return NULL;
        }
        const plan_step *st = &r->date_steps[i].st;
        e = apply(r, e, st);
        if (st->kind == PS_DATE_PART) {
            *vk = V_NUMBER;
            if (r->quarter_q && !strcmp(st->s, "quarter")) {
                e = quarter_q(r, e);
                *vk = V_TEXT;
            }
        } else if (st->kind == PS_FORMAT_DATE) {
            *vk = V_TEXT;
        }
    }
    return e;
}

/* Operand i of an arithmetic reading as a number: a data column read as its sample reads, an output column
 * above, or a literal; *scale receives its decimals. */
static plan_expr *arith_operand(reading *r, int i, bool integer, int *scale)
{
    if (r->arith_src[i]) {
        const prof_column *pc = rd_prof_of(r, r->arith_src[i]);
        *scale = infer_sample_scale(pc);
        plan_expr *x = read_number(r, plan_source_ref(r->p, r->arith_src[i]), pc, integer);
        if (x && r->arith_blank_zero) {   /* "treating a blank column as zero" */
            x = plan_with_step(r->p, x, PS_DEFAULT);
            x->step.value = plan_number_lit(r->p, "0");
        }
        return x;
    }
    if (r->arith_out[i]) {              /* an output column above: already a number of its type */
        plan_expr *x = plan_new_expr(r->p, PE_OUTPUT);
        x->name = plan_strdup(r->p, r->arith_out[i]->name);
        *scale = r->arith_out[i]->type.base == PT_DECIMAL ? r->arith_out[i]->type.scale : 0;
        return x;
    }
    const char *dot = strchr(r->arith_num[i], '.');
    *scale = dot ? (int)strlen(dot + 1) : 0;
    return plan_number_lit(r->p, r->arith_num[i]);
}

/* Does every date read in e use pattern pat (*n counts them)? */
static bool dates_read_with(const plan_expr *e, const char *pat, int *n, int depth)
{
    if (!e || depth > 64)
        return true;
    if (e->kind == PE_STEP && (e->step.kind == PS_READ_DATE || e->step.kind == PS_READ_ISO || e->step.kind == PS_READ_EXCEL)) {
        if (e->step.kind != PS_READ_DATE || !e->step.s || strcmp(e->step.s, pat))
            return false;
        (*n)++;
    }
    for (int i = 0; i < 3; i++)
        if (!dates_read_with(e->kid[i], pat, n, depth + 1))
            return false;
    return e->kind != PE_STEP || dates_read_with(e->step.cond, pat, n, depth + 1);
}

plan_expr *rd_build(reading *r)
{
    plan_base tb = r->c->type.base;
    plan_expr *e = NULL;
    vkind vk = V_TEXT;
    qsort(r->text_steps, (size_t)r->ntext, sizeof(tstep), cmp_pos);
    qsort(r->num_steps, (size_t)r->nnum, sizeof(tstep), cmp_pos);
    bool has_div = false, has_round = false, has_mul_frac = false;
    for (int i = 0; i < r->nnum; i++) {
        has_div |= r->num_steps[i].st.kind == PS_DIV;
        has_round |= r->num_steps[i].st.kind == PS_ROUND;
        has_mul_frac |= r->num_steps[i].st.kind == PS_MUL && strchr(r->num_steps[i].st.num, '.');
    }
    switch (r->base) {
    case B_CONST:
        if (r->const_null) {
            /* "Trim; leave blank": a null column makes the other step pointless, or "leave blank" means that
             * blank values stay blank (if empty) — two readings with different outputs: ask */
            if (r->ntext || r->nnum || r->ndsteps || r->has_map || r->nf_any || r->date_kind != D_NONE || r->deflt) {
                rd_problem(r, "It says to leave the value blank and also to change it: is the whole column left "
                              "blank, or do only blank values stay blank?");
                return NULL;
            }
            e = plan_new_expr(r->p, PE_NULL);
            vk = tb == PT_DATE ? V_DATE : tb == PT_BOOLEAN ? V_BOOL : rd_numeric_base(tb) ? V_NUMBER : V_TEXT;
            break;
        }
        if (r->const_num && (rd_numeric_base(tb) || tb == PT_UNKNOWN)) {
            e = plan_number_lit(r->p, r->const_text);
            vk = V_NUMBER;
        } else if (tb == PT_BOOLEAN) {
            bool v;
            if (!rd_truthy(r->const_text, &v)) {
                rd_problem(r, "The constant '%s' is not true or false.", r->const_text);
                return NULL;
            }
            e = plan_new_expr(r->p, PE_BOOL);
            e->flag = v;
            vk = V_BOOL;
        } else if (tb == PT_DATE) {
            e = plan_text_lit(r->p, r->const_text);
            const char *pat = rules_date_pattern(r->p, "YYYY-MM-DD");
            int32_t d;
            if (!mf_date_parse(pat, r->const_text, strlen(r->const_text), 0, &d)) {
                rd_problem(r, "The constant date '%s' is not written YYYY-MM-DD.", r->const_text);
                return NULL;
            }
            e = plan_with_step(r->p, e, PS_READ_DATE);
            e->step.s = pat;
            vk = V_DATE;
        } else if (rd_numeric_base(tb)) {
            rd_problem(r, "The constant '%s' is not a number but the target is numeric.", r->const_text);
            return NULL;
        } else {
            e = plan_text_lit(r->p, r->const_text);
        }
        break;
    case B_CONCAT: {
        for (int i = 0; i < r->nparts; i++) {
            plan_expr *part = r->part_src[i] ? plan_source_ref(r->p, r->part_src[i]) : plan_text_lit(r->p, r->part_lit[i]);
            if (r->part_src[i] && r->part_pad[i] > 0) {    /* "period (2 dig. w/ leading 0)" */
                part = plan_with_step(r->p, part, PS_PAD_LEFT);
                part->step.s = "0";
                part->step.n = r->part_pad[i];
            }
            e = e ? plan_binary(r->p, PB_CONCAT, e, part) : part;
        }
        break;
    }
    case B_ARITH: {
        /* operands read as numbers; * and / bind tighter than + and -, left to right */
        bool integer = tb == PT_INTEGER || tb == PT_BIGINT;
        plan_expr *sum = NULL, *prod = NULL;
        int sum_op = 0, prod_scale = 0;
        for (int i = 0; i < r->narith; i++) {
            plan_expr *x;
            int sc;
            x = arith_operand(r, i, integer, &sc);
            int op = r->arith_op[i];
            if (i > 0 && (op == PB_MUL || op == PB_DIV)) {
                prod = plan_binary(r->p, op, prod, x);
                has_div |= op == PB_DIV;
                prod_scale += sc;
            } else {
                if (prod)
                    sum = sum ? plan_binary(r->p, sum_op, sum, prod) : prod;
                sum_op = op;
                prod = x;
                prod_scale = sc;
            }
            /* a product's decimals add up: make rounding to the target scale visible */
            if (tb == PT_DECIMAL && i > 0 && op == PB_MUL && prod_scale > r->c->type.scale)
                has_mul_frac = true;
        }
        e = sum ? plan_binary(r->p, sum_op, sum, prod) : prod;
        vk = V_NUMBER;
        break;
    }
    case B_ROWNUM:
        if (r->ntext || r->nnum || r->has_map || r->deflt) {
            rd_problem(r, "It numbers the rows and also transforms the number.");
            return NULL;
        }
        return plan_new_expr(r->p, PE_ROWNUM);
    case B_COND:
        e = r->cond_value;
        vk = tb == PT_BOOLEAN ? V_BOOL : rd_numeric_base(tb) ? V_NUMBER : V_TEXT;
        /* "if the payment date is after the due date ... Both dates are DD.MM.YYYY": on a value that is no
         * date, a stated pattern describes the dates the condition reads; it must be theirs */
        if (r->date_kind == D_PATTERN && tb != PT_DATE && !r->ndsteps) {
            int nread = 0;
            if (!dates_read_with(e, r->date_pat, &nread, 0) || !nread) {
                rd_problem(r, "It states the pattern %s, but the condition's dates do not read with it.", r->date_pat);
                return NULL;
            }
            r->date_kind = D_NONE;
        }
        break;
    case B_DAYS: {
        plan_expr *a = read_date(r, plan_source_ref(r->p, r->days_a), r->days_a);
        plan_expr *b = r->days_b_lit ? plan_with_step(r->p, plan_text_lit(r->p, r->days_b_lit), PS_READ_ISO)
                                     : read_date(r, plan_source_ref(r->p, r->days_b), r->days_b);
        if (!a || !b)
            return NULL;
        if (r->days_b_default) {          /* "... or, for assets not retired, to 31 December 2023" */
            plan_expr *d = plan_with_step(r->p, b, PS_DEFAULT);
            d->step.value = plan_with_step(r->p, plan_text_lit(r->p, r->days_b_default), PS_READ_ISO);
            b = d;
        }
        e = plan_new_expr(r->p, PE_DAYS);
        e->kid[0] = a;
        e->kid[1] = b;
        vk = V_NUMBER;
        break;
    }
    default:
        if (!(e = source_ref(r, rd_primary(r))))
            return NULL;
        break;
    }
    for (int i = 0; i < r->ntext; i++) {
        if (vk != V_TEXT) {
            rd_problem(r, "It applies a text step after the value became a number or a date.");
            return NULL;
        }
        e = r->text_steps[i].drop ? drop_affix(r, e, &r->text_steps[i]) : apply(r, e, &r->text_steps[i].st);
        if (!e)
            return NULL;
    }
    /* conversion */
    bool need_number = r->nnum > 0 || rd_numeric_base(tb) || r->nf_any;
    if (r->has_map && r->base == B_SOURCE)
        rd_map_check_sample(r, &r->map, rd_primary(r));
    if (vk == V_TEXT && r->has_map && !r->map_bool) {
        plan_step st = {.kind = PS_MAP, .map = r->map};
        e = apply(r, e, &st);
        bool tonum = r->map.n > 0 && r->map.to[0] && r->map.to[0]->kind == PE_NUMBER;
        vk = tonum ? V_NUMBER : V_TEXT;
        if (vk == V_TEXT && rd_numeric_base(tb)) {
            e = read_number(r, e, NULL, tb != PT_DECIMAL);
            vk = V_NUMBER;
        }
    } else if (vk == V_TEXT && (tb == PT_BOOLEAN || r->map_bool)) {
        if (!(e = read_bool(r, e, rd_primary(r))))
            return NULL;
        vk = V_BOOL;
    } else if (vk == V_TEXT && (tb == PT_DATE || r->date_kind != D_NONE || r->ndsteps)) {
        if (!(e = read_date(r, e, rd_primary(r))))
            return NULL;
        vk = V_DATE;
    } else if (vk == V_TEXT && need_number && (r->base != B_CONCAT) && !(r->ntext && tb == PT_TEXT && !r->nnum)) {
        bool looked_up = false;           /* a looked-up value is not the source's: no sample of it to check */
        for (int i = 0; i < r->ntext; i++)
            looked_up |= r->text_steps[i].st.kind == PS_LOOKUP;
        const prof_column *pc = r->base == B_SOURCE && !looked_up ? rd_prof_of(r, rd_primary(r)) : NULL;
        e = read_number(r, e, replaced_sample(r, pc), (tb == PT_INTEGER || tb == PT_BIGINT) && !r->nnum);
        vk = V_NUMBER;
    }
    if (tb == PT_TIMESTAMP)
        rd_problem(r, "The target is a timestamp, which the planner cannot read yet.");
    if (r->ndsteps && !(e = date_steps(r, e, &vk)))
        return NULL;
    /* a number target whose sample is dates, and no date part said: which number is meant? */
    if (rd_numeric_base(tb) && !r->ndsteps && r->base == B_SOURCE && vk == V_NUMBER) {
        const prof_column *pc = rd_prof_of(r, rd_primary(r));
        if (pc && pc->kind == PK_DATE) {
            rd_problem(r, "The target is a number but the sample of [%s] is dates, and the rule takes no part of the "
                          "date (year, month, ...).", rd_primary(r));
            return NULL;
        }
    }
    for (int i = 0; i < r->nnum; i++) {
        if (vk != V_NUMBER) {
            rd_problem(r, "It applies arithmetic to a value that is not a number.");
            return NULL;
        }
        e = apply(r, e, &r->num_steps[i].st);
    }
    /* the language rejects inexact assignment: make the rounding visible */
    if (tb == PT_DECIMAL && (has_div || has_mul_frac) && !has_round) {
        e = plan_with_step(r->p, e, PS_ROUND);
        e->step.n = r->c->type.scale;
    }
    if (r->deflt_src) {                  /* the other column, read as the value was */
        plan_expr *o = plan_source_ref(r->p, r->deflt_src);
        if (vk == V_DATE)
            o = read_date(r, o, r->deflt_src);
        else if (vk == V_NUMBER)
            o = read_number(r, o, rd_prof_of(r, r->deflt_src), tb == PT_INTEGER || tb == PT_BIGINT);
        else if (vk == V_BOOL)
            o = NULL;
        if (!o) {
            rd_problem(r, "It defaults to [%s], which I cannot read as this column's type.", r->deflt_src);
            return NULL;
        }
        r->deflt = o;
    }
    if (r->deflt) {
        e = plan_with_step(r->p, e, PS_DEFAULT);
        e->step.value = r->deflt;
    }
    if (r->base == B_ARITH && r->null_if_zero > 0) {   /* "leave blank when AMOUNT = 0": if AMOUNT = 0 then null */
        int sc;
        plan_expr *d = arith_operand(r, r->null_if_zero - 1, tb == PT_INTEGER || tb == PT_BIGINT, &sc);
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = rd_cmp_expr(r, PB_EQ, d, "0", true);
        x->kid[1] = plan_new_expr(r->p, PE_NULL);
        x->kid[2] = e;
        e = x;
    }
    if (r->except_cond) {               /* "... unless Status = 'VOID', in which case 0" */
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = r->except_cond;
        x->kid[1] = r->except_val;
        x->kid[2] = e;
        e = x;
    }
    return e;
}

