/* suggest.h — what a model is asked about an open question, and how its answer is read.
 *
 * The question goes with its context: the mapping row (source, target, type, rule, comments), the
 * target's neighbours in the plan, the source column's profile and sample values, the plan
 * language's fixed reference (reference.c) and the plan so far.  The answer is a JSON object
 * {"expression", "explanation", "confidence"} asked for by schema (llm_answer_schema).
 *
 * Invariants: llm_parse_answer keeps nothing but a one-line expression of at most
 * LLM_MAX_EXPRESSION bytes without control characters, an explanation cut to one short line with
 * control characters blanked, and a confidence in 0..100 — everything else is refused with the
 * reason (which goes back to the model once).  Nothing here runs or applies an answer: the
 * workflow (flow/suggest.c) tries it like a person's edit.
 */
#ifndef MF_LLM_SUGGEST_H
#define MF_LLM_SUGGEST_H

#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"

#include <stddef.h>

#define LLM_MAX_EXPRESSION 1000
#define LLM_MAX_EXPLANATION 200

extern const char llm_plan_reference[];   /* reference.c */
extern const char llm_answer_schema[];
extern const char llm_suggest_system[];

/* The user message for the open item about column `column` (question text `question`, mapping row
 * `row`, 0 = none) of p.  previous / refusal: the last answer and why it was refused, for the one
 * retry (NULL the first time).  malloc'd. */
char *llm_question_prompt(const plan *p, const char *column, int row, const char *question, const mapping *m,
                          const profile *pr, const char *previous, const char *refusal);

typedef struct llm_answer {
    char expression[LLM_MAX_EXPRESSION + 1];
    char explanation[LLM_MAX_EXPLANATION + 1];
    int confidence;   /* percent */
} llm_answer;

/* 0 read (a filled), 1 refused (why says why, for the model and the record). */
int llm_parse_answer(const char *json, llm_answer *a, char *why, size_t n);

#endif
