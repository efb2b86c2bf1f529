/* dates.c — date patterns ("Convert from MM/DD/YYYY", "ISO timestamp", "Excel serial date") and days
 * between two dates.  A stated pattern is checked against the sample: one the data contradicts is a question.
 */
#include "plan/rules/reading.h"

#include "util/date.h"

#include "plan/infer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- dates ---- */

const char *rules_date_pattern(plan *p, const char *s)
{
    char pat[32];
    size_t n = rd_date_pattern_at(s, pat);
    if (!n || s[n])
        return NULL;
    return plan_strdup(p, pat);
}

/* Do two plan patterns have one layout (DD/MM/YYYY and D/M/YYYY)? */
static bool same_layout(const char *a, const char *b)
{
    char x[32], y[32];
    size_t i = 0, j = 0;
    for (const char *p = a; *p && i + 1 < sizeof x; p++)
        if (!((*p == 'D' || *p == 'M') && p[1] == *p))
            x[i++] = *p;
    for (const char *p = b; *p && j + 1 < sizeof y; p++)
        if (!((*p == 'D' || *p == 'M') && p[1] == *p))
            y[j++] = *p;
    x[i] = y[j] = 0;
    return !strcmp(x, y);
}

/* "Date part of the timestamp (drop the time)", "strip the time", "date only": on a date target, the date of a
 * timestamp — `read as ISO date` (which drops a time) when every non-empty sampled value of the row's column
 * is an ISO date, optionally followed by 'T' or a space and a time.  Other layouts are left to a stated pattern. */
static bool date_part_of_iso(const reading *r)
{
    if (r->c->type.base != PT_DATE || !rd_primary(r))
        return false;
    bool said = false;
    for (int k = 0; k + 1 < r->n && !said; k++) {
        said |= rd_is_w(r, k, "date") && (rd_is_w(r, k + 1, "part") || rd_is_w(r, k + 1, "portion") || rd_is_w(r, k + 1, "only"));
        said |= (rd_is_w(r, k, "drop") || rd_is_w(r, k, "strip") || rd_is_w(r, k, "remove") || rd_is_w(r, k, "ignore") ||
                 rd_is_w(r, k, "without") || rd_is_w(r, k, "truncate")) &&
                (rd_is_w(r, k + 1, "time") || (rd_is_w(r, k + 1, "the") && rd_is_w(r, k + 2, "time")));
    }
    const prof_column *pc = said ? rd_prof_of(r, rd_primary(r)) : NULL;
    long seen = 0;
    for (long i = 0; pc && i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        if (!v || !v[0])
            continue;
        size_t l = strlen(v);
        bool ok = l >= 10 && v[4] == '-' && v[7] == '-' && (l == 10 || v[10] == 'T' || v[10] == ' ');
        for (int q = 0; ok && q < 10; q++)
            ok = q == 4 || q == 7 || (v[q] >= '0' && v[q] <= '9');
        if (!ok)
            return false;
        seen++;
    }
    return seen > 0;
}

