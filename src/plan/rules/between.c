/* between.c — expressions between fields: concatenation ("First Name + ' ' + Last Name", "join A and B with
 * '-'") and arithmetic ("QTY * PX", "Debit minus Credit", "multiply Qty by Px").  Operands are cut by the
 * longest run of unused tokens that names a data column.
 */
#include "plan/rules/reading.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- expressions between fields: concatenation and arithmetic ---- */

static bool concat_word(const reading *r, int k)
{
    /* "our combined file", "the merged extract" describe a file, they join nothing */
    if (rd_is_w(r, k + 1, "file") || rd_is_w(r, k + 1, "extract") || rd_is_w(r, k + 1, "report") ||
        rd_is_w(r, k + 1, "dataset") || rd_is_w(r, k + 1, "list") || rd_is_w(r, k + 1, "table") ||
        rd_is_w(r, k + 1, "ledger") || rd_is_w(r, k + 1, "view"))
        return false;
    /* "Put together Plant and Storage location": the concatenation is "together" after put/bring */
    if (rd_is_w(r, k, "together") && k > 0 && r->t[k - 1].k == TK_WORD &&
        (!strcmp(r->t[k - 1].w, "put") || !strcmp(r->t[k - 1].w, "bring") || !strcmp(r->t[k - 1].w, "stick")))
        return true;
    return rd_is_w(r, k, "concat") || rd_is_w(r, k, "combine");
}

/* The operator at k between two operands (*len tokens), or 0.  When concatenating, "and" and ","
 * join parts too. */
/* "the first and last names", "street and city names": two words sharing one noun name two columns (W1 N
 * and W2 N, the noun also without a plural s), each almost exactly.  Fills cols and returns true. */
static bool distributive(const reading *r, int k, int e, const char **cols)
{
    if (k + 3 >= e || r->t[k].k != TK_WORD || r->t[k + 2].k != TK_WORD || r->t[k + 3].k != TK_WORD ||
        r->t[k].used || r->t[k + 2].used || r->t[k + 3].used ||
        !(rd_is_w(r, k + 1, "and") || rd_is_op(r, k + 1, "&") || rd_is_op(r, k + 1, "/")))
        return false;
    char noun[64];
    snprintf(noun, sizeof noun, "%s", r->t[k + 3].orig);
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            size_t l = strlen(noun);
            if (l < 4 || (noun[l - 1] != 's' && noun[l - 1] != 'S'))
                return false;
            noun[l - 1] = 0;
        }
        char a[160], b[160];
        snprintf(a, sizeof a, "%s %s", r->t[k].orig, noun);
        snprintf(b, sizeof b, "%s %s", r->t[k + 2].orig, noun);
        const char *ca = rd_resolve_name_min(r, a, 0.95), *cb = rd_resolve_name_min(r, b, 0.95);
        if (ca && cb && strcmp(ca, cb)) {
            cols[0] = ca, cols[1] = cb;
            return true;
        }
    }
    return false;
}

static int between_op(const reading *r, int k, bool concat, int *len)
{
    *len = 1;
    /* "2-5", "1/2" between two numbers are a range or a fraction, not an operator */
    if ((rd_is_op(r, k, "-") || rd_is_op(r, k, "/")) && k > 0 && k + 1 < r->n && r->t[k - 1].k == TK_NUM &&
        r->t[k + 1].k == TK_NUM)
        return 0;
    if (rd_is_op(r, k, "+") || rd_is_w(r, k, "plus"))
        return PB_ADD;
    if (rd_is_op(r, k, "&") || rd_is_op(r, k, "||"))
        return PB_CONCAT;
    if (rd_is_w(r, k, "followed") && rd_is_w(r, k + 1, "by")) {   /* "the asset number, followed by a hyphen" */
        *len = 2;
        return PB_CONCAT;
    }
    if (rd_is_op(r, k, ",") && rd_is_w(r, k + 1, "followed") && rd_is_w(r, k + 2, "by")) {
        *len = 3;
        return PB_CONCAT;
    }
    if (rd_is_op(r, k, "-") || rd_is_w(r, k, "minus") || rd_is_w(r, k, "less"))
        return PB_SUB;
    if (rd_is_op(r, k, "*") || rd_is_w(r, k, "times") || rd_is_w(r, k, "x"))
        return PB_MUL;
    if (rd_is_op(r, k, "/") || rd_is_op(r, k, "\xc3\xb7"))
        return PB_DIV;
    if ((rd_is_w(r, k, "multiply") || rd_is_w(r, k, "divide")) && rd_is_w(r, k + 1, "by")) {
        *len = 2;
        return rd_is_w(r, k, "multiply") ? PB_MUL : PB_DIV;
    }
    if (concat && (rd_is_w(r, k, "and") || rd_is_op(r, k, ",")))
        return PB_CONCAT;
    return 0;
}

/* One operand at k (< e): a quoted or numeric literal (*lit; *src = the column a quoted name
 * names, if any), or the longest run of unused tokens that names a data column.  A run that holds
 * an operator ("Dr/Cr") counts only when it names a column almost exactly, so "QTY * PX" is two
 * fields.  Returns the index after the operand, or -1. */
/* An output column defined above, named exactly (any case) by the one token at k ("VALUE_LC / QTY"). */
static const plan_column *output_above(const reading *r, int k)
{
    if (!rd_is_k(r, k, TK_WORD) || !r->c->column)
        return NULL;
    for (int i = 0; i < r->p->ncols; i++)
        if (r->p->cols[i].name && !strcasecmp(r->p->cols[i].name, r->t[k].orig) &&
            strcasecmp(r->p->cols[i].name, r->c->column))
            return &r->p->cols[i];
    return NULL;
}

