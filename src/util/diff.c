/* diff.c — unified line diff (see diff.h).
 *
 * Lines are compared as byte strings.  The common head and tail are matched first; the middle
 * gets a classic LCS table (O(n·m) integers), which is ample for plans of a few hundred lines.
 * Beyond MAX_CELLS the middle is shown as removed-then-added rather than spending the memory.
 * The edit script is a list of ops (keep / remove / add), each naming its line in a or b; hunks
 * are runs of changes with `context` kept lines around them, merged when they touch.
 */
#include "util/diff.h"

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS (16u * 1024u * 1024u)

typedef struct line {
    const char *s;
    size_t n;
} line;

typedef struct lines {
    line *v;
    int n;
} lines;

typedef enum { OP_KEEP, OP_DEL, OP_ADD } op_kind;

typedef struct op {
    op_kind k;
    int a, b;   /* line index in a (KEEP, DEL) and in b (KEEP, ADD) */
} op;

static lines split(const char *t)
{
    lines L = {NULL, 0};
    int cap = 0;
    if (!t)
        return L;
    while (*t) {
        const char *nl = strchr(t, '\n');
        size_t n = nl ? (size_t)(nl - t) : strlen(t);
        if (L.n == cap) {
            cap = cap ? cap * 2 : 64;
            L.v = mf_xrealloc(L.v, (size_t)cap * sizeof *L.v);
        }
        L.v[L.n++] = (line){t, n};
        t += n + (nl ? 1 : 0);
    }
    return L;
}

static bool same(const line *x, const line *y)
{
    return x->n == y->n && !memcmp(x->s, y->s, x->n);
}

typedef struct script {
    op *v;
    int n, cap;
} script;

static void push(script *s, op_kind k, int a, int b)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = mf_xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (op){k, a, b};
}

/* The middle a[a0,a1) vs b[b0,b1) by LCS; removals before additions within a change. */
static void middle(const lines *A, const lines *B, int a0, int a1, int b0, int b1, script *s)
{
    size_t n = (size_t)(a1 - a0), m = (size_t)(b1 - b0);
    if (n == 0 || m == 0 || (n + 1) * (m + 1) > MAX_CELLS) {
        for (int i = a0; i < a1; i++)
            push(s, OP_DEL, i, b0);
        for (int j = b0; j < b1; j++)
            push(s, OP_ADD, a1, j);
        return;
    }
    uint32_t *L = mf_xcalloc((n + 1) * (m + 1), sizeof *L);   /* L[i][j] = LCS of the suffixes */
#define AT(i, j) L[(size_t)(i) * (m + 1) + (size_t)(j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            AT(i, j) = same(&A->v[a0 + (int)i], &B->v[b0 + (int)j]) ? AT(i + 1, j + 1) + 1
                       : AT(i + 1, j) >= AT(i, j + 1)                ? AT(i + 1, j)
                                                                      : AT(i, j + 1);
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && same(&A->v[a0 + (int)i], &B->v[b0 + (int)j])) {
            push(s, OP_KEEP, a0 + (int)i, b0 + (int)j);
            i++, j++;
        } else if (i < n && (j == m || AT(i + 1, j) >= AT(i, j + 1))) {
            push(s, OP_DEL, a0 + (int)i, b0 + (int)j);
            i++;
        } else {
            push(s, OP_ADD, a0 + (int)i, b0 + (int)j);
            j++;
        }
    }
#undef AT
    free(L);
}

static script edit_script(const lines *A, const lines *B)
{
    script s = {NULL, 0, 0};
    int head = 0;
    while (head < A->n && head < B->n && same(&A->v[head], &B->v[head]))
        head++;
    int tail = 0;
    while (tail < A->n - head && tail < B->n - head && same(&A->v[A->n - 1 - tail], &B->v[B->n - 1 - tail]))
        tail++;
    for (int i = 0; i < head; i++)
        push(&s, OP_KEEP, i, i);
    middle(A, B, head, A->n - tail, head, B->n - tail, &s);
    for (int k = tail; k > 0; k--)
        push(&s, OP_KEEP, A->n - k, B->n - k);
    return s;
}

static void put_line(mf_buf *out, char prefix, const line *l)
{
    mf_buf_addc(out, prefix);
    mf_buf_add(out, l->s, l->n);
    mf_buf_addc(out, '\n');
}

/* One hunk: ops [from, to). */
static void hunk(mf_buf *out, const script *s, int from, int to, const lines *A, const lines *B)
{
    int a_start = -1, b_start = -1, na = 0, nb = 0;
    for (int k = from; k < to; k++) {
        const op *o = &s->v[k];
        if (o->k != OP_ADD) {
            if (a_start < 0)
                a_start = o->a;
            na++;
        }
        if (o->k != OP_DEL) {
            if (b_start < 0)
                b_start = o->b;
            nb++;
        }
    }
    /* an empty side is written as the line before it, as diff -u does */
    if (a_start < 0)
        a_start = s->v[from].a;
    if (b_start < 0)
        b_start = s->v[from].b;
    mf_buf_printf(out, "@@ -%d,%d +%d,%d @@\n", na ? a_start + 1 : a_start, na, nb ? b_start + 1 : b_start, nb);
    for (int k = from; k < to; k++) {
        const op *o = &s->v[k];
        if (o->k == OP_KEEP)
            put_line(out, ' ', &A->v[o->a]);
        else if (o->k == OP_DEL)
            put_line(out, '-', &A->v[o->a]);
        else
            put_line(out, '+', &B->v[o->b]);
    }
}

char *mf_diff_unified(const char *a, const char *b, const char *label_a, const char *label_b, int context)
{
    if (context < 0)
        context = 3;
    lines A = split(a), B = split(b);
    script s = edit_script(&A, &B);
    mf_buf out = {0};
    int k = 0;
    bool any = false;
    while (k < s.n) {
        while (k < s.n && s.v[k].k == OP_KEEP)
            k++;
        if (k == s.n)
            break;
        int from = k - context < 0 ? 0 : k - context;
        /* extend over changes separated by at most 2*context kept lines */
        int end = k;
        for (;;) {
            while (end < s.n && s.v[end].k != OP_KEEP)
                end++;
            int run = 0;
            while (end + run < s.n && s.v[end + run].k == OP_KEEP)
                run++;
            if (end + run < s.n && run <= 2 * context) {
                end += run;
                continue;
            }
            end += run < context ? run : context;
            break;
        }
        if (!any) {
            mf_buf_printf(&out, "--- %s\n+++ %s\n", label_a ? label_a : "a", label_b ? label_b : "b");
            any = true;
        }
        hunk(&out, &s, from, end, &A, &B);
        k = end;
    }
    free(s.v);
    free(A.v);
    free(B.v);
    if (!any) {
        mf_buf_free(&out);
        return mf_xstrdup("");
    }
    char *r = mf_xstrdup(mf_buf_str(&out));
    mf_buf_free(&out);
    return r;
}

void mf_diff_count(const char *a, const char *b, int *added, int *removed)
{
    lines A = split(a), B = split(b);
    script s = edit_script(&A, &B);
    *added = *removed = 0;
    for (int k = 0; k < s.n; k++) {
        if (s.v[k].k == OP_ADD)
            ++*added;
        else if (s.v[k].k == OP_DEL)
            ++*removed;
    }
    free(s.v);
    free(A.v);
    free(B.v);
}
