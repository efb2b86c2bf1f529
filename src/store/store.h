/* store.h — the state store of mapforge: clients, plan versions, questions, feedback, approvals,
 * cache entries, runs, loads and the audit trail (a SHA-256 hash chain).
 *
 * One API, two backends with the same logical schema (created on open):
 *   - SQLite: store_open("DIR") uses DIR/state.db (DIR is created when absent);
 *   - PostgreSQL: store_open("postgresql://...") through libpq; tables live in schema "mapforge".
 * store_location() picks where from --store / MAPFORGE_STORE / --home / MAPFORGE_HOME / ~/.mapforge.
 *
 * Invariants:
 *   - every writing call is one transaction: it happens entirely or not at all;
 *   - audit events are append-only, numbered 1, 2, 3... with no gap; each event's hash is SHA-256 over
 *     a canonical serialisation of (seq, at, actor, event, client, subject, details, prev_hash) and
 *     prev_hash is the previous event's hash (64 zeros for the first).  Appends are serialised across
 *     processes (SQLite: BEGIN IMMEDIATE + busy timeout; PostgreSQL: LOCK TABLE ... EXCLUSIVE MODE);
 *   - on PostgreSQL the database itself refuses UPDATE and DELETE on audit_events (a trigger);
 *   - the record functions below do NOT append audit events: the caller appends the event it means
 *     (store_audit_append) so that it chooses the details.
 *   - times are UTC ISO-8601 with milliseconds: "2024-05-01T12:34:56.789Z".
 *
 * Strings returned inside structs are malloc'd and freed by the matching *_free function.
 * Lookups return 1 found, 0 not found, -1 error (e filled).
 */
#ifndef MF_STORE_H
#define MF_STORE_H

#include "read/csv.h"
#include "util/err.h"

#include <stdbool.h>

typedef struct store store;
typedef struct plan plan;        /* plan/plan.h */
typedef struct profile profile;  /* read/profile.h */

typedef enum store_backend { STORE_SQLITE = 1, STORE_PG = 2 } store_backend;

/* ---- opening -------------------------------------------------------------------------------- */

/* where: "postgresql://..." / "postgres://..." or a directory.  Creates the schema when absent. */
store *store_open(const char *where, mf_err *e);
void store_close(store *s);                       /* NULL is fine */
store_backend store_kind(const store *s);
const char *store_where(const store *s);          /* the SQLite file (DIR/state.db) or the URL */

/* Where the state lives: store_opt (--store), else $MAPFORGE_STORE, else home_opt (--home), else
 * $MAPFORGE_HOME, else $HOME/.mapforge.  malloc'd; NULL with e filled when nothing applies. */
char *store_location(const char *store_opt, const char *home_opt, mf_err *e);
/* The state directory for files (warehouse.db...): home_opt, else $MAPFORGE_HOME, else
 * $HOME/.mapforge (malloc'd, never NULL unless $HOME is unset too → "./.mapforge"). */
char *store_home_dir(const char *home_opt);

/* Identity and time. */
void store_actor(const char *as_opt, char *buf, size_t n);   /* --as, $MAPFORGE_USER, OS user */
void store_now(char out[32]);                                /* UTC ISO-8601 with ms */

/* ---- clients and plan versions -------------------------------------------------------------- */

int store_client_ensure(store *s, const char *client, mf_err *e);

typedef struct store_plan_version {
    char *client;
    int version;                 /* 1, 2, 3... per client */
    char *text;                  /* the plan text, exactly as hashed */
    char sha256[65];             /* SHA-256 of text */
    char parent_sha256[65];      /* "" for a first draft */
    char mapping_sha256[65];     /* "" when unknown */
    char created_at[32];
    char *actor;
    char status[16];             /* "draft" | "approved" | "rejected" */
    char *findings;              /* JSON of a failed validation, NULL when none */
} store_plan_version;

/* Add a new version of client's plan (version = last + 1; the client is created when absent).
 * When the same text (sha) already exists for the client, nothing is added and that version is
 * returned.  parent_sha256 and mapping_sha256 may be NULL.  out may be NULL. */
int store_plan_add(store *s, const char *client, const char *text, const char *parent_sha256,
                   const char *mapping_sha256, const char *actor, store_plan_version *out, mf_err *e);
