/* tabs.h — other tabs of the mapping workbook turned into plan lookups.  Shared by the rule readers
 * (plan/rules/ for "look up in the Brokers tab", formula.c for VLOOKUP(x, Brokers!A:B, 2, FALSE)). */
#ifndef MF_TABS_H
#define MF_TABS_H

#include "mapping/mapping.h"
#include "plan/plan.h"

/* The lookup of sheet sh (key column key, value column val; row 0 is the header) in plan p: added
 * once per tab, named by the tab as an upper-case identifier (LOOKUP_<row> when the tab's name has
 * none).  row and rule_text are the provenance of the first rule that uses it.  Returns its name
 * (arena string). */
const char *tabs_lookup(plan *p, const mf_sheet *sh, int key, int val, int row, const char *rule_text);

#endif
