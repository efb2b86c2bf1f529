/* text.c — text steps: pad, trim, case, prefix/suffix, first/last N, substrings, text before/after a
 * delimiter.  Steps apply in the order the rule says them.
 */
#include "plan/rules/reading.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- text steps ---- */

/* "add leading zeros", "put zeros in front", "with leading 0s": a left pad with zeros (never "strip leading
 * zeros", "without leading zeros"). */
static bool adds_leading_zeros(const reading *r, int k)
{
    bool lead = (rd_is_w(r, k, "leading") && (rd_is_w(r, k + 1, "zero") || (rd_is_k(r, k + 1, TK_NUM) && !strcmp(r->t[k + 1].w, "0")))) ||
                (rd_is_w(r, k, "zero") && rd_is_w(r, k + 1, "in") && rd_is_w(r, k + 2, "front"));
    if (!lead)
        return false;
    for (int q = k - 1; q >= 0 && q >= k - 3; q--) {
        if (rd_is_w(r, q, "remove") || rd_is_w(r, q, "strip") || rd_is_w(r, q, "delete") || rd_is_w(r, q, "without") ||
            rd_is_w(r, q, "no") || rd_is_w(r, q, "exclude") || rd_is_w(r, q, "lost") || rd_is_w(r, q, "lose"))
            return false;
        if (rd_is_w(r, q, "add") || rd_is_w(r, q, "put") || rd_is_w(r, q, "with") || rd_is_w(r, q, "fill") ||
            rd_is_w(r, q, "insert") || rd_is_w(r, q, "prefix"))
            return true;
    }
    return rd_is_w(r, k, "zero");
}

/* A length stated anywhere in the rule: "six characters long", "length of 10"; -1 when none or two differ. */
static long stated_length(reading *r)
{
    long n = -1;
    int at = -1;
    for (int k = 0; k < r->n; k++) {
        long v = rd_num_at(r, k);
        if (v <= 0)
            continue;
        bool said = (rd_is_w(r, k + 1, "char") && rd_is_w(r, k + 2, "long")) || rd_is_w(r, k - 1, "length") ||
                    (rd_is_w(r, k - 2, "length") && rd_is_w(r, k - 1, "of"));
        if (!said)
            continue;
        if (n > 0 && v != n)
            return -1;
        n = v;
        at = k;
    }
    if (at >= 0) {
        rd_use(r, at, at + 1);
        if (rd_is_w(r, at + 1, "char") && rd_is_w(r, at + 2, "long"))
            rd_use(r, at + 1, at + 3);
        if (rd_is_w(r, at - 1, "length"))
            rd_use(r, at - 1, at);
    }
    return n;
}

void rd_rec_pad(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool left = rd_is_w(r, k, "leftpad") || rd_is_w(r, k, "zeropad") || (rd_is_w(r, k, "left") && rd_is_w(r, k + 1, "pad")) ||
                    (rd_is_w(r, k, "pad") && rd_is_w(r, k + 1, "left")) || (rd_is_w(r, k, "zero") && rd_is_w(r, k + 1, "pad"));
        bool right = rd_is_w(r, k, "rightpad") || (rd_is_w(r, k, "right") && rd_is_w(r, k + 1, "pad")) ||
                     (rd_is_w(r, k, "pad") && rd_is_w(r, k + 1, "right"));
        bool plain = !left && !right && rd_is_w(r, k, "pad");
        /* "add leading zeros", "put zeros in front" */
        bool zeros = !left && !right && !plain && adds_leading_zeros(r, k);
        if (zeros) {
            left = true;
            for (int q = k - 1; q >= 0 && q >= k - 3; q--)   /* "add leading zeros", "put zeros in front" */
                if (rd_is_w(r, q, "add") || rd_is_w(r, q, "put") || rd_is_w(r, q, "insert") || rd_is_w(r, q, "fill"))
                    rd_use(r, q, q + 1);
        }
        if (!left && !right && !plain)
            continue;
        int e = rd_clause_end(r, k);
        const char *ch = rd_is_w(r, k, "zeropad") || rd_is_w(r, k, "zero") || zeros ? "0" : NULL;
        long n = -1;
        int last = k;
        for (int j = k + 1; j < e; j++) {
            if (r->t[j].used)
                continue;
            if (rd_is_w(r, j, "zero") || (rd_is_k(r, j, TK_STR) && !strcmp(r->t[j].w, "0")) ||
                (rd_is_k(r, j, TK_NUM) && !strcmp(r->t[j].w, "0") && !rd_is_w(r, j + 1, "char"))) {
                ch = "0", last = j;
            } else if (rd_is_w(r, j, "space")) {
                ch = " ", last = j;
            } else if (rd_is_k(r, j, TK_STR) && strlen(r->t[j].w) == 1) {
                ch = r->t[j].w, last = j;
            } else if (rd_is_k(r, j, TK_NUM) && rd_num_at(r, j) > 0) {
                n = rd_num_at(r, j), last = j;
            } else if (rd_is_w(r, j, "leading") || rd_is_w(r, j, "trailing") || rd_is_w(r, j, "char") ||
                       rd_is_w(r, j, "length") || rd_is_w(r, j, "width") || rd_is_w(r, j, "left") || rd_is_w(r, j, "right") ||
                       rd_is_w(r, j, "pad") || rd_is_filler(r->t[j].w) || rd_is_w(r, j, "total") || rd_is_w(r, j, "size") ||
                       rd_is_op(r, j, "->") || rd_is_w(r, j, "until") || rd_is_w(r, j, "front") || rd_is_w(r, j, "up") ||
                       rd_is_w(r, j, "long")) {
                if (rd_is_w(r, j, "leading"))
                    left = true;
                if (rd_is_w(r, j, "trailing"))
                    right = true;
                last = j;
                continue;
            } else {
                break;
            }
        }
        if (n <= 0)
            n = stated_length(r);          /* "they must always be six characters long" */
        if (n <= 0) {
            rd_problem(r, "It says to pad but not to what length.");
            return;
        }
        if (!ch)
            ch = (left || plain) && (r->c->type.base != PT_TEXT) ? "0" : " ";
        if (!ch || (!left && !right)) {
            if (plain && ch && !strcmp(ch, "0"))
                left = true;
            else if (!left && !right) {
                rd_problem(r, "It says to pad but not on which side.");
                return;
            }
        }
        tstep *s = rd_add_step(r, false, r->t[k].b, left ? PS_PAD_LEFT : PS_PAD_RIGHT);
        if (s) {
            s->st.s = plan_strdup(r->p, ch);
            s->st.n = n;
        }
        for (int j = k; j <= last; j++)
            if (!r->t[j].used && (r->t[j].k != TK_OP))
                r->t[j].used = true;
        k = last;
    }
}

