/* dateparts.c — what is taken from a date once it is read: its year, month, day, quarter ("Q1"-"Q4"),
 * fiscal year (with a stated start month), a written form ("yyyymm", "3-letter month abbrev"), end of
 * month, plus/minus N days; and days from a date to a fixed date ("to 31 December 2023").
 *
 * The steps go to r->date_steps and apply after the date is read (build.c).  The target decides the
 * form: a year on an integer target is `its year`, on a text target `written as "YYYY"`; a part the
 * target cannot hold, or a fiscal year without its start month, is a question.
 */
#include "plan/rules/reading.h"

#include "util/date.h"

#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const MONTHS[] = {"january", "february", "march", "april", "may", "june", "july",
                                     "august", "september", "october", "november", "december"};

/* 1..12 for a month name or its 3-letter abbreviation at i, else 0. */
static int month_at(const reading *r, int i)
{
    if (!rd_is_k(r, i, TK_WORD))
        return 0;
    for (int m = 0; m < 12; m++)
        if (!strcmp(r->t[i].w, MONTHS[m]) || (strlen(r->t[i].w) == 3 && !strncmp(r->t[i].w, MONTHS[m], 3)) ||
            (!strcmp(r->t[i].w, "sept") && m == 8))
            return m + 1;
    return 0;
}

static tstep *date_step(reading *r, int at, plan_step_kind kind)
{
    if (r->ndsteps >= MAX_STEPS)
        return NULL;
    tstep *s = &r->date_steps[r->ndsteps++];
    memset(s, 0, sizeof *s);
    s->pos = r->t[at].b;
    s->st.kind = kind;
    return s;
}

/* "fiscal year ... begins 1 July" / "FY starting April": the start month, 0 when not said. */
static int fiscal_start(reading *r, int from)
{
    for (int k = from; k < r->n; k++) {
        int m = month_at(r, k);
        if (!m)
            continue;
        bool said = false;
        for (int q = k - 1; q >= 0 && q >= k - 5; q--)
            if (rd_is_w(r, q, "starts") || rd_is_w(r, q, "begin") || rd_is_w(r, q, "from") || rd_is_w(r, q, "in") ||
                rd_is_w(r, q, "at") || rd_is_w(r, q, "on"))
                said = true;
        if (!said)
            continue;
        rd_use(r, k, k + 1);
        if (rd_num_at(r, k - 1) == 1)           /* "1 July" */
            rd_use(r, k - 1, k);
        if (rd_is_k(r, k + 1, TK_NUM) && rd_num_at(r, k + 1) == 1)   /* "July 1" */
            rd_use(r, k + 1, k + 2);
        for (int q = k - 5; q < k; q++)
            if (rd_is_w(r, q, "starts") || rd_is_w(r, q, "begin") || rd_is_w(r, q, "at") || rd_is_w(r, q, "on"))
                rd_use(r, q, q + 1);
        return m;
    }
    return 0;
}

/* "Fiscal year ... the year in which it ends" agrees with the language; "in which it starts" does not. */
static bool fiscal_named_by_end(reading *r)
{
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "which") && (rd_is_w(r, k + 2, "ends") || rd_is_w(r, k + 3, "ends"))) {
            rd_use(r, k, k + 4);
            return true;
        } else if (rd_is_w(r, k, "which") && (rd_is_w(r, k + 2, "starts") || rd_is_w(r, k + 3, "starts"))) {
            rd_problem(r, "It names the fiscal year by the year in which it starts; the plan names it by the year in "
                          "which it ends.");
            return false;
        }
    return true;
}

/* Examples of the fiscal year checked, not trusted: "(so 15.08.2023 is fiscal year 2024, 15.03.2023 is
 * 2023)".  Each date written in the rule's pattern and followed by a year must give that year. */
