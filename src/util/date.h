/* date.h — calendar dates as days since 1970-01-01 (proleptic Gregorian), and the date
 * patterns of the plan language.
 *
 * Pattern notation (what a reviewer reads): YYYY, YY (two-digit year with a pivot), MM / M
 * (month, two digits / one or two), DD / D, Mon (Jan..Dec, any case), Month (January..), and
 * literal separators (/ . - space and others).  Whole-value match: no leading/trailing junk.
 * Parsing is strict: the day must exist in that month and year.  Two special patterns:
 * "ISO" (YYYY-MM-DD optionally followed by T or space and a time, whose date part is kept)
 * and "EXCEL" (a serial day number, 1900 system, with Excel's 1900-02-29 quirk honoured).
 */
#ifndef MF_DATE_H
#define MF_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int32_t mf_days_from_civil(int y, int m, int d);
void mf_civil_from_days(int32_t z, int *y, int *m, int *d);
bool mf_date_valid(int y, int m, int d);

/* Is pattern a well-formed pattern?  On false, *bad_at is the offending offset. */
bool mf_date_pattern_ok(const char *pattern, size_t *bad_at);

/* Parse s[0..n) with pattern.  pivot: for YY, years map into [pivot, pivot+99] (0 = 1950).
 * Returns true and *days on success. */
bool mf_date_parse(const char *pattern, const char *s, size_t n, int pivot, int32_t *days);

/* Format as YYYY-MM-DD into out (16 bytes of room); returns its length. Years outside 0..9999 are
 * written with a sign / more digits. */
int mf_date_format(int32_t days, char *out);

/* Patterns for writing a date ("written as"): the same notation, any of the parts (at least
 * one, each any number of times) and literal separators; no ISO / EXCEL.  On false, *bad_at is
 * the offending offset. */
bool mf_date_format_pattern_ok(const char *pattern, size_t *bad_at);

/* Write days with a pattern that mf_date_format_pattern_ok accepts into out (cap bytes, NUL
 * terminated, truncated when short); returns the length it needs.  YYYY is 4 digits, YY the last
 * two, MM / DD two digits, M / D without padding, Mon "Jan".."Dec", Month "January"..; English. */
size_t mf_date_format_pattern(int32_t days, const char *pattern, char *out, size_t cap);

/* The last day of the month of days. */
int32_t mf_date_end_of_month(int32_t days);

#endif