int store_plan_get(store *s, const char *client, const char *sha256, store_plan_version *out, mf_err *e);
int store_plan_latest(store *s, const char *client, store_plan_version *out, mf_err *e);
/* All versions of a client, oldest first. */
int store_plan_list(store *s, const char *client, store_plan_version **out, int *n, mf_err *e);
int store_plan_set_status(store *s, const char *client, const char *sha256, const char *status, mf_err *e);
/* findings_json NULL clears them. */
int store_plan_set_findings(store *s, const char *client, const char *sha256, const char *findings_json,
                            mf_err *e);
void store_plan_version_free(store_plan_version *v);          /* the strings, not v */
void store_plan_versions_free(store_plan_version *v, int n);  /* the strings and the array */

/* ---- questions, feedback, approvals --------------------------------------------------------- */

/* Question n (1-based) of plan sha256; answer NULL while open.  Adding an existing (plan, n) updates
 * its text. */
int store_question_add(store *s, const char *plan_sha256, int n, const char *text, mf_err *e);
int store_question_answer(store *s, const char *plan_sha256, int n, const char *answer, const char *actor,
                          mf_err *e);

typedef struct store_question {
    int n;
    char *text, *answer, *actor;  /* answer, actor NULL while open */
} store_question;
int store_question_list(store *s, const char *plan_sha256, store_question **out, int *count, mf_err *e);
void store_questions_free(store_question *q, int count);

/* understood / not_understood: what the feedback reader made of it (either may be NULL). */
int store_feedback_add(store *s, const char *plan_sha256, const char *text, const char *understood,
                       const char *not_understood, const char *actor, mf_err *e);

/* decision: "approved" | "rejected".  Also sets the plan version's status. */
int store_approval_add(store *s, const char *client, const char *plan_sha256, const char *decision,
                       const char *comment, const char *actor, mf_err *e);

/* The newest "approved" decision on (client, plan_sha256): who, when, with which comment.  Returns
 * 1 found, 0 none (the plan was never approved: a hand-edited plan), -1 error. */
typedef struct store_approval {
    char *actor, *at, *comment;
} store_approval;
int store_approval_last(store *s, const char *client, const char *plan_sha256, store_approval *out, mf_err *e);
void store_approval_free(store_approval *a);

/* ---- runs and loads -------------------------------------------------------------------------- */

typedef struct store_run {
    long long id;                /* filled by store_run_add */
    const char *client, *plan_sha256, *input_path, *input_sha256, *cache_key;  /* cache_key may be NULL */
    unsigned long long input_bytes;
    long long rows_in, rows_out, rows_rejected, rows_filtered;
    int cache_hit;
    char started_at[32];         /* "" = now */
    double seconds;
    const char *status;          /* "ok" | "failed" | "validation_failed" | "running" */
    const char *actor;
    const char *state;           /* the workflow's run state: running | checked | failed | loaded; NULL =
                                    derived from status on add (ok → checked, else failed) */
    long long review_id;         /* the review whose approved plan ran; 0 = none (a cached plan) */
    char updated_at[32];         /* filled by add / update */
    const char *out_dir;         /* where the run's outputs were written (absolute); NULL unknown (older runs) */
} store_run;
int store_run_add(store *s, store_run *r, mf_err *e);
/* Rewrite run r->id's counts, input sha/bytes, seconds, status and state (updated_at = now). */
int store_run_update(store *s, store_run *r, mf_err *e);
/* Runs of a client (NULL = all), oldest first; the strings point into *out's own storage
 * (store_runs_free). */
int store_run_list(store *s, const char *client, store_run **out, int *n, mf_err *e);
int store_run_get(store *s, long long id, store_run *out, mf_err *e);   /* 1, 0, -1; free with store_run_free */
void store_run_free(store_run *r);                                       /* the strings, not r */
void store_runs_free(store_run *r, int n);

/* ---- review sessions (review.c) --------------------------------------------------------------- */

typedef struct store_review {
    long long id;                /* filled by store_review_add */
    char *client, *mapping_path, *data_path, *output;   /* paths / output may be NULL */
    char mapping_sha256[65];
    char state[16];              /* drafted | in_review | approved | rejected | running | checked | failed | loaded */
    char plan_sha256[65];        /* the current version */
    int version;
    char *author;                /* author of the current version by feedback or answer ("" = the draft) */
    char *opened_by, *decided_by, *comment;   /* decided_by / comment NULL until a decision */
    char created_at[32], updated_at[32];
    long long last_run_id;
} store_review;

/* Add a review in state r->state unless an open one (drafted / in_review) exists for (client,
 * mapping_sha256): one transaction.  Returns 1 added (r->id, times filled), 0 an open one exists
 * (*r replaced by it: the caller's strings are not freed, r's are then malloc'd), -1 error. */
