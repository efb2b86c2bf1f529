/* review.h — the terminal review of a plan: show, answer, give feedback, approve or reject.
 *
 * review_run reads commands line by line from c->in (a pipe or a terminal) and writes to c->out:
 *   approve [comment]   approve the current version (refused while questions are open)
 *   reject <comment>    reject it (a comment is required)
 *   answer N <text>     answer open question N: a plan expression, or a rule phrase
 *   show                the plan, its open questions and the preview again
 *   diff                the last round's diff again
 *   quit                stop without a decision
 *   anything else       plain-English feedback (plan/feedback.h)
 * Each applied round makes a new version (plan vN+1), printed with a unified diff against the
 * previous one.  Feedback that cannot be applied says what was understood and what was not, and
 * makes no version.  When a store is given every version, question, answer, feedback, approval
 * and rejection is recorded there, each with an audit event naming the actor.
 */
#ifndef MF_REVIEW_H
#define MF_REVIEW_H

#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"
#include "store/store.h"
#include "util/err.h"

#include <stdio.h>

typedef struct review_ctx {
    FILE *in, *out;
    store *st;                    /* NULL: record nothing */
    const char *client, *actor;
    const char *mapping_sha256;   /* recorded with each version; may be NULL */
    const char *data_path;        /* the data file: the preview runs its first rows */
    const mapping *m;             /* for answers read by the rule vocabulary; may be NULL */
    const profile *pr;            /* may be NULL */
    const char *findings;         /* findings of the last failed validation (text), shown first; NULL */
} review_ctx;

typedef enum review_decision { REVIEW_APPROVED = 1, REVIEW_REJECTED, REVIEW_QUIT } review_decision;

typedef struct review_result {
    review_decision decision;
    char *text;                   /* the last version's text (approved or not), malloc'd */
    char sha256[65];              /* its SHA-256 */
    char *comment;                /* approval / rejection comment, malloc'd, NULL when none */
    int rounds;                   /* versions made during the review */
} review_result;

/* Review `text` (the current version, already recorded when c->st is set).  Returns 0 with r
 * filled (free with review_result_free), -1 on an internal failure (e filled). */
int review_run(const review_ctx *c, const char *text, review_result *r, mf_err *e);
void review_result_free(review_result *r);

/* Record a version: store_plan_add (+ its open questions) and a "plan_version" audit event
 * (event name given, e.g. "plan_drafted").  version_out may be NULL. */
int review_record_version(store *st, const char *client, const char *actor, const char *text,
                          const char *parent_sha256, const char *mapping_sha256, const char *event,
                          int *version_out, mf_err *e);

/* Append an audit event whose details are the given key/value string pairs (NULL-terminated
 * list: "key", "value", ..., NULL); values are JSON-escaped. */
int review_audit(store *st, const char *actor, const char *event, const char *client, const char *subject,
                 mf_err *e, ...);

/* The preview: for each output column, up to `rows` sample records of the data file before →
 * after (the engine's values, or the reject reason).  Columns whose expression holds a ? show
 * as open.  Writes a note instead when the data cannot be read. */
void review_preview(FILE *out, const plan *p, const char *data_path, int rows);

#endif
