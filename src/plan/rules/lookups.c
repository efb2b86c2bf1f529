/* lookups.c — "look up X on the Brokers tab, default 'UNK'": a tab of the mapping workbook as a plan lookup
 * (plan/tabs.c) and its fallback.  A tab the workbook does not have is a question, never a guess.
 */
#include "plan/rules/reading.h"

#include "plan/tabs.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* "take the plant code itself", "keep the code", "the original value": the looked-up value stays. */
static bool keeps_code(const reading *r, int v)
{
    for (int q = v; q < r->n && q < v + 6 && r->t[q].clause == r->t[v].clause; q++)
        if (rd_is_w(r, q, "itself") || (rd_is_w(r, q, "original") && rd_is_w(r, q + 1, "value")))
            return true;
    return false;
}

/* Letters-and-digits equality, any case: "rate %" describes the heading "Rate %". */
static bool same_words(const char *a, const char *b)
{
    for (;;) {
        while (*a && !isalnum((unsigned char)*a))
            a++;
        while (*b && !isalnum((unsigned char)*b))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
            return false;
    }
}

/* "(col A = region, col B = rate %)": the tab's columns described by letter.  A description is read when
 * the letter is the key or the value column and the tab's heading there says the same words; one that
 * contradicts the tab (another heading, a third column) is a problem, never a silent choice. */
static bool tab_columns_described(reading *r, int from, const mf_sheet *sh, int key, int val)
{
    for (int k = from; k + 3 < r->n; k++) {
        /* "(col B)" alone may already be read as the value column: look at the words as written */
        if (r->t[k].k != TK_WORD || (strcmp(r->t[k].w, "col") && strcmp(r->t[k].w, "column")) || r->t[k + 1].k != TK_WORD ||
            strlen(r->t[k + 1].orig) != 1 || !isalpha((unsigned char)r->t[k + 1].orig[0]) ||
            !(rd_is_op(r, k + 2, "=") || rd_is_op(r, k + 2, ":")))
            continue;
        int e = k + 3;
        while (e < r->n && r->t[e].clause == r->t[k].clause && !rd_is_op(r, e, ",") && !rd_is_op(r, e, ")") &&
               !rd_is_op(r, e, ";") && !rd_is_w(r, e, "col") && !rd_is_w(r, e, "column"))
            e++;
        if (e == k + 3)
            continue;
        int c = toupper((unsigned char)r->t[k + 1].orig[0]) - 'A';
        char said[160];
        rd_span_text(r, k + 3, e, said, sizeof said);
        const char *h = c < sh->ncols ? MF_SHEET_CELL(sh, 0, c) : NULL;
        if ((c != key && c != val) || !h || !same_words(h, said)) {
            rd_problem(r, "It describes column %c of tab '%s' as '%s', but %s.", 'A' + c, sh->name, said,
                       !h ? "the tab has no such column"
                       : c != key && c != val ? "I read the key and the value from other columns"
                                              : "the tab's heading there says something else");
            return false;
        }
        rd_use(r, k, e);
    }
    return true;
}