static void fiscal_examples(reading *r, int start)
{
    const char *pat = r->date_kind == D_PATTERN ? r->date_pat : r->date_kind == D_ISO ? "YYYY-MM-DD" : NULL;
    if (!pat)
        return;
    for (int k = 0; k < r->n; k++) {
        int32_t days;
        if (!rd_is_k(r, k, TK_NUM) || !mf_date_parse(pat, r->t[k].orig, strlen(r->t[k].orig), r->pivot, &days))
            continue;
        int v = k + 1;
        while (v < r->n && v < k + 6 && (rd_is_w(r, v, "is") || rd_is_w(r, v, "fiscal") || rd_is_w(r, v, "year") ||
                                         rd_is_w(r, v, "fy") || rd_is_op(r, v, "=") || rd_is_op(r, v, "->") ||
                                         rd_is_w(r, v, "means") || rd_is_w(r, v, "in")))
            v++;
        long want = rd_num_at(r, v);
        if (want < 1000)
            continue;
        int y, m, d;
        mf_civil_from_days(days, &y, &m, &d);
        long fy = m >= start ? y + 1 : y;
        if (start == 1)
            fy = y;
        if (fy != want) {
            rd_problem(r, "Its example says %s is fiscal year %ld, but a fiscal year starting in month %d makes it %ld.",
                       r->t[k].orig, want, start, fy);
            return;
        }
        rd_use(r, k, v + 1);
        if (rd_is_w(r, k - 1, "so") || rd_is_w(r, k - 1, "eg") || rd_is_w(r, k - 1, "ie"))
            rd_use(r, k - 1, k);
    }
}

/* "Q1"-"Q4": the quarter written with a Q. */
static bool q_written(reading *r)
{
    bool q = false;
    for (int k = 0; k < r->n; k++)
        if (rd_is_k(r, k, TK_STR) && strlen(r->t[k].w) == 2 && (r->t[k].w[0] == 'Q' || r->t[k].w[0] == 'q') &&
            r->t[k].w[1] >= '1' && r->t[k].w[1] <= '4') {
            q = true;
            rd_use(r, k, k + 1);
        } else if (rd_is_k(r, k, TK_WORD) && (!strcmp(r->t[k].w, "q1") || !strcmp(r->t[k].w, "q4") ||
                                              !strcmp(r->t[k].w, "q2") || !strcmp(r->t[k].w, "q3"))) {
            q = true;
            rd_use(r, k, k + 1);
        }
    if (q)   /* "(January to March is Q1)": calendar quarters, as the step computes them */
        for (int k = 0; k < r->n; k++)
            if (month_at(r, k) && rd_is_w(r, k + 1, "to") && month_at(r, k + 2) == month_at(r, k) + 2)
                rd_use(r, k, k + 3);
    return q;
}

/* "month name (Jan, Feb, ...)": the form its examples show — "Mon" when every example is three letters, "Month"
 * when every one is a whole name, written with a capital and then small letters as the plan writes them (`JAN`,
 * `may`, mixed forms or no example: NULL, a question). */
static const char *month_examples_form(const reading *r)
{
    int abbr = 0, full = 0;
    for (int i = 0; i < r->n; i++) {
        int m = month_at(r, i);
        if (!m)
            continue;
        const char *o = r->t[i].orig;
        size_t l = strlen(o);
        bool cased = isupper((unsigned char)o[0]);
        for (size_t q = 1; q < l; q++)
            cased &= islower((unsigned char)o[q]) != 0;
        if (!cased || !strcmp(r->t[i].w, "may"))
            return NULL;
        if (l == 3)
            abbr++;
        else if (!strcmp(r->t[i].w, MONTHS[m - 1]))
            full++;
        else
            return NULL;                  /* "Sept" */
    }
    return abbr && !full ? "Mon" : full && !abbr ? "Month" : NULL;
}

/* "3-letter month abbrev (Jan, Feb ...)", "month name": the month written as text. */
static const char *month_written(reading *r, int k)
{
    for (int q = k - 4; q < k + 4 && q < r->n; q++) {
        if (q < 0)
            continue;
        if (rd_is_w(r, q, "abbreviation") || rd_is_w(r, q, "abbreviated") || rd_is_w(r, q, "short") ||
            (rd_num_at(r, q) == 3 && (rd_is_w(r, q + 1, "char") || (rd_is_op(r, q + 1, "-") && rd_is_w(r, q + 2, "char"))))) {
            for (int u = q; u <= q + 2 && u < r->n; u++)
                if (rd_is_w(r, u, "abbreviation") || rd_is_w(r, u, "abbreviated") || rd_is_w(r, u, "short") ||
                    rd_is_w(r, u, "char") || rd_is_op(r, u, "-") || rd_num_at(r, u) == 3)
                    rd_use(r, u, u + 1);
            return "Mon";
        }
        if (rd_is_w(r, q, "name") && (q == k + 1 || q == k - 1)) {
            rd_use(r, q, q + 1);
            return rd_is_w(r, q - 1, "full") || rd_is_w(r, q - 2, "full") ? "Month" : month_examples_form(r);
        }
    }
    return NULL;
}

