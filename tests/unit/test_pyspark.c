/* test_pyspark.c — the PySpark back end's two files: job.py needs exactly the runtime version
 * that mapforge_runtime.py declares, holds no runtime code of its own, and both are the same bytes
 * for the same plan (the runtime for every plan).  What the job computes is held to the native
 * engine by tests/spark/differential.py. */
#include "check.h"
#include "compile/pyspark.h"
#include "plan/plan.h"
#include "util/afile.h"

#include <stdlib.h>
#include <string.h>

static char *compile_file(const char *path, mf_buf *runtime)
{
    size_t n;
    mf_err e = {0};
    char *text = mf_read_file(path, &n, &e);
    CHECK(text != NULL);
    if (!text)
        return NULL;
    plan p;
    mf_buf job = {0};
    CHECK_INT(plan_parse(text, n, path, &p, &e), 0);
    CHECK_INT(plan_check(&p, NULL, 0, path, &e), 0);
    CHECK_INT(pyspark_compile(&p, "0123", &job, &e), 0);
    CHECK_INT(pyspark_runtime(runtime), 0);
    plan_free(&p);
    free(text);
    char *out = mf_xstrdup(mf_buf_str(&job));
    mf_buf_free(&job);
    return out;
}

int main(void)
{
    mf_buf rt1 = {0}, rt2 = {0}, rt3 = {0};
    char *a = compile_file("bench/acme_plan.txt", &rt1);
    char *b = compile_file("bench/acme_plan.txt", &rt2);
    char *c = compile_file("tests/cases/plan_text_steps/plan.txt", &rt3);
    CHECK(a && b && c);
    if (a && b && c) {
        CHECK_STR(a, b);   /* same plan, same job */
        CHECK(rt1.len == rt2.len && rt1.len == rt3.len && !memcmp(rt1.data, rt2.data, rt1.len) &&
              !memcmp(rt1.data, rt3.data, rt1.len));   /* one runtime for every plan */
        /* the version the job requires is the version the runtime declares */
        const char *req = strstr(a, "\nrequire(\"");
        const char *decl = strstr(mf_buf_str(&rt1), "\nRUNTIME_VERSION = \"");
        CHECK(req && decl);
        if (req && decl) {
            req += strlen("\nrequire(\"");
            decl += strlen("\nRUNTIME_VERSION = \"");
            CHECK(strcspn(req, "\"") == strcspn(decl, "\"") && !strncmp(req, decl, strcspn(req, "\"")));
        }
        /* the job holds the plan only: the runtime's definitions are not copied into it */
        CHECK(strstr(a, "def run_job") == NULL && strstr(a, "class Job") == NULL);
        CHECK(strstr(mf_buf_str(&rt1), "def run_job(") != NULL);
        CHECK(strstr(a, "from mapforge_runtime import (") != NULL);
        /* the case tables end the runtime, generated from utf8proc */
        CHECK(strstr(mf_buf_str(&rt1), "\nUPPER_FIX = (") != NULL && strstr(mf_buf_str(&rt1), "\nLOWER_FIX = (") != NULL);
    }
    free(a);
    free(b);
    free(c);
    mf_buf_free(&rt1);
    mf_buf_free(&rt2);
    mf_buf_free(&rt3);
    CHECK_DONE();
}