/* Is w (lower case) a word of the label of column c: its rule text up to the first , . ; or : ? */
static bool label_word(const plan_column *c, const char *w)
{
    const char *t = c->prov.text;
    if (!t)
        return false;
    size_t n = strlen(w);
    for (const char *p = t; *p && !strchr(",.;:\n", *p);) {
        while (*p && !isalnum((unsigned char)*p) && !strchr(",.;:\n", *p))
            p++;
        const char *s = p;
        while (*p && isalnum((unsigned char)*p))
            p++;
        if ((size_t)(p - s) == n && !strncasecmp(s, w, n))
            return true;
    }
    return false;
}

/* "the current-year charge": the one output column above whose label ("Depreciation charge for the current
 * fiscal year") holds every word of the run [k, j) (at least two, fillers aside); NULL when none or several. */
static const plan_column *labelled_above(const reading *r, int k, int j)
{
    const plan_column *found = NULL;
    for (int i = 0; i < r->p->ncols; i++) {
        const plan_column *c = &r->p->cols[i];
        if (r->c->column && !strcasecmp(c->name, r->c->column))
            continue;
        int words = 0;
        bool all = true;
        for (int q = k; q < j && all; q++) {
            if (r->t[q].k != TK_WORD || r->t[q].used)
                return NULL;
            if (rd_is_filler(r->t[q].w))
                continue;
            char w[64];                   /* "current-year" is two words */
            const char *o = r->t[q].orig;
            while (*o && all) {
                size_t l = 0;
                while (*o && (isalnum((unsigned char)*o) || (unsigned char)*o >= 0x80) && l < sizeof w - 1)
                    w[l++] = *o++;
                w[l] = 0;
                while (*o && !(isalnum((unsigned char)*o) || (unsigned char)*o >= 0x80))
                    o++;
                if (l) {
                    words++;
                    all = label_word(c, w);
                }
            }
        }
        if (!all || words < 2)
            continue;
        if (found)
            return NULL;
        found = c;
    }
    return found;
}

/* The one number column above whose value starts from data column src ("ACCUM_DEPR = [Accum. Depreciation] read
 * as number ..., absolute value"); NULL when none or several. */
static const plan_column *loaded_above(const reading *r, const char *src)
{
    const plan_column *found = NULL;
    for (int i = 0; i < r->p->ncols; i++) {
        const plan_column *c = &r->p->cols[i];
        const plan_expr *x = c->expr;
        while (x && x->kind == PE_STEP)
            x = x->kid[0];
        if (!x || x->kind != PE_SOURCE || strcmp(x->name, src) || !rd_numeric_base(c->type.base))
            continue;
        if (found)
            return NULL;
        found = c;
    }
    return found;
}

static int between_operand(const reading *r, int k, int e, const char **src, const char **lit, const plan_column **out)
{
    *src = *lit = NULL;
    *out = NULL;
    if (rd_is_k(r, k, TK_STR)) {
        *lit = r->t[k].w;
        *src = rd_resolve_name_min(r, r->t[k].w, 0.95);
        return k + 1;
    }
    if (rd_is_k(r, k, TK_NUM)) {
        *lit = r->t[k].w;
        return k + 1;
    }
    /* "a hyphen", "a space": a separator named in words (when no column has that name) */
    if (rd_is_k(r, k, TK_WORD) && (rd_is_w(r, k, "hyphen") || rd_is_w(r, k, "dash") || rd_is_w(r, k, "space") ||
                                   rd_is_w(r, k, "underscore") || rd_is_w(r, k, "slash") || rd_is_w(r, k, "colon")) &&
        !rd_resolve_name_min(r, r->t[k].orig, 0.95)) {
        *lit = rd_delim_at(r, k);
        return *lit ? k + 1 : -1;
    }
    /* a name that is both an output column above and a data column: the one spelled exactly, else neither */
    const plan_column *oc = output_above(r, k);
    if (oc) {
        const char *dc = rd_resolve_name(r, r->t[k].orig);
        bool o_exact = !strcmp(oc->name, r->t[k].orig), d_exact = dc && !strcmp(dc, r->t[k].orig);
        if (!dc || (o_exact && !d_exact)) {
            *out = oc;
            return k + 1;
        }
        if (!d_exact)
            return -1;
    }
    int lim = k;
    while (lim < e && lim < k + 12 && !r->t[lim].used && r->t[lim].k != TK_STR && !rd_is_op(r, lim, ",") &&
           !rd_is_op(r, lim, ";"))
        lim++;
    /* "RECOGNIZED / AMOUNT": an output column above written exactly as its name is that column, even when a data
     * column ("Recognized (k)") is like it */
    for (int j = lim; j > k; j--) {
        const plan_column *oc = rd_resolve_output(r, k, j);
        if (oc && r->t[j - 1].e - r->t[k].b == strlen(oc->name) && !strncmp(r->text + r->t[k].b, oc->name, strlen(oc->name)) &&
            !rd_resolve_name_min(r, oc->name, 0.999)) {
            *out = oc;
            return j;
        }
    }
    for (int j = lim; j > k; j--) {
        bool has_op = false;
        for (int q = k + 1; q < j; q++)
            has_op |= r->t[q].k == TK_OP || rd_is_w(r, q, "and") || rd_is_w(r, q, "x") || rd_is_w(r, q, "times") ||
                      rd_is_w(r, q, "plus") || rd_is_w(r, q, "minus") || rd_is_w(r, q, "less") || rd_is_w(r, q, "by");
        if (r->t[j - 1].k == TK_OP && !strchr(")]", r->t[j - 1].w[0]))
            continue;
        const char *got = NULL;
        if (has_op) {
            char buf[256];
            size_t len = r->t[j - 1].e - r->t[k].b;
            if (len < sizeof buf) {
                memcpy(buf, r->text + r->t[k].b, len);
                buf[len] = 0;
                got = rd_resolve_name_min(r, buf, 0.95);
            }
        } else {
            got = rd_resolve_span(r, k, j);
        }
        if (got) {
            *src = got;
            return j;
        }
    }
    /* "net amt x comm rate": an output column above, named by its words (no data column has that name) */
    for (int j = lim; j > k; j--)
        if ((*out = rd_resolve_output(r, k, j)) != NULL)
            return j;
    /* no data column: an output column above named by the words of its label */
    for (int j = lim; j > k + 1; j--)
        if ((*out = labelled_above(r, k, j)) != NULL && rd_numeric_base((*out)->type.base))
            return j;
    *out = NULL;
    return -1;
}