/* The spaces a removal at k names in its clause: "spaces", or "blanks" after leading/trailing. */
static int space_word(const reading *r, int k)
{
    for (int q = k + 1; q < r->n && r->t[q].clause == r->t[k].clause; q++) {
        if (rd_is_w(r, q, "space"))
            return q;
        if (rd_is_w(r, q, "blank") && (rd_is_w(r, q - 1, "trailing") || rd_is_w(r, q - 1, "leading") ||
                                       rd_is_w(r, q - 1, "surrounding")))
            return q;
    }
    return -1;
}

/* The character at i that "leading"/"trailing" names: zeros ("zeros", "0s", "0"), a quoted text, or a
 * punctuation sign ('-', '*', '#'); NULL for spaces (trimming) and anything else. */
static const char *strip_char(const reading *r, int i)
{
    if (rd_is_w(r, i, "zero") || (rd_is_k(r, i, TK_NUM) && !strcmp(r->t[i].orig, "0")))
        return "0";
    if (rd_is_k(r, i, TK_STR) && r->t[i].w[0] && strcmp(r->t[i].w, " "))
        return r->t[i].w;
    if (rd_is_k(r, i, TK_OP) && strlen(r->t[i].w) == 1 && strchr("-*#_/.+", r->t[i].w[0]))
        return r->t[i].w;
    return NULL;
}

/* Zeros or a quoted text named at i (not a punctuation sign, which may end the sentence: "Trim."). */
static bool strip_named(const reading *r, int i)
{
    return strip_char(r, i) && !rd_is_k(r, i, TK_OP);
}

/* "strip leading zeros", "remove the leading 0s", "without leading zeros", "leading zeros removed", "remove
 * leading and trailing '*'": a character removed again and again at one end (`with leading "0" removed`).
 * Spaces are trimming (rd_rec_trim_case). */
void rd_rec_strip_ends(reading *r)
{
    /* "ltrim zeros", "LTRIM '0'": the left end named by the verb */
    for (int k = 0; k + 1 < r->n; k++)
        if (rd_is_w(r, k, "ltrim") && strip_named(r, k + 1)) {
            tstep *s = rd_add_step(r, false, r->t[k].b, PS_STRIP);
            if (!s)
                return;
            s->st.s = plan_strdup(r->p, strip_char(r, k + 1));
            s->st.m = 0;
            rd_use(r, k, k + 2);
        }
    for (int k = 0; k < r->n; k++) {
        bool lead = rd_is_w(r, k, "leading"), trail = rd_is_w(r, k, "trailing");
        if (!lead && !trail)
            continue;
        /* "leading and trailing zeros", "leading/trailing '*'" */
        int c = k + 1;
        bool both = false;
        if ((rd_is_w(r, c, "and") || rd_is_op(r, c, "/") || rd_is_op(r, c, "&")) &&
            (lead ? rd_is_w(r, c + 1, "trailing") : rd_is_w(r, c + 1, "leading"))) {
            both = true;
            c += 2;
        }
        const char *x = strip_char(r, c);
        if (!x)
            continue;
        /* the verb: before ("strip", "remove the", "without", "no") or after ("leading zeros removed") */
        int v = k - 1;
        while (v >= 0 && (rd_is_w(r, v, "the") || rd_is_w(r, v, "any") || rd_is_w(r, v, "all")))
            v--;
        bool before = rd_is_w(r, v, "remove") || rd_is_w(r, v, "strip") || rd_is_w(r, v, "delete") ||
                      rd_is_w(r, v, "exclude") || rd_is_w(r, v, "suppress") || rd_is_w(r, v, "trim") ||
                      rd_is_w(r, v, "ltrim") || rd_is_w(r, v, "without") || rd_is_w(r, v, "no");
        int after = c + 1;               /* "leading zeros (are / must be / to be) removed" */
        while (after < c + 4 && (rd_is_w(r, after, "are") || rd_is_w(r, after, "be") || rd_is_w(r, after, "to") ||
                                 rd_is_w(r, after, "must") || rd_is_w(r, after, "should") || rd_is_w(r, after, "is")))
            after++;
        bool behind = rd_is_w(r, after, "remove") || rd_is_w(r, after, "strip") || rd_is_w(r, after, "exclude") ||
                      rd_is_w(r, after, "stripped") || rd_is_w(r, after, "deleted") || rd_is_w(r, after, "suppressed");
        if (!before && !behind)
            continue;
        /* trailing zeros are decimal places to most analysts ("10" would become "1"): a question */
        if ((trail || both) && !strcmp(x, "0"))
            continue;
        for (int end = 0; end < (both ? 2 : 1); end++) {
            tstep *s = rd_add_step(r, false, r->t[k].b + (size_t)end, PS_STRIP);
            if (!s)
                return;
            s->st.s = plan_strdup(r->p, x);
            s->st.m = both ? end : trail ? 1 : 0;
        }
        rd_use(r, before ? v : k, behind ? after + 1 : c + 1);
        k = c;
    }
}

/* Spaces named at one end only ("remove leading spaces", "trim trailing blanks", ltrim / rtrim):
 * the plan has no one-sided trim (trimmed cuts both ends, and the strip step keeps one space of an
 * all-space value), so such a rule is left unread and asks — reading it as trimmed would cut the
 * other end too, silently. */
static bool one_sided(const reading *r, int k)
{
    if (rd_is_w(r, k, "ltrim") || rd_is_w(r, k, "rtrim"))
        return true;
    bool lead = false, trail = false, both = false;
    for (int q = 0; q < r->n; q++) {
        if (r->t[q].clause != r->t[k].clause)
            continue;
        lead |= rd_is_w(r, q, "leading") || rd_is_w(r, q, "left");
        trail |= rd_is_w(r, q, "trailing") || rd_is_w(r, q, "right");
        both |= rd_is_w(r, q, "both") || rd_is_w(r, q, "surrounding") || rd_is_w(r, q, "ends") ||
                rd_is_w(r, q, "sides") || rd_is_w(r, q, "outer");
    }
    return lead != trail && !both;
}

