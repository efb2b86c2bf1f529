/* suggest.c — the prompt for one open question and the reading of the model's answer (suggest.h).
 *
 * The prompt quotes the spreadsheet and the data as data: each value is written as a JSON string
 * (escaped, cut to a bounded length), so a cell cannot pose as an instruction line of the prompt's
 * own layout.  The plan so far is cut at 12000 bytes.
 */
#include "llm/suggest.h"

#include "llm/llm.h"

#include "util/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char llm_answer_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"expression\":{\"type\":\"string\",\"description\":\"one plan-language expression for the column\"},"
    "\"explanation\":{\"type\":\"string\",\"description\":\"one short line: why\"},"
    "\"confidence\":{\"type\":\"number\",\"description\":\"0 to 1\"}},"
    "\"required\":[\"expression\",\"explanation\",\"confidence\"],\"additionalProperties\":false}";

const char llm_suggest_system[] =
    "You help an analyst turn a mapping spreadsheet's rule into one expression of a small, exact plan "
    "language, described below. Answer with exactly one expression for the output column asked about, "
    "written in that language, using only the source columns listed; a one-line explanation; and your "
    "confidence from 0 to 1. Your answer is a suggestion: a person reviews it; it is parsed, type-checked "
    "and tried on sample rows before anyone sees it. Never write statements, comments or several lines. "
    "If the rule cannot be expressed, give your best expression with a low confidence.\n\n";

/* s as a JSON string, cut to max bytes (at a UTF-8 boundary). */
static void put_json_str(mf_buf *b, const char *s, size_t max)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    json_t *j = json_stringn(s, n);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    mf_buf_adds(b, t ? t : "\"\"");
    if (cut)
        mf_buf_adds(b, " (cut)");
    free(t);
    json_decref(j);
}

static const map_row *row_of(const mapping *m, int row)
{
    for (int i = 0; m && row > 0 && i < m->nrows; i++)
        if (m->rows[i].row == row)
            return &m->rows[i];
    return NULL;
}

static void collect(const plan_expr *x, const char **names, int *n, int max)
{
    if (!x)
        return;
    if (x->kind == PE_SOURCE && x->name && *n < max) {
        bool seen = false;
        for (int i = 0; i < *n && !seen; i++)
            seen = !strcmp(names[i], x->name);
        if (!seen)
            names[(*n)++] = x->name;
    }
    for (int i = 0; i < 3; i++)
        collect(x->kid[i], names, n, max);
    if (x->kind == PE_STEP) {
        collect(x->step.cond, names, n, max);
        collect(x->step.value, names, n, max);
    }
}

static void put_profile(mf_buf *b, const prof_column *c)
{
    mf_buf_adds(b, "  [");
    mf_buf_adds(b, c->name);
    mf_buf_printf(b, "]: %s; %ld values sampled, %ld blank, %ld distinct, longest %d characters", prof_kind_name(c->kind),
                  c->nvalues, c->nblank, c->ndistinct, c->max_chars);
    for (int i = 0; i < c->ndate_formats; i++)
        mf_buf_printf(b, "%s%s", i ? ", " : "; dates read as ", c->date_formats[i]);
    if (c->thousands)
        mf_buf_printf(b, "; thousands '%c'", c->thousands);
    if (c->decimal)
        mf_buf_printf(b, "; decimal '%c'", c->decimal);
    if (c->paren_negative)
        mf_buf_adds(b, "; negatives in parentheses");
    if (c->trailing_minus)
        mf_buf_adds(b, "; trailing minus");
    mf_buf_adds(b, "\n    sample values: ");
    int shown = 0;
    for (long i = 0; i < c->nsample && shown < 8; i++) {
        if (!c->sample[i])
            continue;
        mf_buf_adds(b, shown++ ? ", " : "");
        put_json_str(b, c->sample[i], 60);
    }
    if (!shown)
        mf_buf_adds(b, "(all blank)");
    mf_buf_addc(b, '\n');
}

static const prof_column *profile_col(const profile *pr, const char *name)
{
    for (int i = 0; pr && name && i < pr->ncols; i++)
        if (pr->col[i].name && !strcmp(pr->col[i].name, name))
            return &pr->col[i];
    return NULL;
}

