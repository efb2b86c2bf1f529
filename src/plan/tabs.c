/* tabs.c — a tab of the mapping workbook as a plan lookup (`lookup NAME from tab "Tab" (key "K",
 * value "V"): "k" -> "v" ...`).  Invariants: one lookup per tab name in a plan (the first rule that
 * uses a tab gives the provenance; later ones reuse it); rows with an empty key are left out; the
 * name is an identifier the plan language writes bare.
 */
#include "plan/tabs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *tabs_lookup(plan *p, const mf_sheet *sh, int key, int val, int row, const char *rule_text)
{
    char name[64];
    size_t o = 0;
    for (const char *q = sh->name; *q && o + 1 < sizeof name; q++)
        if (isalnum((unsigned char)*q))
            name[o++] = (char)toupper((unsigned char)*q);
        else if (o && name[o - 1] != '_')
            name[o++] = '_';
    while (o && name[o - 1] == '_')
        o--;
    name[o] = 0;
    if (!o || isdigit((unsigned char)name[0]))
        snprintf(name, sizeof name, "LOOKUP_%d", row);
    for (int k = 0; k < p->nlookups; k++)
        if (!strcmp(p->lookups[k].name, name))
            return p->lookups[k].name;
    plan_lookup *lk = plan_add_lookup(p, plan_strdup(p, name));
    lk->tab = plan_strdup(p, sh->name);
    lk->key_col = plan_strdup(p, MF_SHEET_CELL(sh, 0, key));
    lk->value_col = plan_strdup(p, MF_SHEET_CELL(sh, 0, val));
    lk->key = mf_arena_alloc(&p->arena, sizeof(char *) * (size_t)sh->nrows);
    lk->value = mf_arena_alloc(&p->arena, sizeof(char *) * (size_t)sh->nrows);
    for (int r = 1; r < sh->nrows; r++) {
        const char *k = MF_SHEET_CELL(sh, r, key);
        if (!*k)
            continue;
        lk->key[lk->n] = plan_strdup(p, k);
        lk->value[lk->n] = plan_strdup(p, MF_SHEET_CELL(sh, r, val));
        lk->n++;
    }
    lk->prov.row = row;
    lk->prov.text = rule_text ? plan_strdup(p, rule_text) : NULL;
    return lk->name;
}
