/* review.h — the review of a plan in the terminal, over the workflow stage (flow/flow.h).
 *
 * review_run shows the review's current version (text, open questions, a preview of sample rows)
 * and reads lines from c->in (a pipe or a terminal).  Decisions and commands start with "/":
 *   /approve [comment]   approve the current version (refused while questions are open, and under
 *                        --four-eyes when you wrote it)
 *   /reject COMMENT      reject it (a comment is required)
 *   /quit                stop without a decision: the review stays open, `onboard` resumes it
 *   /answer N TEXT       answer open question N (also: a line "answer N TEXT")
 *   /show  /diff  /help  the plan again, the last change again, this list
 * Every other line is plain-English feedback (plan/feedback.h): "reject rows where Acct No is
 * empty" is feedback, never a decision.  A line that is only a decision word without the "/"
 * ("approve", "quit") is answered with a hint and changes nothing.  End of input is /quit.
 * Nothing is kept in this process: every round is recorded by flow/ as it happens, so a killed
 * review resumes where it stopped.
 */
#ifndef MF_REVIEW_H
#define MF_REVIEW_H

#include "flow/flow.h"

#include <stdio.h>

typedef struct review_ctx {
    FILE *in, *out;
    const flow_env *env;
    long long review_id;
} review_ctx;

typedef enum review_decision { REVIEW_APPROVED = 1, REVIEW_REJECTED, REVIEW_QUIT } review_decision;

/* Returns 0 with *d set, -1 on an internal failure (e filled). */
int review_run(const review_ctx *c, review_decision *d, mf_err *e);

/* The preview as the terminal shows it. */
void review_print_preview(FILE *out, const flow_preview *pv, const char *data_path);

#endif