void rd_rec_date(reading *r)
{
    int pats[4], np = 0;
    for (int k = 0; k < r->n && np < 4; k++)
        if (rd_is_k(r, k, TK_DATE))
            pats[np++] = k;
    int iso = rd_find_w(r, 0, "iso");
    /* "ISO" names a date format only near a date word or on a date target ("the ISO list" is not one) */
    if (iso >= 0 && r->c->type.base != PT_DATE && r->c->type.base != PT_TIMESTAMP) {
        bool dated = false;
        for (int q = iso - 3; q <= iso + 3; q++)
            dated |= q >= 0 && q < r->n && r->t[q].k == TK_WORD &&
                     (!strcmp(r->t[q].w, "date") || !strcmp(r->t[q].w, "timestamp") || !strcmp(r->t[q].w, "format") ||
                      !strcmp(r->t[q].w, "time") || !strcmp(r->t[q].w, "dt") || !strcmp(r->t[q].w, "8601"));
        dated |= r->ndsteps > 0 || rd_find_w(r, 0, "day") >= 0;
        if (!dated)
            iso = -1;
    }
    /* "Convert dd.mm.yyyy to ISO" on a date target: ISO is the output, which dates always are */
    if (iso >= 0 && np > 0 && r->c->type.base == PT_DATE && iso > 0 &&
        (rd_is_w(r, iso - 1, "to") || rd_is_w(r, iso - 1, "into") || rd_is_w(r, iso - 1, "as"))) {
        rd_use(r, iso, iso + 1);
        iso = -1;
    }
    int excel = rd_find_w(r, 0, "excel");
    if (excel < 0 && rd_find_w(r, 0, "serial") >= 0)
        excel = rd_find_w(r, 0, "serial");
    if (excel >= 0) {
        r->date_kind = D_EXCEL;
        rd_use(r, excel, excel + 1);
        for (int k = 0; k < r->n; k++)
            if (rd_is_w(r, k, "serial") || rd_is_w(r, k, "date") || rd_is_w(r, k, "day") || rd_is_w(r, k, "excel"))
                r->t[k].used = true;
    } else if (iso >= 0 || (np == 0 && date_part_of_iso(r))) {
        r->date_kind = D_ISO;
        if (iso >= 0)
            rd_use(r, iso, iso + 1);
        for (int k = 0; k < r->n; k++)
            if (rd_is_w(r, k, "timestamp") || rd_is_w(r, k, "date") || rd_is_w(r, k, "part") || rd_is_w(r, k, "portion") ||
                rd_is_w(r, k, "only") || rd_is_w(r, k, "time") || rd_is_w(r, k, "drop") || rd_is_w(r, k, "ignore") ||
                rd_is_w(r, k, "exclude") || rd_is_w(r, k, "strip") || rd_is_w(r, k, "tz") || rd_is_w(r, k, "timezone") ||
                rd_is_w(r, k, "offset") || rd_is_w(r, k, "zone") ||
                (rd_is_op(r, k, "+") && (rd_is_w(r, k - 1, "time") || rd_is_w(r, k + 1, "tz") || rd_is_w(r, k + 1, "timezone") ||
                                         rd_is_w(r, k + 1, "offset"))))
                r->t[k].used = true;
    }
    if (!np)
        return;
    /* "day/month/year (DD/MM/YYYY)": a pattern said twice, in words and in letters, is one pattern */
    if (np == 2 && same_layout(r->t[pats[0]].w, r->t[pats[1]].w)) {
        int words = strcasestr(r->t[pats[0]].orig, "day") || strcasestr(r->t[pats[0]].orig, "year") ? 0 : 1;
        r->t[pats[words]].used = true;
        pats[0] = pats[1 - words];
        np = 1;
    }
    /* input pattern: the one after "from", else the first one not introduced by "to"/"into" */
    int in = -1, out = -1;
    for (int q = 0; q < np; q++) {
        int k = pats[q];
        int pk = k - 1;
        while (pk >= 0 && r->t[pk].k == TK_WORD && (rd_is_w(r, pk, "the") || rd_is_w(r, pk, "format")))
            pk--;
        /* "comes as DD/MM/YYYY", "is delivered as ...": a statement about the data names the input */
        bool said_of_data = pk >= 1 && !strcmp(r->t[pk].w, "as") && r->t[pk - 1].k == TK_WORD &&
                            (!strcmp(r->t[pk - 1].w, "comes") || !strcmp(r->t[pk - 1].w, "come") ||
                             !strcmp(r->t[pk - 1].w, "arrives") || !strcmp(r->t[pk - 1].w, "provided") ||
                             !strcmp(r->t[pk - 1].w, "delivered") || !strcmp(r->t[pk - 1].w, "given") ||
                             !strcmp(r->t[pk - 1].w, "sent") || !strcmp(r->t[pk - 1].w, "received") ||
                             !strcmp(r->t[pk - 1].w, "stored"));
        if (said_of_data)
            r->t[pk].used = true;
        if (!said_of_data && pk >= 0 && r->t[pk].k == TK_WORD && (!strcmp(r->t[pk].w, "to") || !strcmp(r->t[pk].w, "into") ||
                                                  !strcmp(r->t[pk].w, "as") || !strcmp(r->t[pk].w, "output")))
            out = k;
        else if (in < 0)
            in = k;
        else
            out = k;
    }
    if (in >= 0 && r->date_kind == D_ISO && !strcmp(r->t[in].w, "YYYY-MM-DD")) {
        r->t[in].used = true;             /* "ISO format (YYYY-MM-DD)" says one thing twice */
        return;
    }
    if (in >= 0 && r->date_kind != D_NONE) {
        rd_problem(r, "It names both %s and an ISO/Excel date.", r->t[in].w);
        return;
    }
    if (out >= 0) {
        r->t[out].used = true;
        if (strcmp(r->t[out].w, "YYYY-MM-DD") && r->c->type.base == PT_DATE)
            rd_problem(r, "It asks for output format %s, but dates are always written YYYY-MM-DD; should the "
                       "target be text?", r->t[out].w);
        /* a text target: the date is written in that form ("as yyyymmdd"), never copied as it came */
        if (r->c->type.base == PT_TEXT) {
            size_t bad = 0;
            if (!mf_date_format_pattern_ok(r->t[out].w, &bad)) {
                rd_problem(r, "It asks to write the date as %s, a form I cannot write.", r->t[out].w);
            } else if (r->ndsteps < MAX_STEPS) {
                tstep *s = &r->date_steps[r->ndsteps++];
                memset(s, 0, sizeof *s);
                s->pos = r->t[out].b;
                s->st.kind = PS_FORMAT_DATE;
                s->st.s = plan_strdup(r->p, r->t[out].w);
            }
        }
    }
    if (in < 0)
        return;
    r->t[in].used = true;
    r->date_kind = D_PATTERN;
    r->date_pat = r->t[in].w;
    /* "day.month.year with 2 digit for year": a pattern in words whose year has two digits */
    if (strstr(r->date_pat, "YYYY") && strcasestr(r->t[in].orig, "year")) {
        for (int k = 0; k < r->n; k++) {
            if (rd_num_at(r, k) != 2 && !rd_is_w(r, k, "twodigit") && !rd_is_w(r, k, "2digit"))
                continue;
            int j = k + 1 + (rd_is_op(r, k + 1, "-") ? 1 : 0);
            if (!rd_is_w(r, j, "char"))
                continue;
            int y = j + 1 + (rd_is_w(r, j + 1, "for") || rd_is_w(r, j + 1, "in") ? 1 : 0);
            if (!rd_is_w(r, y, "year") && !rd_is_w(r, y, "years"))
                continue;
            char pat[32];
            const char *at = strstr(r->date_pat, "YYYY");
            snprintf(pat, sizeof pat, "%.*sYY%s", (int)(at - r->date_pat), r->date_pat, at + 4);
            r->date_pat = plan_strdup(r->p, pat);
            rd_use(r, k, y + 1);
            break;
        }
    }
    if (strstr(r->date_pat, "YY") && !strstr(r->date_pat, "YYYY")) {
        r->pivot = 1950;
        /* "All years are 20xx": every two-digit year is in 2000-2099 */
        for (int k = 0; k + 1 < r->n; k++)
            if ((rd_num_at(r, k) == 20 || rd_num_at(r, k) == 19) && rd_is_w(r, k + 1, "xx") &&
                r->t[k].e == r->t[k + 1].b) {
                r->pivot = rd_num_at(r, k) == 20 ? 2000 : 1900;
                rd_use(r, k, k + 2);
                for (int q = 0; q < r->n; q++)
                    if (r->t[q].clause == r->t[k].clause && (rd_is_w(r, q, "years") || rd_is_w(r, q, "year") ||
                                                             rd_is_w(r, q, "all")))
                        rd_use(r, q, q + 1);
            }
        int pv = rd_find_w(r, 0, "pivot");
        if (pv >= 0 && rd_num_at(r, pv + 1) >= 1000) {
            r->pivot = (int)rd_num_at(r, pv + 1);
            rd_use(r, pv, pv + 2);
        }
        /* "(2-digit year)", "two digit year" */
        for (int k = 0; k < r->n; k++)
            if ((rd_is_k(r, k, TK_NUM) && !strcmp(r->t[k].w, "2") && k + 1 < r->n) || rd_is_w(r, k, "two") ||
                rd_is_w(r, k, "twodigit") || rd_is_w(r, k, "2digit")) {
                int j = k + 1;
                if (rd_is_op(r, j, "-"))
                    j++;
                if (rd_is_w(r, j, "char") && (rd_is_w(r, j + 1, "year") || rd_is_w(r, j + 1, "years")))
                    rd_use(r, k, j + 2);
            }
    }
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "date") || rd_is_w(r, k, "from") || rd_is_w(r, k, "to") || rd_is_w(r, k, "read") ||
            rd_is_w(r, k, "parse") || rd_is_w(r, k, "parsed"))
            r->t[k].used = true;
    const char *bad, *better;
    const prof_column *pc = rd_prof_of(r, rd_primary(r));
    if (r->base == B_SOURCE && !infer_date_fits(pc, r->date_pat, &bad, &better)) {
        if (better)
            rd_problem(r, "It says %s, but the sampled value \"%s\" of [%s] does not read with it; more of the "
                       "sample reads as %s. Which format is right?", r->date_pat, bad ? bad : "", rd_primary(r), better);
        else
            rd_problem(r, "It says %s, but the sampled value \"%s\" of [%s] does not read with it. Which "
                       "format is right?", r->date_pat, bad, rd_primary(r));
    }
}

