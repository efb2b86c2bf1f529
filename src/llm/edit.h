/* edit.h — what a model is asked about a line of review feedback the rule reader could not apply,
 * and how its answer (a proposed edit) is read.
 *
 * The question goes with the plan so far, the feedback line, what the reader could not read of it,
 * the output columns with their types and the source columns with their profile; the plan
 * language's fixed reference (reference.c) is in the system message.  The answer is a JSON object
 * {"columns": [{"column", "expression"}], "rules": [{"kind", "condition", "message"}],
 * "explanation", "confidence"} asked for by schema (llm_edit_schema).
 *
 * Invariants: llm_parse_edit keeps at most LLM_EDIT_MAX_COLUMNS new expressions and
 * LLM_EDIT_MAX_RULES new rules, each text one line of bounded length without control characters;
 * a kind other than "reject" or "skip", an empty edit, or anything else out of shape is refused
 * with the reason (which goes back to the model once).  Nothing here applies an edit: the workflow
 * (flow/propose.c) parses, type-checks and tries it on the sample like a person's edit, and only a
 * person's acceptance applies it.
 */
#ifndef MF_LLM_EDIT_H
#define MF_LLM_EDIT_H

#include "llm/suggest.h"
#include "plan/plan.h"
#include "read/profile.h"

#include <stddef.h>

#define LLM_EDIT_MAX_COLUMNS 8
#define LLM_EDIT_MAX_RULES 4
#define LLM_EDIT_MAX_NAME 128
#define LLM_EDIT_MAX_MESSAGE 200

extern const char llm_edit_schema[];
extern const char llm_edit_system[];

/* The user message for feedback line `feedback` on plan p, of which `not_understood` is what the
 * rule reader could not read.  previous / refusal: the last answer and why it was refused, for the
 * one retry (NULL the first time).  malloc'd. */
char *llm_feedback_prompt(const plan *p, const char *feedback, const char *not_understood, const profile *pr,
                          const char *previous, const char *refusal);

typedef struct llm_edit_column {
    char column[LLM_EDIT_MAX_NAME + 1];
    char expression[LLM_MAX_EXPRESSION + 1];
} llm_edit_column;

typedef struct llm_edit_rule {
    char kind[8];                               /* "reject" | "skip" */
    char condition[LLM_MAX_EXPRESSION + 1];
    char message[LLM_EDIT_MAX_MESSAGE + 1];     /* reject: the reason ("" = none given) */
} llm_edit_rule;

typedef struct llm_edit {
    int ncolumns, nrules;
    llm_edit_column columns[LLM_EDIT_MAX_COLUMNS];
    llm_edit_rule rules[LLM_EDIT_MAX_RULES];
    char explanation[LLM_MAX_EXPLANATION + 1];
    int confidence;                             /* percent */
} llm_edit;

/* 0 read (ed filled), 1 refused (why says why, for the model and the record). */
int llm_parse_edit(const char *json, llm_edit *ed, char *why, size_t n);

#endif
