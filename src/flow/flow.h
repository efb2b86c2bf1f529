/* flow.h — the workflow stage: cache lookup → draft → review → approve → run → check → load →
 * record, as explicit states kept in the store.  The CLI (cli/), the web app (serve/) and batch
 * runs all call this API and only render what it returns; none of them holds workflow logic.
 *
 * A review is a session stored in the store, not a process: every version, answer, feedback and
 * decision is saved as it happens, so an interrupted review (Ctrl-C, a closed browser, a killed
 * process) is resumed by opening it again.  There is at most one open review (state drafted or
 * in_review) per (client, mapping content); flow_begin reopens it instead of drafting again.
 *
 * States (flow_state), one sequence per review session:
 *
 *   drafted ──(shown to a reviewer)──> in_review ──approve──> approved ──run──> running
 *      │                                   │  ▲                                  │
 *      │                       feedback /  └──┘ (new version, still in_review)   ├─> failed   (run error or
 *      │                       answer                                            │            validation failed)
 *      └──────────────reject──────────────────────> rejected                     └─> checked ──load──> loaded
 *
 *   quit leaves the session where it is (drafted / in_review), to be resumed.  A failed or loaded
 *   review can be run again (approved → running ...).  Runs have their own record with the run
 *   states (running, checked, failed, loaded); a run of a cached plan (cache hit) belongs to the
 *   review that approved that text, when there is one (else review_id 0).
 *
 * Invariants:
 *   - every action appends one audit event through the store, named as the CLI always named them
 *     (plan_drafted, plan_version, feedback, question_answered, approval, rejection, compile, run,
 *     validation, load, load_interrupted, cache_hit, cache_miss), plus review_resumed, review_left
 *     and approval_refused (four-eyes): an approval on the web page and one in the terminal are
 *     the same event;
 *   - the text a reviewer sees is the text that is hashed, stored, approved and run;
 *   - no two versions of a review have the same content: feedback or an answer whose result equals
 *     the current version makes no version, and one equal to an earlier version goes back to that
 *     version (round.duplicate) instead of storing a copy;
 *   - nothing here prints: messages for a person go to env->sink;
 *   - errors: mf_err, with MF_ENOTFOUND (no such review/run), MF_ECONFLICT (the action does not fit
 *     the session's state, e.g. approving a rejected review), MF_EREFUSED (approving with open
 *     questions, or the four-eyes rule), MF_EQUESTION (running a plan with open questions),
 *     MF_EREVIEW (a batch run finds no approved plan for the file), MF_EINTR (SIGINT / SIGTERM
 *     during a run or load: nothing published, the run recorded as interrupted).
 *
 * Threads: a flow_env and its store are used by one thread at a time; a server keeps one per
 * worker, or serialises calls.
 */
#ifndef MF_FLOW_H
#define MF_FLOW_H

#include "plan/plan.h"
#include "store/store.h"
#include "util/err.h"
#include "write/run.h"

#include <stdbool.h>

/* ---- states ------------------------------------------------------------------------------------ */

typedef enum flow_state {
    FLOW_NONE = 0,
    FLOW_DRAFTED,        /* a plan was drafted; nobody has reviewed it yet */
    FLOW_IN_REVIEW,      /* a reviewer has seen it; answers, feedback, versions */
    FLOW_APPROVED,       /* the current version is approved and cached */
    FLOW_REJECTED,       /* rejected with a comment: closed */
    FLOW_RUNNING,        /* the approved plan is running */
    FLOW_CHECKED,        /* ran and passed the checks and the validator (not loaded yet / --no-load) */
    FLOW_FAILED,         /* the run failed, or validation failed: nothing loaded */
    FLOW_LOADED          /* the checked output is loaded */
} flow_state;

const char *flow_state_name(flow_state s);      /* "drafted", "in_review", ... ; "none" */
flow_state flow_state_parse(const char *name);  /* FLOW_NONE when unknown */
bool flow_state_is_open(flow_state s);          /* drafted or in_review: resumable */

/* ---- the environment of a call ----------------------------------------------------------------- */

typedef enum flow_level {
    FLOW_NOTE = 1,       /* what happens: cache hit/miss, resumed review, ran, loaded ... */
    FLOW_WARN            /* something a person should look at: validation findings, a changed mapping */
} flow_level;

/* Messages for a person (one line or a few, no trailing newline needed).  The CLI prints them, the
 * web app shows them in the conversation / notifications. */