void rd_rec_lookup(reading *r)
{
    int i = rd_find_w(r, 0, "lookup");
    if (i < 0 && (i = rd_find_w(r, 0, "look")) >= 0 && !rd_is_w(r, i + 1, "up"))
        i = -1;
    if (i < 0 && (i = rd_find_w(r, 0, "map")) >= 0 && rd_find_w(r, i, "tab") < 0)   /* "map via the Brokers tab" */
        i = -1;
    if (i < 0)
        return;
    /* the tab: "on tab 'Brokers'", "'Currency Map' sheet", "on the Brokers tab", "on tab Brokers",
     * or a quoted name right after the lookup word ("lookup in 'Brokers'").  A quoted value after
     * default/otherwise/if not found is the fallback, never the tab. */
    int tabw = rd_find_w(r, i, "tab");
    const char *tabname = NULL;
    int tb = -1, te = -1;
    if (tabw > i) {
        int v = tabw + 1;
        while (rd_is_op(r, v, ":") || rd_is_op(r, v, "=") || rd_is_w(r, v, "named") || rd_is_w(r, v, "called"))
            v++;
        if (rd_is_k(r, v, TK_STR)) {                                 /* tab 'Brokers' */
            tabname = r->t[v].w;
            tb = tabw + 1;
            te = v + 1;
        } else if (rd_is_k(r, tabw - 1, TK_STR)) {                   /* 'Currency Map' sheet */
            tabname = r->t[tabw - 1].w;
            tb = tabw - 1;
            te = tabw;
        } else {
            int b0 = tabw;                                        /* the Brokers tab */
            while (b0 > i + 1 && rd_is_k(r, b0 - 1, TK_WORD) && !rd_is_filler(r->t[b0 - 1].w) && !rd_is_w(r, b0 - 1, "lookup"))
                b0--;
            if (b0 < tabw) {
                tabname = mf_arena_strndup(&r->p->arena, r->text + r->t[b0].b, r->t[tabw - 1].e - r->t[b0].b);
                tb = b0;
                te = tabw;
            } else if (r->c->m) {                                 /* tab Brokers, tab Broker Codes */
                for (int e2 = v + 4; e2 > v && !tabname; e2--) {
                    bool words = true;
                    for (int q = v; q < e2; q++)
                        words &= rd_is_k(r, q, TK_WORD) && !rd_is_filler(r->t[q].w);
                    if (!words)
                        continue;
                    char *nm = mf_arena_strndup(&r->p->arena, r->text + r->t[v].b, r->t[e2 - 1].e - r->t[v].b);
                    if (mapping_find_sheet(r->c->m, nm)) {
                        tabname = nm;
                        tb = tabw + 1;
                        te = e2;
                    }
                }
            }
        }
    } else {
        int v = rd_skip_fill(r, i + (rd_is_w(r, i, "look") ? 2 : 1));
        if (rd_is_k(r, v, TK_STR)) {                                 /* lookup in 'Brokers' */
            tabname = r->t[v].w;
            tb = v;
            te = v + 1;
        }
    }
    if (!tabname) {
        rd_problem(r, "It says to look something up but names no tab.");
        return;
    }
    const mf_sheet *sh = r->c->m ? mapping_find_sheet(r->c->m, tabname) : NULL;
    if (!sh || sh->nrows < 1 || sh->ncols < 2) {
        rd_problem(r, "It looks up in tab '%s', which the mapping workbook does not have (or has no key and value columns).",
                tabname);
        return;
    }
    /* which columns: key = the one named like the source, else the first; value = one named in
     * the rule, else the next one */
    int key = 0, val = -1;
    for (int c = 0; c < sh->ncols; c++) {
        const char *h = MF_SHEET_CELL(sh, 0, c);
        for (int s = 0; s < r->c->nsrc; s++)
            if (r->c->src[s].written && !strcasecmp(h, r->c->src[s].written))
                key = c;
    }
    /* "(key = country)": the key column named */
    for (int k = i + 1; k + 2 < r->n; k++)
        if (rd_is_w(r, k, "key") && (rd_is_op(r, k + 1, "=") || rd_is_op(r, k + 1, ":")) && rd_is_k(r, k + 2, TK_WORD))
            for (int c = 0; c < sh->ncols; c++)
                if (!strcasecmp(MF_SHEET_CELL(sh, 0, c), r->t[k + 2].orig)) {
                    key = c;
                    rd_use(r, k, k + 3);
                }
    for (int c = 0; c < sh->ncols && val < 0; c++) {
        if (c == key)
            continue;
        const char *h = MF_SHEET_CELL(sh, 0, c);
        for (int k = i + 1; k < r->n; k++)
            if (r->t[k].k == TK_WORD && !rd_is_filler(r->t[k].w) && !r->t[k].used && !strcasecmp(h, r->t[k].orig)) {
                val = c;
                r->t[k].used = true;
                if (rd_is_op(r, k - 1, "->"))           /* "-> region" */
                    rd_use(r, k - 1, k);
            }
    }
    /* "(col B)", "column 2": the value column by letter or number */
    for (int k = i + 1; k + 1 < r->n && val < 0; k++) {
        if (!rd_is_w(r, k, "col") && !rd_is_w(r, k, "column"))
            continue;
        int c = -1;
        if (rd_is_k(r, k + 1, TK_WORD) && strlen(r->t[k + 1].orig) == 1 && isalpha((unsigned char)r->t[k + 1].orig[0]))
            c = toupper((unsigned char)r->t[k + 1].orig[0]) - 'A';
        else if (rd_num_at(r, k + 1) > 0)
            c = (int)rd_num_at(r, k + 1) - 1;
        if (c <= 0 || c >= sh->ncols || c == key)
            continue;
        val = c;
        rd_use(r, k, k + 2);
    }
    if (val < 0)
        val = key + 1 < sh->ncols ? key + 1 : 0;
    if (!tab_columns_described(r, i, sh, key, val))
        return;
    const char *lname = tabs_lookup(r->p, sh, key, val, r->c->row, r->text);
    tstep *s = rd_add_step(r, false, r->t[i].b, PS_LOOKUP);
    if (!s)
        return;
    s->st.s = lname;
    s->st.map.otherwise = PO_REJECT;
    rd_use(r, i, i + 2);
    rd_use(r, tb, te);
    if (tabw >= 0)
        rd_use(r, tabw, tabw + 1);
    /* fallback: "default 'UNK'", "otherwise UNKNOWN", "else 'UNK'", "if not found 'UNK'",
     * "if not found use 'UNK'", "default blank", "otherwise reject" */
    bool blank_too = false;
    for (int k = i; k < r->n; k++) {
        int kw = -1, v = -1;
        if (rd_is_w(r, k, "default") || rd_is_w(r, k, "otherwise") || rd_is_w(r, k, "fallback")) {
            kw = rd_is_w(r, k - 1, "if") ? k - 1 : k;
            v = k + 1;
        } else if ((rd_is_w(r, k, "not") || rd_is_w(r, k, "dont") || rd_is_w(r, k, "doesnt")) &&
                   (rd_is_w(r, k + 1, "found") || rd_is_w(r, k + 1, "matched") || rd_is_w(r, k + 1, "listed") ||
                    rd_is_w(r, k + 1, "appear") || rd_is_w(r, k + 1, "exist") || rd_is_w(r, k + 1, "find") ||
                    rd_is_w(r, k + 1, "match") || rd_is_w(r, k + 1, "present"))) {
            kw = rd_is_w(r, k - 1, "if") || rd_is_w(r, k - 1, "no") ? k - 1 : k;
            for (int q = kw - 1; q >= 0 && q >= kw - 3; q--)   /* "If you don't find it" */
                if (rd_is_w(r, q, "if")) {
                    kw = q;
                    break;
                }
            v = k + 2;
            /* "not found / blank -> use 3.0", "not found or empty: 3.0": a blank key gets the fallback too */
            if ((rd_is_op(r, v, "/") || rd_is_w(r, v, "or")) && rd_is_w(r, v + 1, "blank") &&
                (rd_is_op(r, v + 2, "->") || rd_is_op(r, v + 2, ":") || rd_is_op(r, v + 2, "=") ||
                 rd_is_op(r, v + 2, ",") || rd_is_w(r, v + 2, "then") || rd_is_w(r, v + 2, "use"))) {
                blank_too = true;
                v += 2;
            }
            /* "does not appear on that tab should be reported as 'Unmapped'": the value later in the clause */
            int q = v;
            while (q < r->n && r->t[q].clause == r->t[k].clause && !rd_is_k(r, q, TK_STR) && !rd_is_k(r, q, TK_NUM) &&
                   !rd_is_w(r, q, "blank") && !rd_is_w(r, q, "reject") && !rd_is_w(r, q, "keep") && !rd_is_w(r, q, "itself") &&
                   !rd_is_op(r, q, "->") && !rd_is_op(r, q, ",") && (r->t[q].k != TK_WORD || !rd_is_operative_word(r->t[q].w)))
                q++;
            if (q < r->n && r->t[q].clause == r->t[k].clause) {
                for (int u = v; u < q; u++)
                    r->t[u].used = true;
                v = q;
            }
        } else if (rd_is_w(r, k, "no") && rd_is_w(r, k + 1, "match")) {
            kw = rd_is_w(r, k - 1, "if") ? k - 1 : k;
            v = k + 2;
        }
        if (kw < 0)
            continue;
        while (rd_is_op(r, v, ",") || rd_is_op(r, v, ":") || rd_is_op(r, v, "=") || rd_is_op(r, v, "->") || rd_is_w(r, v, "then") ||
               rd_is_w(r, v, "use") || rd_is_w(r, v, "return") || rd_is_w(r, v, "value") || rd_is_w(r, v, "to") ||
               rd_is_w(r, v, "with") || rd_is_w(r, v, "as") || rd_is_w(r, v, "set") || rd_is_w(r, v, "the") || rd_is_w(r, v, "a"))
            v++;
        if (rd_is_w(r, v, "blank")) {
            s->st.map.otherwise = PO_NULL;
        } else if (rd_is_w(r, v, "reject") || rd_is_w(r, v, "error") || rd_is_w(r, v, "fail")) {
            s->st.map.otherwise = PO_REJECT;
        } else if (rd_is_w(r, v, "asis") || rd_is_w(r, v, "keep") || rd_is_w(r, v, "unchanged")) {
            s->st.map.otherwise = PO_KEEP;
        } else if (keeps_code(r, v)) {          /* "take the plant code itself" */
            s->st.map.otherwise = PO_KEEP;
            while (v + 1 < r->n && !rd_is_w(r, v, "itself") && r->t[v + 1].clause == r->t[kw].clause)
                r->t[v++].used = true;
        } else if (rd_value_at(r, v, NULL) && !(rd_is_k(r, v, TK_WORD) && rd_is_filler(r->t[v].w))) {
            s->st.map.otherwise = PO_VALUE;
            s->st.map.other = plan_text_lit(r->p, rd_value_at(r, v, NULL));
            if (blank_too) {           /* a blank key is no key: the lookup gives null, the default the value */
                bool num = false;
                const char *dv = rd_value_at(r, v, &num);
                if (rd_numeric_base(r->c->type.base) && !num) {
                    rd_problem(r, "Its fallback '%s' is not a number but the target is numeric.", dv);
                    return;
                }
                r->deflt = rd_numeric_base(r->c->type.base) ? plan_number_lit(r->p, dv) : plan_text_lit(r->p, dv);
            }
        } else if (blank_too) {
            rd_problem(r, "It gives a fallback for blank codes that I could not read as one value.");
            return;
        } else {
            rd_problem(r, "It gives a fallback for codes not found but I could not read which value.");
            return;
        }
        rd_use(r, kw, v + 1);
    }
    /* words describing the looked-up thing ("broker name") are part of the instruction */
    int desc_end = tabw > i && tabw < tb ? tabw : tb;
    for (int k = i + 2; k < desc_end; k++)
        if (rd_is_k(r, k, TK_WORD))
            r->t[k].used = true;
}

/* "days between Trade Date and Settle Date", "Settle Dt - Trade Dt in days". */
