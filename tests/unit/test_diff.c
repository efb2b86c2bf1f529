/* test_diff.c — the unified line diff: equal texts give "", hunks carry exact ranges and
 * context, far-apart changes make separate hunks, a missing final newline is not a change. */
#include "check.h"
#include "util/diff.h"

#include <stdlib.h>
#include <string.h>

static void expect(const char *a, const char *b, int context, const char *want)
{
    char *d = mf_diff_unified(a, b, "v1", "v2", context);
    CHECK_STR(d, want);
    free(d);
}

static void test_cases(void)
{
    expect("a\nb\nc\n", "a\nb\nc", 3, "");
    expect("", "", 3, "");
    expect("a\nb\nc\n", "a\nB\nc\n", 3, "--- v1\n+++ v2\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    expect("a\nb\nc\n", "a\nb\nc\nd\n", 1, "--- v1\n+++ v2\n@@ -3,1 +3,2 @@\n c\n+d\n");
    expect("x\n", "", 3, "--- v1\n+++ v2\n@@ -1,1 +0,0 @@\n-x\n");
    expect("", "y\n", 3, "--- v1\n+++ v2\n@@ -0,0 +1,1 @@\n+y\n");
    /* two changes far apart: two hunks with one line of context */
    expect("1\n2\n3\n4\n5\n6\n7\n8\n", "0\n2\n3\n4\n5\n6\n7\n9\n", 1,
           "--- v1\n+++ v2\n@@ -1,2 +1,2 @@\n-1\n+0\n 2\n@@ -7,2 +7,2 @@\n 7\n-8\n+9\n");
    /* close changes merge into one hunk */
    expect("1\n2\n3\n4\n", "0\n2\n3\n5\n", 1, "--- v1\n+++ v2\n@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n-4\n+5\n");
    /* a moved line is one removal and one addition, the rest kept */
    int add, rem;
    mf_diff_count("a\nb\nc\nd\n", "b\nc\na\nd\n", &add, &rem);
    CHECK_INT(add, 1);
    CHECK_INT(rem, 1);
    mf_diff_count("a\n", "a\n", &add, &rem);
    CHECK_INT(add + rem, 0);
}

int main(void)
{
    test_cases();
    CHECK_DONE();
}