/* A fixed date written at i: "31 December 2023", "December 31, 2023", "31.12.2023", "2023-12-31", and
 * "31/12/2023" or "12/31/2023" read with the column's pattern `hint` (DD/MM/YYYY or MM/DD/YYYY; without a
 * hint only when the day is over 12).  Returns it as YYYY-MM-DD (arena) and the index after it in *end;
 * NULL when none.  Marks nothing. */
const char *rd_fixed_date_at(reading *r, int i, int *end, const char *hint)
{
    static const char *const M[] = {"january", "february", "march", "april", "may", "june", "july", "august",
                                    "september", "october", "november", "december"};
    int y = 0, m = 0, d = 0, e = i;
    for (int k = 0; k < 12 && !m; k++) {
        if (rd_num_at(r, i) > 0 && rd_is_w(r, i + 1, M[k]) && rd_num_at(r, i + 2) >= 1000) {
            d = (int)rd_num_at(r, i), m = k + 1, y = (int)rd_num_at(r, i + 2), e = i + 3;
        } else if (rd_is_w(r, i, M[k]) && rd_num_at(r, i + 1) > 0) {
            int yi = i + 2 + (rd_is_op(r, i + 2, ",") ? 1 : 0);
            if (rd_num_at(r, yi) >= 1000)
                d = (int)rd_num_at(r, i + 1), m = k + 1, y = (int)rd_num_at(r, yi), e = yi + 1;
        }
    }
    if (!m && rd_is_k(r, i, TK_NUM)) {   /* 31.12.2023 (one number token) */
        int a, b, c;
        if (sscanf(r->t[i].orig, "%d.%d.%d", &a, &b, &c) == 3 && c >= 1000)
            d = a, m = b, y = c, e = i + 1;
    }
    if (!m && rd_num_at(r, i) >= 1000 && rd_is_op(r, i + 1, "-") && rd_num_at(r, i + 2) > 0 && rd_is_op(r, i + 3, "-") &&
        rd_num_at(r, i + 4) > 0)
        y = (int)rd_num_at(r, i), m = (int)rd_num_at(r, i + 2), d = (int)rd_num_at(r, i + 4), e = i + 5;
    /* 31/12/2023: the order of day and month from the column's pattern, or from a day over 12 */
    if (!m && rd_num_at(r, i) > 0 && rd_is_op(r, i + 1, "/") && rd_num_at(r, i + 2) > 0 && rd_is_op(r, i + 3, "/") &&
        rd_num_at(r, i + 4) >= 1000 && r->t[i + 4].e - r->t[i + 4].b == 4) {
        long a = rd_num_at(r, i), b = rd_num_at(r, i + 2);
        bool dmy = hint && (!strncmp(hint, "DD/MM", 5) || !strncmp(hint, "D/M", 3));
        bool mdy = hint && (!strncmp(hint, "MM/DD", 5) || !strncmp(hint, "M/D", 3));
        if (dmy && b > 12 && a <= 12)
            dmy = false;                 /* the pattern says DD/MM but the literal cannot be: not a date */
        else if (mdy && a > 12 && b <= 12)
            mdy = false;
        else if (!dmy && !mdy)
            dmy = (a > 12 && b <= 12) || a == b, mdy = b > 12 && a <= 12;   /* 01/01/2023 reads one way */
        if (dmy)
            d = (int)a, m = (int)b;
        else if (mdy)
            m = (int)a, d = (int)b;
        if (dmy || mdy)
            y = (int)rd_num_at(r, i + 4), e = i + 5;
    }
    if (!m || !mf_date_valid(y, m, d))
        return NULL;
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    *end = e;
    return plan_strdup(r->p, buf);
}