typedef void (*flow_sink_fn)(void *user, flow_level level, const char *message);

struct llm_config;                /* llm/llm.h */

typedef struct flow_env {
    store *st;                   /* open store; owned by the caller */
    const char *actor;           /* who acts: recorded in every event and version */
    const char *home;            /* state dir for files (mapping refs, default warehouse); NULL = default */
    bool four_eyes;              /* the author of the last version cannot approve it */
    flow_sink_fn sink;           /* NULL: messages are dropped */
    void *sink_user;
    char *home_buf;              /* owned by flow_env_open (env->home points to it) */
    /* The language model asked about the open questions a draft leaves (flow/suggest.h): its answers
     * become suggestions, never applied.  NULL: none is configured (the draft says so). */
    const struct llm_config *llm;
    /* Called from the calling thread just before (true) and just after (false) each call to the
     * model: an HTTP request that may take a minute.  The web app releases its store lock there so
     * its other requests go on; in between the flow touches neither the store nor any state but
     * its own, and what it gathered before is re-checked after (a proposal for a version that moved
     * on meanwhile is dropped; a review opened meanwhile is resumed).  NULL: nothing is called. */
    void (*model_wait)(void *user, bool before);
    void *model_wait_user;
} flow_env;

/* Open the store for a front end: location from store_opt/home_opt as store_location() picks it.
 * The caller fills the rest of env (actor, sink...) and closes with flow_env_close. */
int flow_env_open(flow_env *env, const char *store_opt, const char *home_opt, mf_err *e);
void flow_env_close(flow_env *env);

/* ---- review sessions ------------------------------------------------------------------------- */

typedef struct flow_review {
    long long id;
    char *client;
    char mapping_sha256[65];
    char *mapping_path;          /* the mapping file as given (absolute when known) */
    char *data_path;             /* the data file the preview and the run use */
    char *output;                /* output name override, NULL = the mapping's */
    flow_state state;
    int version;                 /* the current version's number */
    char plan_sha256[65];        /* the current version */
    char *author;                /* author of the current version ("" for a fresh draft) */
    char *opened_by;
    char created_at[32], updated_at[32];
    char *decided_by, *comment;  /* last approve/reject: NULL when none */
    long long last_run_id;       /* 0 when never run */
} flow_review;
void flow_review_free(flow_review *r);            /* the strings, not r */
void flow_reviews_free(flow_review *r, int n);    /* the strings and the array */

typedef struct flow_input {
    const char *client;
    const char *mapping_path;    /* required for flow_begin */
    const char *data_path;
    const char *output;          /* NULL = the mapping's output name */
    /* A batch run looks, a person reopens: with batch set, an open review of (client, mapping) found
     * on a miss is reported (FLOW_BEGIN_RESUMED, its id) but left as it is — no resumed turn, no
     * review_resumed event, its data file unchanged.  A new review is drafted as always. */
    bool batch;
    /* The name the plan's source line gives the data; NULL = data_path's base name.  When the data
     * is a URI, data_path is its local --sample and this is the URI's name. */
    const char *source_name;
} flow_input;

typedef enum flow_begin_kind {
    FLOW_BEGIN_CACHE_HIT = 1,    /* an approved plan fits: run it (no review) */
    FLOW_BEGIN_NEW,              /* a new review was opened (freshly drafted, or from a version whose last run
                                    failed validation: its findings come with it) */
    FLOW_BEGIN_RESUMED           /* the open review of this client and mapping was reopened */
} flow_begin_kind;

typedef struct flow_begin_result {
    flow_begin_kind kind;
    char cache_key[65];          /* hit: the entry's key */
    char *plan_text;             /* hit: the approved text to run (malloc'd) */
    char plan_sha256[65];        /* hit: its SHA-256 */
    char miss_reason[512];       /* not a hit: why ("no cached plan for client C", ...) */
    long long review_id;         /* NEW / RESUMED */
} flow_begin_result;
void flow_begin_result_free(flow_begin_result *r);

/* The start of onboarding: read the mapping, profile the data, look up the cache (events
 * cache_hit / cache_miss); on a miss reopen the open review of (client, mapping) (event
 * review_resumed) or open a new one (event plan_drafted).  0 or -1. */
int flow_begin(const flow_env *env, const flow_input *in, flow_begin_result *out, mf_err *e);

/* Open or resume a review without looking at the cache (the web app's "review this mapping"). */
int flow_review_open(const flow_env *env, const flow_input *in, long long *review_id, bool *resumed, mf_err *e);

