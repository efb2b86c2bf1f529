/* diff.h — a unified diff of two texts, line by line (what changed between two plan versions).
 *
 * The edit script is a longest common subsequence of the lines (after the common head and tail
 * are set aside), so unchanged statements never show as changed.  Output is the familiar
 * unified format: "--- A", "+++ B", then hunks "@@ -l,n +l,n @@" with `context` lines of
 * context around each change, and " ", "-", "+" line prefixes.
 */
#ifndef MF_DIFF_H
#define MF_DIFF_H

/* Unified diff of a → b (malloc'd; "" when the texts have the same lines).  A missing final
 * newline does not count as a difference.  context < 0 means 3. */
char *mf_diff_unified(const char *a, const char *b, const char *label_a, const char *label_b, int context);

/* Lines added and removed by a → b. */
void mf_diff_count(const char *a, const char *b, int *added, int *removed);

#endif
