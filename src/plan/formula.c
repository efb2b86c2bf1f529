/* formula.c — rules written in SQL or Excel syntax read into plan expressions (see formula.h).
 *
 * The entry of the formula reader.  A rule is cut into an optional prose lead-in ("Copy. Filter
 * rows:", "Filter before load:"), the formula, and remarks (a `--` comment, a parenthesised or
 * dashed note after it).  The formula is parsed (formula_syntax.c) and translated
 * (formula_expr.c); remarks are read for what they state — a date pattern of a column ("DUE_DATE
 * is yyyy-mm-dd", "both dd/mm/yyyy"), a column letter ("A = Posting Date"), "target cols",
 * "all years are 20xx", a WHERE clause — and for doubts ("tbc", "as per spec", "...") that make
 * the rule a question.
 * Invariants: a rule is taken (1) only when it parses completely, or when it is clearly formula
 * syntax (a leading '=', an upper-case SQL/Excel function call, CASE ... WHEN, `||`) — then a
 * failure is a question naming what was not understood; otherwise 0 and nothing was added to the
 * plan, and the prose reader tries.  A rule is never half read: any doubt makes the column a hole.
 */
#include "plan/formula_internal.h"

#include "plan/tabs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FX_MAX_TEXT 8000   /* longer rules are not formulas an analyst writes: a question */

/* ---- cutting the text ------------------------------------------------------------------------ */

/* Offset of a `--` comment outside quotes and brackets, or len. */
static size_t comment_at(const char *s, size_t len)
{
    char q = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (q) {
            if (c == q)
                q = 0;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '[') {
            q = ']';
        } else if (c == '-' && i + 1 < len && s[i + 1] == '-') {
            return i;
        }
    }
    return len;
}

typedef struct leadin {
    size_t skip;      /* bytes of prose before the formula */
    bool copy;        /* "Copy." — the column is its source as is */
    bool filter;      /* "Filter rows:" — the formula is a condition rows must meet */
} leadin;