/* The open review of (client, mapping sha): 1 found (r filled), 0 none. */
int flow_review_find_open(const flow_env *env, const char *client, const char *mapping_sha256, flow_review *r,
                          mf_err *e);
int flow_review_get(const flow_env *env, long long id, flow_review *r, mf_err *e);   /* 1, 0, -1 */
/* Reviews of a client (NULL = all), newest first; state FLOW_NONE = any. */
int flow_review_list(const flow_env *env, const char *client, flow_state state, flow_review **out, int *n,
                     mf_err *e);

/* ---- what a reviewer reads ---------------------------------------------------------------------- */

typedef struct flow_question {
    int n;                       /* 1-based, the number answers use */
    char *column;                /* NULL when the question is about no column */
    int row;                     /* mapping row, 0 = none */
    char *text;                  /* "ACCOUNT_ID (mapping row 4): what should ..." */
    /* A language model's suggestion for it (NULL when none): not applied until accepted. */
    char *suggestion;            /* the expression, plan language */
    char *suggested_by;          /* "openai gpt-4o-mini" */
    char *explanation;           /* the model's one line ("" none) */
    int confidence;              /* percent */
} flow_question;

typedef struct flow_provenance {
    char *column;                /* output column, or "rule N" for a skip/reject/check rule */
    int row;                     /* mapping row, 0 = none (added by feedback) */
    char *rule;                  /* the mapping's rule text, or the feedback that added it; "" */
    char *author;                /* who answered or edited it last; "" = as drafted */
    char *how;                   /* "drafted" | "answer" | "feedback" */
    int version;                 /* the version that last changed it */
} flow_provenance;

typedef struct flow_version {
    int version;
    char sha256[65], parent_sha256[65];
    char *text;                  /* exactly what is shown, hashed, approved and run */
    char *author;                /* who made this version ("" for the draft's drafter: see how) */
    char *how;                   /* "drafted" | "answer" | "feedback" */
    char *cause;                 /* the answer or feedback text that made it, "" for a draft */
    char created_at[32];
    flow_question *questions;    /* the open questions of this version */
    int nquestions;
    flow_provenance *prov;       /* one per output column, then one per rule */
    int nprov;
    char *findings;              /* findings of this plan's last failed validation (text lines), NULL */
} flow_version;
void flow_version_free(flow_version *v);
void flow_versions_free(flow_version *v, int n);

/* The review's current version. */
int flow_review_current(const flow_env *env, long long review_id, flow_version *v, mf_err *e);
/* All versions of the review, oldest first (for diffs and the conversation). */
int flow_review_versions(const flow_env *env, long long review_id, flow_version **out, int *n, mf_err *e);

/* The conversation of a review, oldest first: what was said and what came of it. */
typedef struct flow_turn {
    char at[32];
    char *actor;
    char *kind;                  /* "drafted" | "feedback" | "answer" | "approval" | "rejection" | "resumed" | "left",
                                    "discard", "unlearn", "edit_proposed" | "edit_accepted" | "edit_discarded"
                                    (flow_proposal) */
    char *text;                  /* feedback / answer / comment; "" */
    char *result;                /* "understood: ...; not understood: ..." or "plan v3"; "" */
    int version;                 /* the version made, 0 = none */
} flow_turn;
int flow_review_conversation(const flow_env *env, long long review_id, flow_turn **out, int *n, mf_err *e);
void flow_turns_free(flow_turn *t, int n);

/* The preview: for each output column, sample rows of the data before → after. */
typedef struct flow_preview_cell {
    long line;                   /* source line number */
    char *before;                /* [Acct No] "123", [Amt] empty  (the source values read) */
    char *after;                 /* the value as text ("null", "\"000123\"", "12.50"); NULL when rejected */
    char *reject;                /* the reject reason, "(filtered by a skip rule)", or NULL */
} flow_preview_cell;
typedef struct flow_preview_column {
    char *name;
    bool open;                   /* its expression holds a ? */
    flow_preview_cell *cells;
    int ncells;
} flow_preview_column;
typedef struct flow_preview {
    char *unavailable;           /* NULL, or why no preview could be made (the rest is empty) */
    flow_preview_column *cols;
    int ncols;
    int rows;                    /* sample rows shown per column */
    long long sampled, out, rejected, filtered;   /* fates of the first block of the file */
    char **first_rejects;        /* up to 3 "line N rejected: reason" */
    int nfirst_rejects;
} flow_preview;
/* The preview of plan text p on data_path (rows per column, 1..20); only: NULL = all columns, else
 * a flag per column of p.  Never fails: an unreadable file or plan fills pv->unavailable. */