void rd_rec_trim_case(reading *r)
{
    for (int q = 1; q + 1 < r->n; q++)     /* "leading/trailing", "leading & trailing" */
        if ((rd_is_op(r, q, "/") || rd_is_op(r, q, "&") || rd_is_op(r, q, "-")) && r->t[q - 1].k == TK_WORD &&
            !strcmp(r->t[q - 1].w, "leading") && r->t[q + 1].k == TK_WORD && !strcmp(r->t[q + 1].w, "trailing") &&
            (rd_find_w(r, 0, "trim") >= 0 || rd_find_w(r, 0, "space") >= 0))
            r->t[q].used = true;
    for (int k = 0; k < r->n; k++) {
        if ((rd_is_w(r, k, "trim") || rd_is_w(r, k, "ltrim") || rd_is_w(r, k, "rtrim")) &&
            !(strip_named(r, k + 1) || (rd_is_w(r, k + 1, "the") && strip_named(r, k + 2)))) {
            /* "trim zeros", "rtrim '*'": not white space — left unread (a question) */
            if (one_sided(r, k))
                continue;
            rd_add_step(r, false, r->t[k].b, PS_TRIM);
            rd_use(r, k, k + 1);
            if (rd_is_w(r, k + 1, "space"))
                rd_use(r, k + 1, k + 2);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "leading") || rd_is_w(r, q, "trailing") || rd_is_w(r, q, "space") || rd_is_w(r, q, "both"))
                    r->t[q].used = true;
        } else if (rd_is_w(r, k, "without") && rd_is_w(r, k + 1, "space") && rd_is_w(r, k + 2, "at") &&
                   (rd_is_w(r, k + 3, "starts") || rd_is_w(r, k + 3, "both") || rd_is_w(r, k + 3, "ends"))) {
            /* "without spaces at begin and end" */
            rd_add_step(r, false, r->t[k].b, PS_TRIM);
            int e = k + 4;
            while (e < r->n && (rd_is_w(r, e, "and") || rd_is_w(r, e, "ends") || rd_is_w(r, e, "starts") || rd_is_w(r, e, "the")))
                e++;
            rd_use(r, k, e);
        } else if ((rd_is_w(r, k, "remove") || rd_is_w(r, k, "strip") || rd_is_w(r, k, "delete")) &&
                   space_word(r, k) >= 0) {
            /* "remove leading and trailing spaces" trims; "remove all spaces", "remove spaces" removes every one */
            if (one_sided(r, k))
                continue;
            int sp = space_word(r, k);
            bool ends = false;
            static const char *const ENDS[] = {"leading", "trailing", "surrounding", "both", "ends", "sides", "starts",
                                               "extra", "outer"};
            /* "the spaces before and after" are the ends too */
            bool before_after = false;
            for (int q = 0; q + 2 < r->n; q++)
                if (rd_is_w(r, q, "before") && rd_is_w(r, q + 1, "and") && rd_is_w(r, q + 2, "after") &&
                    r->t[q].clause == r->t[k].clause) {
                    before_after = true;
                    rd_use(r, q, q + 3);
                }
            ends |= before_after;
            for (int q = 0; q < r->n; q++)
                for (size_t u = 0; u < sizeof ENDS / sizeof *ENDS; u++)
                    if (rd_is_w(r, q, ENDS[u]) && r->t[q].clause == r->t[k].clause)
                        ends = true;
            if (rd_is_w(r, k, "strip") && rd_find_w(r, 0, "all") < 0 && rd_find_w(r, 0, "internal") < 0 &&
                rd_find_w(r, 0, "inside") < 0)
                ends = true;                        /* "strip whitespace": the ends, as strip() does */
            tstep *s = rd_add_step(r, false, r->t[k].b, ends ? PS_TRIM : PS_REPLACE);
            if (s && !ends) {
                s->st.s = " ";
                s->st.s2 = "";
            }
            rd_use(r, k, k + 1);
            rd_use(r, sp, sp + 1);
            for (int q = 0; q < r->n; q++)
                if (r->t[q].clause == r->t[k].clause &&
                    (rd_is_w(r, q, "leading") || rd_is_w(r, q, "trailing") || rd_is_w(r, q, "extra") ||
                     rd_is_w(r, q, "surrounding") || rd_is_w(r, q, "both") || rd_is_w(r, q, "ends") ||
                     rd_is_w(r, q, "sides") || rd_is_w(r, q, "or") || rd_is_w(r, q, "white") || rd_is_w(r, q, "starts") ||
                     rd_is_w(r, q, "all") || rd_is_w(r, q, "internal") || rd_is_w(r, q, "inside") || rd_is_w(r, q, "any")))
                    r->t[q].used = true;
        } else if ((rd_is_w(r, k, "collapse") || rd_is_w(r, k, "squish") || rd_is_w(r, k, "squeeze")) &&
                   rd_find_w(r, k, "space") >= 0) {
            rd_add_step(r, false, r->t[k].b, PS_SQUISH);
            int sp = rd_find_w(r, k, "space");
            rd_use(r, k, k + 1);
            rd_use(r, sp, sp + 1);
        } else if (rd_is_w(r, k, "proper") || rd_is_w(r, k, "title") || rd_is_w(r, k, "initcap") ||
                   rd_is_w(r, k, "capitalised") || rd_is_w(r, k, "capitalized")) {
            if (!(rd_is_w(r, k + 1, "case") || rd_is_w(r, k + 1, "cased") || rd_is_w(r, k, "initcap")))
                continue;
            rd_add_step(r, false, r->t[k].b, PS_TITLE);
            rd_use(r, k, k + 2 - rd_is_w(r, k, "initcap"));
            /* "(1st letter of each word cap., rest lower)": the explanation of title case */
            int e = k + 2;
            if (rd_is_op(r, e, "(")) {
                int c = e + 1;
                while (c < r->n && !rd_is_op(r, c, ")"))
                    c++;
                bool explains = true;
                for (int q = e + 1; q < c; q++)
                    explains &= r->t[q].k == TK_OP || rd_is_w(r, q, "first") || rd_is_w(r, q, "char") ||
                                rd_is_w(r, q, "of") || rd_is_w(r, q, "each") || rd_is_w(r, q, "every") ||
                                rd_is_w(r, q, "word") || rd_is_w(r, q, "upper") || rd_is_w(r, q, "cap") ||
                                rd_is_w(r, q, "rest") || rd_is_w(r, q, "lower") || rd_is_w(r, q, "the") ||
                                rd_is_w(r, q, "in") || rd_is_w(r, q, "case") || rd_is_w(r, q, "others");
                if (explains && c < r->n)
                    rd_use(r, e, c + 1);
            }
        } else if (rd_is_w(r, k, "char") && !strncasecmp(r->t[k].orig, "digit", 5) &&
                   (rd_is_w(r, k + 1, "only") || rd_is_w(r, k - 1, "only"))) {
            /* "digits only", "only the digits", "keep only digits" */
            rd_add_step(r, false, r->t[k].b, PS_DIGITS);
            rd_use(r, k, k + 1);
            rd_use(r, rd_is_w(r, k + 1, "only") ? k + 1 : k - 1, rd_is_w(r, k + 1, "only") ? k + 2 : k);
        } else if ((rd_is_w(r, k, "upper") || rd_is_w(r, k, "lower")) && rd_clause_is_statement(r, r->t[k].clause) &&
                   !rd_is_w(r, k - 1, "to") && !rd_is_w(r, k - 1, "into")) {
            continue;                            /* "some are in lower case" describes the data */
        } else if (rd_is_w(r, k, "upper")) {
            rd_add_step(r, false, r->t[k].b, PS_UPPER);
            rd_use(r, k, k + 1);
            if (rd_is_w(r, k + 1, "case") || rd_is_w(r, k + 1, "cased"))
                rd_use(r, k + 1, k + 2);
        } else if (rd_is_w(r, k, "lower")) {
            rd_add_step(r, false, r->t[k].b, PS_LOWER);
            rd_use(r, k, k + 1);
            if (rd_is_w(r, k + 1, "case") || rd_is_w(r, k + 1, "cased"))
                rd_use(r, k + 1, k + 2);
        }
    }
}