static const char *fixed_date(reading *r, int i, int *end)
{
    const char *d = rd_fixed_date_at(r, i, end, NULL);
    if (d)
        rd_use(r, i, *end);
    return d;
}

/* Does the word w share its stem (first five letters) with a word of the column name col ("retired",
 * "Retirement Date")? */
static bool stem_of_column(const char *w, const char *col)
{
    if (strlen(w) < 5)
        return false;
    for (const char *p = col; *p;) {
        while (*p && !isalpha((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && isalpha((unsigned char)*p))
            p++;
        if (p - s >= 5 && !strncasecmp(s, w, 5))
            return true;
    }
    return false;
}

/* After "to the retirement date" at i: "or, for assets that have not been retired, to our balance sheet date of
 * 31 December 2023" — the end date when the column is blank.  The rows must be described as lacking it (a
 * negation and a word of the column's name); the fixed date sets r->days_b_default.  Returns the index after
 * what was read (i when nothing). */
static int end_date_default(reading *r, int i, const char *col)
{
    int k = i;
    if (!rd_is_w(r, k, "or"))
        return i;
    k++;
    if (rd_is_op(r, k, ","))
        k++;
    bool neg = false, named = false;
    if (rd_is_w(r, k, "for") || rd_is_w(r, k, "if") || rd_is_w(r, k, "where")) {
        while (k < r->n && !rd_is_w(r, k, "to") && r->t[k].k == TK_WORD && !r->t[k].used) {
            neg |= rd_is_w(r, k, "not") || rd_is_w(r, k, "no") || rd_is_w(r, k, "without") || rd_is_w(r, k, "never");
            named |= stem_of_column(r->t[k].orig, col);
            if (rd_is_operative_word(r->t[k].w) && !rd_is_w(r, k, "not") && !rd_is_w(r, k, "no") &&
                !rd_is_w(r, k, "without") && !rd_is_w(r, k, "never"))
                return i;
            k++;
        }
        if (rd_is_op(r, k, ","))
            k++;
        if (!neg || !named)
            return i;
    }
    if (!rd_is_w(r, k, "to"))
        return i;
    int d = k + 1, end;
    const char *lit = NULL;
    while (d < r->n && d < k + 8 && r->t[d].k == TK_WORD && !rd_is_operative_word(r->t[d].w) &&
           !(lit = rd_fixed_date_at(r, d, &end, NULL)))
        d++;
    if (!lit && !(lit = rd_fixed_date_at(r, d, &end, NULL)))
        return i;
    r->days_b_default = lit;
    return end;
}

static void days_read(reading *r, int d);
static void days_arrow(reading *r, int d);

/* "start date" / "end date" when no column has that name: the one date column of the data whose name begins
 * with a word of that role in English or German ("Beginn", "Ende", "Von", "Bis").  NULL unless exactly one fits. */
static const char *role_date_column(const reading *r, int b, int e)
{
    static const char *const START[] = {"start", "begin", "beginn", "anfang", "from", "von", "open", "debut", "inicio"};
    static const char *const END[] = {"end", "ende", "finish", "to", "bis", "close", "fin"};
    if (e - b < 1 || e - b > 2 || r->t[b].k != TK_WORD || !r->c->pr)
        return NULL;
    if (e - b == 2 && !(r->t[b + 1].k == TK_WORD && (!strcmp(r->t[b + 1].w, "date") || !strcmp(r->t[b + 1].w, "dt"))))
        return NULL;
    const char *w = r->t[b].orig;
    const char *const *role = NULL;
    size_t nrole = 0;
    for (size_t i = 0; i < 3; i++)      /* the English words name the role */
        if (!strcasecmp(w, START[i]) || (i < 1 && !strcasecmp(w, "starting")))
            role = START, nrole = sizeof START / sizeof *START;
    if (!strcasecmp(w, END[0]) || !strcasecmp(w, END[2]))
        role = END, nrole = sizeof END / sizeof *END;
    if (!role)
        return NULL;
    const char *found = NULL;
    for (int c = 0; c < r->c->pr->ncols; c++) {
        const prof_column *pc = &r->c->pr->col[c];
        if (!pc->name || (pc->kind != PK_DATE && pc->ndate_formats == 0))
            continue;
        char low[64];
        size_t n = 0;
        for (; pc->name[n] && n + 1 < sizeof low && isalpha((unsigned char)pc->name[n]); n++)
            low[n] = (char)tolower((unsigned char)pc->name[n]);
        low[n] = 0;                      /* the column name's first word */
        for (size_t i = 0; i < nrole; i++)
            if (!strcmp(low, role[i])) {
                if (found && strcmp(found, pc->name))
                    return NULL;         /* two candidates: no guess */
                found = pc->name;
            }
    }
    return found;
}

/* A date field named by tokens [b, e): the span, or the span without a trailing "dt"/"date" ("end dt" -> [End]). */
static const char *date_field(const reading *r, int b, int e)
{
    while (b < e && r->t[b].k == TK_WORD && (rd_is_filler(r->t[b].w) || !strcmp(r->t[b].w, "as")))
        b++;
    if (b >= e)
        return NULL;
    const char *f = rd_resolve_span(r, b, e);
    if (!f && e - b > 1 && r->t[e - 1].k == TK_WORD && (!strcmp(r->t[e - 1].w, "dt") || !strcmp(r->t[e - 1].w, "date")))
        f = rd_resolve_span(r, b, e - 1);
    if (!f)
        f = role_date_column(r, b, e);
    return f;
}

/* Where the operand that ends (starts) at the "minus" at m begins (ends): up to 4 words, not past
 * punctuation, "as", "(", or the clause. */
static int operand_edge(const reading *r, int m, int dir)
{
    int q = m + dir, n = 0;
    while (q >= 0 && q < r->n && n < 4 && r->t[q].clause == r->t[m].clause && r->t[q].k == TK_WORD && !r->t[q].used &&
           strcmp(r->t[q].w, "as") && strcmp(r->t[q].w, "minus") && strcmp(r->t[q].w, "is"))
        q += dir, n++;
    return q;
}

/* "(end minus start)", "computed as the entry date minus the posting date": the direction of a days reading said
 * again.  Read when both sides name the reading's two dates; it decides which is subtracted.  Sides that name
 * other fields are a problem. */
static void days_direction(reading *r)
{
    for (int m = 0; m < r->n; m++) {
        if (!rd_is_w(r, m, "minus") && !rd_is_op(r, m, "-"))
            continue;
        int lb = operand_edge(r, m, -1) + 1, re = operand_edge(r, m, +1);
        if (lb >= m || re <= m + 1)
            continue;
        const char *x = date_field(r, lb, m), *y = date_field(r, m + 1, re);
        if (!x || !y)
            continue;
        bool same = !strcmp(x, r->days_b) && !strcmp(y, r->days_a);
        bool swapped = !strcmp(x, r->days_a) && !strcmp(y, r->days_b);
        if (!same && !swapped) {
            rd_problem(r, "It counts days between [%s] and [%s] but also says [%s] minus [%s].", r->days_a, r->days_b, x, y);
            return;
        }
        r->days_a = y;                 /* x - y: days from y to x */
        r->days_b = x;
        int from = lb, to = re;
        if (rd_is_op(r, from - 1, "(") && rd_is_op(r, to, ")"))
            from--, to++;
        /* "computed as", "calculated as", "i.e." leading into it */
        for (int q = from - 1; q >= 0 && q >= from - 3 && r->t[q].clause == r->t[m].clause; q--)
            if (rd_is_w(r, q, "as") || rd_is_w(r, q, "computed") || rd_is_w(r, q, "calculated") ||
                rd_is_w(r, q, "calculate") || rd_is_w(r, q, "compute") || rd_is_w(r, q, "ie"))
                from = q;
        rd_use(r, from, to);
    }
}

/* "empty if no end dt", "blank when End is missing": a day count is null when one of its dates is. */
static void days_null_remark(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_w(r, k, "if") && !rd_is_w(r, k, "when"))
            continue;
        int c = r->t[k].clause, e = k + 1, lo = k, hi;
        while (e < r->n && r->t[e].clause == c && !rd_is_op(r, e, ",") && !rd_is_op(r, e, ")") && !rd_is_op(r, e, ".") &&
               !rd_is_w(r, e, "then") && !rd_is_op(r, e, "->"))
            e++;
        int fb = k + 1, fe = e;
        bool no = rd_is_w(r, fb, "no") || rd_is_w(r, fb, "without");
        if (no)
            fb++;
        else if (fe - 1 > fb && rd_is_w(r, fe - 1, "blank"))   /* "if End is blank" */
            fe -= 1 + rd_is_w(r, fe - 2, "is");
        else
            continue;
        const char *f = date_field(r, fb, fe);
        if (!f || (strcmp(f, r->days_a) && strcmp(f, r->days_b)))
            continue;
        /* the result said blank: before ("empty if ...") or after ("... then empty") */
        if (rd_is_w(r, k - 1, "blank") || (rd_is_w(r, k - 2, "blank") && rd_is_w(r, k - 1, "leave")))
            lo = k - 1 - rd_is_w(r, k - 1, "leave") - (rd_is_w(r, k - 2, "leave") ? 1 : 0);
        else if (rd_is_w(r, e + 1, "blank") && (rd_is_w(r, e, "then") || rd_is_op(r, e, "->") || rd_is_op(r, e, ",")))
            e += 2;
        else
            continue;
        hi = e;
        rd_use(r, lo, hi);
    }
}