/* A prose lead-in made only of a few words, ending with ':' or '.': "Copy. Filter rows: =AND(...)". */
static leadin read_leadin(const char *s)
{
    static const char *const COPY[] = {"copy", "straight", "as", "is", NULL};
    static const char *const FILTER[] = {"filter", "filters", "rows", "row", "records", "keep", "only", "include",
                                         "condition", "before", "load", "loading", "apply", "data", "the", NULL};
    leadin l = {0}, best = {0};
    size_t i = 0;
    for (;;) {
        while (s[i] == ' ' || s[i] == '\t')
            i++;
        size_t b = i;
        while (isalpha((unsigned char)s[i]))
            i++;
        if (i == b || i - b > 12)
            break;
        char w[16];
        snprintf(w, sizeof w, "%.*s", (int)(i - b), s + b);
        for (char *q = w; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        bool known = false;
        for (int k = 0; COPY[k]; k++)
            if (!strcmp(w, COPY[k]))
                known = l.copy = true;
        for (int k = 0; FILTER[k]; k++)
            if (!strcmp(w, FILTER[k])) {
                known = true;
                l.filter |= strcmp(w, "the") && strcmp(w, "before") && strcmp(w, "load") && strcmp(w, "loading");
            }
        if (!known)
            break;
        if (s[i] == ':' || s[i] == '.') {
            i++;
            l.skip = i;
            best = l;
        }
    }
    return best;
}

static bool upper_word_call(const char *s, size_t b, size_t e)
{
    static const char *const F[] = {
        "COALESCE", "NULLIF", "ISNULL", "CAST", "CONVERT", "TO_DATE", "TO_CHAR", "EXTRACT", "DATEDIFF", "SUBSTRING",
        "SUBSTR", "SPLIT_PART", "LEFT", "RIGHT", "TRIM", "LTRIM", "RTRIM", "UPPER", "LOWER", "CONCAT", "ROUND",
        "ABS", "REPLACE", "LPAD", "RPAD", "DECODE", "IF", "IFERROR", "VLOOKUP", "TEXT", "DATE", "DATEVALUE", "YEAR",
        "MONTH", "DAY", "ROUNDUP", "ROUNDDOWN", "VALUE", "NUMBERVALUE", "SUBSTITUTE", "MID", "FIND", "SEARCH", "LEN",
        "LENGTH", "PROPER", "INITCAP", "ISBLANK", "AND", "OR", "NOT", "ROW", "FILTER", "NVL", "IIF", "POSITION",
        "INSTR", "TRUNC", "EOMONTH", "DATEADD", "TODAY", "NOW", "CONCATENATE", "IFNULL", "TO_NUMBER", "ROW_NUMBER", "REPT",
        "INDEX", "MATCH", "XLOOKUP", "SUM", "DATE_FORMAT", "STR_TO_DATE", "SPLIT", NULL};
    for (int k = 0; F[k]; k++)
        if (strlen(F[k]) == e - b && !strncmp(s + b, F[k], e - b))
            return true;
    return false;
}

/* Is the text unmistakably a formula (so a failure to read it is a question, not prose)? */
static bool clearly_formula(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    /* Excel's '=' opens a formula directly; "= net amt x rate" is prose that says "equals" */
    if (*s == '=' && s[1] && !isspace((unsigned char)s[1]) && !strchr(s, '\n'))
        return true;
    bool has_case = false;
    for (size_t i = 0; s[i];) {
        if (s[i] == '|' && s[i + 1] == '|')
            return true;
        if (!isalpha((unsigned char)s[i]) && s[i] != '_') {
            i++;
            continue;
        }
        size_t b = i;
        while (isalnum((unsigned char)s[i]) || s[i] == '_')
            i++;
        size_t e = i;
        while (s[i] == ' ')
            i++;
        if (s[i] == '(' && upper_word_call(s, b, e))
            return true;
        if (e - b == 4 && !strncmp(s + b, "CASE", 4))
            has_case = true;
        if (has_case && e - b == 4 && !strncmp(s + b, "WHEN", 4))
            return true;
    }
    return false;
}

/* Offsets where a remark may start after a complete formula: a run of two or more blanks (or a
 * tab) followed by '(' or '-' or a letter. */
static int remark_cuts(const char *s, size_t len, size_t *cuts, int max)
{
    int n = 0;
    char q = 0;
    for (size_t i = 0; i < len && n < max; i++) {
        char c = s[i];
        if (q) {
            if (c == q)
                q = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            q = c;
            continue;
        }
        if (c == '[') {
            q = ']';
            continue;
        }
        if ((c == ' ' && i + 1 < len && s[i + 1] == ' ') || c == '\t') {
            size_t j = i;
            while (j < len && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < len && (s[j] == '(' || s[j] == '-' || isalpha((unsigned char)s[j])))
                cuts[n++] = i;
            i = j - 1;
        }
    }
    return n;
}

/* ---- remarks --------------------------------------------------------------------------------- */

static bool has_word(const char *hay, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = hay; (p = strcasestr(p, w)) != NULL; p++) {
        bool start = p == hay || !isalnum((unsigned char)p[-1]);
        bool end = !isalnum((unsigned char)p[n]);
        if (start && end)
            return true;
    }
    return false;
}

static const char *trim_in(mf_arena *a, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && (isspace((unsigned char)s[n - 1]) || strchr(".,;:", s[n - 1])))
        n--;
    return mf_arena_strndup(a, s, n);
}

/* A date pattern word of a remark ("yyyy-mm-dd", "ISO-8601", "dd/mm/yyyy"), in plan notation. */
static const char *pattern_word(fctx *x, const char *w)
{
    if (!strncasecmp(w, "iso", 3))
        return "ISO";
    return rules_date_pattern(x->p, w);
}