/* Is token k a word that takes something away ("drops the 'CUST-' prefix", "remove prefix")? */
static bool removal_word(const reading *r, int k)
{
    static const char *const W[] = {"exclude", "drops", "remove", "removes", "removing", "strip", "strips",
                                    "delete", "deletes", "cut", "cuts", "without", "minus", "less", "lose"};
    if (k < 0 || k >= r->n || r->t[k].k != TK_WORD)
        return false;
    for (size_t i = 0; i < sizeof W / sizeof *W; i++)
        if (!strcmp(r->t[k].w, W[i]))
            return true;
    return false;
}

/* "drops the 'CUST-' prefix", "remove prefix 'X'": where the verb stands (or -1). */
static int affix_removed(const reading *r, int k, int *val)
{
    int v = -1, b = k - 1;
    if (rd_is_k(r, k + 1, TK_STR))                    /* prefix 'X' */
        v = k + 1;
    else if (rd_is_k(r, k - 1, TK_STR))               /* 'X' prefix */
        v = b = k - 1, b--;
    if (v < 0)
        return -1;
    while (b >= 0 && r->t[b].k == TK_WORD && rd_is_filler(r->t[b].w) && !removal_word(r, b))
        b--;
    if (!removal_word(r, b) || r->t[b].clause != r->t[k].clause)
        return -1;
    *val = v;
    return b;
}

/* "last 6 chars of Cust No (drops the 'CUST-' prefix)": a note that says what a first/last-N step does to the
 * data.  Read when that is the only text step and, on every sampled value, it gives the value without the
 * prefix (suffix); otherwise the words stay unread (a prefix dropped on its own is not a plan step). */
void rd_rec_affix_remark(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        int v, verb;
        if (!(rd_is_w(r, k, "prefix") || rd_is_w(r, k, "suffix")) || (verb = affix_removed(r, k, &v)) < 0)
            continue;
        bool prefix = rd_is_w(r, k, "prefix");
        if (r->ntext != 1 || r->nnum || r->base != B_SOURCE || !rd_primary(r) ||
            r->text_steps[0].st.kind != (prefix ? PS_LAST : PS_FIRST))
            continue;
        const prof_column *pc = rd_prof_of(r, rd_primary(r));
        const char *x = r->t[v].w;
        size_t xl = strlen(x), n = (size_t)r->text_steps[0].st.n, seen = 0;
        bool same = pc && pc->nsample > 0 && xl > 0;
        for (long i = 0; same && i < pc->nsample; i++) {
            const char *s = pc->sample[i];
            if (!s)
                continue;
            size_t l = strlen(s);
            for (size_t q = 0; q < l; q++)
                same &= (unsigned char)s[q] < 0x80;     /* characters = bytes */
            bool has = l >= xl && !strncmp(prefix ? s : s + l - xl, x, xl);
            seen += has;
            size_t want = has ? l - xl : l;            /* the value without the affix */
            same &= (l < n ? l : n) == want;
        }
        if (!same || !seen) {
            rd_problem(r, "It says the step drops the %s '%s', but on the data sample the %s %zu characters are not "
                       "the value without it.", prefix ? "prefix" : "suffix", x, prefix ? "last" : "first", n);
            continue;
        }
        int lo = verb < v ? verb : v, hi = k > v ? k : v;
        rd_use(r, lo, hi + 1);
    }
}

/* "Remove the 'CUST-' prefix", "strip prefix 'CUST-'", "drop the '-OLD' suffix": the literal taken away once, at
 * its end, when the value has it; other values unchanged.  Read after rd_rec_affix_remark (a remark on a
 * first/last-N step is not a step of its own).  The sample must show the affix, spelled as written, on at
 * least half of its non-empty values: otherwise (or only in another letter case) the rule is a question. */
void rd_rec_drop_affix(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        int v, verb;
        if (!(rd_is_w(r, k, "prefix") || rd_is_w(r, k, "suffix")) || r->t[k].used || (verb = affix_removed(r, k, &v)) < 0 ||
            r->t[v].used || r->t[verb].used || !r->t[v].w[0])
            continue;
        bool prefix = rd_is_w(r, k, "prefix");
        const char *x = r->t[v].w;
        const prof_column *pc = rd_primary(r) ? rd_prof_of(r, rd_primary(r)) : NULL;
        size_t xl = strlen(x), seen = 0, other_case = 0, filled = 0;
        for (long i = 0; pc && r->base == B_SOURCE && i < pc->nsample; i++) {
            const char *s = pc->sample[i];
            size_t l = s ? strlen(s) : 0;
            filled += l > 0;
            if (l < xl)
                continue;
            const char *at = prefix ? s : s + l - xl;
            seen += !strncmp(at, x, xl);
            other_case += strncmp(at, x, xl) && !strncasecmp(at, x, xl);
        }
        if (!seen || 2 * seen < filled) {   /* an affix most values lack is likely not the one meant */
            rd_problem(r, "It drops the %s '%s', but %s with it%s.", prefix ? "prefix" : "suffix", x,
                       seen ? (prefix ? "fewer than half of the sampled values start" : "fewer than half of the sampled values end")
                            : (prefix ? "no sampled value starts" : "no sampled value ends"),
                       other_case ? " in that letter case" : "");
            continue;
        }
        tstep *s = rd_add_step(r, false, r->t[verb].b, prefix ? PS_AFTER : PS_BEFORE);
        if (!s)
            return;
        s->st.s = plan_strdup(r->p, x);
        s->st.m = prefix ? 0 : 1;
        s->drop = prefix ? AFFIX_PREFIX : AFFIX_SUFFIX;
        int lo = verb < v ? verb : v, hi = k > v ? k : v;
        rd_use(r, lo, hi + 1);
        /* "where present", "(if any)", "if it exists": what the step does anyway */
        int q = hi + 1, paren = rd_is_op(r, q, "(");
        q += paren;
        if (rd_is_w(r, q, "if") || rd_is_w(r, q, "where") || rd_is_w(r, q, "when")) {
            int w = q + 1 + (rd_is_w(r, q + 1, "it") || rd_is_w(r, q + 1, "there") ? 1 : 0);
            w += rd_is_w(r, w, "is") || rd_is_w(r, w, "are");
            if (rd_is_w(r, w, "present") || rd_is_w(r, w, "any") || rd_is_w(r, w, "exists") || rd_is_w(r, w, "found")) {
                if (!paren || rd_is_op(r, w + 1, ")"))
                    rd_use(r, q - paren, w + 1 + paren);
            }
        }
    }
}

