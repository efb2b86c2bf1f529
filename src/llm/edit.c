/* edit.c — the prompt for one line of review feedback the rule reader could not apply, and the
 * reading of the model's proposed edit (edit.h).
 *
 * Everything that comes from outside the program (the feedback line, column names, sample values)
 * goes into the prompt inside one JSON document built with jansson, so no text can pose as a line
 * of the prompt's own layout; the plan so far follows, cut at 12000 bytes.
 */
#include "llm/edit.h"

#include "llm/llm.h"

#include "util/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char llm_edit_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"columns\":{\"type\":\"array\",\"description\":\"new expressions for existing output columns\","
    "\"items\":{\"type\":\"object\",\"properties\":{"
    "\"column\":{\"type\":\"string\",\"description\":\"an output column of the plan\"},"
    "\"expression\":{\"type\":\"string\",\"description\":\"its whole new expression, plan language\"}},"
    "\"required\":[\"column\",\"expression\"],\"additionalProperties\":false}},"
    "\"rules\":{\"type\":\"array\",\"description\":\"new row rules\","
    "\"items\":{\"type\":\"object\",\"properties\":{"
    "\"kind\":{\"type\":\"string\",\"enum\":[\"reject\",\"skip\"]},"
    "\"condition\":{\"type\":\"string\",\"description\":\"a boolean plan-language expression\"},"
    "\"message\":{\"type\":\"string\",\"description\":\"reject: the reason shown for a rejected row\"}},"
    "\"required\":[\"kind\",\"condition\",\"message\"],\"additionalProperties\":false}},"
    "\"explanation\":{\"type\":\"string\",\"description\":\"one short line: why\"},"
    "\"confidence\":{\"type\":\"number\",\"description\":\"0 to 1\"}},"
    "\"required\":[\"columns\",\"rules\",\"explanation\",\"confidence\"],\"additionalProperties\":false}";

const char llm_edit_system[] =
    "You help an analyst review a data-mapping plan written in a small, exact plan language, described "
    "below. The analyst wrote a line of feedback that the plan's rule reader could not apply. Propose the "
    "edit the analyst asks for, as data: new whole expressions for existing output columns (\"columns\"), "
    "and/or new row rules (\"rules\": kind \"reject\" with a boolean condition and a message, or kind "
    "\"skip\" with a boolean condition). Use only the columns listed. Each expression or condition is one "
    "expression of the language on one line: never statements, comments or several lines. Your edit is a "
    "proposal: it is parsed, type-checked and tried on sample rows, and a person accepts or discards it. "
    "Add a one-line explanation and your confidence from 0 to 1. If the feedback cannot be expressed, "
    "answer with no columns and no rules and say why.\n\n";

static json_t *str_cut(const char *s, size_t max)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;   /* not in the middle of a UTF-8 character */
    }
    json_t *j = json_stringn(s, n);
    return j ? j : json_string("");
}