void flow_preview_make(const plan *p, const char *data_path, int rows, const bool *only, flow_preview *pv);
void flow_preview_free(flow_preview *pv);

/* ---- review actions ----------------------------------------------------------------------------- */

typedef struct flow_round {
    int applied;                 /* 1: the review moved to another version; 0: nothing applied */
    int duplicate;               /* applied, but the result equals an earlier version: that version is current */
    char *understood;            /* what was understood/done ("" nothing) */
    char *not_understood;        /* what was not ("" everything was) */
    int version;                 /* the current version after the round */
    char sha256[65];
    char *diff;                  /* unified diff old → new ("" when not applied) */
    bool *changed;               /* per column of the new version: expression/type changed (NULL when not
                                    applied); rules_changed: a rule changed, so every column may differ */
    bool rules_changed;
    int proposed;                /* feedback not applied, and a language model proposed an edit for it: pending
                                    until a person accepts or discards it (flow_review_proposal) */
} flow_round;
void flow_round_free(flow_round *r);

/* Mark the review as seen (drafted → in_review).  The front ends call it when they show the plan. */
int flow_review_seen(const flow_env *env, long long review_id, mf_err *e);
/* Plain-English feedback (plan/feedback.h) → a new version, recorded with its author. */
int flow_feedback(const flow_env *env, long long review_id, const char *text, flow_round *out, mf_err *e);
/* Answer open question n of the current version. */
int flow_answer(const flow_env *env, long long review_id, int n, const char *text, flow_round *out, mf_err *e);
/* A language model's suggestion for open question n of the current version (flow/suggest.h):
 * accept gives its text as the answer, exactly as flow_answer would take a person's (parsed and
 * type-checked again), and appends "suggestion_accepted" — the reviewer's approval of the model's
 * text, with the provider, model, expression and the call's prompt and answer hashes; discard
 * drops it (a new version; the question stays open; event "suggestion_discarded").  When the
 * question has no suggestion nothing is applied (out->not_understood says so). */
int flow_accept_suggestion(const flow_env *env, long long review_id, int n, flow_round *out, mf_err *e);
int flow_discard_suggestion(const flow_env *env, long long review_id, int n, flow_round *out, mf_err *e);

/* The rulebook entry a column's reading came from (its provenance ends "… — learned from …
 * (rulebook entry N)"): N, or 0 when the reading was not learned (or was changed since). */
long long flow_learned_entry(const char *provenance);
/* Refuse, for this review's plan only, the rulebook entry that read `column` (docs/rulebook.md):
 * a new version where the column is an open question again, naming the entry; audited
 * (rulebook_rejected); the entry stays valid for other plans.  When the column's reading did not
 * come from the rulebook nothing is applied (out->not_understood says why). */
int flow_unlearn(const flow_env *env, long long review_id, const char *column, flow_round *out, mf_err *e);
/* A language model's edit for a line of feedback the rule reader could not apply (flow/propose.c).
 * flow_feedback asks the model (env->llm) when the reader leaves part of a line not understood: the
 * answer — new expressions for named columns and/or new reject / skip rules — is parsed,
 * type-checked and tried on the sample like a person's edit (a refusal is sent back once with its
 * reason), and a good one waits as the review's pending proposal: nothing is applied.  At most one
 * proposal is pending, and only while the version it was made for is current.  Accepting applies
 * it as the next version, its columns' and rules' provenance saying "suggested by MODEL, accepted
 * by WHO on DATE: FEEDBACK" (event edit_accepted: provider, model, the edit, the call's prompt and
 * answer hashes); discarding drops it (event edit_discarded; no version).  Nothing accepts one but
 * these calls, which a front end makes only on a person's command. */