/* The text of tokens [b, e) for a message. */
void rd_span_text(const reading *r, int b, int e, char *buf, size_t cap)
{
    if (b >= e || b >= r->n) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    size_t len = r->t[e - 1].e - r->t[b].b;
    snprintf(buf, cap, "%.*s", (int)(len < cap - 1 ? len : cap - 1), r->text + r->t[b].b);
}

/* A pad said for one part in parentheses after it: "(2 dig. w/ leading 0, e.g. 2023-03)", "(3 digits, pad w/ 0)",
 * "(Pos pad 0 to 4)" (the group may name the part, a one-word column name).
 * Sets *n to the length and returns the index of the closing parenthesis, or -1 when the group says no pad. */
static bool pad_words(reading *r, int open, int close, const char *part, long *n);

static int part_pad(reading *r, int open, const char *part, long *n)
{
    int close = open + 1;
    while (close < r->n && !rd_is_op(r, close, ")"))
        close++;
    if (close >= r->n)
        return -1;
    return pad_words(r, open, close, part, n) ? close : -1;
}

/* The tokens strictly between open and close say "pad with 0 to N" (and nothing else operative): *n = N, and
 * [open, close] are read. */
static bool pad_words(reading *r, int open, int close, const char *part, long *n)
{
    long len = -1;
    bool zero = false;
    for (int q = open + 1; q < close; q++) {
        if (rd_num_at(r, q) > 0 && rd_is_w(r, q + 1, "char"))
            len = rd_num_at(r, q);
        if ((rd_is_w(r, q, "pad") || rd_is_w(r, q, "leftpad")) && rd_num_at(r, q + 1) == 0 && rd_is_w(r, q + 2, "to") &&
            rd_num_at(r, q + 3) > 0) {
            len = rd_num_at(r, q + 3);                  /* "(Pos pad 0 to 4)" */
            zero = true;
        }
        if (rd_is_w(r, q, "zero") || (rd_is_w(r, q, "leading") && rd_num_at(r, q + 1) == 0) ||
            ((rd_is_w(r, q, "pad") || rd_is_w(r, q, "leftpad")) && rd_num_at(r, q + 2) == 0))
            zero = true;
    }
    if (len <= 0 || !zero)
        return false;
    for (int q = open; q <= close && q < r->n; q++)   /* every word of the group is this pad (or its example), or */
        if (!r->t[q].used && r->t[q].k == TK_WORD && rd_is_operative_word(r->t[q].w) && !rd_is_w(r, q, "pad") &&
            !rd_is_w(r, q, "leftpad") && !(part && !strcasecmp(r->t[q].orig, part)))   /* names the part itself */
            return false;
    rd_use(r, open, close + 1 < r->n ? close + 1 : r->n);
    *n = len;
    return true;
}

/* Are tokens [b, e) only words of a pad ("3 digits, pad w/ 0", "left-padded with zeros to three digits")?  Anything
 * else ("for Germany") means the words are not this pad. */
static bool only_pad_words(const reading *r, int b, int e)
{
    static const char *const PADW[] = {"char", "pad", "leftpad", "padded", "leading", "zero", "with", "w", "to",
                                       "left", "the", "a", "of", "using", "fill", "filled"};
    for (int q = b; q < e; q++) {
        bool ok = r->t[q].used || r->t[q].k == TK_NUM || (r->t[q].k == TK_OP && strcmp(r->t[q].w, "+"));
        for (size_t u = 0; !ok && u < sizeof PADW / sizeof *PADW; u++)
            ok = r->t[q].k == TK_WORD && !strcmp(r->t[q].w, PADW[u]);
        if (!ok)
            return false;
    }
    return true;
}

/* "ContractID + '-' + LineID\n• LineID 3 digits, pad w/ 0": a later clause that starts with a part's column name
 * and says only how to pad it pads that part. */
static void part_pad_clauses(reading *r)
{
    for (int c = 1; c < r->nclause; c++) {
        int k = 0, e;
        while (k < r->n && (r->t[k].clause != c || (r->t[k].used && r->t[k].k == TK_OP)))
            k++;                                        /* the clause's first word (after a bullet) */
        if (k >= r->n || r->t[k].clause != c || r->t[k].used)
            continue;
        for (e = k; e < r->n && r->t[e].clause == c; e++)
            ;
        int ne;
        const char *named = rd_resolve_prefix(r, k, k + 3 < e ? k + 3 : e, &ne);
        for (int i = 0; named && i < r->nparts; i++) {
            long n;
            if (!r->part_src[i] || r->part_pad[i] || strcmp(named, r->part_src[i]))
                continue;
            bool only = only_pad_words(r, ne, e);
            bool next_used = e < r->n && r->t[e].used;   /* pad_words reads [open, close]: e is the next clause */
            if (only && pad_words(r, ne - 1, e, named, &n)) {
                r->part_pad[i] = n;
                rd_use(r, k, ne);
                if (e < r->n)
                    r->t[e].used = next_used;
            }
            break;
        }
    }
}

