/* rulebook_learn.h — private to src/flow: the rulebook in the workflow (issue 8, docs/rulebook.md).
 *
 * Learning happens only where a person approves a version (session.c approve, handedit.c
 * flow_approve_file); use happens only where a plan is drafted (flow.c flow_draft), on the columns
 * the vocabulary left open.  Neither ever fails the action it is part of: a problem is said through
 * env->sink and the action goes on without the rulebook.
 */
#ifndef MF_FLOW_RULEBOOK_LEARN_H
#define MF_FLOW_RULEBOOK_LEARN_H

#include "flow/flow.h"
#include "mapping/mapping.h"
#include "read/profile.h"

/* The separator between a rule's text and where a learned reading came from, in a column's
 * provenance ("<rule> — learned from ACME plan v3 row 8, approved by alice on 2026-12-04 ..."). */
#define FLOW_RB_LEARNED " \xE2\x80\x94 learned from "

/* After review review_id's current version (client's plan v`version`, sha) was approved: every column
 * a person answered or gave feedback on (flow_provenance.how) that has a mapping row becomes an
 * entry when learnable.  p is the approved plan, pr the data's profile (NULL: the plan's own
 * source columns stand in for the header), m the mapping (NULL when unknown: rows' source fields
 * are then not part of the shapes).  Returns the number of new entries. */
int flow_rulebook_learn_review(const flow_env *env, long long review_id, const plan *p, const profile *pr,
                               const mapping *m);

/* After a hand-edited file was approved as client's plan v`version` (sha): every column that was
 * an open question (a ?) in the client's previous version prev_text (NULL: none) and is read now.
 * The mapping is the one onboard remembered for the client (when it can still be read). */
int flow_rulebook_learn_file(const flow_env *env, const char *client, const char *sha, int version, const plan *p,
                             const profile *pr, const char *prev_text);

/* Fill the open columns of a fresh draft p of client from the rulebook (precedence: the
 * vocabulary's reading is never replaced; one reading fills the column and drops its question; two
 * different readings keep the question and show both).  Returns the number of columns filled. */
int flow_rulebook_apply(const flow_env *env, plan *p, const profile *pr, const mapping *m, const char *client);

/* Column i of p, whose reading came from rulebook entry id, made an open question again for this
 * plan only (a reviewer refused the entry here; the entry stays valid for everyone else): its
 * expression a ?, its provenance the rule alone, and a question naming the entry, its reading and
 * who refused it.  Returns what was done, for the reviewer (malloc'd). */
char *flow_rulebook_unlearn_column(const flow_env *env, plan *p, int i, long long id);

#endif