int store_review_add(store *s, store_review *r, mf_err *e);
/* Write back state, plan_sha256, version, author, data_path, decided_by, comment, last_run_id
 * (updated_at = now). */
int store_review_update(store *s, store_review *r, mf_err *e);
int store_review_get(store *s, long long id, store_review *out, mf_err *e);           /* 1, 0, -1 */
int store_review_find_open(store *s, const char *client, const char *mapping_sha256, store_review *out,
                           mf_err *e);                                                 /* 1, 0, -1 */
/* client NULL = all, state NULL = any; newest first. */
int store_review_list(store *s, const char *client, const char *state, store_review **out, int *n, mf_err *e);
void store_review_free(store_review *r);                   /* the strings, not r */
void store_reviews_free(store_review *r, int n);

/* A turn of a review's conversation: kind drafted | resumed | feedback | answer | approval |
 * rejection | left; plan_sha256 / version: the version it led to ("" / 0 = none). */
typedef struct store_review_turn {
    long long id, review_id;
    char at[32];
    char *actor, *kind, *text, *result;
    char plan_sha256[65];
    int version;
} store_review_turn;
int store_review_turn_add(store *s, store_review_turn *t, mf_err *e);
/* Turns of a review, oldest first. */
int store_review_turns(store *s, long long review_id, store_review_turn **out, int *n, mf_err *e);
void store_review_turns_free(store_review_turn *t, int n);

typedef struct store_load {
    long long run_id;            /* 0 = unknown */
    const char *client, *target, *table_name, *input_sha256, *status, *actor;
    long long rows_loaded, rows_replaced;
} store_load;
int store_load_add(store *s, const store_load *l, mf_err *e);

/* ---- cache entries ---------------------------------------------------------------------------- */

typedef struct store_cache_entry {
    char key[65];
    char *client;
    char mapping_sha256[65];
    char plan_sha256[65];
    char *plan_text;             /* the approved plan text (from plan_versions), NULL if unknown */
    char *used_columns;          /* JSON [{"name":..,"type":..}] in the plan's first-use order */
    char *dialect;               /* JSON {"delimiter":",","quote":"\"","encoding":"UTF-8"} */
    char status[16];             /* "valid" | "invalidated" */
    char *invalidated_reason;    /* NULL while valid */
    char created_at[32];
    long long execution_count;
    int last_run_success;        /* -1 never run, 0 failed, 1 succeeded */
    char expires_at[32];
} store_cache_entry;

/* Insert or replace the entry with this key (status valid, execution_count 0, expires_at =
 * now + $MAPFORGE_CACHE_DAYS days, default 90; the caller's created_at/expires_at when not ""). */
int store_cache_put(store *s, const store_cache_entry *c, mf_err *e);
int store_cache_get(store *s, const char *key, store_cache_entry *out, mf_err *e);
/* client NULL = all; newest first. */
int store_cache_list(store *s, const char *client, store_cache_entry **out, int *n, mf_err *e);
/* Valid entries of (client, mapping_sha256); mapping_sha256 NULL = any mapping of the client. */
int store_cache_candidates(store *s, const char *client, const char *mapping_sha256, store_cache_entry **out,
                           int *n, mf_err *e);
/* 1 invalidated, 0 no such key. */
int store_cache_invalidate(store *s, const char *key, const char *reason, mf_err *e);
/* execution_count += 1, last_run_success = success. */
int store_cache_record_run(store *s, const char *key, int success, mf_err *e);
void store_cache_entry_free(store_cache_entry *c);           /* the strings, not c */
void store_cache_entries_free(store_cache_entry *c, int n);

/* One cache lookup of the workflow (hit or miss, with the key of a hit and the reason of a miss),
 * counted by the metrics.  Stores older than this record get their audit trail's cache_hit /
 * cache_miss events as their first lookups when opened. */
int store_cache_lookup_add(store *s, const char *client, int hit, const char *key, const char *reason, mf_err *e);

/* ---- the cache key and lookup (cache.c) ----------------------------------------------------- */

typedef struct cache_column {
    const char *name;
    const char *type;            /* prof_kind_name() of the profiled kind; NULL = missing from the data */
} cache_column;

/* key = SHA-256 over (client, mapping_sha256, dialect delimiter/quote/encoding, then each used
 * column's name and type in order), length-prefixed so that no two inputs serialise alike. */
void cache_key(const char *client, const char *mapping_sha256, const csv_dialect *d, const cache_column *cols,
               int ncols, char key[65]);