/* "treating a blank column as zero", "blanks count as 0", "blank = 0": said of a computation between fields,
 * each field operand that is blank counts as 0. */
static void blank_operands_zero(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_w(r, k, "blank"))
            continue;
        int lo = k;
        if (rd_is_w(r, k - 1, "a") || rd_is_w(r, k - 1, "any"))
            lo--;
        if (rd_is_w(r, lo - 1, "treating") || rd_is_w(r, lo - 1, "treat"))
            lo--;
        int v = k + 1;
        if (rd_is_w(r, v, "column") || rd_is_w(r, v, "value") || rd_is_w(r, v, "field") || rd_is_w(r, v, "cell") ||
            rd_is_w(r, v, "amount") || rd_is_w(r, v, "side"))
            v++;
        if (rd_is_w(r, v, "count") || rd_is_w(r, v, "counts") || rd_is_w(r, v, "treated") || rd_is_w(r, v, "is") ||
            rd_is_w(r, v, "are"))
            v++;
        if ((v < r->n && r->t[v].k == TK_WORD && !strcmp(r->t[v].w, "as")) || rd_is_op(r, v, "=") || rd_is_op(r, v, "->"))
            v++;                          /* "as" may be read already ("as zero" looks like "as a number") */
        else
            continue;
        if (!(rd_is_w(r, v, "zero") || rd_num_at(r, v) == 0))
            continue;
        bool field = false;
        for (int i = 0; i < r->narith; i++)
            field |= r->arith_src[i] != NULL;
        if (!field)
            return;
        r->arith_blank_zero = true;
        rd_use(r, lo, v + 1);
        return;
    }
}

/* "leave blank when AMOUNT = 0 (div/0)": a clause that makes the result null when a divisor is zero.  Read when
 * the field is an operand right after a "/" and the clause says blank, a condition word, the field, = 0. */
static void null_when_divisor_zero(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_w(r, k, "when") && !rd_is_w(r, k, "if"))
            continue;
        int lo = k;   /* "leave blank" may already be read as a remark: look at the words as written */
        if (k > 0 && r->t[k - 1].k == TK_WORD && !strcmp(r->t[k - 1].w, "blank"))
            lo = k - 1 - (k > 1 && r->t[k - 2].k == TK_WORD && (!strcmp(r->t[k - 2].w, "leave") || !strcmp(r->t[k - 2].w, "set")));
        else
            continue;
        int eq = k + 1;
        while (eq < r->n && eq < k + 5 && r->t[eq].clause == r->t[k].clause && !rd_is_op(r, eq, "=") && !rd_is_w(r, eq, "is"))
            eq++;
        if (!(rd_is_op(r, eq, "=") || rd_is_w(r, eq, "is")) || !(rd_num_at(r, eq + 1) == 0 || rd_is_w(r, eq + 1, "zero")) ||
            eq == k + 1)
            continue;
        const char *src = rd_resolve_span(r, k + 1, eq);
        const plan_column *oc = rd_resolve_output(r, k + 1, eq);
        /* a name that is also a data column stands for the output column only when spelled exactly as it, as an
         * operand does ("Qty / RATE ... leave blank when RATE = 0" with a data column Rate) */
        if (oc && src && !(r->t[eq - 1].e - r->t[k + 1].b == strlen(oc->name) &&
                           !strncmp(r->text + r->t[k + 1].b, oc->name, strlen(oc->name))))
            oc = NULL;
        int which = 0;
        for (int i = 1; i < r->narith && !which; i++)
            if (r->arith_op[i] == PB_DIV && ((src && r->arith_src[i] && !strcmp(src, r->arith_src[i])) ||
                                             (oc && r->arith_out[i] == oc)))
                which = i + 1;
        if (!which)
            continue;
        int hi = eq + 2;
        /* "(div/0)", "(division by zero)": the reason */
        if (rd_is_op(r, hi, "(")) {
            int c = hi + 1;
            bool why = true;
            while (c < r->n && !rd_is_op(r, c, ")") && c < hi + 6) {
                why &= rd_is_w(r, c, "div") || rd_is_w(r, c, "divide") || rd_is_w(r, c, "division") || rd_is_w(r, c, "by") ||
                       rd_is_op(r, c, "/") || rd_num_at(r, c) == 0 || rd_is_w(r, c, "zero");
                c++;
            }
            if (why && rd_is_op(r, c, ")"))
                hi = c + 1;
        }
        r->null_if_zero = which;
        rd_use(r, lo, hi);
    }
}

/* A pad said right after a part of a join written in words: "left-padded with zeros to four digits", "padded
 * left with 0 to 4", "zero-padded to 4".  Sets *n and returns the index after it; j (and *n = 0) when none. */
static int inline_pad(reading *r, int j, long *n)
{
    int q = j;
    bool left = false, zero = false;
    if (rd_is_w(r, q, "leftpad") || rd_is_w(r, q, "leftpadded") || rd_is_w(r, q, "zeropad") || rd_is_w(r, q, "zeropadded")) {
        left = true;
        zero = r->t[q].w[0] == 'z';
        q++;
    } else if (rd_is_w(r, q, "pad") && rd_is_w(r, q + 1, "left")) {
        left = true;
        q += 2;
    } else {
        return j;
    }
    if (rd_is_w(r, q, "with") && (rd_is_w(r, q + 1, "zero") || rd_num_at(r, q + 1) == 0)) {
        zero = true;
        q += 2;
    }
    if (!left || !zero || !rd_is_w(r, q, "to") || rd_num_at(r, q + 1) <= 0)
        return j;
    *n = rd_num_at(r, q + 1);
    q += 2;
    if (rd_is_w(r, q, "char") || rd_is_w(r, q, "digits") || rd_is_w(r, q, "places"))
        q++;
    rd_use(r, j, q);
    return q;
}