/* One clause of a remark: "DUE_DATE is yyyy-mm-dd", "A = Posting Date", "both dd/mm/yyyy". */
static void remark_clause(fctx *x, const char *clause)
{
    /* a letter bound to a column: "A = Posting Date" */
    const char *eq = strchr(clause, '=');
    if (eq) {
        const char *name = trim_in(x->a, clause, (size_t)(eq - clause));
        const char *col = fx_data_column(x, trim_in(x->a, eq + 1, strlen(eq + 1)));
        size_t nl = strlen(name);
        bool letters = nl >= 1 && nl <= 2;
        for (size_t k = 0; k < nl; k++)
            letters &= isupper((unsigned char)name[k]) != 0;
        if (letters && col && x->nbind < FX_MAX_FACTS) {
            x->bind_letter[x->nbind] = name;
            x->bind_col[x->nbind++] = col;
            return;
        }
    }
    char *copy = mf_arena_strdup(x->a, clause);
    const char *pat = NULL;
    size_t pat_at = 0;
    for (char *tok = copy, *save = NULL, *w; (w = strtok_r(tok, " \t", &save)) != NULL && !pat; tok = NULL) {
        size_t n = strlen(w);
        while (n && strchr(".,;:()", w[n - 1]))
            w[--n] = 0;
        while (*w == '(')
            w++;
        pat = pattern_word(x, w);
        pat_at = (size_t)(w - copy);
    }
    if (has_word(clause, "serial"))
        pat = "EXCEL";
    if (!pat)
        return;
    if (!strcmp(pat, "YYYY-MM-DD") && (has_word(clause, "timestamp") || strcasestr(clause, "hh")))
        pat = "ISO";   /* a date followed by a time: the ISO reading keeps the date part */
    /* the column named before "is" */
    const char *col = NULL;
    const char *is = strcasestr(clause, " is ");
    if (is && (size_t)(is - clause) < pat_at + 1)
        col = fx_data_column(x, trim_in(x->a, clause, (size_t)(is - clause)));
    if (col && x->ncolpat < FX_MAX_FACTS) {
        x->colpat_col[x->ncolpat] = col;
        x->colpat_pat[x->ncolpat++] = pat;
    } else if (!col) {
        x->date_all = pat;
    }
}

/* What a remark states; a doubt ("tbc", "as per spec", "...") is a sentence in why. */
static void read_remark(fctx *x, const char *r)
{
    static const char *const DOUBT[] = {"tbc", "tbd", "to be confirmed", "to be defined", "to be decided", "as per spec",
                                        "per spec", "see spec", "check with", "confirm with", "not final", NULL};
    for (int k = 0; DOUBT[k]; k++)
        if (has_word(r, DOUBT[k])) {
            fx_say(x, "Its note says \"%s\": the rule is not final.", r);
            return;
        }
    if (strstr(r, "...") || strstr(r, "\xe2\x80\xa6")) {
        fx_say(x, "Its note \"%s\" leaves something out.", r);
        return;
    }
    static const char *const OPERATIVE[] = {"round", "rounded", "multiply", "multiplied", "divide", "divided",
                                            "default", "defaults", "pad", "padded", "trim", "uppercase", "lowercase",
                                            "exclude", "skip", "filter", "lookup", "prefix", "suffix", "replace",
                                            "negate", "truncate", NULL};
    for (int k = 0; OPERATIVE[k]; k++)
        if (has_word(r, OPERATIVE[k])) {
            fx_say(x, "Its note \"%s\" asks for more than the formula does (\"%s\").", r, OPERATIVE[k]);
            return;
        }
    if (has_word(r, "target col") || has_word(r, "target cols") || has_word(r, "target columns") ||
        has_word(r, "target column") || has_word(r, "output columns"))
        x->prefer_outputs = true;
    if (has_word(r, "20xx"))
        x->pivot = 2000;
    char *copy = mf_arena_strdup(x->a, r);
    for (char *tok = copy, *save = NULL, *cl; (cl = strtok_r(tok, ",;()", &save)) != NULL; tok = NULL)
        remark_clause(x, cl);
}

/* ---- the statement --------------------------------------------------------------------------- */