void rd_rec_prefix_suffix(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        int kind = -1, v = -1, last = k, dummy;
        if ((rd_is_w(r, k, "prefix") || rd_is_w(r, k, "suffix")) && affix_removed(r, k, &dummy) >= 0)
            continue;                                /* a prefix taken away, never added (rd_rec_affix_remark) */
        if (rd_is_w(r, k, "prefix") || rd_is_w(r, k, "suffix")) {
            kind = rd_is_w(r, k, "prefix") ? PS_PREFIX : PS_SUFFIX;
            v = rd_skip_fill(r, k + 1);
            /* "prefix every entity code with 'MH-'": the object, then the value */
            if (!rd_value_at(r, v, NULL) || !rd_is_k(r, v, TK_STR)) {
                int w = k + 1;
                while (w < r->n && w < k + 6 && r->t[w].clause == r->t[k].clause && rd_is_k(r, w, TK_WORD) &&
                       !rd_is_w(r, w, "with") && !rd_is_operative_word(r->t[w].w))
                    w++;
                if (rd_is_w(r, w, "with") && rd_is_k(r, w + 1, TK_STR)) {
                    rd_use(r, k + 1, w + 1);
                    v = w + 1;
                }
            }
            if (!rd_value_at(r, v, NULL)) {   /* "add 'X' as a prefix" */
                int b = k - 1;
                while (b >= 0 && r->t[b].k == TK_WORD && rd_is_filler(r->t[b].w))
                    b--;
                v = b;
            }
            last = v > k ? v : k;
        } else if (rd_is_w(r, k, "add") || rd_is_w(r, k, "attach") || rd_is_w(r, k, "put")) {
            v = rd_skip_fill(r, k + 1);
            if (!rd_value_at(r, v, NULL) || rd_is_w(r, v, "leading"))
                continue;
            int j = rd_skip_fill(r, v + 1);
            if (rd_is_w(r, j, "ends") || rd_is_w(r, j, "suffix") || rd_is_w(r, j, "after"))
                kind = PS_SUFFIX;
            else if (rd_is_w(r, j, "starts") || rd_is_w(r, j, "front") || rd_is_w(r, j, "prefix") ||
                     rd_is_w(r, j, "beginning") || rd_is_w(r, j, "before"))
                kind = PS_PREFIX;
            else
                continue;
            last = j;
        }
        if (kind < 0 || v < 0 || !rd_value_at(r, v, NULL))
            continue;
        /* the text to add is quoted, a number, or written as a code ("append _US"), never a plain word ("the regional
         * suffix" names none) */
        if (rd_is_k(r, v, TK_WORD) && !strpbrk(r->t[v].orig, "_-0123456789") &&
            !(isupper((unsigned char)r->t[v].orig[0]) && isupper((unsigned char)r->t[v].orig[strlen(r->t[v].orig) - 1])))
            continue;
        tstep *s = rd_add_step(r, false, r->t[k].b, (plan_step_kind)kind);
        if (s)
            s->st.s = plan_strdup(r->p, rd_value_at(r, v, NULL));
        int lo = v < k ? v : k;
        rd_use(r, lo, last + 1);
        /* "pfx 'EMP' + emp no": the prefix is joined to the row's own value */
        if (kind == PS_PREFIX && (rd_is_op(r, last + 1, "+") || rd_is_op(r, last + 1, "&"))) {
            int j;
            const char *own = rd_resolve_prefix(r, last + 2, r->n, &j);
            if (own && rd_primary(r) && !strcmp(own, rd_primary(r)))
                rd_use(r, last + 1, j);
        }
        k = last;
    }
}

void rd_rec_substr(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        long a, b;
        /* first/last N characters, left(x, N), right(x, N), leftmost N */
        if (rd_is_w(r, k, "first") || rd_is_w(r, k, "last") || rd_is_w(r, k, "left") || rd_is_w(r, k, "right")) {
            bool first = rd_is_w(r, k, "first") || rd_is_w(r, k, "left");
            int j = k + 1, e;
            if (rd_is_op(r, j, "(")) {   /* left(Field, 4) */
                for (e = j; e < r->n && !rd_is_op(r, e, ")"); e++)
                    ;
                if (e >= r->n || (a = rd_num_at(r, e - 1)) <= 0 || !rd_is_op(r, e - 2, ","))
                    continue;
                /* left(Field, 4): what is inside must name the row's value, nothing else */
                const char *inner = rd_resolve_span(r, j + 1, e - 2);
                if (!inner || !rd_primary(r) || strcmp(inner, rd_primary(r)))
                    continue;
                rd_use(r, k, e + 1);
            } else {
                j = rd_skip_fill(r, j);
                if ((a = rd_num_at(r, j)) <= 0)
                    continue;
                e = j + 1;
                if (!rd_is_w(r, e, "char") && !rd_is_w(r, k, "first") && !rd_is_w(r, k, "last"))
                    continue;
                if (!rd_is_w(r, e, "char") && (rd_is_w(r, e, "row") || rd_is_w(r, e, "day")))
                    continue;
                rd_use(r, k, e + (rd_is_w(r, e, "char") ? 1 : 0));
            }
            tstep *s = rd_add_step(r, false, r->t[k].b, first ? PS_FIRST : PS_LAST);
            if (s)
                s->st.n = a;
            for (int q = 0; q < r->n; q++)   /* "take only the first 2 letters": the restriction is this step */
                if (rd_is_w(r, q, "only") && r->t[q].clause == r->t[k].clause)
                    r->t[q].used = true;
            for (int q = 0; q + 1 < r->n; q++)   /* "the rest cut off", "the rest is dropped" */
                if (rd_is_w(r, q, "rest") && r->t[q].clause == r->t[k].clause)
                    for (int u = q; u < r->n && u <= q + 3 && r->t[u].clause == r->t[k].clause; u++)
                        if (rd_is_w(r, u, "rest") || rd_is_w(r, u, "remove") || rd_is_w(r, u, "off") ||
                            rd_is_w(r, u, "exclude") || rd_is_w(r, u, "truncate") || rd_is_w(r, u, "truncated"))
                            rd_use(r, u, u + 1);
            continue;
        }
        /* characters 2-5, positions 2 to 5 */
        if (rd_is_w(r, k, "char") && (a = rd_num_at(r, k + 1)) > 0 &&
            (rd_is_op(r, k + 2, "-") || rd_is_w(r, k + 2, "to") || rd_is_w(r, k + 2, "through") || rd_is_w(r, k + 2, "thru")) &&
            (b = rd_num_at(r, k + 3)) >= a) {
            tstep *s = rd_add_step(r, false, r->t[k].b, PS_SUBSTR);
            if (s)
                s->st.n = a, s->st.m = b;
            rd_use(r, k, k + 4);
            if (rd_is_w(r, k - 1, "from"))
                rd_use(r, k - 1, k);
            continue;
        }
        /* substring(2,4), substr(x, 2, 4), mid(x, 2, 4): start and LENGTH */
        if (rd_is_w(r, k, "substr") && rd_is_op(r, k + 1, "(")) {
            int e;
            for (e = k + 2; e < r->n && !rd_is_op(r, e, ")"); e++)
                ;
            if (e >= r->n || e - 3 < k + 2)
                continue;
            a = rd_num_at(r, e - 3);
            b = rd_num_at(r, e - 1);
            if (a <= 0 || b <= 0 || !rd_is_op(r, e - 2, ","))
                continue;
            tstep *s = rd_add_step(r, false, r->t[k].b, PS_SUBSTR);
            if (s)
                s->st.n = a, s->st.m = a + b - 1;
            rd_use(r, k, e + 1);
            continue;
        }
        /* "substring from 2 for 4", "N characters starting at position P" */
        if (rd_is_w(r, k, "substr") && rd_is_w(r, k + 1, "from") && (a = rd_num_at(r, k + 2)) > 0 &&
            (rd_is_w(r, k + 3, "for") || rd_is_w(r, k + 3, "length")) && (b = rd_num_at(r, k + 4)) > 0) {
            tstep *s = rd_add_step(r, false, r->t[k].b, PS_SUBSTR);
            if (s)
                s->st.n = a, s->st.m = a + b - 1;
            rd_use(r, k, k + 5);
            continue;
        }
        /* "From the position 3, take 4 characters" */
        if (rd_is_w(r, k, "char") && !strncasecmp(r->t[k].orig, "pos", 3) && (a = rd_num_at(r, k + 1)) > 0) {
            int j = k + 2;
            while (rd_is_op(r, j, ",") || rd_is_w(r, j, "take") || rd_is_w(r, j, "then") || rd_is_w(r, j, "get"))
                j++;
            if ((b = rd_num_at(r, j)) > 0 && rd_is_w(r, j + 1, "char")) {
                tstep *s = rd_add_step(r, false, r->t[k].b, PS_SUBSTR);
                if (s)
                    s->st.n = a, s->st.m = a + b - 1;
                rd_use(r, rd_is_w(r, k - 1, "from") ? k - 1 : k, j + 2);
                continue;
            }
        }
        if ((b = rd_num_at(r, k)) > 0 && rd_is_w(r, k + 1, "char") && rd_is_w(r, k + 2, "starts")) {
            int j = rd_skip_fill(r, k + 3);
            if (rd_is_w(r, j, "char"))
                j++;
            if ((a = rd_num_at(r, j)) > 0) {
                tstep *s = rd_add_step(r, false, r->t[k].b, PS_SUBSTR);
                if (s)
                    s->st.n = a, s->st.m = a + b - 1;
                rd_use(r, k, j + 1);
            }
        }
    }
}