char *llm_feedback_prompt(const plan *p, const char *feedback, const char *not_understood, const profile *pr,
                          const char *previous, const char *refusal)
{
    json_t *ctx = json_object();
    json_object_set_new(ctx, "feedback", str_cut(feedback, 2000));
    json_object_set_new(ctx, "not_understood", str_cut(not_understood, 1200));
    json_t *outs = json_array();
    for (int i = 0; i < p->ncols; i++) {
        char ty[64];
        plan_type_name(p->cols[i].type, ty, sizeof ty);
        char *x = plan_render_expr(p->cols[i].expr);
        json_t *c = json_object();
        json_object_set_new(c, "name", str_cut(p->cols[i].name, 200));
        json_object_set_new(c, "type", json_string(ty));
        json_object_set_new(c, "required", json_boolean(p->cols[i].required));
        json_object_set_new(c, "expression", str_cut(x ? x : "?", 600));
        free(x);
        json_array_append_new(outs, c);
    }
    json_object_set_new(ctx, "output_columns", outs);
    json_t *srcs = json_array();
    for (int i = 0; pr && i < pr->ncols && i < 200; i++) {
        const prof_column *pc = &pr->col[i];
        json_t *c = json_object();
        json_object_set_new(c, "name", str_cut(pc->name, 200));
        json_object_set_new(c, "kind", json_string(prof_kind_name(pc->kind)));
        json_t *vals = json_array();
        for (long k = 0, shown = 0; k < pc->nsample && shown < 5; k++)
            if (pc->sample[k]) {
                json_array_append_new(vals, str_cut(pc->sample[k], 60));
                shown++;
            }
        json_object_set_new(c, "sample_values", vals);
        json_array_append_new(srcs, c);
    }
    json_object_set_new(ctx, "source_columns", srcs);
    if (previous && refusal) {
        json_object_set_new(ctx, "your_previous_answer", str_cut(previous, 4000));
        json_object_set_new(ctx, "why_it_was_refused", str_cut(refusal, 800));
    }
    char *doc = json_dumps(ctx, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(ctx);
    mf_buf b = {0};
    mf_buf_adds(&b, "The review feedback, what the rule reader could not read of it, and the plan's columns "
                    "(output columns with their current expressions; source columns of the data file, written "
                    "[Name] in expressions, with sample values), as JSON data:\n");
    mf_buf_adds(&b, doc ? doc : "{}");
    free(doc);
    char *text = plan_render(p);
    size_t tl = strlen(text);
    mf_buf_adds(&b, "\n\nThe plan so far:\n");
    mf_buf_add(&b, text, tl > 12000 ? 12000 : tl);
    if (tl > 12000)
        mf_buf_adds(&b, "\n(the rest of the plan is left out)\n");
    free(text);
    if (previous && refusal)
        mf_buf_adds(&b, "\nYour previous answer was refused (see why_it_was_refused). Answer again, correcting it.\n");
    mf_buf_adds(&b, "\nAnswer with the edit the feedback asks for.\n");
    char *out = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return out;
}

/* One line of at most max bytes, trimmed of blanks, no control characters: 0, or 1 with why. */
static int one_line(json_t *v, const char *what, char *dst, size_t max, bool may_be_empty, char *why, size_t n)
{
    if (!json_is_string(v)) {
        snprintf(why, n, "%s is not a string", what);
        return 1;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 && !may_be_empty) {
        snprintf(why, n, "%s is empty", what);
        return 1;
    }
    if (len > max) {
        snprintf(why, n, "%s is %zu bytes long; at most %zu", what, len, max);
        return 1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(why, n, "%s holds a line break or a control character: it must be one line", what);
            return 1;
        }
    memcpy(dst, s, len);
    dst[len] = 0;
    return 0;
}

int llm_parse_edit(const char *json, llm_edit *ed, char *why, size_t n)
{
    memset(ed, 0, sizeof *ed);
    if (n)
        why[0] = 0;
    json_t *j = llm_answer_json(json, why, n);
    if (!j)
        return 1;
    int rc = 1;
    json_t *cols = json_object_get(j, "columns"), *rules = json_object_get(j, "rules");
    if (!json_is_object(j) || (cols && !json_is_array(cols)) || (rules && !json_is_array(rules))) {
        snprintf(why, n, "the answer is not an object with \"columns\" and \"rules\" lists");
        goto done;
    }
    size_t nc = json_array_size(cols), nr = json_array_size(rules);
    if (nc > LLM_EDIT_MAX_COLUMNS || nr > LLM_EDIT_MAX_RULES) {
        snprintf(why, n, "the edit has %zu column(s) and %zu rule(s); at most %d and %d", nc, nr,
                 LLM_EDIT_MAX_COLUMNS, LLM_EDIT_MAX_RULES);
        goto done;
    }
    for (size_t i = 0; i < nc; i++) {
        json_t *c = json_array_get(cols, i);
        char what[64];
        snprintf(what, sizeof what, "column %zu's name", i + 1);
        if (!json_is_object(c) ||
            one_line(json_object_get(c, "column"), what, ed->columns[i].column, LLM_EDIT_MAX_NAME, false, why, n))
            goto bad_item;
        snprintf(what, sizeof what, "the expression for %.40s", ed->columns[i].column);
        if (one_line(json_object_get(c, "expression"), what, ed->columns[i].expression, LLM_MAX_EXPRESSION, false,
                     why, n))
            goto done;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(ed->columns[k].column, ed->columns[i].column)) {
                snprintf(why, n, "the edit gives %.40s two expressions", ed->columns[i].column);
                goto done;
            }
    }
    for (size_t i = 0; i < nr; i++) {
        json_t *r = json_array_get(rules, i);
        json_t *k = json_is_object(r) ? json_object_get(r, "kind") : NULL;
        const char *ks = json_string_value(k);
        if (!ks || (strcmp(ks, "reject") && strcmp(ks, "skip"))) {
            snprintf(why, n, "rule %zu's kind is not \"reject\" or \"skip\"", i + 1);
            goto done;
        }
        snprintf(ed->rules[i].kind, sizeof ed->rules[i].kind, "%s", ks);
        char what[64];
        snprintf(what, sizeof what, "rule %zu's condition", i + 1);
        if (one_line(json_object_get(r, "condition"), what, ed->rules[i].condition, LLM_MAX_EXPRESSION, false, why,
                     n))
            goto done;
        json_t *m = json_object_get(r, "message");
        snprintf(what, sizeof what, "rule %zu's message", i + 1);
        if (m && one_line(m, what, ed->rules[i].message, LLM_EDIT_MAX_MESSAGE, true, why, n))
            goto done;
    }
    if (nc + nr == 0) {
        const char *ex = json_string_value(json_object_get(j, "explanation"));
        snprintf(why, n, "the answer proposes no edit%s%.300s", ex && *ex ? ": " : "", ex ? ex : "");
        for (char *w = why; *w; w++)
            if ((unsigned char)*w < 0x20 || *w == 0x7f)
                *w = ' ';
        goto done;
    }
    ed->ncolumns = (int)nc;
    ed->nrules = (int)nr;
    const char *t = json_string_value(json_object_get(j, "explanation"));
    if (t) {
        size_t k = 0;
        for (; t[k] && k < LLM_MAX_EXPLANATION; k++)
            ed->explanation[k] = (unsigned char)t[k] < 0x20 || t[k] == 0x7f ? ' ' : t[k];
        while (k > 0 && t[k] && ((unsigned char)t[k] & 0xC0) == 0x80)
            k--;   /* cut before a whole UTF-8 character */
        ed->explanation[k] = 0;
    }
    json_t *cf = json_object_get(j, "confidence");
    double c = json_is_number(cf) ? json_number_value(cf) : 0.5;
    if (!isfinite(c) || c < 0)
        c = 0;
    ed->confidence = c <= 1 ? (int)lround(c * 100) : c <= 100 ? (int)lround(c) : 100;
    rc = 0;
    goto done;
bad_item:
    if (!why[0])
        snprintf(why, n, "an item of \"columns\" is not an object with \"column\" and \"expression\"");
done:
    json_decref(j);
    return rc;
}
