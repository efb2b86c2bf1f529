/* sample.h — a drafted plan tried on the first records of its data file before anyone sees it.
 *
 * The planner reads rules; this stage runs what it read.  A reading that rejects most of the sampled
 * rows it is applied to, or filters that skip every sampled row, is a misreading far more often than
 * bad data: it becomes an open question that shows the reading and what it did, never an output.
 */
#ifndef MF_FLOW_SAMPLE_H
#define MF_FLOW_SAMPLE_H

#include "plan/plan.h"
#include "util/err.h"

/* A copy of p that can run while questions are open: holes become null, rules with holes and the
 * questions are left out.  q is initialised here; on success the caller plan_free()s it, on failure
 * (-1, e filled) it is already freed. */
int flow_runnable_copy(const plan *p, plan *q, mf_err *e);

/* Run p (a runnable copy of it) on the first records of data_path (read with p's source dialect).
 * Each column whose value rejects more than half of the sampled rows that reach it becomes a hole
 * with a question quoting the reading and the first reject; a set of skip rules that filters every
 * sampled row (3 or more) becomes a question.  Returns the number of questions added, -1 on error
 * (e filled: the data file could not be read, or the plan does not check against its header). */
int flow_check_on_sample(plan *p, const char *data_path, mf_err *e);

/* A proposed expression for one column (a model's suggestion), tried like a person's edit: parsed
 * as plan language (one expression, no ?), put in place of the column's expression in a runnable
 * copy of p, type-checked against the data header, and run on the first records. */
typedef struct flow_trial {
    char *canonical;          /* the expression as the renderer writes it (malloc'd); NULL on refusal */
    long reach, rejects;      /* sampled rows that reached the column, and those it rejected */
    char why[600];            /* on refusal: the parser's, checker's or sample's reason */
    int npreview;             /* up to 3 sampled rows: "[Src] "raw" -> value" */
    char preview[3][300];
} flow_trial;
/* 0 accepted (t->canonical set), 1 refused (t->why says why: does not parse, holds a ?, does not
 * type-check, rejects more than half of the sampled rows that reach it), -1 when the trial could
 * not run at all (e filled: the data file cannot be read).  flow_trial_free in every case. */
int flow_try_expression(const plan *p, const char *column, const char *text, const char *data_path, flow_trial *t,
                        mf_err *e);
void flow_trial_free(flow_trial *t);

#endif