void rd_rec_days(reading *r)
{
    int d = rd_find_w(r, 0, "day");
    if (d < 0)
        return;
    days_read(r, d);
    if (r->base != B_DAYS)
        return;
    days_direction(r);
    days_null_remark(r);
}

/* "# of days start -> end", "days from Start to End": the two dates, before the direction and the remarks. */
static void days_arrow(reading *r, int d)
{
    int ar = -1;
    for (int k = d + 1; k < r->n && r->t[k].clause == r->t[d].clause && ar < 0; k++)
        if (rd_is_op(r, k, "->"))
            ar = k;
    if (ar < 0)
        return;
    int b0 = d + 1 + rd_is_w(r, d + 1, "from");
    int e = ar + 1;
    while (e < r->n && r->t[e].clause == r->t[ar].clause && r->t[e].k == TK_WORD && e < ar + 5)
        e++;
    const char *a = date_field(r, b0, ar);
    int eb = e;
    const char *b = NULL;
    for (; eb > ar + 1 && !b; eb--)
        b = date_field(r, ar + 1, eb);
    if (!a || !b || !strcmp(a, b))
        return;
    r->base = B_DAYS;
    r->days_a = a;
    r->days_b = b;
    int from = d;
    while (from > 0 && r->t[from - 1].clause == r->t[d].clause &&
           (rd_is_op(r, from - 1, "#") || rd_is_w(r, from - 1, "of") || rd_is_w(r, from - 1, "number") ||
            rd_is_w(r, from - 1, "no")))
        from--;
    rd_use(r, from, eb + 1);
}