/* "(the part before is only the type)": a remark on the part a before/after step drops. */
static void other_part_remark(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_op(r, k, "("))
            continue;
        int c = k + 1;
        bool part = false, plain = true;
        for (; c < r->n && !rd_is_op(r, c, ")"); c++) {
            part |= r->t[c].k == TK_WORD && (!strcmp(r->t[c].w, "part") || !strcmp(r->t[c].w, "rest"));
            plain &= r->t[c].k == TK_WORD && (!rd_is_operative_word(r->t[c].w) || !strcmp(r->t[c].w, "before") ||
                                             !strcmp(r->t[c].w, "after") || !strcmp(r->t[c].w, "only"));
        }
        if (part && plain && c < r->n)
            rd_use(r, k, c + 1);
    }
}

/* "If no comma take all" (text before: the whole text when absent), "(drop 'CTR-')" (text after: the part
 * dropped ends with the delimiter): remarks that agree with the step. */
static void absent_delimiter_remark(reading *r, const char *d, bool before)
{
    for (int k = 0; k + 2 < r->n; k++) {
        if (before && rd_is_w(r, k, "if") && rd_is_w(r, k + 1, "no") && rd_delim_at(r, k + 2) &&
            !strcmp(rd_delim_at(r, k + 2), d)) {
            int e = k + 3;
            while (e < r->n && r->t[e].clause == r->t[k].clause &&
                   (rd_is_w(r, e, "take") || rd_is_w(r, e, "all") || rd_is_w(r, e, "everything") || rd_is_w(r, e, "whole") ||
                    rd_is_w(r, e, "keep") || rd_is_w(r, e, "asis") || rd_is_w(r, e, "it") || rd_is_w(r, e, "then")))
                e++;
            if (e > k + 3)
                rd_use(r, k, e);
        }
        /* "(there is no hyphen at all); please leave the field empty for those": text after is empty then */
        if (!before && rd_is_w(r, k, "no") && rd_delim_at(r, k + 1) && !strcmp(rd_delim_at(r, k + 1), d)) {
            rd_use(r, k, k + 2);
            for (int q = k + 2; q + 1 < r->n; q++)
                if (rd_is_w(r, q, "leave") && r->t[q].clause <= r->t[k].clause + 1) {
                    int e = q + 1;
                    while (e < r->n && e < q + 5 && !rd_is_w(r, e, "blank"))
                        e++;
                    if (rd_is_w(r, e, "blank")) {
                        rd_use(r, q, e + 1);
                        if (rd_is_w(r, e + 1, "for") && (rd_is_w(r, e + 2, "those") || rd_is_w(r, e + 2, "them")))
                            rd_use(r, e + 1, e + 3);
                    }
                    break;
                }
        }
        if (!before && rd_is_op(r, k, "(") && rd_is_w(r, k + 1, "exclude") && rd_is_k(r, k + 2, TK_STR) &&
            rd_is_op(r, k + 3, ")")) {
            size_t n = strlen(r->t[k + 2].w), dn = strlen(d);
            if (n >= dn && !strcmp(r->t[k + 2].w + n - dn, d))
                rd_use(r, k, k + 4);
        }
    }
}

/* "the text between '(' and ')'", "extract the part between '[' and ']'", "chars between the first '/' and the next
 * '/'": text after the first delimiter, then text before the second (null when the value has no opening
 * delimiter; up to the end when it has no closing one).  Both delimiters quoted or named (not numbers: "between 1
 * and 10" is a range); "between" opens the rule or follows a word naming a piece of text.  Read only when at
 * least half of the non-empty sampled values hold the opening delimiter. */