typedef struct reading {
    fctx x;
    const char *rule;          /* the formula's text as written */
    plan_expr *skips[4];       /* conditions rows must meet */
    int nskip;
    plan_expr *value;          /* the column's expression */
} reading;

static void keep_rows(reading *R, const fx_node *cond)
{
    bool was = R->x.in_where;
    R->x.in_where = true;
    plan_expr *c = fx_condition(&R->x, cond);
    R->x.in_where = was;
    if (c && R->nskip < 4)
        R->skips[R->nskip++] = c;
}

static bool is_filter_call(const fx_node *n)
{
    return n && n->kind == FX_CALL && !strcmp(n->s, "FILTER") && n->n == 2;
}

static bool is_cond_node(const fx_node *n)
{
    if (!n)
        return false;
    if (n->kind == FX_BIN)
        return strchr("=!<l>gAO", n->op) != NULL;
    if (n->kind == FX_CALL)
        return !strcmp(n->s, "AND") || !strcmp(n->s, "OR") || !strcmp(n->s, "NOT") || !strcmp(n->s, "ISBLANK") ||
               !strcmp(n->s, "ISNUMBER");
    return n->kind == FX_NOT || n->kind == FX_IN || n->kind == FX_LIKE || n->kind == FX_ISNULL ||
           n->kind == FX_BETWEEN;
}

/* Does any call of the tree name an Excel-only function (the formula has Excel semantics)? */
static bool excel_calls(const fx_node *n, int depth)
{
    static const char *const X[] = {"IF", "IFERROR", "VLOOKUP", "ISBLANK", "MID", "FIND", "SEARCH", "LEN",
                                    "SUBSTITUTE", "TEXT", "VALUE", "PROPER", "DATEVALUE", "NUMBERVALUE", "FILTER",
                                    "ROUNDUP", "ROUNDDOWN", "CONCATENATE", NULL};
    if (!n || depth > FX_MAX_DEPTH * 4)
        return false;
    if (n->kind == FX_REF && n->flag)
        return true;
    if (n->kind == FX_CALL)
        for (int k = 0; X[k]; k++)
            if (!strcmp(n->s, X[k]))
                return true;
    for (int i = 0; i < n->n; i++)
        if (excel_calls(n->kid[i], depth + 1))
            return true;
    return false;
}

/* Is name the target's (letters and digits alike, any case)? */
static bool is_target_name(const rule_ctx *c, const char *name)
{
    if (!c->column || !name)
        return false;
    const char *a = name, *b = c->column;
    while (*a && *b) {
        if (!isalnum((unsigned char)*a)) { a++; continue; }
        if (!isalnum((unsigned char)*b)) { b++; continue; }
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
            return false;
        a++, b++;
    }
    return !*a && !*b;
}

/* Is name written as an SQL alias (QUANTITY, GL_ACCOUNT: capitals, digits, '_'), not a word of prose or a
 * date form (yyyymm, YYYYMM)? */
static bool sql_alias(const char *name)
{
    bool date_form = true;
    for (const char *q = name; *q; q++) {
        if (islower((unsigned char)*q) || (!isupper((unsigned char)*q) && !isdigit((unsigned char)*q) && *q != '_'))
            return false;
        if (!strchr("YMD", *q))
            date_form = false;
    }
    return !date_form;
}

/* A name equal to the target's ("NET = GROSS - FEE" assigns). */
static bool names_target(const rule_ctx *c, const fx_node *n)
{
    return n && n->kind == FX_NAME && !n->s2 && is_target_name(c, n->s);
}