/* The sample month names shown in parentheses: "(Jan, Feb ...)". */
static void month_examples(reading *r)
{
    for (int k = 0; k < r->n; k++)
        if (month_at(r, k) && (rd_is_op(r, k - 1, "(") || rd_is_op(r, k - 1, ",")))
            rd_use(r, k, k + 1);
    for (int k = 0; k + 2 < r->n; k++)
        if (rd_is_op(r, k, ".") && rd_is_op(r, k + 1, ".") && rd_is_op(r, k + 2, "."))
            rd_use(r, k, k + 3);
}

/* "yyyymm", "YYYY-MM", "MM/YYYY": an output form of a date without a day (plan notation in out). */
static bool year_month_form(const reading *r, int i, char *out, size_t cap)
{
    if (!rd_is_k(r, i, TK_WORD))
        return false;
    const char *w = r->t[i].orig;
    static const char *const F[] = {"yyyymm", "yyyy-mm", "yyyy_mm", "mm-yyyy", "mmyyyy", "yyyy/mm", "mm/yyyy"};
    for (size_t k = 0; k < sizeof F / sizeof *F; k++)
        if (!strcasecmp(w, F[k])) {
            size_t o = 0;
            for (const char *p = F[k]; *p && o + 1 < cap; p++)
                out[o++] = (char)(*p == 'y' ? 'Y' : *p == 'm' ? 'M' : *p);
            out[o] = 0;
            return true;
        }
    return false;
}