void rd_rec_between_delims(reading *r)
{
    static const char *const PIECE[] = {"text", "part", "characters", "chars", "char", "string", "everything",
                                        "value", "portion", "substring", "substr", "content", "contents", "whatever",
                                        "what", "piece", "extract", "take", "get", "keep", "section", "bit"};
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_w(r, k, "between") || r->t[k].used)
            continue;
        int b = k;
        bool piece = k == 0 || (k == 1 && rd_is_w(r, 0, "the"));
        for (size_t i = 0; k > 0 && i < sizeof PIECE / sizeof *PIECE && !piece; i++)
            if (rd_is_w(r, k - 1, PIECE[i]))
                piece = true;
        if (!piece)
            continue;
        while (b > 0 && !r->t[b - 1].used && r->t[b - 1].clause == r->t[k].clause &&
               (rd_is_w(r, b - 1, "the") || rd_is_w(r, b - 1, "is") || rd_is_w(r, b - 1, "s") ||
                rd_is_w(r, b - 1, "extract") || rd_is_w(r, b - 1, "take") || rd_is_w(r, b - 1, "get") ||
                rd_is_w(r, b - 1, "keep") || rd_is_w(r, b - 1, "return") || rd_is_w(r, b - 1, "only") ||
                (b == k && rd_is_k(r, b - 1, TK_WORD))))
            b--;
        int j = k + 1;
        if (rd_is_w(r, j, "the"))
            j++;
        if (rd_is_w(r, j, "first") || rd_is_w(r, j, "opening"))
            j++;
        /* "between the square brackets '[' and ']'": the delimiters described before they are given */
        if (rd_is_w(r, j, "square") || rd_is_w(r, j, "round") || rd_is_w(r, j, "curly") || rd_is_w(r, j, "angle"))
            j++;
        if ((rd_is_w(r, j, "paren") || rd_is_w(r, j, "braces") || rd_is_w(r, j, "delimiters")) && rd_is_k(r, j + 1, TK_STR))
            j++;
        const char *d1 = rd_is_k(r, j, TK_NUM) ? NULL : rd_delim_at(r, j);
        if (!d1 || !d1[0] || r->t[j].used)
            continue;
        int a = j + 1;
        if (rd_is_w(r, a, "char") || rd_is_w(r, a, "sign") || rd_is_w(r, a, "symbol") || rd_is_w(r, a, "paren"))
            a++;
        if (!rd_is_w(r, a, "and"))
            continue;
        int q = a + 1;
        if (rd_is_w(r, q, "the"))
            q++;
        if (rd_is_w(r, q, "next") || rd_is_w(r, q, "closing") || rd_is_w(r, q, "following"))
            q++;
        const char *d2 = rd_is_k(r, q, TK_NUM) ? NULL : rd_delim_at(r, q);
        if (!d2 || !d2[0] || r->t[q].used)
            continue;
        int e = q + 1;
        if (rd_is_w(r, e, "char") || rd_is_w(r, e, "sign") || rd_is_w(r, e, "symbol") || rd_is_w(r, e, "paren"))
            e++;
        const prof_column *pc = rd_primary(r) ? rd_prof_of(r, rd_primary(r)) : NULL;
        size_t filled = 0, has = 0;
        for (long i = 0; pc && i < pc->nsample; i++)
            if (pc->sample[i] && pc->sample[i][0])
                filled++, has += strstr(pc->sample[i], d1) != NULL;
        if (!has || 2 * has < filled) {
            rd_problem(r, "It takes the text between '%s' and '%s', but %s sampled values hold '%s'.", d1, d2,
                       has ? "fewer than half of the" : "no", d1);
            continue;
        }
        tstep *s1 = rd_add_step(r, false, r->t[k].b, PS_AFTER);
        tstep *s2 = s1 ? rd_add_step(r, false, r->t[k].b + 1, PS_BEFORE) : NULL;
        if (!s2)
            return;
        s1->st.s = plan_strdup(r->p, d1);
        s2->st.s = plan_strdup(r->p, d2);
        rd_use(r, b, e);
    }
}

/* "split at the last '-' and take the right part", "split on '/' and keep the first part", "split by the first
 * ':' - left side": a split said with the part it keeps.  At a stated occurrence (first / last) there are two parts:
 * left / first → text before it, right / last / second → text after it.  At a delimiter alone the parts are its
 * segments: left / first part → text before "-" (the first segment), right / last part → text after last "-"
 * (the last segment); a second or middle part is not one step (left unread: a question). */
void rd_rec_split(reading *r)
{
    static const char *const PART[] = {"part", "piece", "side", "half", "portion", "segment", "bit", "element", "token"};
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_w(r, k, "split") || r->t[k].used)
            continue;
        int j = k + 1;
        while (rd_is_w(r, j, "it") || rd_is_w(r, j, "the") || rd_is_w(r, j, "value") || rd_is_w(r, j, "field") ||
               rd_is_w(r, j, "text"))
            j++;
        if (rd_is_w(r, j, "at") || rd_is_w(r, j, "on") || rd_is_w(r, j, "by") || rd_is_w(r, j, "using"))
            j++;
        if (rd_is_w(r, j, "the"))
            j++;
        int occ = 0;                       /* 0 the delimiter alone, 1 its first occurrence, 2 its last */
        if (rd_is_w(r, j, "first") || rd_is_w(r, j, "last"))
            occ = rd_is_w(r, j, "first") ? 1 : 2, j++;
        const char *d = rd_delim_at(r, j);
        if (!d || !d[0] || r->t[j].used)
            continue;
        int e = j + 1;
        if (rd_is_w(r, e, "char") || rd_is_w(r, e, "separator") || rd_is_w(r, e, "sign") || rd_is_w(r, e, "symbol") ||
            rd_is_w(r, e, "delimiter"))
            e++;
        /* the part kept: a position word before a part noun, within the next few words */
        int sel = -1, noun = -1;
        for (int q = e; q < r->n && q < e + 8 && sel < 0; q++) {
            if (r->t[q].used)
                break;
            if (!(rd_is_w(r, q, "right") || rd_is_w(r, q, "left") || rd_is_w(r, q, "first") || rd_is_w(r, q, "last") ||
                  rd_is_w(r, q, "second") || rd_is_w(r, q, "2nd")))
                continue;
            int n = q + 1 + (rd_is_w(r, q + 1, "hand") ? 1 : 0);
            for (size_t i = 0; i < sizeof PART / sizeof *PART; i++)
                if (rd_is_w(r, n, PART[i]))
                    sel = q, noun = n;
            if (sel < 0)
                break;
        }
        if (sel < 0)
            continue;
        bool left = rd_is_w(r, sel, "left") || rd_is_w(r, sel, "first");
        bool second = rd_is_w(r, sel, "second") || rd_is_w(r, sel, "2nd");
        if (second && !occ)
            continue;                      /* the second of several segments: not one step */
        bool last_occ = occ ? occ == 2 : !left;
        /* the right part of a value without the delimiter: the whole value (its only segment) or nothing?
         * text after gives null; read only when every sampled value has the delimiter */
        const prof_column *pc = !left && rd_primary(r) ? rd_prof_of(r, rd_primary(r)) : NULL;
        bool lacking = false;
        for (long i = 0; pc && i < pc->nsample; i++)
            lacking |= pc->sample[i] && pc->sample[i][0] && !strstr(pc->sample[i], d);
        if (lacking) {
            rd_problem(r, "It splits at '%s' and keeps the part after it, but some sampled values have no '%s': "
                       "should they be empty or kept whole?", d, d);
            continue;
        }
        tstep *st = rd_add_step(r, false, r->t[k].b, left ? PS_BEFORE : PS_AFTER);
        if (!st)
            return;
        st->st.s = plan_strdup(r->p, d);
        st->st.m = last_occ;
        rd_use(r, k, e);
        /* the words between the delimiter and the part: "and take the", ", keep the", "-" */
        for (int q = e; q < sel; q++)
            if (rd_is_w(r, q, "and") || rd_is_w(r, q, "then") || rd_is_w(r, q, "take") || rd_is_w(r, q, "keep") ||
                rd_is_w(r, q, "use") || rd_is_w(r, q, "the") || rd_is_w(r, q, "only") || rd_is_op(r, q, ",") ||
                rd_is_op(r, q, "-") || rd_is_op(r, q, ":"))
                rd_use(r, q, q + 1);
        rd_use(r, sel, noun + 1);
    }
}