/* LEFT JOIN tab alias ON alias.KEY = SRC: the key column of the tab and the value looked up. */
static void setup_join(reading *R, const fx_stmt *st)
{
    fctx *x = &R->x;
    x->join_tab = st->join_tab;
    x->join_alias = st->join_alias ? st->join_alias : st->join_tab;
    const mf_sheet *sh = fx_lookup_tab(x, st->join_tab);
    const fx_node *on = st->join_on;
    if (!sh) {
        fx_say(x, "It joins '%s', which is not a tab of the mapping workbook.", st->join_tab);
        return;
    }
    if (!on || on->kind != FX_BIN || on->op != '=') {
        fx_say(x, "The join is read only on one equality (ON tab.KEY = column).");
        return;
    }
    for (int side = 0; side < 2; side++) {
        const fx_node *t = on->kid[side], *o = on->kid[1 - side];
        if (t->kind != FX_NAME || !t->s2 || (strcasecmp(t->s2, x->join_alias) && strcasecmp(t->s2, x->join_tab)))
            continue;
        for (int c = 0; c < sh->ncols; c++)
            if (!strcasecmp(MF_SHEET_CELL(sh, 0, c), t->s))
                x->join_kc = c;
        fx_node plain = *o;
        plain.s2 = NULL;                      /* src.ACCOUNT: the data's ACCOUNT */
        fx_value k = fx_translate(x, &plain);
        if (k.e && k.k == FV_TEXT && strcasecmp(MF_SHEET_CELL(sh, 0, x->join_kc), t->s) == 0) {
            x->join_key = k.e;
            return;
        }
    }
    if (!x->why.len)
        fx_say(x, "The join's ON condition does not name a key column of tab '%s' and a data column.", sh->name);
}

/* The whole statement translated into R (skips and value); doubts in R->x.why. */
static void translate(reading *R, const fx_stmt *st, const leadin *lead)
{
    fctx *x = &R->x;
    const rule_ctx *c = x->c;
    if (st->join_tab)
        setup_join(R, st);
    const fx_node *v = st->value;
    if (v && v->kind == FX_BIN && v->op == '=' && names_target(c, v->kid[0]) && !fx_data_column(x, v->kid[0]->s))
        v = v->kid[1];                        /* NET = GROSS - FEE: an assignment, not a test */
    if (is_filter_call(v)) {
        keep_rows(R, v->kid[1]);
        v = NULL;
    } else if (v && is_cond_node(v) && (lead->filter || !c->column)) {
        keep_rows(R, v);
        v = NULL;
    }
    if (st->where)
        keep_rows(R, st->where);
    if (!c->column) {
        if (v)
            fx_say(x, "It computes a value but the row has no target column.");
        return;
    }
    if (!v && !lead->copy && !R->nskip) {
        fx_say(x, "It gives no value for the column.");
        return;
    }
    fx_value val;
    long one;
    if (v && v->kind == FX_BIN && v->op == '-' && v->kid[0]->kind == FX_CALL && !strcmp(v->kid[0]->s, "ROW") &&
        v->kid[0]->n == 0 && v->kid[1]->kind == FX_NUM && sscanf(v->kid[1]->s, "%ld", &one) == 1 && one == 1) {
        /* =ROW()-1 beside a header row: the row's number in the output */
        val = (fx_value){.e = plan_new_expr(x->p, PE_ROWNUM), .k = FV_NUM};
    } else if (v && v->kind == FX_CALL && !strcmp(v->s, "ROW_NUMBER") && v->n == 0 && v->s2 && !v->neg) {
        val = (fx_value){.e = plan_new_expr(x->p, PE_ROWNUM), .k = FV_NUM};   /* ROW_NUMBER() OVER () */
    } else if (v && v->kind == FX_CALL && !strcmp(v->s, "ROW_NUMBER")) {
        fx_say(x, "ROW_NUMBER() numbers the rows in another order than the file's.");
        return;
    } else if (v) {
        val = fx_translate(x, v);
    } else {
        /* a copy of the row's source (the rule only filters rows) */
        if (c->nsrc < 1 || !c->src[0].name) {
            fx_say(x, "It copies the row's source, which matches no data column.");
            return;
        }
        val = (fx_value){.e = plan_source_ref(x->p, c->src[0].name), .k = FV_TEXT};
    }
    if (!x->why.len)
        R->value = fx_to_target(x, val);
}