/* "year", "month", "day", "quarter", "fiscal year"/"FY", "yyyymm", "month abbrev", "end of month", "plus 30 days". */
void rd_rec_date_part(reading *r)
{
    plan_base tb = r->c->type.base;
    bool integer = tb == PT_INTEGER || tb == PT_BIGINT || tb == PT_DECIMAL;
    for (int k = 0; k < r->n; k++) {
        char form[16];
        const char *mform;
        if (year_month_form(r, k, form, sizeof form)) {
            if (tb != PT_TEXT) {
                rd_problem(r, "It writes the date as %s, which needs a text target.", form);
                return;
            }
            tstep *s = date_step(r, k, PS_FORMAT_DATE);
            if (s)
                s->st.s = plan_strdup(r->p, form);
            rd_use(r, k, k + 1);
            continue;
        }
        /* "end of month", "last day of the month", "month end" */
        if ((rd_is_w(r, k, "ends") && rd_is_w(r, k + 1, "of") && rd_is_w(r, k + 2 + rd_is_w(r, k + 2, "the"), "month")) ||
            (rd_is_w(r, k, "month") && rd_is_w(r, k + 1, "ends"))) {
            int e = rd_is_w(r, k, "month") ? k + 2 : k + 3 + rd_is_w(r, k + 2, "the");
            date_step(r, k, PS_END_OF_MONTH);
            rd_use(r, k, e);
            continue;
        }
        if (rd_is_w(r, k, "last") && rd_is_w(r, k + 1, "day") && rd_is_w(r, k + 2, "of")) {
            int e = k + 3 + rd_is_w(r, k + 3, "the");
            if (rd_is_w(r, e, "month")) {
                date_step(r, k, PS_END_OF_MONTH);
                rd_use(r, k, e + 1);
                continue;
            }
        }
        /* "plus 30 days", "+ 30 days", "add 30 days", "minus 7 days" */
        if ((rd_is_w(r, k, "plus") || rd_is_op(r, k, "+") || rd_is_w(r, k, "add") || rd_is_w(r, k, "minus") ||
             rd_is_op(r, k, "-") || rd_is_w(r, k, "subtract")) &&
            rd_num_at(r, k + 1) >= 0 && rd_is_w(r, k + 2, "day")) {
            long n = rd_num_at(r, k + 1);
            bool minus = rd_is_w(r, k, "minus") || rd_is_op(r, k, "-") || rd_is_w(r, k, "subtract");
            tstep *s = date_step(r, k, PS_ADD_DAYS);
            if (s)
                s->st.n = minus ? -n : n;
            rd_use(r, k, k + 3);
            continue;
        }
        bool fy = rd_is_w(r, k, "fy") || (rd_is_w(r, k, "fiscal") && rd_is_w(r, k + 1, "year"));
        if ((rd_is_w(r, k, "yyyy") || rd_is_w(r, k, "yr")) && rd_is_w(r, k + 1, "of"))   /* "yyyy of posting date", "yr of booked dt" */
            r->t[k].w = "year";
        bool part = rd_is_w(r, k, "year") || rd_is_w(r, k, "month") || rd_is_w(r, k, "quarter") ||
                    (rd_is_w(r, k, "day") && rd_is_w(r, k + 1, "of") && !rd_is_w(r, k + 2, "week"));
        if (!fy && !part)
            continue;
        if (r->ndsteps) {                       /* "fiscal year as the year in which it ends": said once */
            rd_use(r, k, k + (fy && !rd_is_w(r, k, "fy") ? 2 : 1));
            continue;
        }
        if (fy) {
            int start = fiscal_start(r, 0);
            if (!start) {
                rd_problem(r, "It asks for the fiscal year but not in which month it starts.");
                return;
            }
            if (!fiscal_named_by_end(r))
                return;
            if (!integer) {
                rd_problem(r, "It asks for a fiscal year on a target that is not a number.");
                return;
            }
            tstep *s = date_step(r, k, PS_DATE_PART);
            if (s)
                s->st.s = "fiscal year", s->st.n = start;
            fiscal_examples(r, start);
            rd_use(r, k, k + (rd_is_w(r, k, "fy") ? 1 : 2));
            continue;
        }
        const char *what = r->t[k].w;
        if (!strcmp(what, "quarter")) {
            bool q = q_written(r);
            if (q && tb != PT_TEXT) {
                rd_problem(r, "It writes the quarter as Q1-Q4 on a target that is not text.");
                return;
            }
            if (!q && !integer) {
                rd_problem(r, "It asks for the quarter on a text target without saying how to write it.");
                return;
            }
            tstep *s = date_step(r, k, PS_DATE_PART);
            if (s)
                s->st.s = "quarter";
            r->quarter_q = q;
            for (int u = k; u + 2 < r->n; u++)      /* "qtr of booked dt, 1-4" */
                if (rd_num_at(r, u) == 1 && (rd_is_w(r, u + 1, "to") || rd_is_op(r, u + 1, "-")) && rd_num_at(r, u + 2) == 4)
                    rd_use(r, u, u + 3);
        } else if (!strcmp(what, "month") && (mform = month_written(r, k)) != NULL) {
            const char *f = mform;
            if (tb != PT_TEXT) {
                rd_problem(r, "It writes the month's name on a target that is not text.");
                return;
            }
            month_examples(r);
            tstep *s = date_step(r, k, PS_FORMAT_DATE);
            if (s)
                s->st.s = f;
        } else if (integer) {
            tstep *s = date_step(r, k, PS_DATE_PART);
            if (s)
                s->st.s = !strcmp(what, "year") ? "year" : !strcmp(what, "month") ? "month" : "day";
            /* "as a number from 1 to 12", "qtr of booked dt, 1-4" */
            for (int q = k; q + 2 < r->n; q++)
                if (rd_num_at(r, q) == 1 && (rd_is_w(r, q + 1, "to") || rd_is_op(r, q + 1, "-") || rd_is_w(r, q + 1, "until")) &&
                    (rd_num_at(r, q + 2) == 12 || rd_num_at(r, q + 2) == 31 || rd_num_at(r, q + 2) == 4)) {
                    rd_use(r, q, q + 3);
                    if (rd_is_w(r, q - 1, "from"))
                        rd_use(r, q - 1, q);
                }
        } else if (tb == PT_TEXT && !strcmp(what, "year")) {
            tstep *s = date_step(r, k, PS_FORMAT_DATE);
            if (s)
                s->st.s = "YYYY";
        } else {
            rd_problem(r, "It asks for the %s of a date on a target that is not a number.", what);
            return;
        }
        rd_use(r, k, k + 1 + (rd_is_w(r, k, "day") ? 1 : 0));
        if (rd_is_w(r, k - 1, "calendar"))
            rd_use(r, k - 1, k);
    }
}