/* The plan's used source columns (first-use order) with their kinds in profile pr.  *cols is
 * malloc'd (names point into p / pr); a column absent from pr gets type NULL. */
int cache_used_columns(const plan *p, const profile *pr, cache_column **cols, int *ncols, mf_err *e);

/* Remember an approved plan: computes the key from (client, mapping sha, pr's dialect, the plan's
 * used columns with their kinds in pr) and stores the entry.  key_out may be NULL. */
int cache_remember(store *s, const char *client, const char *mapping_sha256, const plan *p, const profile *pr,
                   const char *plan_sha256, char key_out[65], mf_err *e);

typedef struct cache_result {
    int hit;                     /* 1: entry is the plan to run */
    char key[65];                /* on hit: the entry's key; on miss: "" */
    store_cache_entry entry;     /* on hit (free with cache_result_free) */
    char reason[512];            /* on miss: why, e.g. "column Amount is now text, was decimal" */
} cache_result;

/* Look for an approved plan for (client, mapping_sha256) that fits the data profiled in pr (its
 * dialect and the kinds of each candidate's used columns).  Miss reasons: "no cached plan for
 * client C", "mapping changed", "column X missing from the data", "column X is now T, was U",
 * "dialect changed: delimiter ; was ,", "entry expired", "invalidated by hand: COMMENT".
 * Appends no audit event.  0 (hit or miss, see r->hit) or -1 on error. */
int cache_lookup(store *s, const char *client, const char *mapping_sha256, const profile *pr, cache_result *r,
                 mf_err *e);
void cache_result_free(cache_result *r);

/* ---- language-model calls (llm_calls.c) ------------------------------------------------------ */

typedef struct store_llm_call {
    char at[32];                  /* "" = now */
    const char *client;           /* "" / NULL when none */
    const char *purpose;          /* "check" | "suggestion" */
    const char *subject;          /* e.g. the output column asked about */
    const char *provider, *model;
    long long tokens_in, tokens_out;
    double seconds;
    int attempts;
    const char *outcome;          /* "ok", "suggested", "rejected: ...", "failed: ...", "over budget" */
    const char *prompt_sha256, *answer_sha256;   /* "" / NULL when none */
    const char *actor;
} store_llm_call;
int store_llm_call_add(store *s, const store_llm_call *c, mf_err *e);
/* A client's calls (client NULL = all), oldest first; the strings are owned by *out
 * (store_llm_calls_free). */
int store_llm_call_list(store *s, const char *client, store_llm_call **out, int *n, mf_err *e);
void store_llm_calls_free(store_llm_call *c, int n);
/* Tokens (in + out) spent since `since` (ISO-8601 UTC), all clients. */
int store_llm_tokens_since(store *s, const char *since, long long *tokens, mf_err *e);

/* ---- metrics (metrics.c) ---------------------------------------------------------------------- */

typedef struct mf_metrics mf_metrics;   /* util/metrics.h */
/* A scrape of the store: every metric of docs/metrics.md, added to m (mf_metrics_init'd).  No
 * label names a client. */
int store_metrics(store *s, mf_metrics *m, mf_err *e);

/* ---- audit trail (audit.c) -------------------------------------------------------------------- */

/* ---- the rulebook (rulebook.c) ---------------------------------------------------------------- */

/* One learned reading: the normalised shape of a mapping rule and the template of the expression a
 * person approved for it (plan/rulebook.h), with where it came from. */
typedef struct store_rule {
    long long id;
    char *shape, *tmpl;
    char *client;
    char plan_sha256[65];
    int version;                 /* the approved plan version it was learned from */
    int row;                     /* the mapping row */
    char *rule_text;
    char *approved_by;
    char approved_at[32];
    char status[16];             /* "valid" | "retired" */
    char *retired_by, *retired_comment;   /* NULL while valid */
} store_rule;
void store_rule_free(store_rule *r);
void store_rules_free(store_rule *r, int n);

/* Add r (id, status and the retired fields are ignored: a new entry is valid).  When an entry with
 * the same shape, template, client, plan and row exists, nothing is added: *id receives the
 * existing entry's id and the call returns 0; a new entry returns 1.  -1 on error. */