static void days_read(reading *r, int d)
{
    int btw = rd_find_w(r, 0, "between");
    const char *a = NULL, *b = NULL;
    int from = -1, to = -1;
    if (btw < 0 && (btw = rd_find_w(r, d, "from")) >= 0 && rd_find_w(r, btw, "to") < 0 && rd_find_w(r, btw, "until") < 0)
        btw = -1;
    if (btw >= 0) {
        int an = rd_find_w(r, btw, rd_is_w(r, btw, "from") ? "to" : "and");
        if (an < 0 && rd_is_w(r, btw, "from"))
            an = rd_find_w(r, btw, "until");       /* "from start date until maturity date" */
        if (an < 0)
            return;
        int e = rd_clause_end(r, an);
        if (d > an && d < e)
            e = d;
        int ea = an, eb = e;
        a = rd_resolve_span(r, btw + 1, an);
        if (!a && (a = rd_resolve_prefix(r, btw + 1, an, &ea)) != NULL && ea < an)
            a = NULL;                     /* words between the field and "and" are not explained */
        if (!a)
            a = date_field(r, btw + 1, an);
        int fe;
        const char *fixed = fixed_date(r, an + 1, &fe);
        if (a && fixed) {                 /* "from the invoice date to 31 December 2023" */
            r->days_b_lit = fixed;
            b = a;
            eb = fe;
            for (int k = 0; k + 1 < r->n; k++)   /* "at the year end": the fixed date, said in words */
                if (rd_is_w(r, k, "year") && rd_is_w(r, k + 1, "ends") && r->t[k].clause == r->t[an].clause)
                    rd_use(r, k, k + 2);
        } else {
            b = rd_resolve_prefix(r, an + 1, e, &eb);
            for (int q = e; !b && q > an + 1; q--)         /* "and end date (end minus start)" */
                if ((b = date_field(r, an + 1, q)) != NULL)
                    eb = q;
            if (b)
                eb = end_date_default(r, eb, b);
        }
        from = btw;
        to = eb;
    } else {
        int m = -1;
        for (int k = 0; k < r->n; k++)
            if (rd_is_op(r, k, "-") || rd_is_w(r, k, "minus"))
                m = k;
        days_arrow(r, d);
        if (r->base == B_DAYS)
            return;
        if (m < 0)
            return;
        int b0 = rd_skip_fill(r, 0);
        int e = d;
        if (d < m) {                      /* "Days DUE_DATE - DOC_DATE (both YYYYMMDD)" */
            b0 = rd_skip_fill(r, d + 1);
            for (e = m + 1; e < r->n && !rd_is_op(r, e, "(") && !rd_is_op(r, e, ",") && r->t[e].clause == r->t[m].clause; e++)
                ;
        }
        while (e > m + 1 && (rd_is_w(r, e - 1, "in") || rd_is_filler(r->t[e - 1].w)))
            e--;
        b = rd_resolve_span(r, b0, m);    /* later minus earlier */
        a = rd_resolve_span(r, m + 1, e);
        from = d < m ? d : 0;
        to = d < m ? e : d;
        for (int k = e; k + 1 < r->n && rd_is_op(r, e, "("); k++)   /* "(both YYYYMMDD)" */
            if (rd_is_w(r, k, "both")) {
                rd_use(r, k, k + 1);
                break;
            }
    }
    if (!a || !b) {
        rd_problem(r, "It asks for days between two dates, but I could not match both fields to the data.");
        return;
    }
    r->base = B_DAYS;
    r->days_a = a;
    r->days_b = b;
    rd_use(r, from, to);
    rd_use(r, d, d + 1);
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "number") || rd_is_w(r, k, "difference") || rd_is_w(r, k, "calendar"))
            r->t[k].used = true;
}