char *llm_question_prompt(const plan *p, const char *column, int row, const char *question, const mapping *m,
                          const profile *pr, const char *previous, const char *refusal)
{
    mf_buf b = {0};
    int ci = -1;
    for (int i = 0; i < p->ncols; i++)
        if (!strcmp(p->cols[i].name, column))
            ci = i;
    char ty[64] = "";
    if (ci >= 0)
        plan_type_name(p->cols[ci].type, ty, sizeof ty);
    mf_buf_adds(&b, "Output column: ");
    mf_buf_adds(&b, column);
    mf_buf_printf(&b, ", type %s%s\n", ty, ci >= 0 && p->cols[ci].required ? ", required" : "");
    mf_buf_adds(&b, "Open question: ");
    put_json_str(&b, question, 1200);
    mf_buf_addc(&b, '\n');
    const map_row *r = row_of(m, row);
    const char *names[16];
    int nn = 0;
    if (r) {
        mf_buf_printf(&b, "Mapping row %d: source ", r->row);
        put_json_str(&b, r->source, 200);
        mf_buf_adds(&b, ", target ");
        put_json_str(&b, r->target, 200);
        mf_buf_adds(&b, ", type ");
        put_json_str(&b, r->type, 100);
        mf_buf_adds(&b, ", rule ");
        put_json_str(&b, r->rule, 1500);
        mf_buf_adds(&b, ", comments ");
        put_json_str(&b, r->comments, 800);
        mf_buf_addc(&b, '\n');
        for (int i = 0; i < r->nsources && nn < 16; i++)
            if (profile_col(pr, r->sources[i]))
                names[nn++] = r->sources[i];
        if (!nn && profile_col(pr, r->source))
            names[nn++] = r->source;
    }
    if (ci >= 0)
        collect(p->cols[ci].expr, names, &nn, 16);
    if (ci >= 0) {
        mf_buf_adds(&b, "Neighbours in the plan:\n");
        for (int i = ci - 2; i <= ci + 2; i++) {
            if (i < 0 || i >= p->ncols || i == ci)
                continue;
            char *x = plan_render_expr(p->cols[i].expr);
            char t2[64];
            plan_type_name(p->cols[i].type, t2, sizeof t2);
            mf_buf_printf(&b, "  %s %s = %s\n", p->cols[i].name, t2, x ? x : "?");
            free(x);
        }
    }
    if (nn) {
        mf_buf_adds(&b, "Its source column(s), profiled on a sample of the data file:\n");
        for (int i = 0; i < nn; i++) {
            const prof_column *c = profile_col(pr, names[i]);
            if (c)
                put_profile(&b, c);
        }
    }
    if (pr) {
        mf_buf_adds(&b, "Every source column of the data file: ");
        for (int i = 0; i < pr->ncols; i++) {
            mf_buf_adds(&b, i ? ", " : "");
            put_json_str(&b, pr->col[i].name, 80);
        }
        mf_buf_addc(&b, '\n');
    }
    char *text = plan_render(p);
    size_t tl = strlen(text);
    mf_buf_adds(&b, "The plan so far (? marks an open question):\n");
    mf_buf_add(&b, text, tl > 12000 ? 12000 : tl);
    if (tl > 12000)
        mf_buf_adds(&b, "\n(the rest of the plan is left out)\n");
    free(text);
    if (previous && refusal) {
        mf_buf_adds(&b, "\nYour previous answer was ");
        put_json_str(&b, previous, LLM_MAX_EXPRESSION);
        mf_buf_adds(&b, " and it was refused: ");
        put_json_str(&b, refusal, 600);
        mf_buf_adds(&b, ". Answer again, correcting it.\n");
    }
    mf_buf_adds(&b, "\nAnswer with the expression for ");
    mf_buf_adds(&b, column);
    mf_buf_adds(&b, ".\n");
    char *out = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return out;
}

int llm_parse_answer(const char *json, llm_answer *a, char *why, size_t n)
{
    memset(a, 0, sizeof *a);
    json_t *j = llm_answer_json(json, why, n);
    if (!j)
        return 1;
    int rc = 1;
    json_t *x = json_object_get(j, "expression"), *ex = json_object_get(j, "explanation"),
           *cf = json_object_get(j, "confidence");
    if (!json_is_object(j) || !json_is_string(x)) {
        snprintf(why, n, "the answer has no \"expression\" string");
        goto done;
    }
    const char *s = json_string_value(x);
    size_t len = json_string_length(x);
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0) {
        snprintf(why, n, "the expression is empty");
        goto done;
    }
    if (len > LLM_MAX_EXPRESSION) {
        snprintf(why, n, "the expression is %zu bytes long; at most %d", len, LLM_MAX_EXPRESSION);
        goto done;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(why, n, "the expression holds a line break or a control character: it must be one line");
            goto done;
        }
    memcpy(a->expression, s, len);
    a->expression[len] = 0;
    const char *t = json_string_value(ex);
    if (t) {
        size_t k = 0;
        for (; t[k] && k < LLM_MAX_EXPLANATION; k++)
            a->explanation[k] = (unsigned char)t[k] < 0x20 || t[k] == 0x7f ? ' ' : t[k];
        while (k > 0 && ((unsigned char)t[k] & 0xC0) == 0x80 && t[k])
            k--;   /* not in the middle of a UTF-8 character */
        a->explanation[k] = 0;
    }
    double c = json_is_number(cf) ? json_number_value(cf) : 0.5;
    if (!isfinite(c) || c < 0)
        c = 0;
    a->confidence = c <= 1 ? (int)lround(c * 100) : c <= 100 ? (int)lround(c) : 100;
    rc = 0;
done:
    json_decref(j);
    return rc;
}