int store_rulebook_add(store *s, const store_rule *r, long long *id, mf_err *e);
/* Valid entries of a shape, oldest first. */
int store_rulebook_find(store *s, const char *shape, store_rule **out, int *n, mf_err *e);
/* Every entry (client NULL = all clients), oldest first. */
int store_rulebook_list(store *s, const char *client, store_rule **out, int *n, mf_err *e);
int store_rulebook_get(store *s, long long id, store_rule *out, mf_err *e);   /* 1, 0, -1 */
/* Retire a valid entry: 1 retired, 0 no such valid entry, -1 error. */
int store_rulebook_retire(store *s, long long id, const char *by, const char *comment, mf_err *e);

typedef struct store_audit_event {
    long long seq;
    char at[32];
    char *actor, *event, *client, *subject, *details;   /* client/subject "" when none; details JSON */
    char prev_hash[65];
    char hash[65];
} store_audit_event;

/* Append an event (event: plan_drafted, question_answered, feedback, plan_version, approval,
 * rejection, compile, run, validation, load, cache_hit, cache_miss, cache_invalidated...).
 * client, subject may be NULL; details_json NULL = "{}".  seq_out may be NULL. */
int store_audit_append(store *s, const char *actor, const char *event, const char *client, const char *subject,
                       const char *details_json, long long *seq_out, mf_err *e);
/* Events (client NULL = all) in seq order. */
int store_audit_list(store *s, const char *client, store_audit_event **out, int *n, mf_err *e);
void store_audit_events_free(store_audit_event *ev, int n);

typedef struct store_audit_report {
    long long nevents;           /* events checked */
    bool keyed;                  /* MAPFORGE_AUDIT_KEY_FILE was set: signatures were checked */
    long long nsigned;           /* events with a valid signature */
    long long signed_from;       /* the first signed event (events before it predate the key) */
    long long anchored;          /* anchors: the last anchored event */
    long long bad_seq;           /* first bad event's seq (0 when the chain is intact) */
    char problem[256];           /* e.g. "event 4 was edited: its hash does not match its content" */
} store_audit_report;
/* 0 chain intact, 1 broken (r names the first bad event), -1 error. */
int store_audit_verify(store *s, store_audit_report *r, mf_err *e);

/* Anchors (anchor.c): the chain's hashes copied to a file outside the store.
 * store_audit_anchor verifies the chain and the file so far, appends an "audit_anchored" event, then
 * appends the hashes of the events since the file's last anchor and an anchor line for the new head.
 * store_audit_verify_anchors verifies the chain, then that every event the file names is in the store
 * with the same hash.  Both: 0 good, 1 broken (r names the first bad event), -1 error. */
int store_audit_anchor(store *s, const char *path, const char *actor, store_audit_report *r, mf_err *e);
int store_audit_verify_anchors(store *s, const char *path, store_audit_report *r, mf_err *e);

/* The hash of an event from its fields (canonical serialisation); used by append and verify. */
void audit_event_hash(const store_audit_event *ev, char out[65]);


/* ---- web app accounts (users.c) -------------------------------------------------------------- */

/* Roles, weakest first: each can do what the ones before it can.  viewer: read; reviewer: answer
 * and give feedback; approver: approve, reject and run; admin: everything. */
typedef enum store_role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_REVIEWER, ROLE_APPROVER, ROLE_ADMIN } store_role;
store_role store_role_parse(const char *name);   /* ROLE_NONE when not a role name */
const char *store_role_name(store_role r);

typedef struct store_user {
    char name[128];
    store_role role;
    int disabled;
    char created_at[32];
} store_user;

/* A user name is 1-64 characters of [A-Za-z0-9._@-].  Passwords are hashed with Argon2id
 * (libsodium crypto_pwhash_str, interactive limits) and never stored or logged in clear.
 * add: 1 added, 0 the name exists; passwd/role/disable: 1 done, 0 no such user. */
int store_user_add(store *s, const char *name, store_role role, const char *password, mf_err *e);
int store_user_passwd(store *s, const char *name, const char *password, mf_err *e);
int store_user_set_role(store *s, const char *name, store_role role, mf_err *e);
int store_user_set_disabled(store *s, const char *name, int disabled, mf_err *e);
int store_user_get(store *s, const char *name, store_user *out, mf_err *e);
/* 1 the name exists, is enabled and the password matches (out filled); 0 otherwise (the same
 * answer for an unknown user, a disabled one and a wrong password; the time is alike too). */
int store_user_check(store *s, const char *name, const char *password, store_user *out, mf_err *e);
int store_user_list(store *s, store_user **out, int *n, mf_err *e);   /* by name; free(*out) */
/* The clients' names, sorted (malloc'd strings in a malloc'd array). */
int store_client_list(store *s, char ***names, int *n, mf_err *e);

#endif
