/* plan_syntax.h — private to src/plan: the lexical facts the renderer and the parser share.
 *
 * Keeping them in one place is what makes parse(render(p)) == p hold: a name is written bare
 * exactly when the parser would read it back as that same bare name.
 */
#ifndef MF_PLAN_SYNTAX_H
#define MF_PLAN_SYNTAX_H

#include "read/csv.h"

#include <stdbool.h>
#include <string.h>

/* Words that may not be written as bare output-column names: they start a statement, or the
 * parser gives them a meaning where a name could also stand.  Case-sensitive. */
static const char *const plan_keywords[] = {
    "plan", "source", "output", "skip", "reject", "lookup", "question", "key", "check",
    "if", "then", "else", "days", "from", "to", "true", "false", "null", "not", "and", "or",
    "is", "missing", "present", "one", "of", "when", "otherwise", "unchanged", "rejected",
    "contains", "starts", "ends", NULL};

static inline bool plan_is_keyword(const char *s, size_t n)
{
    for (int i = 0; plan_keywords[i]; i++)
        if (strlen(plan_keywords[i]) == n && !memcmp(plan_keywords[i], s, n))
            return true;
    return false;
}

static inline bool plan_ident_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static inline bool plan_ident_char(int c)
{
    return plan_ident_start(c) || (c >= '0' && c <= '9');
}

/* A name that may be written without back quotes. */
static inline bool plan_is_bare_name(const char *s)
{
    if (!s || !plan_ident_start((unsigned char)s[0]))
        return false;
    size_t n = 1;
    while (s[n]) {
        if (!plan_ident_char((unsigned char)s[n]))
            return false;
        n++;
    }
    return !plan_is_keyword(s, n);
}

/* Characters a date pattern may use when written bare after "read as" (anything else is
 * written as a "quoted" pattern). */
static inline bool plan_bare_pattern_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '/' || c == '.' || c == '-' ||
           c == ':' || c == '_';
}

/* Words that follow "read as" and therefore cannot be bare date patterns. */
static inline bool plan_pattern_reserved(const char *s, size_t n)
{
    static const char *const w[] = {"ISO", "Excel", "number", "integer", "boolean", NULL};
    for (int i = 0; w[i]; i++)
        if (strlen(w[i]) == n && !memcmp(w[i], s, n))
            return true;
    return false;
}

/* Encoding names as the source line writes them. */
static const struct {
    csv_encoding enc;
    const char *name;
} plan_encodings[] = {
    {CSV_UTF8_BOM, "UTF-8 with BOM"}, {CSV_UTF8, "UTF-8"},        {CSV_CP1252, "Windows-1252"},
    {CSV_LATIN1, "ISO-8859-1"},       {CSV_UTF16LE, "UTF-16LE"}, {CSV_UTF16BE, "UTF-16BE"},
};
#define PLAN_NENCODINGS (sizeof plan_encodings / sizeof plan_encodings[0])

static inline const char *plan_encoding_name(csv_encoding e)
{
    for (size_t i = 0; i < PLAN_NENCODINGS; i++)
        if (plan_encodings[i].enc == e)
            return plan_encodings[i].name;
    return "UTF-8";
}

#endif