typedef struct flow_proposal {
    long long id;                /* its turn in the conversation */
    char *feedback;              /* the reviewer's line */
    char *asked_by;              /* the reviewer who gave it */
    char *by;                    /* "PROVIDER MODEL" */
    int confidence;              /* percent */
    char *explanation;           /* the model's one line ("" none) */
    char *edit;                  /* the edit as plan-language lines ("AMOUNT = ...", "reject rows where ...") */
    char *text;                  /* the current version with the edit applied (for the preview); NULL when it no
                                    longer applies (why says why) */
    char *diff;                  /* unified diff: current version → text ("" when text is NULL) */
    bool *changed;               /* per column of text: changed by the edit */
    bool rules_changed;
    char why[600];
} flow_proposal;
void flow_proposal_free(flow_proposal *p);
/* The review's pending proposal: 1 (p filled), 0 none, -1. */
int flow_review_proposal(const flow_env *env, long long review_id, flow_proposal *p, mf_err *e);
/* Accept (a new version, as a person's edit) or discard the pending proposal.  With none pending,
 * nothing is done and out->not_understood says so.  proposal_id: the one the person was shown
 * (flow_proposal.id); when another has replaced it since, nothing is done (-1, MF_ECONFLICT), so a
 * person never accepts an edit they did not see.  0 = whichever is pending (tools, tests). */
int flow_accept_proposal(const flow_env *env, long long review_id, long long proposal_id, flow_round *out, mf_err *e);
int flow_discard_proposal(const flow_env *env, long long review_id, long long proposal_id, flow_round *out, mf_err *e);

/* Decisions.  approve: refused (MF_EREFUSED) while questions are open, or under four_eyes when the
 * actor authored the current version; the approved text is cached.  reject: comment required.
 * quit: no decision, the review stays open (event review_left). */
int flow_approve(const flow_env *env, long long review_id, const char *comment, mf_err *e);
int flow_reject(const flow_env *env, long long review_id, const char *comment, mf_err *e);
int flow_quit(const flow_env *env, long long review_id, mf_err *e);

/* Approve without a reviewer (--yes): refused with MF_EQUESTION, the questions listed in
 * questions (malloc'd text, NULL when none), when questions are open. */
int flow_approve_unattended(const flow_env *env, long long review_id, const char *comment, char **questions,
                            mf_err *e);

/* ---- runs --------------------------------------------------------------------------------------- */

typedef struct flow_progress {
    long long rows;              /* records read so far */
    unsigned long long bytes;    /* bytes of the data file read so far */
    unsigned long long bytes_total;   /* the file's size (0 unknown) */
    double elapsed;              /* seconds since the run started */
    const char *phase;           /* "run" | "check" | "load" */
} flow_progress;
/* Called on the caller's thread: during the native run at most every 0.2 s and once at its end
 * (phase "run"; the Spark engine reports only the end), then once as the checks start ("check")
 * and once as the load starts ("load"). */
typedef void (*flow_progress_fn)(void *user, const flow_progress *p);

typedef struct flow_run_options {
    const char *data_path;       /* NULL = the review's data */
    const char *out_dir;         /* required */
    const char *engine;          /* "native" (NULL) | "spark" */
    const char *spark_master;
    const char *livy_url;        /* Spark through a Livy endpoint (write/livy.h); NULL = $MAPFORGE_LIVY_URL */
    const char *spark_stage, *spark_stage_uri;   /* with livy_url: see write/run.h */
    const char *spark_output;    /* engine spark: the outputs go to this URI (write/run.h); no output
                                    checks, no validator, no load (refused unless no_load) */
    const char *sample_path;     /* data_path is a URI: a local copy of its first rows, read for the
                                    header check and the cache key; NULL = none (run --plan only) */
    const char *validator;       /* NULL = $MAPFORGE_VALIDATOR */
    const char *db;              /* load target URL; NULL = sqlite:<home>/warehouse.db */
    int load_streams;            /* PostgreSQL: parallel COPY streams (0 / 1 = one) */
    bool no_load, no_parquet;
    int threads;                 /* the native engine's worker threads; 0 = the number of cores */
    flow_progress_fn progress;
    void *progress_user;
} flow_run_options;

typedef struct flow_run_result {
    long long run_id;
    flow_state state;            /* FLOW_CHECKED, FLOW_LOADED or FLOW_FAILED */
    char plan_sha256[65];
    run_report rep;
    bool passed;                 /* the checks and the validator passed */
    char *findings_text;         /* "  FAIL check: message" lines; NULL when passed */
    char *findings_json;
    char *load_target, *load_table;   /* NULL when not loaded */
    long long rows_loaded, rows_replaced;
    char miss_reason[512];       /* flow_run_client: why no approved plan fits ("" on a hit) */
    char *mapping_path;          /* flow_run_client: the mapping recorded at onboarding, NULL unknown */
} flow_run_result;
void flow_run_result_free(flow_run_result *r);