/* The other indicator-like source of the row ("Dr/Cr"), for "credits are negative". */

/* "Same format like Buchungstag": the value is written like another column.  The reading infers the row's own
 * format from its sample; the phrase is read when the other column's sample shows that same format, and is a
 * question when it shows another. */
void rd_rec_same_format(reading *r)
{
    for (int k = 0; k + 2 < r->n; k++) {
        if (!rd_is_w(r, k, "same"))
            continue;
        int j = k + 1;
        while (rd_is_w(r, j, "format") || rd_is_w(r, j, "like") || rd_is_w(r, j, "as") || rd_is_w(r, j, "the"))
            j++;
        int end;
        const char *other = rd_resolve_prefix(r, j, r->n, &end);
        if (!other || j == k + 1 || (rd_primary(r) && !strcmp(other, rd_primary(r))))
            continue;
        /* "in the same format as the acquisition cost": two number columns written alike */
        const prof_column *pm = rd_prof_of(r, rd_primary(r)), *po = rd_prof_of(r, other);
        if (r->date_kind == D_NONE && pm && po && (pm->kind == PK_DECIMAL || pm->kind == PK_INTEGER) &&
            (po->kind == PK_DECIMAL || po->kind == PK_INTEGER)) {
            bool same = pm->thousands == po->thousands && pm->decimal == po->decimal &&
                        ((!pm->currency && !po->currency) || (pm->currency && po->currency && !strcmp(pm->currency, po->currency)));
            if (!same) {
                rd_problem(r, "It says the same format as [%s], but the two samples write their numbers differently.",
                           other);
                return;
            }
            rd_use(r, k, end);
            return;
        }
        mf_buf why = {0};
        const char *mine = r->date_kind == D_PATTERN ? r->date_pat
                           : infer_date_pattern(rd_prof_of(r, rd_primary(r)), rd_primary(r), &why);
        const char *theirs = infer_date_pattern(rd_prof_of(r, other), other, &why);
        mf_buf_free(&why);
        if (!mine || !theirs || strcmp(mine, theirs)) {
            rd_problem(r, "It says the same format as [%s], but the samples show %s and %s.", other, mine ? mine : "no format",
                       theirs ? theirs : "no format");
            return;
        }
        rd_use(r, k, end);
        return;
    }
}