/* "(asset 100023 with sub-number 0 becomes 100023-0000)": an example of a join, checked — the values before
 * "becomes" / "->" / "gives", one per column part in order, joined as the reading joins them, must give what
 * follows.  Read when they do; a question when they do not. */
static void join_example(reading *r, int from)
{
    for (int o = from; o < r->n; o++) {
        if (!rd_is_op(r, o, "("))
            continue;
        int c = o + 1, arrow = -1;
        while (c < r->n && !rd_is_op(r, c, ")")) {
            if (arrow < 0 && (rd_is_w(r, c, "means") || rd_is_op(r, c, "->") || rd_is_w(r, c, "gives")))
                arrow = c;
            c++;
        }
        if (c >= r->n || arrow < 0)
            continue;
        const char *vals[MAX_PARTS];
        int nv = 0;
        for (int q = o + 1; q < arrow; q++)
            if ((rd_is_k(r, q, TK_NUM) || rd_is_k(r, q, TK_STR)) && nv < MAX_PARTS)
                vals[nv++] = r->t[q].k == TK_NUM ? r->t[q].orig : r->t[q].w;
        int nsrc = 0;
        for (int i = 0; i < r->nparts; i++)
            nsrc += r->part_src[i] != NULL;
        if (nv != nsrc || !nv)
            continue;
        mf_buf got = {0};
        for (int i = 0, v = 0; i < r->nparts; i++) {
            if (!r->part_src[i]) {
                mf_buf_adds(&got, r->part_lit[i]);
                continue;
            }
            const char *x = vals[v++];
            for (long p = (long)strlen(x); p < r->part_pad[i]; p++)
                mf_buf_addc(&got, '0');
            mf_buf_adds(&got, x);
        }
        size_t b = r->t[arrow].e, e = r->t[c].b;
        while (b < e && r->text[b] == ' ')
            b++;
        while (e > b && r->text[e - 1] == ' ')
            e--;
        bool same = got.len == e - b && !memcmp(mf_buf_str(&got), r->text + b, e - b);
        if (same)
            rd_use(r, o, c + 1);
        else
            rd_problem(r, "Its example gives %.*s, but the reading gives %s.", (int)(e - b), r->text + b, mf_buf_str(&got));
        mf_buf_free(&got);
        return;
    }
}

/* Are tokens [b, e) the target's name (with filler): "The net amount" on NET_AMOUNT? */
static bool names_target(const reading *r, int b, int e)
{
    const char *col = r->c->column;
    bool named = false;
    if (!col)
        return false;
    for (int k = b; k < e; k++) {
        if (r->t[k].k != TK_WORD)
            return false;
        if (rd_is_filler(r->t[k].w))
            continue;
        if (!strcasestr(col, r->t[k].orig))
            return false;
        named = true;
    }
    return named;
}

/* "multiply A with B", "multiply A times B": the word that joins the two operands of a leading "multiply" when
 * it is not "by" — the first "with" or "times" later in the same clause (NULL when there is none).  "by" anywhere
 * in the rule keeps the "multiply A by B" reading, so "multiply A with B by 100" is not read this way. */
static int multiply_join(const reading *r, int k)
{
    if (rd_find_w(r, k + 1, "by") > 0)
        return -1;
    for (int q = k + 2; q < r->n && r->t[q].clause == r->t[k].clause; q++)
        if (rd_is_w(r, q, "with") || rd_is_w(r, q, "times"))
            return q;
    return -1;
}

/* Operands joined by + & || - * / (or plus, minus, times, multiplied by, and): fields or literals.
 * "Concatenate A and B with a space", "First Name + ' ' + Last Name", "QTY * PX", "Net = Gross - Fee". */