/* Run the review's approved version: compile, run, check, load, record (run states and events).
 * Returns 0 (checked, and loaded unless no_load), 1 validation failed (nothing loaded, findings
 * kept with the plan version for the next review), -1 error (run recorded as failed where it got
 * that far).  MF_ECONFLICT when the review is not approved. */
int flow_run_review(const flow_env *env, long long review_id, const flow_run_options *o, flow_run_result *r,
                    mf_err *e);
/* Storage by URI is Spark's: refuse, before anything runs (or is drafted), what cannot be done with
 * a URI input or output — the native engine, a validator on a remote output, a load of it (loads:
 * the run would load unless o->no_load).  0 or -1 (MF_EUSAGE). */
int flow_remote_refusals(const flow_run_options *o, bool loads, mf_err *e);
/* The same for an approved text known by the caller (a cache hit): cache_key may be NULL.  When a
 * review approved that text, the run is linked to it (review_id) and the review follows its
 * states; flow_run_client does the same. */
int flow_run_text(const flow_env *env, const char *client, const char *text, const char *cache_key, int cache_hit,
                  const flow_run_options *o, flow_run_result *r, mf_err *e);
/* A batch run: the client's cached approved plan for this data (mapping remembered by onboard).
 * A miss fails (MF_EREVIEW: a person must review a plan) saying why and suggesting the onboard
 * command with the real paths; nothing runs.  A failed validation on an earlier file does not
 * keep the plan from running (a note says so). */
int flow_run_client(const flow_env *env, const char *client, const flow_run_options *o, flow_run_result *r,
                    mf_err *e);

/* A plain run of a parsed plan (`run --plan`): checked against the data's header (MF_EQUESTION
 * when questions are open), run on o->engine, companions written (job.py, mapforge_runtime.py,
 * Parquet).  No store, no checks, no load.  sha receives the text's SHA-256.  observer (may be
 * NULL): shown the input by a native run (run_options.observer). */
int flow_run_plain(const flow_env *env, plan *p, const char *text, const char *plan_path, const flow_run_options *o,
                   const char *cache_key, int cache_hit, const run_observer *observer, run_report *rep, char sha[65],
                   mf_err *e);

/* A plan file run as it is (`run --plan`): flow_run_plain, then the plan's checks and the validator
 * (never a load: the plan is not approved, and a message says so, with the command that approves
 * it).  With env->st and client the run is recorded in the client's history (event run, approved:
 * false).  0 checks passed, 1 validation failed, -1 error. */
int flow_run_file(const flow_env *env, const char *client, plan *p, const char *text, const char *plan_path,
                  const flow_run_options *o, flow_run_result *r, mf_err *e);

/* A person's approval of a plan file edited by hand (`approve --plan`): type-checked against
 * data_path, refused (MF_EREFUSED) with open questions, renumbered as the client's next version and
 * written back to the file when that changed it, recorded (plan_version, approval with
 * hand_edited), cached under the mapping its `mapping` line names (else the client's onboarded
 * mapping).  version and sha receive the approved version. */
int flow_approve_file(const flow_env *env, const char *client, const char *plan_path, const char *data_path,
                      const char *comment, int *version, char sha[65], mf_err *e);

/* Type-check p against the header of data_path read with the plan's own dialect; when it does not
 * fit and the file is in another dialect than the plan's source line, the error says that. */
int flow_check_plan_data(plan *p, const char *data_path, const char *plan_path, mf_err *e);

/* The draft of a plan for (client, mapping, data) without a store (`mapforge plan`): the mapping
 * read, the data profiled, the draft tried on its first rows; its canonical text (malloc'd). */
char *flow_draft_text(const flow_env *env, const flow_input *in, mf_err *e);

typedef struct flow_run_info {
    long long id, review_id;     /* review_id 0: a cached plan's run */
    char *client;
    char plan_sha256[65];
    char *input_path;
    flow_state state;
    char *status;                /* "ok" | "failed" | "validation_failed" | "running" */
    long long rows_in, rows_out, rows_rejected, rows_filtered;
    unsigned long long input_bytes;
    int cache_hit;
    char started_at[32], updated_at[32];
    double seconds;
    char *actor;
} flow_run_info;
/* Runs of a client (NULL = all), newest first. */
int flow_run_list(const flow_env *env, const char *client, flow_run_info **out, int *n, mf_err *e);
int flow_run_get(const flow_env *env, long long run_id, flow_run_info *r, mf_err *e);   /* 1, 0, -1 */
void flow_run_info_free(flow_run_info *r);
void flow_run_infos_free(flow_run_info *r, int n);

#endif