/* ---- entry ----------------------------------------------------------------------------------- */

/* The mapping row's own source text, for a filter written in the source column of a row without a
 * target ("WHERE STATUS <> 'X' AND QTY_ORDERED > 0"). */
static const char *row_source_text(const rule_ctx *c)
{
    for (int i = 0; c->m && i < c->m->nrows; i++)
        if (c->m->rows[i].row == c->row)
            return c->m->rows[i].source;
    return NULL;
}

static void ask(const rule_ctx *c, const char *rule, const char *why, rule_result *out)
{
    mf_buf q = {0};
    mf_buf_printf(&q, "Rule '%s' on row %d: %s ", rule, c->row, why);
    if (c->column)
        mf_buf_printf(&q, "What should %s contain?", c->column);
    else
        mf_buf_adds(&q, "What should this row do?");
    plan_add_question(c->p, c->column ? plan_strdup(c->p, c->column) : NULL, c->row, plan_strdup(c->p, mf_buf_str(&q)));
    mf_buf_free(&q);
    out->expr = c->column ? plan_new_expr(c->p, PE_HOLE) : NULL;
    out->understood = false;
}

/* Parse the formula at body[0..n): whole, else up to a remark boundary (the rest is a remark). */
static int parse_with_remark(mf_arena *a, const char *body, size_t n, fx_stmt *st, size_t *formula_len, char *why,
                             size_t whycap)
{
    size_t stop;
    if (fx_parse(a, body, n, st, &stop, why, whycap) == 0) {
        *formula_len = n;
        return 0;
    }
    size_t cuts[16];
    int nc = remark_cuts(body, n, cuts, 16);
    char why2[256];
    for (int k = nc - 1; k >= 0; k--) {
        fx_stmt st2;
        if (fx_parse(a, body, cuts[k], &st2, &stop, why2, sizeof why2) == 0) {
            *st = st2;
            *formula_len = cuts[k];
            return 0;
        }
    }
    return -1;
}

/* The comment after `--`: a WHERE clause (a filter) or a remark. */
static void read_comment(reading *R, const char *comment, fx_stmt *where_st)
{
    size_t stop;
    char why[256];
    if (!strncasecmp(comment, "WHERE", 5) && isspace((unsigned char)comment[5]) &&
        fx_parse(R->x.a, comment, strlen(comment), where_st, &stop, why, sizeof why) == 0 && where_st->where)
        return;
    memset(where_st, 0, sizeof *where_st);
    read_remark(&R->x, comment);
}

/* The rule read: its skip rules added to the plan, the column's expression in out. */
static void commit(reading *R, const char *text, bool from_source, rule_result *out)
{
    const rule_ctx *c = R->x.c;
    for (int i = 0; i < R->nskip; i++) {
        plan_expr *not = plan_new_expr(c->p, PE_NOT);
        not->kid[0] = R->skips[i];
        plan_rule *r = plan_add_rule(c->p, PR_SKIP, not, NULL);
        r->prov.row = c->row;
        r->prov.text = plan_strdup(c->p, text);
    }
    out->expr = c->column ? R->value : NULL;
    /* a filter written in the source cell: its pieces are not fields to ask about */
    out->understood = !from_source;
}

/* Read the formula body[0..fend) (comment at cm) in R.  Returns 1 when the rule is the formula
 * reader's (read, or a question), 0 when it is prose after all. */