void rd_rec_between(reading *r)
{
    int cw = -1, cw_from = -1;
    for (int k = 0; k < r->n; k++)
        if (concat_word(r, k))
            cw = k;
    /* "build it from the journal number, a hyphen, and the line number", "made up of A and B" */
    for (int k = 0; k < r->n && cw < 0; k++) {
        if (!(rd_is_w(r, k, "build") || rd_is_w(r, k, "built") || rd_is_w(r, k, "made") || rd_is_w(r, k, "composed") ||
              rd_is_w(r, k, "consisting") || rd_is_w(r, k, "formed") || rd_is_w(r, k, "constructed")))
            continue;
        for (int q = k + 1; q < r->n && q <= k + 3 && r->t[q].clause == r->t[k].clause; q++)
            if (rd_is_w(r, q, "from") || rd_is_w(r, q, "of")) {
                bool words = true;          /* only "it", "up", "the key" between */
                for (int u = k + 1; u < q; u++)
                    words &= rd_is_w(r, u, "it") || rd_is_w(r, u, "up") || rd_is_w(r, u, "the") || rd_is_w(r, u, "key");
                if (words)
                    cw = k, cw_from = q;
                break;
            }
    }
    bool ops = false;
    for (int k = 0; k < r->n; k++) {
        int len;
        if (between_op(r, k, false, &len) && k > 0 && k + 1 < r->n)
            ops = true;
    }
    /* "multiply Qty by Px", "divide A by B", "product of A and B", "sum of A and B" */
    int lead_op = 0, lead_at = -1;
    const char *lead_join = NULL;      /* the word that joins the operands: "by", "and" */
    int lead_join_at = -1;             /* "multiply A with B": where that word is (the first operand ends there) */
    for (int k = 0; k < r->n && !lead_op && cw < 0; k++) {
        if ((rd_is_w(r, k, "multiply") || rd_is_w(r, k, "divide")) && !rd_is_w(r, k + 1, "by") && rd_find_w(r, k + 1, "by") > 0)
            lead_op = rd_is_w(r, k, "multiply") ? PB_MUL : PB_DIV, lead_at = k, lead_join = "by";
        else if (rd_is_w(r, k, "multiply") && !rd_is_w(r, k + 1, "with") && !rd_is_w(r, k + 1, "times") &&
                 (lead_join_at = multiply_join(r, k)) > 0)
            lead_op = PB_MUL, lead_at = k, lead_join = r->t[lead_join_at].w;   /* "multiply quantity with unit price", "multiply A times B" */
        else if ((rd_is_w(r, k, "product") || rd_is_w(r, k, "sum") || rd_is_w(r, k, "total")) && rd_is_w(r, k + 1, "of"))
            lead_op = rd_is_w(r, k, "product") ? PB_MUL : PB_ADD, lead_at = k, lead_join = "and";
    }
    if (lead_op)
        ops = true;
    if (cw < 0 && !ops)
        return;
    bool followed = false;                /* "A, followed by a hyphen and B": a join written in words */
    for (int k = 0; k + 1 < r->n && cw < 0; k++)
        followed |= rd_is_w(r, k, "followed") && rd_is_w(r, k + 1, "by");
    bool concat = cw >= 0 || followed;
    /* the expression starts after "X =" (the target) or the concat word */
    int b = cw >= 0 ? (cw_from > cw ? cw_from : cw) + 1 : 0, pre = -1;
    for (int k = 0, l; k < r->n && !concat && !(k > 0 && between_op(r, k - 1, false, &l)); k++)   /* before any operator */
        if (rd_is_op(r, k, "=") && k == 0 && r->n > 1 && r->t[1].clause == r->t[0].clause) {
            b = pre = 1;                  /* "= net amt x comm rate / 100" (prose: "=" and a blank) */
            break;
        } else if ((rd_is_op(r, k, "=") && k > 0) || (rd_is_w(r, k, "is") && k > 0 && names_target(r, 0, k))) {
            b = k + 1;                    /* "Net = Gross - Fee", "The net amount is the gross amount less ..." */
            pre = k + 1;
            break;
        }
    if (lead_op)
        b = lead_at + 1;
    /* "Net book value. ... recompute it as the acquisition cost less the accumulated depreciation": the
     * expression is in the clause of the first operator, after its "as" / ":" / "=" */
    if (cw < 0 && !lead_op && pre < 0) {
        int m = -1, len;
        for (int k = 1; k < r->n && m < 0; k++)
            if (between_op(r, k, false, &len) && k + 1 < r->n)
                m = k;
        if (m > 0) {
            int cs = m;
            while (cs > 0 && r->t[cs - 1].clause == r->t[m].clause)
                cs--;
            b = cs;
            for (int k = cs; k < m; k++)
                if ((rd_is_w(r, k, "as") && r->t[m].clause != r->t[0].clause) || rd_is_op(r, k, ":") || rd_is_op(r, k, "="))
                    b = k + 1;
            /* "Signed amount of the line. ... Please compute debit minus credit, ...": in a later clause, when the
             * words from there are no operand that ends at the operator, the expression starts at the operand right before it (the
             * longest run that names a field) */
            const char *sr, *lt;
            const plan_column *oc;
            int f = b;
            while (rd_is_w(r, f, "the") || rd_is_w(r, f, "a") || rd_is_w(r, f, "an"))
                f++;
            if (r->t[m].clause != r->t[0].clause && between_operand(r, f, m, &sr, &lt, &oc) != m &&
                between_operand(r, rd_skip_fill(r, f), m, &sr, &lt, &oc) != m)
                for (int st = m - 4 < b ? b : m - 4; st < m; st++)
                    if (between_operand(r, st, m, &sr, &lt, &oc) == m) {
                        b = st;
                        break;
                    }
        }
    }
    int e = rd_clause_end(r, b);
    /* the separator: "with a space", "separated by '-'", "with '-'" */
    const char *sep = NULL;
    int sep_from = -1, sep_to = -1;
    int depth = 0;                        /* not inside an example: "('Ann' with 'Lee' becomes ...)" */
    for (int k = b; k < e; k++) {
        depth += rd_is_op(r, k, "(") - rd_is_op(r, k, ")");
        if (depth > 0)
            continue;
        if (rd_is_w(r, k, "with") || rd_is_w(r, k, "separated") || rd_is_w(r, k, "separator") ||
            rd_is_w(r, k, "delimited") || rd_is_w(r, k, "using")) {
            int v = rd_skip_fill(r, k + 1);
            if (rd_is_w(r, v, "a"))
                v++;
            if (rd_is_w(r, v, "single"))
                v++;
            if (rd_is_w(r, v, "in") && rd_is_w(r, v + 1, "between"))
                v += 2;
            if ((sep = rd_delim_at(r, v)) != NULL) {
                sep_from = k;
                sep_to = v + 1;
                if (rd_is_w(r, v + 1, "between") || rd_is_w(r, v + 1, "in"))
                    sep_to = v + 3 < r->n ? v + 3 : r->n;
                e = k;
                break;
            }
        }
    }
    const char *srcs[MAX_PARTS], *lits[MAX_PARTS];
    const plan_column *outs[MAX_PARTS];
    int opers[MAX_PARTS];
    long pads[MAX_PARTS];               /* a part padded left with zeros to this length (0 = none) */
    int n = 0, k = b, opk = 0, end = b;
    /* "ABS(VALUE_LC / QTY)": a step read already, around the whole expression (its ')' must close it) */
    int open = -1;
    if (!concat && !lead_op && r->t[k].used && k + 1 < e && rd_is_op(r, k + 1, "(")) {
        open = k + 1;
        k = b = k + 2;
    }
    while (n < MAX_PARTS) {
        /* "A, a hyphen, and B": the "and" after a comma */
        if (concat && n > 0 && rd_is_w(r, k, "and") && rd_is_op(r, k - 1, ","))
            k++;
        /* "the value divided by ...": a filler word can be a column's whole name */
        /* "the client's asset number": the owner is not part of the name */
        while (rd_is_w(r, k, "the") || rd_is_w(r, k, "a") || rd_is_w(r, k, "an") || rd_is_w(r, k, "our") ||
               (rd_is_k(r, k, TK_WORD) && strlen(r->t[k].orig) > 2 &&
                !strcmp(r->t[k].orig + strlen(r->t[k].orig) - 2, "'s") && rd_is_k(r, k + 1, TK_WORD)))
            k++;
        if (!(rd_is_k(r, k, TK_WORD) && rd_is_filler(r->t[k].w) &&
              (rd_resolve_name_min(r, r->t[k].orig, 0.95) ||
               (rd_resolve_output(r, k, k + 1) && !strcmp(rd_resolve_output(r, k, k + 1)->name, r->t[k].orig)))))
            k = rd_skip_fill(r, k);
        while (rd_is_k(r, k, TK_WORD) && strlen(r->t[k].orig) > 2 && rd_is_k(r, k + 1, TK_WORD) &&
               !strcmp(r->t[k].orig + strlen(r->t[k].orig) - 2, "'s") && !rd_resolve_name_min(r, r->t[k].orig, 0.95))
            k++;                          /* "the client's asset number" */
        if (k >= e) {
            if (n) {
                rd_problem(r, "An operand is missing after '%s'.", r->t[end - 1].orig);
                return;
            }
            return;
        }
        int j;
        const char *dw = concat && rd_is_k(r, k, TK_WORD) ? rd_delim_at(r, k) : NULL;
        const char *dist[2];
        if (concat && n + 2 <= MAX_PARTS && distributive(r, k, e, dist)) {   /* "the first and last names" */
            srcs[n] = dist[0], lits[n] = NULL, outs[n] = NULL, pads[n] = 0;
            opers[n++] = opk;
            srcs[n] = dist[1], lits[n] = NULL, outs[n] = NULL, pads[n] = 0;
            opk = PB_CONCAT;
            j = k + 4;
        } else if (dw && !rd_resolve_name_min(r, r->t[k].orig, 0.95)) {   /* "a hyphen", "a space" */
            srcs[n] = NULL, outs[n] = NULL, lits[n] = dw;
            j = k + 1;
        } else {
            /* "quantity with unit price": the first operand ends at the joining word, which is no operator
             * elsewhere and could otherwise be read as part of a longer name */
            j = between_operand(r, k, n == 0 && lead_join_at > k && lead_join_at < e ? lead_join_at : e, &srcs[n], &lits[n],
                                &outs[n]);
        }
        if (j < 0) {
            if (n == 0 && !concat)
                return;       /* not an expression between fields: other words explain it */
            char buf[160];
            int q = k + 1;
            int len;
            while (q < e && !r->t[q].used && !between_op(r, q, concat, &len) && !rd_is_op(r, q, ","))
                q++;
            rd_span_text(r, k, q, buf, sizeof buf);
            rd_problem(r, "The field '%s' matches no column of the data.", buf);
            return;
        }
        pads[n] = 0;
        /* ", first name first": the order of the parts said again, not another part */
        if (concat && n > 0 && srcs[n] && !lits[n] && j < e && rd_is_w(r, j, "first")) {
            if (strcmp(srcs[n], srcs[0])) {
                rd_problem(r, "It says [%s] comes first, but it is not the first part joined.", srcs[n]);
                return;
            }
            rd_use(r, k, j + 1);
            if (rd_is_op(r, k - 1, ","))
                rd_use(r, k - 1, k);
            end = k - 1;
            opk = opers[n - 1] ? opers[n - 1] : opk;
            break;
        }
        for (int q = 0; q < n; q++)
            if (concat && srcs[n] && !lits[n] && srcs[q] && !lits[q] && !strcmp(srcs[q], srcs[n])) {
                rd_problem(r, "It joins [%s] twice.", srcs[n]);
                return;
            }
        if (followed && srcs[n] && !lits[n])               /* "the sub-number left-padded with zeros to four digits" */
            j = inline_pad(r, j, &pads[n]);
        if (srcs[n] && !lits[n] && rd_is_op(r, j, "(")) {   /* "period (2 dig. w/ leading 0, e.g. 2023-03)" */
            int close = part_pad(r, j, srcs[n], &pads[n]);
            if (close > j)
                j = close + 1;
        } else if (concat && srcs[n] && !lits[n] && (rd_is_w(r, j, "pad") || rd_is_w(r, j, "leftpad"))) {
            /* "the line number left-padded with zeros to three digits" */
            int q = j + 1;
            while (q < e && !rd_is_op(r, q, ",") && !rd_is_op(r, q, "(") && !rd_is_w(r, q, "and") && r->t[q].clause == r->t[j].clause)
                q++;
            bool u0 = r->t[j - 1].used, u1 = q < r->n && r->t[q].used;   /* pad_words reads [open, close] */
            if (only_pad_words(r, j, q) && pad_words(r, j - 1, q, srcs[n], &pads[n])) {
                r->t[j - 1].used = u0;
                if (q < r->n)
                    r->t[q].used = u1;
                rd_use(r, j, q);
                j = q;
            } else {
                /* a pad said right after this part that is not only a pad: never pad the whole instead */
                rd_problem(r, "It pads [%s] with words I could not read as a pad only.", srcs[n]);
                return;
            }
        }
        opers[n++] = opk;
        end = j;
        int len = 1;
        if (lead_op && rd_is_w(r, j, lead_join) && (n == 1 || !strcmp(lead_join, "and")))
            opk = lead_op;                /* "multiply A by B", "sum of A and B" */
        else if (j >= e || !(opk = between_op(r, j, concat, &len)))
            break;
        k = j + len;
        end = k;
    }
    if (n < 2)
        return;
    /* "(both as loaded above)", "as mapped above": the operands are the output columns that read them */
    int above = -1, above_b = -1, above_e = -1;
    for (int k = end; k < r->n && k < end + 8 && r->t[k].clause == r->t[end - 1].clause; k++)
        if (rd_is_w(r, k, "above") && k >= 1) {
            int q = k - 1;
            if (rd_is_w(r, q, "loaded") || rd_is_w(r, q, "map") || rd_is_w(r, q, "calculated") ||
                rd_is_w(r, q, "derived") || rd_is_w(r, q, "converted"))
                q--;
            if (!rd_is_w(r, q, "as") && !rd_is_w(r, q, "from"))
                break;
            above = k;
            above_b = q - (rd_is_w(r, q - 1, "both") || rd_is_w(r, q - 1, "all") ? 1 : 0);
            if (rd_is_op(r, above_b - 1, "(") && rd_is_op(r, k + 1, ")"))
                above_b--, above_e = k + 2;
            else
                above_e = k + 1;
            for (int u = end; u < above_b; u++)
                if (!r->t[u].used && !rd_is_op(r, u, ","))
                    above = -1;           /* something between the expression and the phrase */
            break;
        }
    if (open >= 0) {
        if (!rd_is_op(r, end, ")"))
            return;                       /* "ABS(A) / B": not the whole expression */
        rd_use(r, open, open + 1);
        rd_use(r, end, end + 1);
    }
    bool text_target = r->c->type.base == PT_TEXT || r->c->type.base == PT_UNKNOWN;
    bool all_concat = true;
    for (int i = 1; i < n; i++)
        if (opers[i] != PB_CONCAT && !(opers[i] == PB_ADD && text_target))
            all_concat = false;
    for (int i = 0; i < n; i++)
        if (outs[i] && (all_concat || !rd_numeric_base(outs[i]->type.base))) {
            rd_problem(r, "It uses the output column %s in a way I cannot compute (%s).", outs[i]->name,
                       all_concat ? "joining output columns as text" : "it is not a number");
            return;
        }
    if (all_concat) {
        for (int i = 0; i < n; i++)
            if (outs[i])
                return;                   /* joining output columns: not read (a question) */
        r->base = B_CONCAT;
        r->nparts = 0;
        for (int i = 0; i < n && r->nparts + 2 < MAX_PARTS; i++) {
            if (i && sep) {
                r->part_src[r->nparts] = NULL;
                r->part_lit[r->nparts++] = sep;
            }
            r->part_src[r->nparts] = lits[i] ? NULL : srcs[i];   /* a quoted part is text */
            r->part_pad[r->nparts] = lits[i] ? 0 : pads[i];
            r->part_lit[r->nparts++] = lits[i];
        }
        if (followed)
            join_example(r, end);
    } else {
        if (sep) {
            rd_problem(r, "It joins fields with a separator but also computes with them.");
            return;
        }
        for (int i = 0; i < n; i++) {
            if (opers[i] == PB_CONCAT) {
                rd_problem(r, "It mixes joining text with arithmetic.");
                return;
            }
            if (outs[i] && !rd_numeric_base(outs[i]->type.base)) {
                rd_problem(r, "It computes with %s, which is not a number column.", outs[i]->name);
                return;
            }
            if (!srcs[i] && !outs[i] && lits[i] && !(lits[i][0] >= '0' && lits[i][0] <= '9')) {
                rd_problem(r, "'%s' is not a field of the data or a number.", lits[i]);
                return;
            }
            if (pads[i]) {
                rd_problem(r, "It pads a part of a computation.");
                return;
            }
            if (srcs[i] && above >= 0 && !(outs[i] = loaded_above(r, srcs[i]))) {
                rd_problem(r, "It takes [%s] as loaded above, but no number column above reads it.", srcs[i]);
                return;
            }
            r->arith_src[i] = outs[i] ? NULL : srcs[i];
            r->arith_out[i] = outs[i];
            r->arith_num[i] = srcs[i] || outs[i] ? NULL : lits[i];
            r->arith_op[i] = opers[i];
        }
        r->base = B_ARITH;
        r->narith = n;
        if (above >= 0)
            rd_use(r, above_b, above_e);
    }
    rd_use(r, concat ? cw : lead_op ? lead_at : b, end);
    if (concat && rd_is_w(r, cw, "together") && cw > 0)
        rd_use(r, cw - 1, cw);        /* "put" of "put together" */
    if (pre > 0)
        rd_use(r, 0, pre);
    if (sep)
        rd_use(r, sep_from, sep_to);
    if (r->base == B_CONCAT)
        part_pad_clauses(r);
    if (r->base == B_ARITH) {
        null_when_divisor_zero(r);
        blank_operands_zero(r);
    }
}