void rd_rec_before_after(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool before = rd_is_w(r, k, "before") || (rd_is_w(r, k, "up") && rd_is_w(r, k + 1, "to"));
        bool after = rd_is_w(r, k, "after");
        if (!before && !after)
            continue;
        int j = k + (rd_is_w(r, k, "up") ? 2 : 1);
        j = rd_skip_fill(r, j);
        bool last = rd_is_w(r, j, "last");
        int lastw = j;
        if (rd_is_w(r, j, "first") || last)
            j = rd_skip_fill(r, j + 1);
        const char *d = rd_delim_at(r, j);
        if (!d)
            continue;
        if (last)
            rd_use(r, lastw, lastw + 1);
        int e = j + 1;
        if (rd_is_w(r, e, "char") || rd_is_w(r, e, "separator") || rd_is_w(r, e, "sign") || rd_is_w(r, e, "symbol"))
            e++;
        tstep *s = rd_add_step(r, false, r->t[k].b, before ? PS_BEFORE : PS_AFTER);
        if (s) {
            s->st.s = plan_strdup(r->p, d);
            s->st.m = last;
        }
        rd_use(r, k, e);
        for (int q = 0; q < r->n; q++)   /* "we only need the user name part": the restriction is this step */
            if (rd_is_w(r, q, "only") && r->t[q].clause == r->t[k].clause)
                r->t[q].used = true;
        other_part_remark(r);
        absent_delimiter_remark(r, d, before);
        for (int q = 0; q < r->n; q++)
            if (rd_is_w(r, q, "everything") || rd_is_w(r, q, "part") || rd_is_w(r, q, "portion") ||
                rd_is_w(r, q, "anything") || rd_is_w(r, q, "characters") || rd_is_w(r, q, "char") || rd_is_w(r, q, "split") ||
                rd_is_w(r, q, "occurrence") || rd_is_w(r, q, "first") || rd_is_w(r, q, "string") || rd_is_w(r, q, "substr"))
                r->t[q].used = true;
    }
}


/* "remove the % sign", "strip '#'", "without the '*' character", "delete all '-'": every occurrence of
 * one named literal is removed (`with "%" removed`).  The literal is quoted or a punctuation token;
 * separators, spaces and currency symbols that the number readers already took are left to them. */
void rd_rec_remove_chars(reading *r)
{
    /* "Replace '/' with '-'", "replace all ',' by '.'", "substitute '-' with ''": each occurrence replaced */
    for (int k = 0; k + 3 < r->n; k++) {
        if (!(rd_is_w(r, k, "replace") || rd_is_w(r, k, "substitute")))
            continue;
        int v = k + 1;
        while (rd_is_w(r, v, "the") || rd_is_w(r, v, "any") || rd_is_w(r, v, "all") || rd_is_w(r, v, "every"))
            v++;
        int w = v + 1 + (rd_is_w(r, v + 1, "char") || rd_is_w(r, v + 1, "sign") ? 1 : 0);
        if (!rd_is_k(r, v, TK_STR) || !r->t[v].w[0] || !(rd_is_w(r, w, "with") || rd_is_w(r, w, "by")))
            continue;
        const char *to = NULL;
        if (rd_is_k(r, w + 1, TK_STR))
            to = r->t[w + 1].w;
        else if (rd_is_w(r, w + 1, "nothing") || rd_is_w(r, w + 1, "blank"))
            to = "";
        if (!to)
            continue;
        tstep *st = rd_add_step(r, false, r->t[k].b, PS_REPLACE);
        if (!st)
            return;
        st->st.s = plan_strdup(r->p, r->t[v].w);
        st->st.s2 = plan_strdup(r->p, to);
        rd_use(r, k, w + 2);
    }
    for (int k = 0; k < r->n; k++) {
        if (r->t[k].used || !(rd_is_w(r, k, "remove") || rd_is_w(r, k, "strip") || rd_is_w(r, k, "delete") ||
                              rd_is_w(r, k, "without") || rd_is_w(r, k, "eliminate")))
            continue;
        int v = k + 1;
        while (rd_is_w(r, v, "the") || rd_is_w(r, v, "any") || rd_is_w(r, v, "all") || rd_is_w(r, v, "every"))
            v++;
        if (v >= r->n || r->t[v].used)
            continue;
        const char *lit = NULL;
        if (r->t[v].k == TK_STR && r->t[v].w[0])
            lit = r->t[v].w;
        else if (r->t[v].k == TK_OP && strlen(r->t[v].w) == 1 && !strchr("(),;:.&+=<>", r->t[v].w[0]))
            lit = r->t[v].orig;
        if (!lit)
            continue;
        int e = v + 1;
        if (rd_is_w(r, e, "sign") || rd_is_w(r, e, "symbol") || rd_is_w(r, e, "char") || rd_is_w(r, e, "mark"))
            e++;
        if (rd_is_w(r, e, "thousands") || rd_is_w(r, e, "separator") || rd_is_w(r, e, "decimal"))
            continue;                                   /* number formats: numbers.c */
        if (rd_is_w(r, e, "prefix") || rd_is_w(r, e, "suffix"))
            continue;                                   /* "remove the 'CUST-' prefix": once, at that end */
        tstep *s = rd_add_step(r, false, r->t[k].b, PS_REPLACE);
        if (!s)
            return;
        s->st.s = plan_strdup(r->p, lit);
        s->st.s2 = "";
        rd_use(r, k, e);
    }
}