static int read_formula(reading *R, const char *text, const char *body, size_t blen, size_t cm, size_t fend,
                        const leadin *lead, bool from_source, rule_result *out)
{
    const rule_ctx *c = R->x.c;
    fx_stmt st, where_st = {0};
    size_t flen = 0;
    char why[256];
    bool clearly = clearly_formula(body) || lead->skip > 0;
    if (parse_with_remark(R->x.a, body, fend, &st, &flen, why, sizeof why) < 0) {
        /* "ABS(VALUE_LC / QTY), round 4 dp": a formula followed by prose is the prose reader's */
        if (!clearly || st.trailing)
            return 0;                           /* prose: not mine */
        mf_buf w = {0};
        mf_buf_printf(&w, "I could not read the formula: %s.", why);
        ask(c, text, mf_buf_str(&w), out);
        mf_buf_free(&w);
        return 1;
    }
    /* "GL_ACCT AS GL_ACCOUNT" names the target; "trade date as yyyymm" is prose saying how to write it */
    if (st.alias && !clearly && !is_target_name(c, st.alias) && !sql_alias(st.alias))
        return 0;
    R->x.excel = st.excel || excel_calls(st.value, 0) || excel_calls(st.where, 0);
    const char *remark = trim_in(R->x.a, body + flen, fend - flen);
    if (*remark)
        read_remark(&R->x, remark);
    if (cm < blen)
        read_comment(R, trim_in(R->x.a, body + cm + 2, blen - cm - 2), &where_st);
    if (!R->x.why.len) {
        translate(R, &st, lead);
        if (where_st.where)
            keep_rows(R, where_st.where);
    }
    if (R->x.why.len && !clearly)
        return 0;                               /* not unmistakably a formula: the prose reader tries */
    if (R->x.why.len)
        ask(c, text, mf_buf_str(&R->x.why), out);
    else
        commit(R, text, from_source, out);
    return 1;
}

int formula_read(const rule_ctx *c, const char *text, rule_result *out, mf_err *e)
{
    (void)e;
    bool from_source = false;
    if (!text || !*text) {
        /* a row without a target whose only text is in the source cell */
        const char *src = c->column ? NULL : row_source_text(c);
        if (!src || !*src)
            return 0;
        text = src;
        from_source = true;
    }
    size_t len = strlen(text);
    if (len > FX_MAX_TEXT) {
        if (!clearly_formula(text))
            return 0;
        memset(out, 0, sizeof *out);
        ask(c, "(a formula too long to show)", "It is longer than a formula I read.", out);
        return 1;
    }
    leadin lead = read_leadin(text);
    const char *body = text + lead.skip;
    size_t blen = len - lead.skip;
    size_t cm = comment_at(body, blen), fend = cm;
    while (fend > 0 && (body[fend - 1] == ';' || isspace((unsigned char)body[fend - 1])))
        fend--;                                 /* a statement's closing semicolon */

    reading *R = mf_xcalloc(1, sizeof *R);
    mf_arena a;
    mf_arena_init(&a);
    R->x = (fctx){.c = c, .p = c->p, .a = &a, .rule = text};
    rule_result got = {0};
    int nlookups = c->p->nlookups;
    int took = read_formula(R, text, body, blen, cm, fend, &lead, from_source, &got);
    if (took)
        *out = got;
    else
        c->p->nlookups = nlookups;              /* prose after all: nothing stays in the plan */
    mf_buf_free(&R->x.why);
    free(R);
    mf_arena_free(&a);
    return took;
}

plan_expr *formula_cond(const rule_ctx *c, const char *text, mf_buf *why)
{
    if (!text)
        return NULL;
    mf_arena a;
    mf_arena_init(&a);
    fctx x = {.c = c, .p = c->p, .a = &a, .in_where = true};
    fx_stmt st;
    size_t stop;
    char buf[256];
    plan_expr *r = NULL;
    size_t n = comment_at(text, strlen(text));
    if (fx_parse(&a, text, n, &st, &stop, buf, sizeof buf) == 0) {
        const fx_node *cond = st.where ? st.where : is_filter_call(st.value) ? st.value->kid[1] : st.value;
        x.excel = st.excel || excel_calls(cond, 0);
        if (cond && is_cond_node(cond) && (!st.where || !st.value))
            r = fx_condition(&x, cond);
    } else if (why) {
        infer_say(why, "%s.", buf);
    }
    if (x.why.len) {
        r = NULL;
        if (why)
            infer_say(why, "%s", mf_buf_str(&x.why));
    }
    mf_buf_free(&x.why);
    mf_arena_free(&a);
    return r;
}
