/* check.c — the plan's type checker.
 *
 * Computes the type of every expression bottom-up (docs/plan-language.md, "Steps" and
 * "Semantics") and stores it in e->type, then checks each statement: a column's value must be
 * assignable to its declared type, conditions must be boolean, names must refer to something
 * (source columns in the data's header, output columns defined above, lookups).  The first
 * problem is reported with its line:col, naming the column and what to write instead.
 *
 * Invariants: a hole (?) has type PT_UNKNOWN and fits anywhere, so a plan with open questions
 * still type-checks; null (PT_NULL) fits any type; nothing is converted implicitly from text
 * (the message asks for a "read as" step).  Trees built by the planner (line 0) are checked the
 * same way; their errors simply carry no position.
 */
#include "plan/plan.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/utf8.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum stmt_ctx { IN_COLUMN, IN_SKIP, IN_REJECT, IN_CHECK } stmt_ctx;

typedef struct checker {
    plan *p;
    const char *const *src;
    int nsrc;
    const char *path;
    mf_err *e;
    stmt_ctx ctx;
    int col_index;          /* IN_COLUMN: the column being checked (columns above it are visible) */
    const char *col_name;   /* for messages */
} checker;

static int type_fail(checker *c, const plan_expr *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int type_fail(checker *c, const plan_expr *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mf_vfail(c->e, MF_ETYPE, c->path, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- type families ---------------------------------------------------------------------------- */

static plan_type mk(plan_base b)
{
    plan_type t = {b, 0, 0, 0};
    return t;
}

static plan_type mk_dec(int scale)
{
    plan_type t = {PT_DECIMAL, 0, 0, scale};
    return t;
}

static bool is_free(plan_type t)   /* null or unknown: fits anywhere */
{
    return t.base == PT_NULL || t.base == PT_UNKNOWN;
}

static bool is_num(plan_type t)
{
    return t.base == PT_INTEGER || t.base == PT_BIGINT || t.base == PT_DECIMAL;
}

static bool is_int(plan_type t)
{
    return t.base == PT_INTEGER || t.base == PT_BIGINT;
}

static int family(plan_type t)
{
    return is_num(t) ? PT_DECIMAL : (int)t.base;
}

static const char *family_name(plan_type t)
{
    switch (t.base) {
    case PT_TEXT: return "text";
    case PT_INTEGER:
    case PT_BIGINT:
    case PT_DECIMAL: return "a number";
    case PT_DATE: return "a date";
    case PT_TIMESTAMP: return "a timestamp";
    case PT_BOOLEAN: return "a condition (boolean)";
    case PT_NULL: return "null";
    default: return "unknown";
    }
}

/* The expression as the reviewer wrote it, shortened for messages. */
static const char *shown(checker *c, const plan_expr *e)
{
    char *s = plan_render_expr(e);
    const char *out;
    if (mf_utf8_count(s, strlen(s)) > 40)
        out = mf_arena_printf(&c->p->arena, "%.*s...", (int)mf_utf8_offset(s, strlen(s), 37), s);
    else
        out = mf_arena_strdup(&c->p->arena, s);
    free(s);
    return out;
}

/* ---- names ------------------------------------------------------------------------------------ */

static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 200 || m > 200)
        return (size_t)-1;
    size_t row[201];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

static int check_source(checker *c, const plan_expr *e)
{
    if (c->ctx == IN_CHECK)
        return type_fail(c, e, "a check cannot use the source column [%s]: checks run over the output rows; use "
                         "output columns", e->name ? e->name : "");
    if (!c->src)
        return 0;
    const char *name = e->name ? e->name : "";
    for (int i = 0; i < c->nsrc; i++)
        if (c->src[i] && !strcmp(c->src[i], name))
            return 0;
    int best = -1;
    size_t bd = (size_t)-1;
    char list[400] = "";
    size_t used = 0;
    for (int i = 0; i < c->nsrc; i++) {
        if (!c->src[i])
            continue;
        size_t d = edit_distance(name, c->src[i]);
        if (d < bd) {
            bd = d;
            best = i;
        }
        if (used < sizeof list - 60) {
            int w = snprintf(list + used, sizeof list - used, "%s[%s]", used ? ", " : "", c->src[i]);
            used += w > 0 ? (size_t)w : 0;
            if (used >= sizeof list)
                used = sizeof list - 1;
        }
    }
    if (best >= 0 && bd <= strlen(name) / 2 + 1)
        return type_fail(c, e, "%s uses [%s], which is not a column of the data file: did you mean [%s]? (columns: %s)",
                         c->col_name, name, c->src[best], list);
    return type_fail(c, e, "%s uses [%s], which is not a column of the data file (columns: %s)", c->col_name, name,
                     c->nsrc ? list : "none");
}

static int find_column(const plan *p, const char *name)
{
    for (int i = 0; i < p->ncols; i++)
        if (p->cols[i].name && name && !strcmp(p->cols[i].name, name))
            return i;
    return -1;
}

static int check_output_ref(checker *c, plan_expr *e)
{
    int i = find_column(c->p, e->name);
    if (c->ctx == IN_SKIP)
        return type_fail(c, e, "a skip rule cannot use the output column %s: skip rules are decided before any column "
                         "is computed; use source columns such as [Name]", e->name ? e->name : "");
    if (i < 0)
        return type_fail(c, e, "%s uses %s, which is not a column of the plan (write [%s] for a source column)",
                         c->col_name, e->name ? e->name : "", e->name ? e->name : "");
    if (i >= 0 && plan_column_is_rownum(c->p, i) && (c->ctx != IN_COLUMN || i < c->col_index))
        return type_fail(c, e, "%s uses %s, which is the row number: it is known only when the row is written, so "
                         "nothing may use it", c->col_name, e->name);
    if (c->ctx == IN_COLUMN && i >= c->col_index)
        return type_fail(c, e, "%s uses %s, which is defined %s: a column may use only columns defined above it",
                         c->col_name, e->name, i == c->col_index ? "by itself" : "below it");
    e->type = c->p->cols[i].type;
    return 0;
}

static bool lookup_exists(const plan *p, const char *name)
{
    for (int i = 0; i < p->nlookups; i++)
        if (p->lookups[i].name && name && !strcmp(p->lookups[i].name, name))
            return true;
    return false;
}

/* ---- expressions ------------------------------------------------------------------------------ */

static int check_expr(checker *c, plan_expr *e);

static int want_bool(checker *c, plan_expr *cond, const char *where)
{
    if (check_expr(c, cond))
        return -1;
    if (is_free(cond->type) || cond->type.base == PT_BOOLEAN)
        return 0;
    return type_fail(c, cond, "%s: %s needs a condition such as \"%s is \\\"X\\\"\", but %s is %s", c->col_name, where,
                     shown(c, cond), shown(c, cond), family_name(cond->type));
}

static const char *read_hint(plan_type want)
{
    switch (want.base) {
    case PT_DATE:
    case PT_TIMESTAMP: return "add \"read as <pattern>\" (e.g. read as MM/DD/YYYY)";
    case PT_INTEGER:
    case PT_BIGINT: return "add \"read as integer\"";
    case PT_DECIMAL: return "add \"read as number\"";
    case PT_BOOLEAN: return "add \"read as boolean (\\\"Y\\\" = true, \\\"N\\\" = false)\"";
    default: return "convert it first";
    }
}

static const char *step_word(plan_step_kind k)
{
    switch (k) {
    case PS_TRIM: return "trimmed";
    case PS_UPPER: return "upper cased";
    case PS_LOWER: return "lower cased";
    case PS_PAD_LEFT: return "padded left";
    case PS_PAD_RIGHT: return "padded right";
    case PS_PREFIX: return "prefixed with";
    case PS_SUFFIX: return "suffixed with";
    case PS_FIRST: return "first N characters";
    case PS_LAST: return "last N characters";
    case PS_SUBSTR: return "characters N to M";
    case PS_BEFORE: return "text before";
    case PS_AFTER: return "text after";
    case PS_REPLACE: return "with ... replaced by";
    case PS_SQUISH: return "with spaces collapsed";
    case PS_TITLE: return "title cased";
    case PS_DIGITS: return "digits only";
    case PS_STRIP: return "with leading/trailing ... removed";
    case PS_DATE_PART: return "its year/month/day/quarter";
    case PS_FORMAT_DATE: return "written as";
    case PS_ADD_DAYS: return "plus/minus N days";
    case PS_END_OF_MONTH: return "end of month";
    default: return "this step";
    }
}

/* The step's input must be `need`; text is never converted implicitly. */
static int step_input(checker *c, plan_expr *e, const char *step, bool text_ok, bool num_ok)
{
    plan_type in = e->kid[0]->type;
    if (is_free(in) || (text_ok && in.base == PT_TEXT) || (num_ok && is_num(in)))
        return 0;
    if (num_ok && in.base == PT_TEXT)
        return type_fail(c, e->kid[0], "%s: \"%s\" needs a number but %s is text: add \"read as number\" first",
                         c->col_name, step, shown(c, e->kid[0]));
    return type_fail(c, e->kid[0], "%s: \"%s\" needs %s but %s is %s", c->col_name, step,
                     text_ok ? (num_ok ? "text or a number" : "text") : "a number", shown(c, e->kid[0]),
                     family_name(in));
}

/* A date step's input must be a date; text needs a "read as" first. */
static int date_input(checker *c, plan_expr *e)
{
    plan_type in = e->kid[0]->type;
    if (is_free(in) || in.base == PT_DATE)
        return 0;
    return type_fail(c, e->kid[0], "%s: \"%s\" needs a date but %s is %s%s", c->col_name, step_word(e->step.kind),
                     shown(c, e->kid[0]), family_name(in),
                     in.base == PT_TEXT ? ": add \"read as <pattern>\" first" : "");
}

/* The steps added with the rule reader's vocabulary: text cleaning and date parts. */
static int check_new_step(checker *c, plan_expr *e)
{
    plan_step *s = &e->step;
    switch (s->kind) {
    case PS_STRIP:
        if (!s->s || !s->s[0])
            return type_fail(c, e, "%s: \"with leading ... removed\" needs a text to remove, not \"\"", c->col_name);
        e->type = mk(PT_TEXT);
        return step_input(c, e, step_word(s->kind), true, false);
    case PS_REPLACE:
        if (!s->s || !s->s[0])
            return type_fail(c, e, "%s: \"with ... replaced by\" needs a text to replace, not \"\"", c->col_name);
        /* fall through */
    case PS_SQUISH:
    case PS_TITLE:
    case PS_DIGITS:
        e->type = mk(PT_TEXT);
        return step_input(c, e, step_word(s->kind), true, false);
    case PS_DATE_PART: {
        int k = plan_date_part_of(s->s);
        if (k < 0)
            return type_fail(c, e, "%s: \"its\" names year, month, day, quarter or fiscal year", c->col_name);
        if (k == PD_FISCAL_YEAR && (s->n < 2 || s->n > 12))
            return type_fail(c, e, "%s: a fiscal year starts in month 2 to 12 (found %ld; a fiscal year starting in "
                             "month 1 is \"its year\")", c->col_name, s->n);
        e->type = mk(PT_BIGINT);
        return date_input(c, e);
    }
    case PS_FORMAT_DATE: {
        size_t bad = 0;
        if (!s->s || !mf_date_format_pattern_ok(s->s, &bad))
            return type_fail(c, e, "%s: bad date pattern \"%s\" after \"written as\": use YYYY, YY, MM, M, Mon, Month, "
                             "DD, D and separators", c->col_name, s->s ? s->s : "");
        e->type = mk(PT_TEXT);
        return date_input(c, e);
    }
    case PS_ADD_DAYS:
        if (s->n > PLAN_MAX_ADD_DAYS || s->n < -PLAN_MAX_ADD_DAYS)
            return type_fail(c, e, "%s: add at most %d days", c->col_name, PLAN_MAX_ADD_DAYS);
        /* fall through */
    case PS_END_OF_MONTH:
        e->type = mk(PT_DATE);
        return date_input(c, e);
    default: return type_fail(c, e, "%s: unknown step", c->col_name);
    }
}

/* Literal values of a map: one type for all; text when unmatched values pass through. */
static int check_map(checker *c, plan_expr *e, const plan_map *m, bool include_other, plan_type *out)
{
    plan_type t = mk(PT_NULL);
    const plan_expr *first = NULL;
    for (int i = 0; i <= m->n; i++) {
        plan_expr *v = i < m->n ? m->to[i] : (include_other && m->otherwise == PO_VALUE ? m->other : NULL);
        if (!v)
            continue;
        if (check_expr(c, v))
            return -1;
        if (is_free(v->type))
            continue;
        if (is_free(t)) {
            t = v->type;
            first = v;
        } else if (family(t) != family(v->type)) {
            return type_fail(c, v, "%s: the values of one map must have one type, but %s is %s and %s is %s",
                             c->col_name, shown(c, first), family_name(t), shown(c, v), family_name(v->type));
        } else if (is_num(t) && (t.base == PT_DECIMAL || v->type.base == PT_DECIMAL)) {
            t = mk_dec(t.scale > v->type.scale ? t.scale : v->type.scale);
        }
    }
    if (include_other && m->otherwise == PO_KEEP && !is_free(t) && t.base != PT_TEXT)
        return type_fail(c, e, "%s: values not in the map pass through unchanged (text), but the map gives %s: "
                         "add \"otherwise rejected\" or \"otherwise null\"", c->col_name, family_name(t));
    *out = is_free(t) ? mk(PT_TEXT) : t;
    if (out->base == PT_TEXT)
        out->len = 0;
    return 0;
}

static int check_step(checker *c, plan_expr *e)
{
    plan_step *s = &e->step;
    plan_type in = e->kid[0]->type;
    switch (s->kind) {
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT:
        if (!s->s || mf_utf8_count(s->s, strlen(s->s)) != 1)
            return type_fail(c, e, "%s: the pad must be exactly one character", c->col_name);
        /* fall through */
    case PS_TRIM:
    case PS_UPPER:
    case PS_LOWER:
    case PS_PREFIX:
    case PS_SUFFIX:
    case PS_FIRST:
    case PS_LAST:
    case PS_SUBSTR:
    case PS_BEFORE:
    case PS_AFTER:
        if (s->kind == PS_BEFORE || s->kind == PS_AFTER) {
            if (s->m != 0 && s->m != 1)
                return type_fail(c, e, "%s: text before/after takes the first or the last occurrence", c->col_name);
        }
        e->type = mk(PT_TEXT);
        return step_input(c, e, step_word(s->kind), true, false);
    case PS_READ_DATE: {
        size_t bad;
        if (!s->s || !mf_date_pattern_ok(s->s, &bad))
            return type_fail(c, e, "%s: bad date pattern \"%s\"", c->col_name, s->s ? s->s : "");
        e->type = mk(PT_DATE);
        return step_input(c, e, "read as <date pattern>", true, false);
    }
    case PS_READ_ISO:
        e->type = mk(PT_DATE);
        return step_input(c, e, "read as ISO date", true, false);
    case PS_READ_EXCEL:
        e->type = mk(PT_DATE);
        return step_input(c, e, "read as Excel serial date", true, true);
    case PS_READ_NUMBER:
        e->type = mk_dec(0);
        return step_input(c, e, "read as number", true, false);
    case PS_READ_INTEGER:
        e->type = mk(PT_BIGINT);
        return step_input(c, e, "read as integer", true, false);
    case PS_READ_BOOL:
        for (int i = 0; i < s->map.n; i++) {
            if (check_expr(c, s->map.to[i]))
                return -1;
            if (s->map.to[i]->type.base != PT_BOOLEAN)
                return type_fail(c, s->map.to[i], "%s: read as boolean maps spellings to true or false", c->col_name);
        }
        e->type = mk(PT_BOOLEAN);
        return step_input(c, e, "read as boolean", true, false);
    case PS_MUL:
    case PS_DIV:
        e->type = mk_dec(s->kind == PS_DIV ? (in.scale > 12 ? in.scale : 12) : in.scale);
        return step_input(c, e, s->kind == PS_MUL ? "multiplied by" : "divided by", false, true);
    case PS_ROUND:
        e->type = mk_dec((int)s->n);
        if (s->n < 0 || s->n > 38)
            return type_fail(c, e, "%s: round to 0 to 38 decimals", c->col_name);
        if (s->m < 0 || s->m > 2)
            return type_fail(c, e, "%s: rounding is half up, up or down", c->col_name);
        return step_input(c, e, "rounded to", false, true);
    case PS_NEGATE_WHEN:
        if (!s->cond || want_bool(c, s->cond, "\"negated when\""))
            return s->cond ? -1 : type_fail(c, e, "%s: \"negated when\" needs a condition", c->col_name);
        /* fall through */
    case PS_NEGATE:
    case PS_ABS:
        e->type = is_free(in) ? mk_dec(0) : in;
        if (e->type.base == PT_INTEGER)
            e->type = mk(PT_BIGINT);   /* -(-2^31) does not fit an integer */
        return step_input(c, e, s->kind == PS_ABS ? "absolute value" : "negated", false, true);
    case PS_DEFAULT:
        if (!s->value)
            return type_fail(c, e, "%s: \"defaulting to\" needs a value", c->col_name);
        if (check_expr(c, s->value))
            return -1;
        if (!is_free(in) && !is_free(s->value->type) && family(in) != family(s->value->type))
            return type_fail(c, s->value, "%s: the default %s is %s but the value it replaces is %s", c->col_name,
                             shown(c, s->value), family_name(s->value->type), family_name(in));
        e->type = is_free(in) ? s->value->type : in;
        if (is_num(in) && is_num(s->value->type) && !(is_int(in) && is_int(s->value->type)))
            e->type = mk_dec(in.scale > s->value->type.scale ? in.scale : s->value->type.scale);
        return 0;
    case PS_MAP:
        if (check_map(c, e, &s->map, true, &e->type))
            return -1;
        return step_input(c, e, "mapped", true, false);
    case PS_LOOKUP:
        if (!lookup_exists(c->p, s->s))
            return type_fail(c, e, "%s: unknown lookup %s: define it with \"lookup %s ...:\"", c->col_name,
                             s->s ? s->s : "", s->s ? s->s : "");
        if (s->map.otherwise == PO_VALUE && s->map.other) {
            if (check_expr(c, s->map.other))
                return -1;
            if (!is_free(s->map.other->type) && s->map.other->type.base != PT_TEXT)
                return type_fail(c, s->map.other, "%s: a lookup gives text, so its otherwise value must be text",
                                 c->col_name);
        }
        e->type = mk(PT_TEXT);
        return step_input(c, e, "looked up in", true, false);
    default: return check_new_step(c, e);
    }
}

static plan_type arith(int op, plan_type a, plan_type b)
{
    if (is_free(a) && is_free(b))
        return mk(PT_UNKNOWN);
    if (op != PB_DIV && (is_int(a) || is_free(a)) && (is_int(b) || is_free(b)))
        return mk(PT_BIGINT);
    int sa = a.base == PT_DECIMAL ? a.scale : 0, sb = b.base == PT_DECIMAL ? b.scale : 0;
    int s = op == PB_MUL ? sa + sb : (sa > sb ? sa : sb);
    if (op == PB_DIV && s < 12)
        s = 12;
    return mk_dec(s > 38 ? 38 : s);
}

static int check_binary(checker *c, plan_expr *e)
{
    plan_expr *a = e->kid[0], *b = e->kid[1];
    if (e->op == PB_CONCAT) {
        for (int i = 0; i < 2; i++) {
            plan_expr *k = e->kid[i];
            if (!is_free(k->type) && k->type.base != PT_TEXT)
                return type_fail(c, k, "%s: \"&\" joins text but %s is %s", c->col_name, shown(c, k),
                                 family_name(k->type));
        }
        e->type = mk(PT_TEXT);
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        plan_expr *k = e->kid[i];
        if (is_free(k->type) || is_num(k->type))
            continue;
        if (k->type.base == PT_TEXT)
            return type_fail(c, k, "%s: \"%c\" needs numbers but %s is text: add \"read as number\"", c->col_name,
                             e->op, shown(c, k));
        return type_fail(c, k, "%s: \"%c\" needs numbers but %s is %s", c->col_name, e->op, shown(c, k),
                         family_name(k->type));
    }
    e->type = arith(e->op, a->type, b->type);
    return 0;
}

static int comparable(checker *c, plan_expr *e, plan_expr *a, plan_expr *b)
{
    if (is_free(a->type) || is_free(b->type) || family(a->type) == family(b->type))
        return 0;
    const char *hint = (a->type.base == PT_TEXT || b->type.base == PT_TEXT) ? ": add a \"read as\" step to the text side" : "";
    return type_fail(c, e, "%s: cannot compare %s (%s) with %s (%s)%s", c->col_name, shown(c, a), family_name(a->type),
                     shown(c, b), family_name(b->type), hint);
}

static int check_expr(checker *c, plan_expr *e)
{
    if (!e)
        return type_fail(c, NULL, "%s: an expression is missing", c->col_name);
    for (int i = 0; i < 3; i++)
        if (e->kid[i] && e->kind != PE_IF && check_expr(c, e->kid[i]))
            return -1;
    switch (e->kind) {
    case PE_SOURCE:
        e->type = mk(PT_TEXT);
        return check_source(c, e);
    case PE_OUTPUT: return check_output_ref(c, e);
    case PE_TEXT: e->type = mk(PT_TEXT); return 0;
    case PE_NUMBER: {
        const char *dot = e->text ? strchr(e->text, '.') : NULL;
        e->type = dot ? mk_dec((int)strlen(dot + 1)) : mk(PT_BIGINT);
        return 0;
    }
    case PE_BOOL: e->type = mk(PT_BOOLEAN); return 0;
    case PE_NULL: e->type = mk(PT_NULL); return 0;
    case PE_HOLE: e->type = mk(PT_UNKNOWN); return 0;
    case PE_BINARY:
        if (!e->kid[0] || !e->kid[1])
            return type_fail(c, e, "%s: an operand is missing", c->col_name);
        return check_binary(c, e);
    case PE_STEP:
        if (!e->kid[0])
            return type_fail(c, e, "%s: a step has nothing to apply to", c->col_name);
        return check_step(c, e);
    case PE_IF: {
        if (!e->kid[0] || !e->kid[1] || !e->kid[2])
            return type_fail(c, e, "%s: \"if\" needs a condition, a then and an else", c->col_name);
        if (want_bool(c, e->kid[0], "\"if\"") || check_expr(c, e->kid[1]) || check_expr(c, e->kid[2]))
            return -1;
        plan_type a = e->kid[1]->type, b = e->kid[2]->type;
        if (!is_free(a) && !is_free(b) && family(a) != family(b))
            return type_fail(c, e->kid[2], "%s: both branches of \"if\" must have one type, but %s is %s and %s is %s",
                             c->col_name, shown(c, e->kid[1]), family_name(a), shown(c, e->kid[2]), family_name(b));
        if (is_num(a) && is_num(b))
            e->type = arith(PB_ADD, a, b);
        else
            e->type = is_free(a) ? b : a;
        if (e->type.base == PT_TEXT)
            e->type.len = 0;
        return 0;
    }
    case PE_DAYS:
        for (int i = 0; i < 2; i++)
            if (!e->kid[i] || (!is_free(e->kid[i]->type) && e->kid[i]->type.base != PT_DATE))
                return type_fail(c, e->kid[i] ? e->kid[i] : e, "%s: \"days from A to B\" needs dates%s", c->col_name,
                                 e->kid[i] && e->kid[i]->type.base == PT_TEXT ? ": add \"read as <pattern>\"" : "");
        e->type = mk(PT_BIGINT);
        return 0;
    case PE_LENGTH:
        e->type = mk(PT_BIGINT);
        if (!e->kid[0])
            return type_fail(c, e, "%s: \"length of\" needs a value", c->col_name);
        if (!is_free(e->kid[0]->type) && e->kid[0]->type.base != PT_TEXT)
            return type_fail(c, e->kid[0], "%s: \"length of\" counts the characters of text, but %s is %s", c->col_name,
                             shown(c, e->kid[0]), family_name(e->kid[0]->type));
        return 0;
    case PE_ROWNUM:
        return type_fail(c, e, "%s: \"row number\" can only be a whole column (NAME bigint = row number)",
                         c->col_name);
    case PE_CMP:
        if (!e->kid[0] || !e->kid[1])
            return type_fail(c, e, "%s: a comparison needs two sides", c->col_name);
        e->type = mk(PT_BOOLEAN);
        return comparable(c, e, e->kid[0], e->kid[1]);
    case PE_MISSING:
    case PE_PRESENT:
        e->type = mk(PT_BOOLEAN);
        return e->kid[0] ? 0 : type_fail(c, e, "%s: \"is missing\" needs a value", c->col_name);
    case PE_IN:
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS:
        e->type = mk(PT_BOOLEAN);
        if (!e->kid[0])
            return type_fail(c, e, "%s: a condition needs a value", c->col_name);
        if (!is_free(e->kid[0]->type) && e->kid[0]->type.base != PT_TEXT)
            return type_fail(c, e->kid[0], "%s: this condition compares text, but %s is %s", c->col_name,
                             shown(c, e->kid[0]), family_name(e->kid[0]->type));
        return 0;
    case PE_AND:
    case PE_OR:
    case PE_NOT:
        e->type = mk(PT_BOOLEAN);
        for (int i = 0; i < (e->kind == PE_NOT ? 1 : 2); i++) {
            plan_expr *k = e->kid[i];
            if (!k)
                return type_fail(c, e, "%s: a condition is missing", c->col_name);
            if (!is_free(k->type) && k->type.base != PT_BOOLEAN)
                return type_fail(c, k, "%s: \"%s\" joins conditions, but %s is %s", c->col_name,
                                 e->kind == PE_AND ? "and" : e->kind == PE_OR ? "or" : "not", shown(c, k),
                                 family_name(k->type));
        }
        return 0;
    }
    return 0;
}

/* ---- statements ------------------------------------------------------------------------------- */

static bool assignable(plan_type to, plan_type from)
{
    if (is_free(from))
        return true;
    switch (to.base) {
    case PT_TEXT: return from.base == PT_TEXT || is_num(from) || from.base == PT_DATE || from.base == PT_TIMESTAMP;
    case PT_DECIMAL:
    case PT_INTEGER:
    case PT_BIGINT: return is_num(from);
    case PT_DATE: return from.base == PT_DATE;
    case PT_TIMESTAMP: return from.base == PT_TIMESTAMP || from.base == PT_DATE;
    case PT_BOOLEAN: return from.base == PT_BOOLEAN;
    default: return true;
    }
}

/* NAME TYPE = row number: the writer writes the number, so the type must hold any row count
 * without a per-row check (at least 10 whole digits, or integer's 2^31 - 1). */
static int check_rownum_column(checker *c, plan_column *col)
{
    plan_type t = col->type;
    col->expr->type = mk(PT_BIGINT);
    if (t.base == PT_INTEGER || t.base == PT_BIGINT || (t.base == PT_TEXT && (t.len == 0 || t.len >= 10)) ||
        (t.base == PT_DECIMAL && t.prec - t.scale >= 10))
        return 0;
    char want[64];
    plan_type_name(t, want, sizeof want);
    return type_fail(c, col->expr, "%s is %s, which cannot hold every row number: use bigint (or integer, text, "
                     "decimal(p,s) with at least 10 digits before the point)", c->col_name, want);
}

static int check_column(checker *c, int i)
{
    plan_column *col = &c->p->cols[i];
    char want[64];
    c->ctx = IN_COLUMN;
    c->col_index = i;
    c->col_name = col->name ? col->name : "";
    plan_type_name(col->type, want, sizeof want);
    if (col->type.base == PT_DECIMAL && (col->type.prec < 0 || col->type.prec > 38 || col->type.scale < 0 ||
                                         col->type.scale > col->type.prec))
        return type_fail(c, col->expr, "%s: %s is not a valid decimal (precision 1 to 38, scale at most the precision)",
                         c->col_name, want);
    if (col->type.base == PT_UNKNOWN || col->type.base == PT_NULL)
        return type_fail(c, col->expr, "%s has no type: write one of text(n), integer, bigint, decimal(p,s), date, "
                         "timestamp, boolean", c->col_name);
    for (int j = 0; j < i; j++)
        if (c->p->cols[j].name && !strcmp(c->p->cols[j].name, c->col_name))
            return type_fail(c, col->expr, "duplicate column %s", c->col_name);
    if (col->expr && col->expr->kind == PE_ROWNUM)
        return check_rownum_column(c, col);
    if (check_expr(c, col->expr))
        return -1;
    plan_type got = col->expr->type;
    if (assignable(col->type, got))
        return 0;
    const char *hint = got.base == PT_TEXT ? read_hint(col->type)
                     : (col->type.base == PT_DATE && is_num(got)) ? "add \"read as Excel serial date\""
                     : got.base == PT_BOOLEAN ? "use \"if <condition> then ... else ...\""
                     : "change the column's type or convert the value";
    char gotname[64];
    plan_type_name(got, gotname, sizeof gotname);
    return type_fail(c, col->expr, "%s is %s but %s is %s: %s", c->col_name, want, shown(c, col->expr),
                     got.base == PT_TEXT ? "text" : gotname, hint);
}

int plan_check(plan *p, const char *const *source_cols, int nsource, const char *path, mf_err *e)
{
    checker c = {p, source_cols, nsource, path, e, IN_COLUMN, 0, ""};
    if (plan_check_limits(p, path, e))   /* check_expr recurses once per level */
        return -1;
    for (int i = 0; i < p->ncols; i++)
        if (check_column(&c, i))
            return -1;
    for (int i = 0; i < p->nrules; i++) {
        plan_rule *r = &p->rules[i];
        c.ctx = r->kind == PR_SKIP ? IN_SKIP : r->kind == PR_CHECK ? IN_CHECK : IN_REJECT;
        c.col_index = p->ncols;
        c.col_name = r->kind == PR_SKIP ? "skip rule" : r->kind == PR_CHECK ? "check" : "reject rule";
        if (!r->cond)
            return type_fail(&c, NULL, "a %s has no condition", c.col_name);
        if (want_bool(&c, r->cond, r->kind == PR_SKIP ? "\"skip rows where\""
                                   : r->kind == PR_CHECK ? "\"check\"" : "\"reject rows where\""))
            return -1;
    }
    for (int i = 0; i < p->nkeys; i++)
        if (find_column(p, p->keys[i]) < 0)
            return mf_fail(e, MF_ETYPE, path, 0, 0, "the key names %s, which is not a column of the plan", p->keys[i]);
    for (int i = 0; i < p->nquestions; i++)
        if (p->questions[i].column && find_column(p, p->questions[i].column) < 0)
            return mf_fail(e, MF_ETYPE, path, 0, 0, "a question is about %s, which is not a column of the plan",
                           p->questions[i].column);
    return 0;
}
