/* fuzz_llm.c — libFuzzer target: the language model's answer, as mapforge reads it (src/llm).
 *
 * Byte 0 picks the wire format (bit 0: Anthropic Messages, else OpenAI-compatible chat
 * completions; bit 1: streamed server-sent events); the rest is the response body a provider sent
 * with a 2xx status.  The body goes through llm_read_response (the JSON document or the event
 * stream, the answer gathered from content / tool calls / deltas); an answer goes through
 * llm_parse_answer (the {"expression", "explanation", "confidence"} object) and its expression
 * through plan_parse_expr against a small plan, then (without a ?) into a column of it, checked
 * and rendered, as flow/sample.c does before trying it; the same answer is also read as a proposed
 * edit (llm_parse_edit: columns and rules) and its expressions parsed.
 * Checks besides "no crash, no sanitizer report, no leak": an answer kept is at most
 * LLM_MAX_ANSWER bytes; a read answer's expression is one line of at most LLM_MAX_EXPRESSION
 * bytes, its explanation at most LLM_MAX_EXPLANATION, its confidence in 0..100.
 */
#include "fuzz_util.h"
#include "llm/edit.h"
#include "llm/llm.h"
#include "llm/suggest.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_plan[] = "plan T v1\n"
                                "source \"d.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
                                "output OUT\n\n"
                                "A  text = [A]\n"
                                "B  decimal(18,2) = [B] read as number\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    llm_config c;
    memset(&c, 0, sizeof c);
    c.provider = data[0] & 1 ? LLM_ANTHROPIC : LLM_OPENAI;
    c.stream = (data[0] & 2) != 0;
    char *body = fuzz_string(data + 1, size - 1);
    llm_response r;
    memset(&r, 0, sizeof r);
    mf_err e = {0};
    int rc = llm_read_response(&c, body, size - 1, "http://fuzz.test", &r, &e);
    if (rc == 0) {
        if (!r.answer || strlen(r.answer) > LLM_MAX_ANSWER)
            abort();
        llm_answer a;
        char why[600];
        if (llm_parse_answer(r.answer, &a, why, sizeof why) == 0) {
            size_t xl = strlen(a.expression);
            if (xl == 0 || xl > LLM_MAX_EXPRESSION || strchr(a.expression, '\n') ||
                strlen(a.explanation) > LLM_MAX_EXPLANATION || a.confidence < 0 || a.confidence > 100)
                abort();
            plan p;
            mf_err pe = {0};
            if (plan_parse(base_plan, sizeof base_plan - 1, "fuzz.plan", &p, &pe) < 0)
                abort();   /* the harness's own plan */
            mf_err xe = {0};
            plan_expr *x = plan_parse_expr(&p, a.expression, xl, "the suggestion", &xe);
            if (x && !plan_expr_has_hole(x)) {   /* tried in the column, as a person's edit is */
                p.cols[0].expr = x;
                mf_err ce = {0};
                (void)plan_check(&p, NULL, 0, "fuzz.plan", &ce);
                free(plan_render(&p));
            }
            plan_free(&p);
        }
        llm_edit *ed = malloc(sizeof *ed);   /* the same answer read as a proposed edit (llm/edit.c) */
        if (!ed)
            abort();
        if (llm_parse_edit(r.answer, ed, why, sizeof why) == 0) {
            if (ed->ncolumns < 0 || ed->ncolumns > LLM_EDIT_MAX_COLUMNS || ed->nrules < 0 ||
                ed->nrules > LLM_EDIT_MAX_RULES)
                abort();
            plan p;
            mf_err pe = {0};
            if (plan_parse(base_plan, sizeof base_plan - 1, "fuzz.plan", &p, &pe) < 0)
                abort();
            for (int i = 0; i < ed->ncolumns; i++) {
                mf_err xe = {0};
                (void)plan_parse_expr(&p, ed->columns[i].expression, strlen(ed->columns[i].expression), "the edit", &xe);
            }
            for (int i = 0; i < ed->nrules; i++) {
                mf_err xe = {0};
                (void)plan_parse_expr(&p, ed->rules[i].condition, strlen(ed->rules[i].condition), "the edit", &xe);
            }
            plan_free(&p);
        }
        free(ed);
    } else if (r.answer) {
        abort();   /* no answer is kept on failure */
    }
    llm_response_free(&r);
    free(body);
    return 0;
}
