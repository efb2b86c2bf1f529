/* flow_internal.h — private to src/flow: the pieces the workflow's files share (messages, audit
 * events, recording versions, the session loaded from the store, files in the output directory).
 */
#ifndef MF_FLOW_INTERNAL_H
#define MF_FLOW_INTERNAL_H

#include "check/check.h"
#include "flow/flow.h"
#include "mapping/mapping.h"
#include "read/profile.h"

#define FLOW_PROFILE_ROWS 2000

/* A message for a person through env->sink (printf-style). */
void flow_say(const flow_env *env, flow_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* env->model_wait around a call to the model (env may be NULL: nothing). */
void flow_model_wait(const flow_env *env, bool before);

/* Append an audit event whose details are the given key/value string pairs ("key", "value", ...,
 * NULL); a NULL value is JSON null. */
int flow_audit(const flow_env *env, const char *event, const char *client, const char *subject, mf_err *e, ...);

/* Record a version of client's plan (store_plan_add + its open questions) and its audit event
 * (event: plan_drafted | plan_version).  version_out may be NULL. */
int flow_record_version(const flow_env *env, const char *client, const char *text, const char *parent_sha256,
                        const char *mapping_sha256, const char *event, int *version_out, mf_err *e);

/* The length of a provenance text's mapping rule: the text before the first tail the workflow adds
 * (" — answered by ...", " — changed by ...", " — suggested by MODEL, accepted by ..." (session.c), " — learned
 * from ..." (the rulebook)). */
size_t flow_prov_rule_len(const char *t);

/* The two texts are the same plan except for the version number on the first line. */
bool flow_same_content(const char *a, const char *b);

/* Findings of a failed validation recorded on plan sha, as "  FAIL check: message" lines
 * (malloc'd), NULL when none. */
char *flow_findings_text(store *st, const char *client, const char *sha);

/* Storage by URI (--data URI, --spark-output URI) is Spark's; mapforge reads only local files.
 * flow_readable_data: what mapforge reads of the input itself — the data file, or for a URI its
 * --sample (NULL when none); flow_remote_refusals (flow.h) refuses what cannot be done on it.
 * flow_check_output: check_run on a local output; on a remote one, no check runs and each check is
 * an "info" finding saying it was not done and why (a URI input: the control totals likewise). */
const char *flow_readable_data(const flow_run_options *o);
int flow_check_output(const plan *p, const flow_run_options *o, const run_report *rep, check_pre *pre,
                      check_result *res, mf_err *e);

/* mkdir -p, sweeping partial files an interrupted run left (said through the sink). */
int flow_make_dir(const flow_env *env, const char *dir, mf_err *e);
char *flow_join(const char *dir, const char *name);
const char *flow_base_name(const char *path);

/* Draft a plan for (client, data) from m and pr, tried on the data's first rows, numbered
 * `version`: its canonical text (malloc'd) or NULL.  source_name: the name the plan's source line
 * gives the data (NULL = data_path's base name). */
char *flow_draft(const flow_env *env, const mapping *m, const profile *pr, const char *client, const char *data_path,
                 const char *source_name, const char *output, int version, mf_err *e);

/* Read the mapping and profile the data. */
int flow_read_inputs(const char *mapping_path, const char *data_path, mapping *m, csv_dialect *d, profile *pr,
                     mf_err *e);

/* A review as the actions need it: the record, its current text parsed, the mapping (when the
 * file still has the recorded content) and the data's profile (when the data can be read). */
typedef struct flow_session {
    store_review r;
    char *text;
    plan p;
    mapping m;
    bool have_m;
    profile pr;
    bool have_pr;
} flow_session;
int flow_session_load(const flow_env *env, long long id, flow_session *s, mf_err *e);   /* 0 or -1 (ENOTFOUND) */
void flow_session_free(flow_session *s);

/* Make np (applied from s's current version) the review's current version (session.c): numbered
 * after the client's last version, its changed columns' provenance annotated with who did it — n > 0
 * "answered", else "changed", or with model_by "suggested by MODEL_BY, accepted" — and text. */
int flow_adopt(const flow_env *env, flow_session *s, plan *np, int n, const char *text, const char *model_by,
               flow_round *out, mf_err *e);

/* Feedback text the rule reader left partly not understood, put to the model (propose.c): a good
 * answer is returned in *proposal (malloc'd JSON, out->proposed = 1) for flow_proposal_record to
 * make it the review's pending proposal; otherwise out->not_understood gets why.  Never fails on the
 * model's account: -1 only when the store fails. */
int flow_propose_edit(const flow_env *env, flow_session *s, const char *feedback, flow_round *out, char **proposal,
                      mf_err *e);
/* The proposal's turn ("edit_proposed", after the feedback's own turn) and audit event. */
int flow_proposal_record(const flow_env *env, flow_session *s, const char *feedback, const char *proposal, mf_err *e);
/* An "edit_proposed" turn's stored JSON as one line for the conversation (malloc'd). */
char *flow_proposal_summary(const char *json);

/* <home>/mappings/<sha of the client>.json: the client's mapping as onboard remembered it (malloc'd). */
char *flow_mapping_ref_path(const flow_env *env, const char *client);

/* Append a turn to review_id's conversation (kind: drafted, resumed, feedback, answer, approval,
 * rejection, left); sha / version: the version it led to (NULL / 0 = none). */
int flow_turn_add(const flow_env *env, long long review_id, const char *kind, const char *text, const char *result,
                  const char *sha, int version, mf_err *e);

/* The open items of p (questions, bare holes, rules with holes) as numbered flow_questions. */
int flow_questions_of(const plan *p, flow_question **out, mf_err *e);
void flow_questions_free(flow_question *q, int n);

#endif
