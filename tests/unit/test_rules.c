/* test_rules.c — the rule vocabulary: table-driven phrasings -> rendered expression text, and
 * questions (holes) for rules that are unreadable or contradicted by the data sample.
 * The profile and the mapping (with a lookup tab) are built by hand in an arena. */
#include "check.h"
#include "plan/rules.h"

#include <stdlib.h>
#include <string.h>

static mf_arena A;
static profile PR;
static mapping M;

static void add_col(int i, const char *name, prof_kind k, const char *fmt, const char *const *sample)
{
    prof_column *c = &PR.col[i];
    c->name = name;
    c->kind = k;
    if (fmt)
        c->date_formats[c->ndate_formats++] = fmt;
    long n = 0;
    while (sample[n])
        n++;
    c->nsample = n;
    c->sample = mf_arena_alloc(&A, sizeof(char *) * (size_t)(n + 1));
    for (long j = 0; j < n; j++)
        c->sample[j] = *sample[j] ? sample[j] : NULL;
    c->decimal = '.';
}

static void setup(void)
{
    mf_arena_init(&A);
    memset(&PR, 0, sizeof PR);
    PR.ncols = 32;
    PR.col = mf_arena_alloc(&A, sizeof(prof_column) * 32);
    add_col(0, "Acct No", PK_INTEGER, NULL, (const char *[]){"123", "4567", NULL});
    add_col(1, "Posting Dt", PK_DATE, "MM/DD/YYYY", (const char *[]){"01/15/2025", "12/31/2024", NULL});
    add_col(2, "EU Dt", PK_DATE, "DD/MM/YYYY", (const char *[]){"13/02/2025", "01/03/2025", NULL});
    add_col(3, "Amt", PK_DECIMAL, NULL, (const char *[]){"1,234.50", "(12.00)", "7", NULL});
    PR.col[3].thousands = ',';
    PR.col[3].paren_negative = true;
    PR.col[3].max_scale = 2;
    add_col(4, "Dr/Cr", PK_TEXT, NULL, (const char *[]){"D", "C", NULL});
    add_col(5, "Status", PK_TEXT, NULL, (const char *[]){"OPEN", "VOID", "Cancelled", NULL});
    add_col(6, "First Name", PK_TEXT, NULL, (const char *[]){"Ann", "Bo", NULL});
    add_col(7, "Last Name", PK_TEXT, NULL, (const char *[]){"Lee", "Ng", NULL});
    add_col(8, "Qty", PK_INTEGER, NULL, (const char *[]){"10", "5", NULL});
    add_col(9, "Px", PK_DECIMAL, NULL, (const char *[]){"1.25", "2.5", NULL});
    PR.col[9].max_scale = 2;
    add_col(10, "Trade Date", PK_DATE, "YYYY-MM-DD", (const char *[]){"2025-01-02", NULL});
    add_col(11, "Settle Date", PK_DATE, "YYYY-MM-DD", (const char *[]){"2025-01-04", NULL});
    add_col(12, "Active", PK_BOOLEAN, NULL, (const char *[]){"Y", "N", NULL});
    add_col(13, "Ccy", PK_TEXT, NULL, (const char *[]){"USD", "", NULL});
    add_col(14, "Broker", PK_TEXT, NULL, (const char *[]){"GS", "MS", NULL});
    add_col(15, "EU Amt", PK_DECIMAL, NULL, (const char *[]){"1.234,56", "7,5", NULL});
    PR.col[15].thousands = '.';
    PR.col[15].decimal = ',';
    PR.col[15].max_scale = 2;
    add_col(16, "Short Dt", PK_DATE, "M/D/YY", (const char *[]){"1/5/25", "12/31/99", NULL});
    add_col(17, "Mon Dt", PK_DATE, "D-Mon-YYYY", (const char *[]){"5-Mar-2025", "17-jan-2024", NULL});
    add_col(18, "Dot Dt", PK_DATE, NULL, (const char *[]){"05.03.2025", "", NULL});
    /* the profile lists no date pattern when one sampled value is a bad date: the planner reads
     * the sample itself (a majority, one layout) */
    add_col(19, "Bad Dt", PK_INTEGER, NULL, (const char *[]){"20250131", "20250230", "20240228", NULL});
    add_col(20, "Mixed Dt", PK_TEXT, NULL, (const char *[]){"01/02/2025", "03/04/2025", "xx", NULL});
    add_col(21, "Junk Dt", PK_TEXT, NULL, (const char *[]){"abc", "def", "20250101", NULL});
    add_col(22, "EU Bad", PK_TEXT, NULL, (const char *[]){"1.234,56", "7,5", "12,5O", "-0,50", NULL});
    add_col(23, "Code", PK_TEXT, NULL, (const char *[]){"A", "T", "1", "2", "B", "S", "x", NULL});
    add_col(24, "Label", PK_TEXT, NULL, (const char *[]){"A1", "B2", "GRAND TOTAL", NULL});
    add_col(25, "S/H", PK_TEXT, NULL, (const char *[]){"S", "H", "S", NULL});
    add_col(26, "IC", PK_TEXT, NULL, (const char *[]){"X", "", "X", NULL});
    add_col(27, "Breach", PK_TEXT, NULL, (const char *[]){"yes", "No", "Y", "n", "YES", NULL});
    add_col(28, "Rate", PK_TEXT, NULL, (const char *[]){"4.25%", "0.5%", NULL});
    add_col(29, "Capitalization Date", PK_INTEGER, NULL, (const char *[]){"44927", "40048", NULL});
    add_col(30, "Retirement Date", PK_INTEGER, NULL, (const char *[]){"", "40609", NULL});
    add_col(31, "Accum. Depr", PK_DECIMAL, NULL, (const char *[]){"12.50", "3", NULL});
    PR.col[31].max_scale = 2;

    memset(&M, 0, sizeof M);
    mf_arena_init(&M.arena);
    M.book.nsheets = 2;
    M.book.sheet = mf_arena_alloc(&A, sizeof(mf_sheet) * 2);
    static const char *map_cells[] = {"Source", "Target"};
    M.book.sheet[0] = (mf_sheet){.name = "Mapping", .nrows = 1, .ncols = 2, .cell = map_cells};
    static const char *brk[] = {"Code", "Name", "GS", "Goldman Sachs", "MS", "Morgan Stanley"};
    M.book.sheet[1] = (mf_sheet){.name = "Brokers", .nrows = 3, .ncols = 2, .cell = brk};
}

static plan_type ty(const char *t)
{
    plan_type x = {0};
    if (!strcmp(t, "date")) x.base = PT_DATE;
    else if (!strcmp(t, "int")) x.base = PT_INTEGER;
    else if (!strcmp(t, "bool")) x.base = PT_BOOLEAN;
    else if (!strncmp(t, "dec", 3)) { x.base = PT_DECIMAL; x.prec = 18; x.scale = 2; }
    else { x.base = PT_TEXT; x.len = atoi(t + 4); }
    if (!strcmp(t, "text1")) x.len = 1;
    return x;
}

/* Read `rule` for target COL of type `type` with sources "A|B" (data column names); return
 * the rendered expression (or "-" when none), and the plan's statements/questions in *extra. */
static char *read_rule(const char *rule, const char *type, const char *sources, plan *p)
{
    rule_src src[4];
    int nsrc = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sources);
    for (char *tokp = buf, *s; (s = strsep(&tokp, "|")) != NULL && nsrc < 4;) {
        if (!*s)
            continue;
        src[nsrc].written = plan_strdup(p, s);
        src[nsrc].name = NULL;
        src[nsrc].prof = NULL;
        for (int i = 0; i < PR.ncols; i++)
            if (!strcmp(PR.col[i].name, s)) {
                src[nsrc].name = PR.col[i].name;
                src[nsrc].prof = &PR.col[i];
            }
        nsrc++;
    }
    rule_ctx c = {.p = p, .m = &M, .pr = &PR, .row = 7, .column = *type ? "COL" : NULL,
                  .type = *type ? ty(type) : (plan_type){0}, .nsrc = nsrc, .src = src};
    rule_result res;
    mf_err e = {0};
    if (rules_read(&c, rule, &res, &e) < 0)
        return strdup("ERROR");
    if (!res.expr)
        return strdup("-");
    return plan_render_expr(res.expr);
}

typedef struct rcase {
    const char *rule, *type, *sources, *want;
} rcase;

static const rcase CASES[] = {
    /* ---- the reading model ---- */
    /* descriptive words do not block a reading */
    {"Please trim the values as shown per the controller", "text", "Acct No", "[Acct No] trimmed"},
    {"Trim. The client's ledger does not carry a module indicator.", "text", "Acct No", "[Acct No] trimmed"},
    /* an operative word left unread, or an instruction clause left unread, is a question */
    {"trim, then clean up", "text", "Acct No", "?"},
    {"Trim. Apply the Smith adjustment.", "text", "Acct No", "?"},
    {"trim and apply the FX rate", "text", "Acct No", "?"},
    {"upper case; multiply by 100 unless negative", "dec", "Amt", "?"},
    /* sample contradictions */
    {"X = Active, Y = Inactive", "text", "Code", "?"},             /* codes not in the sample */
    {"a = Active, t = Inactive", "text", "Code", "?"},             /* only in another letter case */
    {"", "int", "Posting Dt", "?"},                                /* a number target, dates, no date part */
    /* "ask" rules stay questions */
    {"Derive FY", "int", "Trade Date", "?"},
    {"clean up cpty name", "text", "Acct No", "?"},
    {"Amount in correct sign please", "dec", "Amt", "?"},
    {"pad acct no", "text", "Acct No", "?"},
    {"Please apply the usual rounding.", "dec", "Amt", "?"},
    {"Standard status mapping", "text", "Status", "?"},
    {"fiscal year of the trade date", "int", "Trade Date", "?"},   /* no start month */
    {"Row number starting at 0", "int", "Acct No", "?"},
    /* descriptive clauses of verbose rules, read when another clause was read */
    {"Line number within the journal. The client confirmed that line numbers are always whole numbers. Load as an integer.",
     "int", "Qty", "[Qty] read as integer"},
    {"Copy as is. We rely on this for our sample selection; please carry it over without any reformatting.", "text", "Acct No",
     "[Acct No]"},
    {"Booking day. Format in the file is day.month.year (DD.MM.YYYY). If the date is not a valid date the line must be rejected.",
     "date", "Dot Dt", "[Dot Dt] read as DD.MM.YYYY"},
    /* instructions left unread stay questions, whatever else was read */
    {"Copy. Apply the Smith adjustment.", "dec", "Amt", "?"},
    {"Copy. We will add the adjustment later.", "dec", "Amt", "?"},
    {"Trim. Then the value gets the regional suffix.", "text", "Acct No", "?"},
    {"Upper case, but not for names starting with 'Mc'", "text", "Acct No", "?"},
    {"First 3 chars of the second word", "text", "Acct No", "?"},
    {"Only positive values", "dec", "Amt", "?"},
    {"Names are stored in lower case.", "text", "Acct No", "?"},
    {"If Status = 'OPEN' then 'O'", "text", "Status", "?"},                /* no value for the other rows */
    /* more families */
    {"'Y' when a trade date is present, 'N' otherwise.", "text", "Trade Date", "if [Trade Date] is present then \"Y\" else \"N\""},
    {"Remove the spaces before and after, and write all in capital letters.", "text", "Acct No", "[Acct No] trimmed, upper cased"},
    {"Only first 3 characters are needed, the rest cut off.", "text", "Acct No", "[Acct No] first 3 characters"},
    {"If the Status start with 'C' leave it empty, otherwise take like it is.", "text", "Status",
     "if [Status] starts with \"C\" then null else [Status]"},
    {"Same format like Trade Date. If empty take the Trade Date.", "date", "Settle Date",
     "[Settle Date] read as YYYY-MM-DD, defaulting to ([Trade Date] read as YYYY-MM-DD) when missing"},
    {"Always the same for this file: DE445001 (our account). Write it in every line.", "text", "Acct No", "\"DE445001\""},
    {"When Dr/Cr is 'C' the amount must be negative, when 'D' it stays positive.", "dec", "Amt",
     "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    {"First Name + ' ' + Last Name (2 dig. w/ leading 0)", "text", "First Name|Last Name",
     "[First Name] & \" \" & [Last Name] padded left with \"0\" to 2"},
    /* a named character removed wherever it stands; separators stay with the number readers */
    {"remove the '-' sign", "text", "Acct No", "[Acct No] with \"-\" removed"},
    {"strip #", "text", "Acct No", "[Acct No] with \"#\" removed"},
    {"without the '*' character, upper case", "text", "Acct No", "[Acct No] with \"*\" removed, upper cased"},
    /* a pad that names its part applies to that part, never to the whole concatenation */
    {"First Name & '-' & Last Name (Last Name pad 0 to 4)", "text", "First Name|Last Name",
     "[First Name] & \"-\" & [Last Name] padded left with \"0\" to 4"},
    {"Addresses take the form first.last@domain. We only need the part before the '@' sign.", "text", "Acct No",
     "[Acct No] text before \"@\""},
    /* never guess: a restriction to some rows, a value that is a plain word, a hint that more is needed */
    {"Take the amount. For Germany divide by 100.", "dec", "Amt", "?"},
    {"Amount in cents for EUR, in units for JPY.", "dec", "Amt", "?"},
    {"Copy. Rows for Germany use a different rate.", "dec", "Amt", "?"},
    {"If Status is 'VOID' then 'V' else 'O'. Status is always filled.", "text", "Status",
     "if [Status] is \"VOID\" then \"V\" else \"O\""},
    {"Copy. Use the second column if this one is empty.", "text", "Acct No", "?"},
    {"Trim. Then the value gets the regional suffix.", "text", "Acct No", "?"},
    /* ---- families ---- */
    {"When Status = 'OPEN' then 'O', when 'VOID' then 'V', otherwise 'X'", "text", "Status", "if [Status] is \"OPEN\" then \"O\" else if [Status] is \"VOID\" then \"V\" else \"X\""},
    {"D if amt >= 0, otw C", "text", "Amt", "if [Amt] read as number (thousands \",\", negative in parentheses) >= 0 then \"D\" else \"C\""},
    {"flag Y if Qty > 5 else N", "text", "Qty", "if [Qty] read as number > 5 then \"Y\" else \"N\""},
    {"'A' if Qty > 5", "text", "Qty", "?"},
    {"Year of Trade Date (YYYY-MM-DD)", "int", "Trade Date", "[Trade Date] read as YYYY-MM-DD, its year"},
    {"Calendar quarter of the trade date, written 'Q1' to 'Q4'", "text", "Trade Date", "if [Trade Date] read as YYYY-MM-DD its quarter is 1 then \"Q1\" else if [Trade Date] read as YYYY-MM-DD its quarter is 2 then \"Q2\" else if [Trade Date] read as YYYY-MM-DD its quarter is 3 then \"Q3\" else if [Trade Date] read as YYYY-MM-DD its quarter is 4 then \"Q4\" else null"},
    {"fiscal year, the year begins 1 July; the FY is named by the year in which it ends", "int", "Trade Date", "[Trade Date] read as YYYY-MM-DD, its fiscal year (starting month 7)"},
    {"3-letter month abbrev of trade dt", "text", "Trade Date", "[Trade Date] read as YYYY-MM-DD, written as \"Mon\""},
    {"trade dt as yyyymm", "text", "Trade Date", "[Trade Date] read as YYYY-MM-DD, written as \"YYYYMM\""},
    {"end of month", "date", "Trade Date", "[Trade Date] read as YYYY-MM-DD, end of month"},
    {"plus 30 days", "date", "Trade Date", "[Trade Date] read as YYYY-MM-DD, plus 30 days"},
    {"number of days from Trade Date to 31 December 2025", "int", "Trade Date", "days from [Trade Date] read as YYYY-MM-DD to \"2025-12-31\" read as ISO date"},
    {"Set as 0 for all records", "int", "Acct No", "0"},
    {"Not avail. in src - leave blank", "text", "Acct No", "null"},
    {"Always write 1000 (our company number)", "text", "Acct No", "\"1000\""},
    {"hardcode -> 'GL'", "text", "Acct No", "\"GL\""},
    {"Row no., 1..n", "int", "Acct No", "row number"},
    {"Please add a sequential line identifier, starting at 1 and incrementing by one", "int", "Acct No", "row number"},
    {"Value in file is in thousands", "dec", "Qty", "[Qty] read as number, multiplied by 1000"},
    {"Cents. /100", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"net x 19%, rnd 2dp", "dec", "Px", "[Px] read as number, multiplied by 0.19, rounded to 2 decimals"},
    {"remove all spaces", "text", "Acct No", "[Acct No] with \" \" removed"},
    {"digits only", "text", "Acct No", "[Acct No] digits only"},
    {"proper case (1st letter of each word cap., rest lower)", "text", "Acct No", "[Acct No] title cased"},
    {"text after the last '-'", "text", "Acct No", "[Acct No] text after last \"-\""},
    {"round up to 0 decimals", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses), rounded up to 0 decimals"},
    {"Remove ',' thousands sep", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses)"},
    {"S = neg", "dec", "Amt", "?"},   /* S is in two columns' samples: which one? */
    {"H = pos, Q = neg", "dec", "Amt", "?"},   /* Q is in no column */
    {"D = pos, X = neg", "dec", "Amt", "?"},   /* the two codes are in different columns */
    {"H = pos, S = neg", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses), negated when [S/H] is \"S\""},
    {"blank/other -> Not rated; A -> Active", "text", "Code", "[Code] mapped (\"A\" -> \"Active\", otherwise \"Not rated\"), defaulting to \"Not rated\" when missing"},
    {"'A' is Active, 'T' is Inactive. Should any other value appear, the record must be rejected.", "text", "Code", "[Code] mapped (\"A\" -> \"Active\", \"T\" -> \"Inactive\", otherwise rejected)"},
    {"Y/N -> boolean", "bool", "Active", "[Active] read as boolean (\"Y\" = true, \"N\" = false)"},
    {"The client marks it with an 'X' and leaves it blank otherwise; convert to a true/false indicator", "bool", "IC", "[IC] read as boolean (\"X\" = true), defaulting to false when missing"},
    {"Blank -> Status", "text", "Ccy", "[Ccy] defaulting to [Status] when missing"},
    {"Put zeros in front until 10 digit", "text", "Acct No", "[Acct No] padded left with \"0\" to 10"},
    {"Take only the first 2 letters, it is the country.", "text", "Acct No", "[Acct No] first 2 characters"},
    {"From the position 2, take 2 characters.", "text", "Acct No", "[Acct No] characters 2 to 3"},
    {"The date is in format day.month.year with 2 digit for year (31.12.23). All years are 20xx.", "date", "Dot Dt", "?"},   /* the sample has four-digit years: the rule is contradicted */
    /* as is */
    {"", "text", "Acct No", "[Acct No]"},
    {"As is", "text", "Acct No", "[Acct No]"},
    {"Direct move", "text", "Acct No", "[Acct No]"},
    {"straight move, no transformation", "text", "Acct No", "[Acct No]"},
    {"1:1", "text", "Acct No", "[Acct No]"},
    {"Copy the value", "text", "Acct No", "[Acct No]"},
    {"as-is", "int", "Acct No", "[Acct No] read as integer"},
    /* trim / case */
    {"Trim", "text", "Acct No", "[Acct No] trimmed"},
    {"remove leading and trailing spaces", "text", "Acct No", "[Acct No] trimmed"},
    {"Strip whitespace", "text", "Acct No", "[Acct No] trimmed"},
    {"Upper case", "text", "Acct No", "[Acct No] upper cased"},
    {"Convert to CAPS", "text", "Acct No", "[Acct No] upper cased"},
    {"trim and uppercase", "text", "Acct No", "[Acct No] trimmed, upper cased"},
    {"lowercase", "text", "Acct No", "[Acct No] lower cased"},
    /* padding */
    {"Left-pad with zeros to 10 characters", "text", "Acct No", "[Acct No] padded left with \"0\" to 10"},
    {"zero pad to 8", "text", "Acct No", "[Acct No] padded left with \"0\" to 8"},
    {"pad with leading 0s to length 6", "text", "Acct No", "[Acct No] padded left with \"0\" to 6"},
    {"right pad with spaces to 20", "text", "Acct No", "[Acct No] padded right with \" \" to 20"},
    /* prefix / suffix */
    {"prefix with 'ACME-'", "text", "Acct No", "[Acct No] prefixed with \"ACME-\""},
    {"add 'X' at the end", "text", "Acct No", "[Acct No] suffixed with \"X\""},
    {"append _US", "text", "Acct No", "[Acct No] suffixed with \"_US\""},
    /* constants */
    {"Constant 'GL'", "text", "", "\"GL\""},
    {"hardcode USD", "text", "", "\"USD\""},
    {"always 'N'", "text", "", "\"N\""},
    {"set to 1", "int", "", "1"},
    {"default value 'ACME'", "text", "", "\"ACME\""},
    /* default when blank */
    {"if blank then 'USD'", "text", "Ccy", "[Ccy] defaulting to \"USD\" when missing"},
    {"default to USD when empty", "text", "Ccy", "[Ccy] defaulting to \"USD\" when missing"},
    {"use 'N/A' when null", "text", "Ccy", "[Ccy] defaulting to \"N/A\" when missing"},
    /* substrings */
    {"first 3 characters", "text", "Acct No", "[Acct No] first 3 characters"},
    {"left(Acct No, 4)", "text", "Acct No", "[Acct No] first 4 characters"},
    {"last 2 chars", "text", "Acct No", "[Acct No] last 2 characters"},
    {"characters 2-5", "text", "Acct No", "[Acct No] characters 2 to 5"},
    {"substring(2,4)", "text", "Acct No", "[Acct No] characters 2 to 5"},
    {"text before the '-'", "text", "Acct No", "[Acct No] text before \"-\""},
    {"everything after the first '/'", "text", "Acct No", "[Acct No] text after \"/\""},
    {"part before '|'", "text", "Acct No", "[Acct No] text before \"|\""},
    /* concatenation */
    {"concatenate First Name and Last Name with a space", "text", "First Name|Last Name",
     "[First Name] & \" \" & [Last Name]"},
    {"First Name + ' ' + Last Name", "text", "First Name|Last Name", "[First Name] & \" \" & [Last Name]"},
    {"join First Name, Last Name with '-'", "text", "First Name|Last Name", "[First Name] & \"-\" & [Last Name]"},
    /* dates */
    {"Convert from MM/DD/YYYY to YYYY-MM-DD", "date", "Posting Dt", "[Posting Dt] read as MM/DD/YYYY"},
    {"date format mm/dd/yyyy", "date", "Posting Dt", "[Posting Dt] read as MM/DD/YYYY"},
    {"", "date", "Posting Dt", "[Posting Dt] read as MM/DD/YYYY"},
    {"dd/mm/yyyy", "date", "EU Dt", "[EU Dt] read as DD/MM/YYYY"},
    {"M/D/YY (2-digit year)", "date", "Short Dt", "[Short Dt] read as M/D/YY (pivot 1950)"},
    {"D-Mon-YYYY e.g. 5-Mar-2025", "date", "Mon Dt", "[Mon Dt] read as D-Mon-YYYY"},
    {"Date format DD.MM.YYYY", "date", "Dot Dt", "[Dot Dt] read as DD.MM.YYYY"},
    {"ISO timestamp, take the date part", "date", "Trade Date", "[Trade Date] read as ISO date"},
    {"Excel serial date", "date", "Acct No", "[Acct No] read as Excel serial date"},
    /* numbers */
    {"values in parentheses are negative", "dec", "Amt",
     "[Amt] read as number (thousands \",\", negative in parentheses)"},
    {"", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses)"},
    {"European format 1.234,56", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"multiply by 1000", "dec", "Amt",
     "[Amt] read as number (thousands \",\", negative in parentheses), multiplied by 1000"},
    {"divide by 100", "dec", "Amt",
     "[Amt] read as number (thousands \",\", negative in parentheses), divided by 100, rounded to 2 decimals"},
    {"convert cents to dollars", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"x 100", "dec", "Qty", "[Qty] read as number, multiplied by 100"},
    {"/1000", "dec", "Qty", "[Qty] read as number, divided by 1000, rounded to 2 decimals"},
    {"round half up to 2 dp", "dec", "Px", "[Px] read as number, rounded to 2 decimals"},
    {"QTY * PX", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"Qty times Px", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"Net = Qty - Px", "dec", "Qty|Px", "[Qty] read as number - [Px] read as number"},
    /* sign */
    {"negate when Dr/Cr = 'C'", "dec", "Amt|Dr/Cr",
     "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    {"if Dr/Cr is C then multiply by -1", "dec", "Amt|Dr/Cr",
     "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    {"credits are negative (Dr/Cr = C)", "dec", "Amt|Dr/Cr",
     "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    {"reverse sign for credit entries", "dec", "Amt|Dr/Cr",
     "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    /* code maps */
    {"D -> DEBIT, C -> CREDIT", "text", "Dr/Cr", "[Dr/Cr] mapped (\"D\" -> \"DEBIT\", \"C\" -> \"CREDIT\", otherwise rejected)"},
    {"A = Y, T = N", "text", "Code", "[Code] mapped (\"A\" -> \"Y\", \"T\" -> \"N\", otherwise rejected)"},
    {"D=Debit / C=Credit, else keep", "text", "Dr/Cr", "[Dr/Cr] mapped (\"D\" -> \"Debit\", \"C\" -> \"Credit\")"},
    {"Map: 1=Active; 2=Inactive", "text", "Code",
     "[Code] mapped (\"1\" -> \"Active\", \"2\" -> \"Inactive\", otherwise rejected)"},
    {"'B' means Buy, 'S' means Sell, otherwise UNKNOWN", "text", "Code",
     "[Code] mapped (\"B\" -> \"Buy\", \"S\" -> \"Sell\", otherwise \"UNKNOWN\")"},
    {"Y/N to true/false", "bool", "Active", "[Active] read as boolean (\"Y\" = true, \"N\" = false)"},
    {"", "bool", "Active", "[Active] read as boolean (\"Y\" = true, \"N\" = false)"},
    /* lookup */
    {"Look up broker name on the Brokers tab", "text", "Broker", "[Broker] looked up in BROKERS (otherwise rejected)"},
    {"lookup in 'Brokers' sheet, default 'UNK'", "text", "Broker", "[Broker] looked up in BROKERS (otherwise \"UNK\")"},
    /* days */
    {"days between Trade Date and Settle Date", "int", "Trade Date|Settle Date",
     "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
    {"Settle Date - Trade Date in days", "int", "Trade Date|Settle Date",
     "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
    /* new phrasings: dates read from the sample when the profile has no candidate */
    {"", "date", "Bad Dt", "[Bad Dt] read as YYYYMMDD"},
    {"Convert from YYYYMMDD", "date", "Bad Dt", "[Bad Dt] read as YYYYMMDD"},
    {"date format is yyyymmdd", "date", "Bad Dt", "[Bad Dt] read as YYYYMMDD"},
    {"", "date", "Dot Dt", "[Dot Dt] read as DD.MM.YYYY"},
    {"Days between Bad Dt and Settle Date", "int", "Bad Dt|Settle Date",
     "days from [Bad Dt] read as YYYYMMDD to [Settle Date] read as YYYY-MM-DD"},
    {"number of days from Trade Date to Settle Date", "int", "Trade Date|Settle Date",
     "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
    {"", "date", "Mixed Dt", "?"},
    {"", "date", "Junk Dt", "?"},
    {"days between Mixed Dt and Settle Date", "int", "Mixed Dt|Settle Date", "?"},
    /* new phrasings: separators named one by one */
    {"European number format: '.' is the thousands separator and ',' the decimal separator", "dec", "EU Amt",
     "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"thousands separator '.', decimal separator ','", "dec", "EU Amt",
     "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"decimal comma, dot as thousands separator", "dec", "EU Amt",
     "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"comma as the decimal separator and period for thousands", "dec", "EU Amt",
     "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"remove thousands separators", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"thousands separator is ','", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses)"},
    {"European format", "dec", "EU Bad", "[EU Bad] read as number (thousands \".\", decimal \",\")"},
    /* new phrasings: scaling */
    {"Divide by 100 (cents to units)", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"cents to dollars: divide by 100", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"convert dollars to cents", "dec", "Qty", "[Qty] read as number, multiplied by 100"},
    {"multiply by 1,000", "dec", "Qty", "[Qty] read as number, multiplied by 1000"},
    /* new phrasings: arithmetic between fields */
    {"QTY * PX, round half up to 2 decimals", "dec", "Qty|Px",
     "[Qty] read as number * [Px] read as number, rounded to 2 decimals"},
    {"Qty multiplied by Px", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"Calculate Qty x Px", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"Gross = 'Qty' * 'Px'", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"Qty + Px * Qty", "dec", "Qty|Px", "[Qty] read as number + [Px] read as number * [Qty] read as number"},
    {"Px divided by Qty", "dec", "Qty|Px", "[Px] read as number / [Qty] read as number, rounded to 2 decimals"},
    {"Px * Px", "dec", "Px", "[Px] read as number * [Px] read as number, rounded to 2 decimals"},
    /* new phrasings: lookups and their fallback */
    {"Look up broker name on the Brokers tab, default 'UNKNOWN'", "text", "Broker",
     "[Broker] looked up in BROKERS (otherwise \"UNKNOWN\")"},
    {"lookup on tab 'Brokers', if not found 'UNK'", "text", "Broker", "[Broker] looked up in BROKERS (otherwise \"UNK\")"},
    {"vlookup in the Brokers sheet; if not found then 'N/A'", "text", "Broker",
     "[Broker] looked up in BROKERS (otherwise \"N/A\")"},
    {"look up in 'Brokers' worksheet, else blank", "text", "Broker", "[Broker] looked up in BROKERS (otherwise null)"},
    {"Lookup on tab Brokers", "text", "Broker", "[Broker] looked up in BROKERS (otherwise rejected)"},
    {"Map via Brokers tab, otherwise UNKNOWN", "text", "Broker", "[Broker] looked up in BROKERS (otherwise \"UNKNOWN\")"},
    {"lookup in 'Brokers' if no match 'ZZ'", "text", "Broker", "[Broker] looked up in BROKERS (otherwise \"ZZ\")"},
    {"Look up broker name on the Brokers tab then upper case", "text", "Broker",
     "[Broker] looked up in BROKERS (otherwise rejected), upper cased"},
    /* more variants analysts write */
    {"Multiply Qty by Px", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"product of Qty and Px", "dec", "Qty|Px", "[Qty] read as number * [Px] read as number"},
    {"sum of Qty and Px", "dec", "Qty|Px", "[Qty] read as number + [Px] read as number"},
    {"European format, comma decimal", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"decimal point is ','", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"uses ',' as decimal mark", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"thousand separator: '.'; decimal separator: ','", "dec", "EU Amt",
     "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"Ignore thousands separators", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses)"},
    {"Divide by 100 to convert cents to dollars", "dec", "Qty",
     "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"days between Trade Date and Settle Date (YYYY-MM-DD)", "int", "Trade Date|Settle Date",
     "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
    {"remove the leading/trailing spaces", "text", "Acct No", "[Acct No] trimmed"},
    {"join First Name and Last Name with a comma", "text", "First Name|Last Name",
     "[First Name] & \",\" & [Last Name]"},
    {"D to Debit, C to Credit", "text", "Dr/Cr", "[Dr/Cr] mapped (\"D\" -> \"Debit\", \"C\" -> \"Credit\", otherwise rejected)"},
    /* unreadable / contradicted -> hole */
    {"Multiply by 1000 (in thousands)", "dec", "Qty", "[Qty] read as number, multiplied by 1000"},   /* the scale explains the step */
    {"days between Trade Date and Settle Date (MM/DD/YYYY)", "int", "Trade Date|Settle Date", "?"},
    {"'.' is the thousands separator", "dec", "Amt", "?"},
    {"thousands separator '.', thousands separator ','", "dec", "Amt", "?"},
    {"divide by 1000 (cents to units)", "dec", "Qty", "?"},
    {"Qty * Fee", "dec", "Qty", "?"},
    {"Look up broker name on the Counterparties tab, default 'UNKNOWN'", "text", "Broker", "?"},
    {"apply standard fee logic", "dec", "Amt", "?"},
    {"Convert from MM/DD/YYYY to YYYY-MM-DD", "date", "EU Dt", "?"},
    {"trim and apply the FX rate", "text", "Acct No", "?"},
    {"lookup on the Counterparties tab", "text", "Broker", "?"},
    {"", "date", "Acct No", "?"},
    {"TBD", "text", "Acct No", "?"},
    /* basis points: a percentage or a fraction, said in words or by the division */
    {"Spread is in basis points, divide with 100 for have percent (150 -> 1.50). It is empty for fixed loans, then leave empty.",
     "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"in bps, load as a percentage", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"bps -> decimal fraction", "dec", "Qty", "[Qty] read as number, divided by 10000, rounded to 2 decimals"},
    {"in bps", "dec", "Qty", "?"},                                   /* percent or fraction? */
    {"in basis points, multiply by 100", "dec", "Qty", "?"},
    {"in basis points, divide by 100 to get a decimal fraction", "dec", "Qty", "?"},
    {"divide by 100. It is empty for fixed loans, then put 0.", "dec", "Qty", "?"},
    /* spellings of yes and no normalised to one pair of codes */
    {"In the file it is written 'yes'/'no' or 'Y'/'N' (mixed). Put always Y or N.", "text1", "Breach",
     "[Breach] upper cased, mapped (\"YES\" -> \"Y\", \"NO\" -> \"N\", \"Y\" -> \"Y\", \"N\" -> \"N\", otherwise rejected)"},
    {"written yes/no, give 1/0", "text1", "Breach", "?"},            /* the sample also has Y and n */
    {"'yes'/'no' or 'Y'/'N'", "text1", "Breach", "?"},               /* no codes to put */
    /* an example of the value to load, found in the sample */
    {"Rate is like 4.25% in the file, put only the number 4.25 (without the % sign).", "dec", "Rate",
     "[Rate] with \"%\" removed, read as number"},
    {"Rate is like 4.25% in the file, put only the number 4.26 (without the % sign).", "dec", "Rate", "?"},
    /* "fixed" before a noun is an adjective, never a constant; who agreed a rule is not part of it */
    {"Copy the Ccy as provided; where it is blank, use 'CORP' (corporate overhead), per discussion with the fixed "
     "asset accountant on 3 March.", "text", "Ccy", "[Ccy] defaulting to \"CORP\" when missing"},
    {"fixed 'GL'", "text", "", "\"GL\""},
    {"Use the fixed rate.", "dec", "Amt", "?"},
    /* the other codes, named in words before their value; a label may hold "and" */
    {"A = Active, T = Inactive. Any other status code should be shown as 'Other'.", "text", "Code",
     "[Code] mapped (\"A\" -> \"Active\", \"T\" -> \"Inactive\", otherwise \"Other\")"},
    {"A = Active, T = Inactive. Any other status code should be shown as other.", "text", "Code", "?"},
    {"A = Furniture and fittings, T = Inactive", "text", "Code",
     "[Code] mapped (\"A\" -> \"Furniture and fittings\", \"T\" -> \"Inactive\", otherwise rejected)"},
    /* the period an amount covers names it; two number columns written alike */
    {"Depreciation charge for the current fiscal year, in the same format as the qty", "dec", "Px", "[Px] read as number"},
    {"Depreciation charge for the current fiscal year, in the same format as the amt", "dec", "Px", "?"},
    {"Charge for the current fiscal year", "int", "Trade Date", "?"},   /* a date: which fiscal year? */
    {"Load amounts for the current fiscal year. Copy.", "dec", "Px", "?"},   /* after a verb: rows? */
    /* a join written in words, a pad right after its part, an example checked */
    {"Take the first name, followed by a hyphen and the last name left-padded with zeros to four digits ('Ann' with "
     "'Lee' becomes Ann-0Lee).", "text", "First Name|Last Name",
     "[First Name] & \"-\" & [Last Name] padded left with \"0\" to 4"},
    {"Take the first name, followed by a hyphen and the last name left-padded with zeros to four digits ('Ann' with "
     "'Lee' becomes Ann-Lee).", "text", "First Name|Last Name", "?"},
    {"Sub-numbers are used by the client for later additions. Trim.", "text", "Acct No", "[Acct No] trimmed"},
    /* a character removed again and again at one end */
    {"strip leading zeros", "text", "Acct No", "[Acct No] with leading \"0\" removed"},
    {"Remove the leading 0s.", "text", "Acct No", "[Acct No] with leading \"0\" removed"},
    {"without leading zeros", "text", "Acct No", "[Acct No] with leading \"0\" removed"},
    {"leading zeros removed, upper case", "text", "Acct No", "[Acct No] with leading \"0\" removed, upper cased"},
    {"remove leading and trailing '*'", "text", "Acct No",
     "[Acct No] with leading \"*\" removed, with trailing \"*\" removed"},
    {"leading zeros", "text", "Acct No", "?"},                       /* removed, or added? */
    {"strip zeros", "text", "Acct No", "?"},                         /* which end? */
    {"strip trailing zeros", "text", "Acct No", "?"},                /* "10" -> "1", or decimal places? */
    {"remove leading and trailing zeros", "text", "Acct No", "?"},   /* trailing zeros: the same question */
    {"ltrim zeros", "text", "Acct No", "[Acct No] with leading \"0\" removed"},
    {"Leading zeros to be removed", "text", "Acct No", "[Acct No] with leading \"0\" removed"},
    {"trim zeros", "text", "Acct No", "?"},                          /* not white space: which end? */
    {"pad to 10", "text", "Acct No", "?"},
    {"everything after the last '/'", "text", "Acct No", "[Acct No] text after last \"/\""},
    {"DD/MM/YYYY", "date", "Posting Dt", "?"},
};

/* Rows without a target: filters and trailers become statements. */
typedef struct scase {
    const char *rule, *want;   /* want: rendered plan fragment expected in plan_render */
} scase;

static const scase STMTS[] = {
    {"Scope: only accounts with Status 'OPEN' or 'VOID' are in scope.", "skip rows where not [Status] is one of (\"OPEN\", \"VOID\")"},
    {"excl. Status = VOID", "skip rows where [Status] is \"VOID\""},
    {"Load Status = OPEN only", "skip rows where not [Status] is \"OPEN\""},
    {"don't take the lines where Status begins with 'C'", "skip rows where [Status] starts with \"C\""},
    {"if Status is VOID then exclude", "skip rows where [Status] is \"VOID\""},
    {"The report ends with a line labelled 'GRAND TOTAL'; this is a control total and must not be loaded.", "skip rows where [Label] is \"GRAND TOTAL\""},
    {"Exclude rows where Status = 'VOID'", "skip rows where [Status] is \"VOID\""},
    {"ignore records with Status = VOID", "skip rows where [Status] is \"VOID\""},
    {"filter out cancelled", "skip rows where [Status] is \"Cancelled\""},
    {"skip test accounts (Acct No starts with 'TEST')", "skip rows where [Acct No] starts with \"TEST\""},
    /* conditions joined by or / and, dates compared in the column's own order of day and month, a definition
     * of the rows kept, and "the other ... don't take" saying the same again */
    {"Take only the accounts which are still open: it means Qty more than 5 or the EU Dt after 01/02/2025. The other "
     "accounts don't take.",
     "skip rows where not ([Qty] read as number > 5 or [EU Dt] read as DD/MM/YYYY > \"2025-02-01\" read as ISO date)"},
    {"Exclude rows where Status = 'VOID' and Qty less than 3",
     "skip rows where [Status] is \"VOID\" and [Qty] read as number < 3"},
    {"only include rows where Trade Date on or before 1 January 2025", "skip rows where not [Trade Date] read as YYYY-MM-DD <= \"2025-01-01\" read as ISO date"},
    /* quoted values explained in parentheses; "and" between the values of an exclusion means either */
    {"Rows with status 'VOID' (entered in error) and 'OPEN' (not yet posted) must be excluded.",
     "skip rows where [Status] is one of (\"VOID\", \"OPEN\")"},
    {"Keep accounts with Qty more than 5 or EU Dt after 01/02/2025", "skip rows where not ([Qty] read as number > 5 or [EU Dt] read as DD/MM/YYYY > \"2025-02-01\" read as ISO date)"},
    {"only rows where Trade Date on or after 2025-01-01", "skip rows where not [Trade Date] read as YYYY-MM-DD >= \"2025-01-01\" read as ISO date"},
    {"ignore the trailer row", "skip the last 1 rows"},
    {"skip the total line at the end", "skip the last 1 rows"},
};

/* Parts of a date (rules/dateparts.c): what the target can hold decides between a reading and a
 * question that says why. */
static const rcase DATE_PARTS[] = {
    {"last day of the month of the trade date", "date", "Trade Date", "[Trade Date] read as YYYY-MM-DD, end of month"},
    {"trade date month end", "date", "Trade Date", "[Trade Date] read as YYYY-MM-DD, end of month"},
    {"trade date + 30 days", "date", "Trade Date", "[Trade Date] read as YYYY-MM-DD, plus 30 days"},
    {"month of the trade date, from 1 to 12", "int", "Trade Date", "[Trade Date] read as YYYY-MM-DD, its month"},
    {"year of the trade date", "text", "Trade Date", "[Trade Date] read as YYYY-MM-DD, written as \"YYYY\""},
    {"yyyy of trade date", "int", "Trade Date", "[Trade Date] read as YYYY-MM-DD, its year"},
    {"calendar year of trade date", "int", "Trade Date", "[Trade Date] read as YYYY-MM-DD, its year"},
    /* questions: the want is part of the reason */
    {"fiscal year starting 1 July; the FY is named by the year in which it starts", "int", "Trade Date",
     "names the fiscal year by the year in which it starts"},
    {"fiscal year starting 1 July, named by the year in which it ends", "text", "Trade Date",
     "fiscal year on a target that is not a number"},
    {"quarter of the trade date, written Q1 to Q4", "int", "Trade Date", "Q1-Q4 on a target that is not text"},
    {"quarter of the trade date", "text", "Trade Date", "quarter on a text target without saying how"},
    {"day of the trade date", "text", "Trade Date", "day of a date on a target that is not a number"},
    {NULL, NULL, NULL, NULL}};

static void check_date_parts(void)
{
    for (const rcase *k = DATE_PARTS; k->rule; k++) {
        plan p;
        plan_init(&p);
        char *got = read_rule(k->rule, k->type, k->sources, &p);
        bool question = k->want[0] != '[';   /* a reading starts with its source */
        bool ok = question ? !strcmp(got, "?") && p.nquestions == 1 && strstr(p.questions[0].text, k->want)
                           : !strcmp(got, k->want) && p.nquestions == 0;
        if (!ok) {
            fprintf(stderr, "date part \"%s\" (%s): got \"%s\"%s%s; want %s\n", k->rule, k->type, got,
                    p.nquestions ? ", question: " : "", p.nquestions ? p.questions[0].text : "", k->want);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

/* Remarks (rules/remarks.c): phrases that describe the data or affirm what the plan does anyway.
 * After "Trim; " each must leave the reading as it is — no step added, no question — while an
 * instruction in the same place is a question (the control at the end). */
static const char *const REMARKS[] = {
    "no conversion",
    "do not otherwise alter the text",
    "do not alter it in any way",
    "which are not relevant",
    "where needed",
    "if necessary",
    "as applicable",
    "with one decimal",
    "has 2 decimals",
    "no other codes are in use",
    "without any reformatting",
    "without changes",
    "the ledger does not carry a cost center",
    "we carry no cost center",
    "so that the field is never blank",
    "so they drop out of our pivot tables",
    "fall out of the report",
    "it feeds our concat file",
    "blank stays blank",
    "a proper date",
    "if the value is not a valid number the line must be rejected",
    "put it here",
    "write it in every row",
    "in groups of 4 like DE12 3456",
    "the amount is always without sign",
    "this is the closing balance and not a booking",
    "any line whose value cannot be read as a real number should be rejected",
    "in the usual dot-decimal format",
    "it is empty for fixed loans, then leave empty",
    "blank = open-ended -> leave empty",
    "never alter it",
    "no padding",
    "(no TZ conversion)",
    "(= yr)",
    NULL};

static void check_remarks(void)
{
    for (int i = 0; REMARKS[i]; i++) {
        char rule[200];
        snprintf(rule, sizeof rule, "Trim; %s", REMARKS[i]);
        plan p;
        plan_init(&p);
        char *got = read_rule(rule, "text", "Acct No", &p);
        if (strcmp(got, "[Acct No] trimmed") || p.nquestions) {
            fprintf(stderr, "remark \"%s\": got \"%s\"%s%s\n", rule, got, p.nquestions ? ", question: " : "",
                    p.nquestions ? p.questions[0].text : "");
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
    plan p;
    plan_init(&p);
    char *got = read_rule("Trim; apply the Smith adjustment", "text", "Acct No", &p);
    CHECK_STR(got, "?");
    CHECK_INT(p.nquestions, 1);
    free(got);
    plan_free(&p);
}

/* Conditions in words (rules/conditions.c): each comparison word, blank / present, text tests,
 * dates compared in the column's own layout. */
static const scase CONDITIONS[] = {
    {"Exclude rows where Ccy is not blank", "skip rows where [Ccy] is present"},
    {"Exclude rows where Ccy is blank", "skip rows where [Ccy] is missing"},
    {"Exclude rows where Ccy is present", "skip rows where [Ccy] is present"},
    {"Exclude rows where Ccy is filled", "skip rows where [Ccy] is present"},
    {"exclude rows where Status ends with 'ED'", "skip rows where [Status] ends with \"ED\""},
    {"exclude rows where Status contains 'ID'", "skip rows where [Status] contains \"ID\""},
    {"exclude rows where Qty greater than or equal to 3", "skip rows where [Qty] read as number >= 3"},
    {"exclude rows where Qty is less than or equal 3", "skip rows where [Qty] read as number <= 3"},
    {"exclude rows where Qty above 7", "skip rows where [Qty] read as number > 7"},
    {"exclude rows where Qty is not 5", "skip rows where [Qty] read as number is not 5"},
    {"exclude rows where Qty != 5", "skip rows where [Qty] read as number is not 5"},
    {"exclude rows where Posting Dt after 12/31/2024",
     "skip rows where [Posting Dt] read as MM/DD/YYYY > \"2024-12-31\" read as ISO date"},
    {"exclude rows where EU Dt on or after 01/02/2025",
     "skip rows where [EU Dt] read as DD/MM/YYYY >= \"2025-02-01\" read as ISO date"},
    {"exclude rows where Trade Date before 2025-01-01",
     "skip rows where [Trade Date] read as YYYY-MM-DD < \"2025-01-01\" read as ISO date"},
    {"exclude rows where Broker is 'GS' or 'MS'", "skip rows where [Broker] is one of (\"GS\", \"MS\")"},
    {"exclude rows where the broker is GS", "skip rows where [Broker] is \"GS\""},
    {NULL, NULL}};

static void check_conditions(void)
{
    for (const scase *k = CONDITIONS; k->rule; k++) {
        plan p;
        plan_init(&p);
        p.client = "T";
        p.output = "OUT";
        p.source.file = "d.csv";
        p.source.delimiter = ',';
        p.source.quote = '"';
        p.source.header_line = 1;
        char *got = read_rule(k->rule, "", "", &p);
        char *text = plan_render(&p);
        if (strcmp(got, "-") || !text || !strstr(text, k->want) || p.nquestions) {
            fprintf(stderr, "condition \"%s\": got %s, %d question(s), plan\n%s\nwant \"%s\"\n", k->rule, got,
                    p.nquestions, text ? text : "(null)", k->want);
            check_failures++;
        }
        free(text);
        free(got);
        plan_free(&p);
    }
    /* a date written in another layout than the column's is a question, not a guess */
    plan p;
    plan_init(&p);
    char *got = read_rule("exclude rows where Trade Date later than 01/02/2025", "", "", &p);
    CHECK_INT(p.nquestions, 1);
    CHECK_INT(p.nrules, 0);
    CHECK(p.nquestions == 1 && strstr(p.questions[0].text, "does not read as YYYY-MM-DD"));
    free(got);
    plan_free(&p);
}

/* Text steps (rules/text.c), one phrasing each: pad to a stated length, trim and strip, remove,
 * case, prefix/suffix, first/last N, substrings, text before/after. */
static const rcase TEXT_STEPS[] = {
    {"add leading zeros; they must always be six characters long", "text", "Acct No", "[Acct No] padded left with \"0\" to 6"},
    {"pad with leading zeros to a length of 10", "text", "Acct No", "[Acct No] padded left with \"0\" to 10"},
    {"left pad with zeros, 8 char long", "text", "Acct No", "[Acct No] padded left with \"0\" to 8"},
    {"remove leading and trailing '#'", "text", "Acct No", "[Acct No] with leading \"#\" removed, with trailing \"#\" removed"},
    {"strip leading/trailing '*'", "text", "Acct No", "[Acct No] with leading \"*\" removed, with trailing \"*\" removed"},
    {"without spaces at begin and end", "text", "Acct No", "[Acct No] trimmed"},
    {"remove the spaces before and after", "text", "Acct No", "[Acct No] trimmed"},
    {"strip whitespace", "text", "Acct No", "[Acct No] trimmed"},
    {"remove all spaces", "text", "Acct No", "[Acct No] with \" \" removed"},
    {"title case (1st letter of each word cap., rest lower)", "text", "Status", "[Status] title cased"},
    {"keep only digits", "text", "Acct No", "[Acct No] digits only"},
    {"prefix every code with 'MH-'", "text", "Acct No", "[Acct No] prefixed with \"MH-\""},
    {"add 'X' as a prefix", "text", "Acct No", "[Acct No] prefixed with \"X\""},
    {"append _US", "text", "Acct No", "[Acct No] suffixed with \"_US\""},
    {"pfx 'EMP' + acct no", "text", "Acct No", "[Acct No] prefixed with \"EMP\""},
    {"left(Acct No, 4)", "text", "Acct No", "[Acct No] first 4 characters"},
    {"take only the first 2 letters, the rest cut off", "text", "Acct No", "[Acct No] first 2 characters"},
    {"last 2 characters", "text", "Acct No", "[Acct No] last 2 characters"},
    {"characters 2-5", "text", "Acct No", "[Acct No] characters 2 to 5"},
    {"positions 2 to 5", "text", "Acct No", "[Acct No] characters 2 to 5"},
    {"substr(Acct No, 2, 3)", "text", "Acct No", "[Acct No] characters 2 to 4"},
    {"substring from 2 for 4", "text", "Acct No", "[Acct No] characters 2 to 5"},
    {"3 characters starting at position 2", "text", "Acct No", "[Acct No] characters 2 to 4"},
    {"From the position 3, take 4 characters", "text", "Acct No", "[Acct No] characters 3 to 6"},
    {"text before the '-' (the part after is only the type)", "text", "Label", "[Label] text before \"-\""},
    {"text before the comma; if no comma take all", "text", "Label", "[Label] text before \",\""},
    {"text after the '-' (drop 'CTR-')", "text", "Label", "[Label] text after \"-\""},
    {"remove the % sign", "text", "Rate", "[Rate] with \"%\" removed"},
    {"delete all '-'", "text", "Acct No", "[Acct No] with \"-\" removed"},
    {"without the '*' character", "text", "Acct No", "[Acct No] with \"*\" removed"},
    {NULL, NULL, NULL, NULL}};

static void check_text_steps(void)
{
    for (const rcase *k = TEXT_STEPS; k->rule; k++) {
        plan p;
        plan_init(&p);
        char *got = read_rule(k->rule, k->type, k->sources, &p);
        if (strcmp(got, k->want) || p.nquestions) {
            fprintf(stderr, "text step \"%s\": got \"%s\"%s%s; want \"%s\"\n", k->rule, got,
                    p.nquestions ? ", question: " : "", p.nquestions ? p.questions[0].text : "", k->want);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

/* Numbers (rules/numbers.c), one phrasing each: sign from a code column, separators, rounding,
 * scaling (cents, thousands, basis points), trailing minus, absolute value, booleans.  A want
 * that does not start with "[" is part of the question's reason. */
static const rcase NUMBERS[] = {
    {"negate when Dr/Cr = 'C'", "dec", "Amt|Dr/Cr", "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    {"if Dr/Cr is C then multiply by -1", "dec", "Amt|Dr/Cr", "[Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\""},
    {"S = neg, H = pos", "dec", "Amt|S/H", "[Amt] read as number (thousands \",\", negative in parentheses), negated when [S/H] is \"S\""},
    {"When S/H is 'S' the amount must be negative (money going out), when 'H' it stays positive", "dec", "Amt|S/H", "[Amt] read as number (thousands \",\", negative in parentheses), negated when [S/H] is \"S\""},
    {"'.' is the thousands separator and ',' the decimal separator", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"thousands separator '.', decimal comma", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"decimal comma", "dec", "EU Amt", "[EU Amt] read as number (thousands \".\", decimal \",\")"},
    {"without thousands separators", "dec", "Px", "[Px] read as number"},
    {"remove thousands separators", "dec", "Amt", "[Amt] read as number (thousands \",\", negative in parentheses)"},
    {"round half up to 2 dp", "dec", "Px", "[Px] read as number, rounded to 2 decimals"},
    {"rnd 2dp", "dec", "Px", "[Px] read as number, rounded to 2 decimals"},
    {"round up to 0 decimals", "dec", "Px", "[Px] read as number, rounded up to 0 decimals"},
    {"round down", "dec", "Px", "not to how many decimals"},
    {"truncate to 1 decimal", "dec", "Px", "[Px] read as number, rounded down to 1 decimals"},
    {"multiply by 1000", "dec", "Px", "[Px] read as number, multiplied by 1000"},
    {"x 100", "dec", "Px", "[Px] read as number, multiplied by 100"},
    {"divide by 100", "dec", "Px", "[Px] read as number, divided by 100, rounded to 2 decimals"},
    {"/1000", "dec", "Px", "[Px] read as number, divided by 1000, rounded to 2 decimals"},
    {"convert cents to dollars", "dec", "Px", "[Px] read as number, divided by 100, rounded to 2 decimals"},
    {"dollars to cents", "dec", "Px", "[Px] read as number, multiplied by 100"},
    {"in thousands", "dec", "Px", "[Px] read as number, multiplied by 1000"},
    {"in basis points", "dec", "Px", "whether to load it as a percentage"},
    {"bps, as percent", "dec", "Px", "[Px] read as number, divided by 100, rounded to 2 decimals"},
    {"Cents. /100", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"pence -> GBP", "dec", "Qty", "[Qty] read as number, divided by 100, rounded to 2 decimals"},
    {"record it as a positive number, so take the absolute value", "dec", "Px", "[Px] read as number, absolute value"},
    {"minus at the end", "dec", "Px", "[Px] read as number (trailing minus)"},
    {"the minus sign after the number", "dec", "Px", "[Px] read as number (trailing minus)"},
    {"trailing minus = neg", "dec", "Px", "[Px] read as number (trailing minus)"},
    {"Y/N to true/false", "bool", "Active", "[Active] read as boolean (\"Y\" = true, \"N\" = false)"},
    {"remove the % sign, then divide by 100", "dec", "Rate", "[Rate] with \"%\" removed, read as number, divided by 100, rounded to 2 decimals"},
    {NULL, NULL, NULL, NULL}};

static void check_numbers(void)
{
    for (const rcase *k = NUMBERS; k->rule; k++) {
        plan p;
        plan_init(&p);
        char *got = read_rule(k->rule, k->type, k->sources, &p);
        bool question = k->want[0] != '[';
        bool ok = question ? !strcmp(got, "?") && p.nquestions == 1 && strstr(p.questions[0].text, k->want)
                           : !strcmp(got, k->want) && p.nquestions == 0;
        if (!ok) {
            fprintf(stderr, "number rule \"%s\": got \"%s\"%s%s; want %s\n", k->rule, got,
                    p.nquestions ? ", question: " : "", p.nquestions ? p.questions[0].text : "", k->want);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

/* Code maps, constants, copies and date readings (rules/maps.c, constants.c, dates.c, between.c),
 * one phrasing each; "must not be negative" also adds its reject rule.  A want that does not
 * start with "[" (or a quote, a digit, "days") is part of the question's reason. */
static const rcase MAPS_AND_DATES[] = {
    {"The client flags these with an 'X' in this column and leaves it blank otherwise; load as true/false", "bool", "IC", "[IC] read as boolean (\"X\" = true), defaulting to false when missing"},
    {"In the file it is written 'yes'/'no' or 'Y'/'N' (mixed). Put always Y or N.", "text1", "Breach", "[Breach] upper cased, mapped (\"YES\" -> \"Y\", \"NO\" -> \"N\", \"Y\" -> \"Y\", \"N\" -> \"N\", otherwise rejected)"},
    {"Y/N -> boolean", "bool", "Active", "[Active] read as boolean (\"Y\" = true, \"N\" = false)"},
    {"'A' is Active, 'T' is Terminated", "text", "Code", "[Code] mapped (\"A\" -> \"Active\", \"T\" -> \"Terminated\", otherwise rejected)"},
    {"numeric ISO: USD 840, EUR 978", "int", "Ccy", "[Ccy] mapped (\"USD\" -> 840, \"EUR\" -> 978, otherwise rejected)"},
    {"Map: 1=Active; 2=Inactive", "text", "Code", "[Code] mapped (\"1\" -> \"Active\", \"2\" -> \"Inactive\", otherwise rejected)"},
    {"'B' means Buy, 'S' means Sell", "text", "Code", "[Code] mapped (\"B\" -> \"Buy\", \"S\" -> \"Sell\", otherwise rejected)"},
    {"Put Y for S and N for H", "text1", "S/H", "[S/H] mapped (\"S\" -> \"Y\", \"H\" -> \"N\", otherwise rejected)"},
    {"S -> Short, H -> Hold, anything else -> 'Other'", "text", "S/H", "[S/H] mapped (\"S\" -> \"Short\", \"H\" -> \"Hold\", otherwise \"Other\")"},
    {"A -> Alpha, T -> Tango; should any other value appear, the record must be rejected", "text", "Code", "[Code] mapped (\"A\" -> \"Alpha\", \"T\" -> \"Tango\", otherwise rejected)"},
    {"hardcode USD", "text", "Ccy", "\"USD\""},
    {"always 'N'", "text1", "", "\"N\""},
    {"set to 1", "int", "", "1"},
    {"default value 'ACME'", "text", "", "\"ACME\""},
    {"must not be negative", "dec", "Px", "[Px] read as number"},
    {"direct move", "text", "Acct No", "[Acct No]"},
    {"1:1", "text", "Acct No", "[Acct No]"},
    {"same as source", "text", "Acct No", "[Acct No]"},
    {"ISO format (YYYY-MM-DD)", "date", "Trade Date", "[Trade Date] read as ISO date"},
    {"day/month/year (DD/MM/YYYY)", "date", "EU Dt", "[EU Dt] read as DD/MM/YYYY"},
    {"dd.mm.yy, all years are 20xx", "date", "Dot Dt", "does not read with it"},
    {"days from Trade Date until Settle Date", "int", "Trade Date|Settle Date", "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
    {"days from the trade date to 31 December 2025", "int", "Trade Date", "days from [Trade Date] read as YYYY-MM-DD to \"2025-12-31\" read as ISO date"},
    {"Same format like Trade Date", "date", "Settle Date", "[Settle Date] read as YYYY-MM-DD"},
    {"e.g. 5-Mar-2025", "date", "Mon Dt", "[Mon Dt] read as D-Mon-YYYY"},
    {NULL, NULL, NULL, NULL}};

static void check_maps_and_dates(void)
{
    for (const rcase *k = MAPS_AND_DATES; k->rule; k++) {
        plan p;
        plan_init(&p);
        char *got = read_rule(k->rule, k->type, k->sources, &p);
        bool question = !strchr("[\"0123456789", k->want[0]) && strncmp(k->want, "days", 4);
        bool ok = question ? !strcmp(got, "?") && p.nquestions == 1 && strstr(p.questions[0].text, k->want)
                           : !strcmp(got, k->want) && p.nquestions == 0;
        if (!ok) {
            fprintf(stderr, "rule \"%s\": got \"%s\"%s%s; want %s\n", k->rule, got,
                    p.nquestions ? ", question: " : "", p.nquestions ? p.questions[0].text : "", k->want);
            check_failures++;
        }
        if (!strcmp(k->rule, "must not be negative"))
            CHECK(p.nrules == 1 && p.rules[0].kind == PR_REJECT);
        free(got);
        plan_free(&p);
    }
}

/* ---- rulesb: lookups with described tab columns and a blank fallback, a dropped prefix said of a last-N step,
 * output columns above as operands of prose arithmetic, clauses that accept an outcome ("that's ok") ---- */

typedef struct xcase {
    const char *rule, *column, *type, *sources, *want;
} xcase;

/* Read `rule` for target `column` with a plan that already has the outputs RATE decimal(5,2), NAME text(20) and
 * FACTOR decimal(5,2).  The data has a column "Rate" too, so "rate" names both and is a question; FACTOR names no
 * data column. */
static char *read_after_outputs(const xcase *x, plan *p)
{
    plan_type d = {.base = PT_DECIMAL, .prec = 5, .scale = 2}, t = {.base = PT_TEXT, .len = 20};
    CHECK(plan_add_column(p, "RATE", d) != NULL);
    CHECK(plan_add_column(p, "NAME", t) != NULL);
    CHECK(plan_add_column(p, "FACTOR", d) != NULL);
    rule_src src[2];
    int nsrc = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", x->sources);
    for (char *tp = buf, *s; (s = strsep(&tp, "|")) != NULL && nsrc < 2;) {
        src[nsrc] = (rule_src){plan_strdup(p, s), NULL, NULL};
        for (int i = 0; i < PR.ncols; i++)
            if (!strcmp(PR.col[i].name, s))
                src[nsrc].name = PR.col[i].name, src[nsrc].prof = &PR.col[i];
        nsrc++;
    }
    rule_ctx c = {.p = p, .m = &M, .pr = &PR, .row = 7, .column = x->column, .type = ty(x->type), .nsrc = nsrc,
                  .src = src};
    rule_result res;
    mf_err e = {0};
    if (rules_read(&c, x->rule, &res, &e) < 0)
        return strdup("ERROR");
    return res.expr ? plan_render_expr(res.expr) : strdup("-");
}

static void test_rulesb_families(void)
{
    static const xcase X[] = {
        /* the tab's columns described by letter must be the tab's headings; "not found / blank" covers a blank key */
        {"lookup Broker on tab 'Brokers' (col A = code, col B = name)\n- broker not found / blank -> use 'UNK'", "BROKER_NAME",
         "text40", "Broker", "[Broker] looked up in BROKERS (otherwise \"UNK\"), defaulting to \"UNK\" when missing"},
        {"lookup Broker on tab 'Brokers' (col A = name, col B = code)", "BROKER_NAME", "text40", "Broker", "?"},
        {"lookup Broker on tab 'Brokers' (col C = rating)", "BROKER_NAME", "text40", "Broker", "?"},
        /* a prefix taken away is never added; said of a last-N step it is checked on the sample */
        {"last 2 chars of Label (drops the 'A' prefix)", "LBL", "text2", "Label", "?"},   /* "GRAND TOTAL" is no A-code */
        {"drop the 'A' prefix", "LBL", "text2", "Label", "?"},   /* read only when most sampled values have it */
        {"first 1 char (removes the '1' suffix)", "LBL", "text2", "Label", "?"},
        /* output columns above as operands */
        {"= Qty x factor / 100\n- rnd 2 dp", "FEE", "dec", "Qty", "[Qty] read as number * FACTOR, divided by 100, rounded to 2 decimals"},
        {"= Qty x rate / 100\n- rnd 2 dp", "FEE", "dec", "Qty", "?"},  /* output RATE and data column Rate alike */
        {"= Qty x name", "FEE", "dec", "Qty", "?"},                     /* a text output in arithmetic */
        {"= Qty x fee rate", "FEE", "dec", "Qty", "?"},                 /* no such column */
        /* an accepted outcome is no instruction; a sign word with no credit marker never negates every row */
        {"= Qty x factor\n- credits give neg. fees, that's ok", "FEE", "dec", "Qty", "[Qty] read as number * FACTOR"},
        {"= Qty x factor\n- negative fees are fine for now, we adjust them later", "FEE", "dec", "Qty", "?"},
        {"Qty; credits are negative", "FEE", "dec", "Qty", "?"},
    };
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) {
        plan p;
        plan_init(&p);
        char *got = read_after_outputs(&X[i], &p);
        if (strcmp(got, X[i].want)) {
            fprintf(stderr, "rulesb: rule \"%s\" on %s: got \"%s\", want \"%s\"\n", X[i].rule, X[i].column, got, X[i].want);
            for (int q = 0; q < p.nquestions; q++)
                fprintf(stderr, "    question: %s\n", p.questions[q].text);
            check_failures++;
        }
        CHECK(strcmp(X[i].want, "?") ? p.nquestions == 0 : p.nquestions >= 1);
        free(got);
        plan_free(&p);
    }
    /* day counts: an arrow, the direction said again, a blank when a date is missing, what the sign means; a
     * part padded in a bullet of its own; a blank result when a divisor is zero */
    static const xcase Y[] = {
        {"# of days trade date -> settle date (settle date minus trade date)\n• empty if no settle dt", "DAYS", "int",
         "Trade Date", "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
        {"Days between trade date and settle date, computed as the trade date minus the settle date.", "DAYS", "int",
         "Trade Date", "days from [Settle Date] read as YYYY-MM-DD to [Trade Date] read as YYYY-MM-DD"},
        {"days between trade date and settle date (settle date minus posting dt)", "DAYS", "int", "Trade Date", "?"},
        {"# of days trade date -> settle date\n• empty if no posting dt", "DAYS", "int", "Trade Date", "?"},
        {"Days between Trade Date and Settle Date. A negative figure indicates back-dating, which is what we look for.",
         "DAYS", "int", "Trade Date", "days from [Trade Date] read as YYYY-MM-DD to [Settle Date] read as YYYY-MM-DD"},
        {"Days between Trade Date and Settle Date. A negative figure is set to 0.", "DAYS", "int", "Trade Date", "?"},
        {"First Name + '-' + Last Name\n• Last Name 4 digits, pad w/ 0", "KEY", "text20", "First Name|Last Name",
         "[First Name] & \"-\" & [Last Name] padded left with \"0\" to 4"},
        {"First Name + '-' + Last Name\n• Last Name 4 digits, pad w/ 0 for Germany", "KEY", "text20", "First Name|Last Name", "?"},
        {"Qty / RATE x 100, rnd 1 dp\n• leave blank when RATE = 0 (div/0)", "PCT", "dec", "Qty",
         "if RATE is 0 then null else [Qty] read as number / RATE, multiplied by 100, rounded to 1 decimals"},
        {"Qty / RATE x 100, rnd 1 dp\n• leave blank when Qty = 0", "PCT", "dec", "Qty", "?"},   /* not the divisor */
        {"Qty x 100 (div/0)", "PCT", "dec", "Qty", "?"},                                       /* nothing is divided by 0 */
    };
    for (size_t i = 0; i < sizeof Y / sizeof *Y; i++) {
        plan p;
        plan_init(&p);
        char *got = read_after_outputs(&Y[i], &p);
        if (strcmp(got, Y[i].want)) {
            fprintf(stderr, "rulesb: rule \"%s\" on %s: got \"%s\", want \"%s\"\n", Y[i].rule, Y[i].column, got, Y[i].want);
            for (int q = 0; q < p.nquestions; q++)
                fprintf(stderr, "    question: %s\n", p.questions[q].text);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
    /* verbose auditor phrasings: a key built from parts, defaults said as "in those cases" / "a blank means", a flag
     * for one code, two values for complementary sign tests of an output above */
    static const xcase V[] = {
        {"Please build it from the Acct No, a hyphen, and the Qty left-padded with zeros to three digits.", "KEY", "text20",
         "Acct No|Qty", "[Acct No] & \"-\" & [Qty] padded left with \"0\" to 3"},
        {"Please build it from the Acct No, a hyphen, and the Qty left-padded with zeros to three digits for Germany.", "KEY",
         "text20", "Acct No|Qty", "?"},
        {"Ccy, where one was assigned. Some rows carry no Ccy; in those cases please populate the value 'EUR'.", "CCY",
         "text3", "Ccy", "[Ccy] defaulting to \"EUR\" when missing"},
        {"Some rows carry no Ccy; in those cases please populate the value of the Broker column.", "CCY", "text3", "Ccy", "?"},
        {"A blank means the functional ccy, which for this entity is USD, and should be populated as such.", "CCY",
         "text3", "Ccy", "[Ccy] defaulting to \"USD\" when missing"},
        {"A blank means the currency of the Broker, and should be populated as such.", "CCY", "text3", "Ccy", "?"},
        {"Only 'VOID' represents a cancelled entry. Set to true for VOID and false otherwise.", "IS_VOID", "bool", "Status",
         "if [Status] is \"VOID\" then true else false"},
        {"Set to true for CLOSED and false otherwise.", "IS_VOID", "bool", "Status", "?"},          /* not in the sample */
        {"'D' when the factor is zero or positive, 'C' when it is negative.", "DC", "text1", "", "if FACTOR >= 0 then \"D\" else \"C\""},
        {"'D' when the rate is zero or positive, 'C' when it is negative.", "DC", "text1", "", "?"},   /* RATE or Rate */
        {"'D' when the factor is positive, 'C' when it is negative.", "DC", "text1", "", "?"},        /* zero gets neither */
        /* a computation said after a description; blanks counted as zero; the purpose of the sign is no negation */
        {"Signed amount of the trade. The file shows qty and px in two separate columns. Please compute Qty minus Px, "
         "treating a blank column as zero, so that buys are positive and credits are negative.", "NET", "dec", "Qty|Px",
         "[Qty] read as number defaulting to 0 when missing - [Px] read as number defaulting to 0 when missing"},
        {"Please compute Qty minus Px, treating a blank column as 5.", "NET", "dec", "Qty|Px", "?"},
        {"Please compute Qty minus Px, treating a blank column as the average.", "NET", "dec", "Qty|Px", "?"},
    };
    for (size_t i = 0; i < sizeof V / sizeof *V; i++) {
        plan p;
        plan_init(&p);
        char *got = read_after_outputs(&V[i], &p);
        if (strcmp(got, V[i].want)) {
            fprintf(stderr, "rulesb: rule \"%s\" on %s: got \"%s\", want \"%s\"\n", V[i].rule, V[i].column, got, V[i].want);
            for (int q = 0; q < p.nquestions; q++)
                fprintf(stderr, "    question: %s\n", p.questions[q].text);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
    /* rows described in one clause and excluded in the next ("these should be excluded") */
    {
        static const struct { const char *rule, *want; } F[] = {
            {"The extract includes statistical lines on which both the Amt and the Qty are zero or blank; these carry no "
             "value and should be excluded from the load.",
             "skip rows where ([Amt] read as number (thousands \",\", negative in parentheses) is 0 or [Amt] is missing) and "
             "([Qty] read as number is 0 or [Qty] is missing)"},
            {"The extract includes lines on which both the Amt and the Qty are odd; these should be excluded.", NULL},
            {"The extract includes lines on which the Amt is zero; these should be excluded.", NULL},   /* no "both" */
        };
        for (size_t i = 0; i < sizeof F / sizeof *F; i++) {
            plan p;
            plan_init(&p);
            p.client = "T";
            p.output = "OUT";
            p.source.file = "d.csv";
            p.source.delimiter = ',';
            p.source.quote = '"';
            p.source.header_line = 1;
            char *got = read_rule(F[i].rule, "", "", &p);
            free(got);
            char *text = plan_render(&p);
            if (F[i].want) {
                if (!text || !strstr(text, F[i].want))
                    fprintf(stderr, "rulesb: rule \"%s\": plan\n%s\nlacks \"%s\"\n", F[i].rule, text ? text : "", F[i].want);
                CHECK(text && strstr(text, F[i].want));
                CHECK_INT(p.nquestions, 0);
            } else {
                CHECK_INT(p.nrules, 0);
                CHECK(p.nquestions >= 1);
            }
            free(text);
            plan_free(&p);
        }
    }
    /* "start date" / "end date" with no such column: the one date column named like that role ("Beginn", "Ende") */
    {
        const char *n10 = PR.col[10].name, *n11 = PR.col[11].name;
        PR.col[10].name = "Beginn";
        PR.col[11].name = "Ende";
        static const xcase Z[] = {
            {"How many days between start date and end date (end minus start).", "DAYS", "int", "Beginn",
             "days from [Beginn] read as YYYY-MM-DD to [Ende] read as YYYY-MM-DD"},
            /* an English name of a German column, whole phrase to whole name only */
            {"Put together start date and end date with a '/' between.", "SPAN", "text30", "Beginn",
             "[Beginn] & \"/\" & [Ende]"},
            {"Put together begin date and end date with a '/' between.", "SPAN", "text30", "Beginn", "?"},
            {"days between open date and end date", "DAYS", "int", "Beginn", "?"},     /* "open" names no role here */
        };
        for (size_t i = 0; i < sizeof Z / sizeof *Z; i++) {
            plan p;
            plan_init(&p);
            char *got = read_after_outputs(&Z[i], &p);
            if (strcmp(got, Z[i].want))
                fprintf(stderr, "rulesb: rule \"%s\": got \"%s\", want \"%s\"\n", Z[i].rule, got, Z[i].want);
            CHECK_STR(got, Z[i].want);
            free(got);
            plan_free(&p);
        }
        PR.col[10].name = n10;
        PR.col[11].name = n11;
    }
    /* the dropped prefix confirmed on a column whose values all carry it */
    {
        static const char *cust[] = {"CUST-058615", "CUST-000001", NULL};
        prof_column *c = &PR.col[24];
        prof_column keep = *c;
        c->name = "Cust No";
        c->sample = cust;
        c->nsample = 2;
        plan p;
        plan_init(&p);
        xcase x = {"last 6 chars of Cust No (drops the 'CUST-' prefix)", "CUST_ID", "text6", "Cust No", NULL};
        char *got = read_after_outputs(&x, &p);
        CHECK_STR(got, "[Cust No] last 6 characters");
        free(got);
        plan_free(&p);
        plan_init(&p);
        x.rule = "last 5 chars of Cust No (drops the 'CUST-' prefix)";   /* 5 keeps less than the value without it */
        got = read_after_outputs(&x, &p);
        CHECK_STR(got, "?");
        free(got);
        plan_free(&p);
        *c = keep;
    }
}

/* Issue 7, wrong-reading risks: each of these once read silently wrong (or left a wrong row rule beside its
 * question). */
static void check_silent_misreadings(void)
{
    static const rcase C[] = {
        /* a date written in a stated form on a wide text target is written so, never copied */
        {"trade date as yyyymm", "text", "Trade Date", "[Trade Date] read as YYYY-MM-DD, written as \"YYYYMM\""},
        {"Format the date as yyyymmdd", "text", "Trade Date", "[Trade Date] read as YYYY-MM-DD, written as \"YYYYMMDD\""},
        /* an SQL alias in capitals that is not the target's name is still SQL */
        {"QTY AS QUANTITY", "int", "Qty", "[Qty] read as integer"},
        /* "leave blank" beside a step on the value: the whole column, or blank values only? */
        {"Trim; leave blank", "text", "Acct No", "?"},
        {"leave blank", "text", "Acct No", "null"},
        /* a data column named by a word that is filler elsewhere is that column, not the row's own */
        {"Copy. Exclude rows where Status = 'VOID' or Qty = 0", "text", "Acct No", "[Acct No]"},
        /* "when code = ..." branches without an otherwise: a code map only when they name every sampled code */
        {"When Dr/Cr = 'D' then 'DEBIT', when Dr/Cr = 'C' then 'CREDIT'", "text", "Dr/Cr",
         "[Dr/Cr] mapped (\"D\" -> \"DEBIT\", \"C\" -> \"CREDIT\", otherwise rejected)"},
        {"When Status = 'OPEN' then 'O', when Status = 'VOID' then 'V'", "text", "Status", "?"},
        {"If Status = 'OPEN' then 'O'", "text", "Status", "?"},
        /* "the first and last names": two columns; an order said again that contradicts the parts asks */
        {"combine the first and last names, first name first, separated by a space", "text", "First Name|Last Name",
         "[First Name] & \" \" & [Last Name]"},
        {"combine the first and last names, last name first, separated by a space", "text", "First Name|Last Name", "?"},
        /* characters stripped from a number in one list; the decimal separator is never stripped */
        {"strip '$' + ',' ; (x) = neg", "dec", "Amt", NULL},
        {"remove '.' and ','", "dec", "EU Amt", "?"},
    };
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        plan p;
        plan_init(&p);
        char *got = read_rule(C[i].rule, C[i].type, C[i].sources, &p);
        bool ok = C[i].want ? !strcmp(got, C[i].want) : strcmp(got, "?") && strcmp(got, "-");
        if (!ok) {
            fprintf(stderr, "misreading \"%s\": got %s, want %s\n", C[i].rule, got, C[i].want ? C[i].want : "a reading");
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
    /* the filter reads Qty, not the row's own Acct No, and Status = 'VOID' or Qty = 0 is two conditions */
    plan p;
    plan_init(&p);
    char *got = read_rule("Copy. Exclude rows where Status = 'VOID' or Qty = 0", "text", "Acct No", &p);
    char *text = plan_render(&p);
    if (!text || !strstr(text, "skip rows where [Status] is \"VOID\" or [Qty] read as")) fprintf(stderr, "%s\n", text ? text : "");
    CHECK(text && strstr(text, "skip rows where [Status] is \"VOID\" or [Qty] read as"));
    free(text);
    free(got);
    plan_free(&p);
    /* a rule that is a question states no row rule: the date literal is read, the rest is not */
    plan_init(&p);
    got = read_rule("exclude rows where Trade Date after 01/01/2025; apply the Smith adjustment", "text", "Acct No", &p);
    CHECK_INT(p.nquestions, 1);
    CHECK_INT(p.nrules, 0);
    free(got);
    plan_free(&p);
    /* an Excel-serial column compared with a date whose day and month read one way */
    plan_init(&p);
    got = read_rule("exclude rows where Capitalization Date after 02/01/2023", "text", "Acct No", &p);
    CHECK_INT(p.nrules, 0);
    free(got);
    plan_free(&p);
}

int main(void)
{
    setup();
    check_silent_misreadings();
    check_date_parts();
    check_maps_and_dates();
    check_numbers();
    check_text_steps();
    check_conditions();
    check_remarks();
    test_rulesb_families();
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        plan p;
        plan_init(&p);
        char *got = read_rule(CASES[i].rule, CASES[i].type, CASES[i].sources, &p);
        if (strcmp(got, CASES[i].want)) {
            fprintf(stderr, "rule \"%s\" (%s): got \"%s\", want \"%s\"\n", CASES[i].rule, CASES[i].type, got,
                    CASES[i].want);
            for (int q = 0; q < p.nquestions; q++)
                fprintf(stderr, "    question: %s\n", p.questions[q].text);
            check_failures++;
        }
        /* a hole always comes with a question naming the row; an understood rule has none */
        if (!strcmp(CASES[i].want, "?")) {
            CHECK(p.nquestions >= 1);
            if (p.nquestions)
                CHECK(strstr(p.questions[0].text, "row 7") != NULL);
        } else {
            CHECK_INT(p.nquestions, 0);
        }
        free(got);
        plan_free(&p);
    }
    for (size_t i = 0; i < sizeof STMTS / sizeof *STMTS; i++) {
        plan p;
        plan_init(&p);
        p.client = "T";
        p.output = "OUT";
        p.source.file = "d.csv";
        p.source.delimiter = ',';
        p.source.quote = '"';
        p.source.header_line = 1;
        char *got = read_rule(STMTS[i].rule, "", "", &p);
        CHECK_STR(got, "-");
        char *text = plan_render(&p);
        if (!text || !strstr(text, STMTS[i].want)) {
            fprintf(stderr, "rule \"%s\": plan\n%s\nlacks \"%s\"\n", STMTS[i].rule, text ? text : "(null)",
                    STMTS[i].want);
            check_failures++;
        }
        CHECK_INT(p.nquestions, 0);
        free(text);
        free(got);
        plan_free(&p);
    }
    /* arithmetic on output columns above, by their exact names; a step around the whole expression */
    {
        static const struct { const char *rule, *want; } T[] = {
            {"ABS(VALUE_LC / QUANTITY), round 4 dp", "VALUE_LC / QUANTITY, absolute value, rounded to 4 decimals"},
            {"ABS(VALUE_LC) / QUANTITY, round 4 dp", "?"},     /* abs of one operand: not read */
            {"VALUE_LC / UOM plus 1", "?"},                    /* a text column */
            /* QTY is an output column above and the data's Qty: the one spelled exactly, else a question */
            {"value_lc less qty", "?"},
            {"VALUE_LC less QTY", "VALUE_LC - QTY"},
            {"value_lc less Qty", "VALUE_LC - [Qty] read as number"},
        };
        for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
            plan p;
            plan_init(&p);
            plan_add_column(&p, "VALUE_LC", (plan_type){.base = PT_DECIMAL, .prec = 15, .scale = 2});
            plan_add_column(&p, "QUANTITY", (plan_type){.base = PT_DECIMAL, .prec = 13, .scale = 3});
            plan_add_column(&p, "QTY", (plan_type){.base = PT_DECIMAL, .prec = 13, .scale = 3});
            plan_add_column(&p, "UOM", (plan_type){.base = PT_TEXT, .len = 3});
            char *got = read_rule(T[i].rule, "dec", "", &p);
            if (strcmp(got, T[i].want)) {
                fprintf(stderr, "output columns: rule \"%s\": got \"%s\", want \"%s\"\n", T[i].rule, got, T[i].want);
                for (int q = 0; q < p.nquestions; q++)
                    fprintf(stderr, "    question: %s\n", p.questions[q].text);
            }
            CHECK_STR(got, T[i].want);
            free(got);
            plan_free(&p);
        }
    }
    /* readings that use the columns above: a date column's reading, "as loaded above", "do not use X"; a
     * required value said as "cannot be included without"; days to a fixed date when the end is blank; a
     * column named by an abbreviation of the rule's words */
    {
        static const struct { const char *rule, *type, *sources, *want; } T[] = {
            {"Calendar year of the capitalization date.", "int", "Capitalization Date", "CAP its year"},
            {"Number of days from the capitalization date to the retirement date or, for assets that have not been "
             "retired, to our balance sheet date of 31 December 2023.", "int", "Capitalization Date|Retirement Date",
             "days from CAP to RET defaulting to (\"2023-12-31\" read as ISO date) when missing"},
            {"Number of days from the capitalization date to the retirement date or, for assets that are active, to 31 "
             "December 2023.", "int", "Capitalization Date|Retirement Date", "?"},
            {"Do not use the Px column of the export, which is rounded; compute it as the amt less the qty (both as "
             "loaded above).", "dec", "", "AMOUNT - QTYX"},
            {"Do not use the Px column; compute it as the amt less the px (both as loaded above).", "dec", "", "?"},
            {"Do not use the Qty column; compute it as the amt less the qty (both as loaded above).", "dec", "", "?"},
            {"Excel serial date. A row cannot be included in our testing without a valid date.", "date",
             "Capitalization Date", "[Capitalization Date] read as Excel serial date"},
            {"Excel serial date. A row cannot be included without a valid Status.", "date", "Capitalization Date", "?"},
            {"Amt less accumulated depreciation", "dec", "Amt|Accum. Depr",
             "[Amt] read as number (thousands \",\", negative in parentheses) - [Accum. Depr] read as number"},
            {"Amt less accrued depreciation", "dec", "Amt", "?"},
            /* an output column above named by the words of its label; a ratio as a percentage */
            {"Effective depreciation ratio for the year: the current-year charge divided by the qty, expressed as a percentage and "
             "rounded to two decimal places (e.g. 12.50).", "dec", "",
             "CHARGE / [Qty] read as number, multiplied by 100, rounded to 2 decimals"},
            {"the annual charge divided by the qty, expressed as a percentage", "dec", "", "?"},
            {"Px expressed as a percentage", "dec", "Px", "?"},
        };
        for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
            plan p;
            plan_init(&p);
            static const struct { const char *name, *expr; plan_type type; } C[] = {
                {"CAP", "[Capitalization Date] read as Excel serial date", {.base = PT_DATE}},
                {"RET", "[Retirement Date] read as Excel serial date", {.base = PT_DATE}},
                {"AMOUNT", "[Amt] read as number (thousands \",\", negative in parentheses), absolute value",
                 {.base = PT_DECIMAL, .prec = 18, .scale = 2}},
                {"QTYX", "[Qty] read as number", {.base = PT_DECIMAL, .prec = 18, .scale = 2}},
                {"CHARGE", "[Px] read as number", {.base = PT_DECIMAL, .prec = 18, .scale = 2}},
            };
            for (size_t k = 0; k < sizeof C / sizeof *C; k++) {
                mf_err e = {0};
                plan_column *col = plan_add_column(&p, C[k].name, C[k].type);
                col->expr = plan_parse_expr(&p, C[k].expr, strlen(C[k].expr), "expr", &e);
                if (!strcmp(C[k].name, "CHARGE"))
                    col->prov.text = "Depreciation charge for the current fiscal year, in the same format as the cost";
                CHECK(col->expr != NULL);
            }
            char *got = read_rule(T[i].rule, T[i].type, T[i].sources, &p);
            if (strcmp(got, T[i].want)) {
                fprintf(stderr, "columns above: rule \"%s\": got \"%s\", want \"%s\"\n", T[i].rule, got, T[i].want);
                for (int q = 0; q < p.nquestions; q++)
                    fprintf(stderr, "    question: %s\n", p.questions[q].text);
            }
            CHECK_STR(got, T[i].want);
            free(got);
            plan_free(&p);
        }
    }
    /* near phrasings of the filters above that must still ask */
    {
        static const char *const ASK[] = {
            "The other accounts don't take.",                                 /* no kept rows to be the others of */
            "Keep rows where EU Dt after 02/13/2025",                          /* not a DD/MM/YYYY date */
            "Take only the accounts which are not closed: it means Qty more than 5.",   /* "not closed" unread */
            "Rows with status 'VOID' and Label 'OPEN' must be excluded.",     /* a second field: not a list */
            "Rows with status 'VOID' (except when posted) must be excluded.", /* a restriction is no explanation */
        };
        for (size_t i = 0; i < sizeof ASK / sizeof *ASK; i++) {
            plan p;
            plan_init(&p);
            char *got = read_rule(ASK[i], "", "", &p);
            if (p.nquestions < 1)
                fprintf(stderr, "rule \"%s\" should ask\n", ASK[i]);
            CHECK(p.nquestions >= 1);
            free(got);
            plan_free(&p);
        }
    }
    /* the contradicted date names what the data shows */
    {
        plan p;
        plan_init(&p);
        char *got = read_rule("Convert from MM/DD/YYYY to YYYY-MM-DD", "date", "EU Dt", &p);
        CHECK_STR(got, "?");
        CHECK_INT(p.nquestions, 1);
        if (p.nquestions) {
            CHECK(strstr(p.questions[0].text, "13/02/2025") != NULL);
            CHECK(strstr(p.questions[0].text, "DD/MM/YYYY") != NULL);
            CHECK_STR(p.questions[0].column, "COL");
            CHECK_INT(p.questions[0].row, 7);
        }
        free(got);
        plan_free(&p);
    }
    /* a tie between two layouts names both; a separator the data contradicts names what it shows */
    {
        plan p;
        plan_init(&p);
        char *got = read_rule("", "date", "Mixed Dt", &p);
        CHECK_STR(got, "?");
        CHECK_INT(p.nquestions, 1);
        if (p.nquestions)
            CHECK(strstr(p.questions[0].text, "MM/DD/YYYY") && strstr(p.questions[0].text, "DD/MM/YYYY"));
        free(got);
        plan_free(&p);
        plan_init(&p);
        got = read_rule("'.' is the thousands separator", "dec", "Amt", &p);
        CHECK_STR(got, "?");
        CHECK_INT(p.nquestions, 1);
        if (p.nquestions)
            CHECK(strstr(p.questions[0].text, "1,234.50") && strstr(p.questions[0].text, "thousands separator ','"));
        free(got);
        plan_free(&p);
    }
    /* a source that matches no data column: one question that names it and the data's columns */
    {
        plan p;
        plan_init(&p);
        char *got = read_rule("Trim", "text", "Customer Ref", &p);
        CHECK_STR(got, "?");
        CHECK_INT(p.nquestions, 1);
        if (p.nquestions)
            CHECK(strstr(p.questions[0].text, "Customer Ref") && strstr(p.questions[0].text, "Acct No"));
        free(got);
        plan_free(&p);
    }
    /* words of the target's own name read nothing: "Take year from birthdate" on YEAR_OF_BIRTH is read by its
     * date part (an integer from a date), and "standard fee" on FEE is a question, not a copy */
    {
        static const struct { const char *rule, *column, *type, *want; } T[] = {
            {"Take year from birthdate", "YEAR_OF_BIRTH", "int", "[Trade Date] read as YYYY-MM-DD, its year"},
            {"birth year", "BIRTH_YEAR", "text", "[Trade Date] read as YYYY-MM-DD, written as \"YYYY\""},
            {"standard fee", "FEE", "dec", "?"},
            {"Fee", "FEE", "dec", "?"},
        };
        for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
            plan p;
            plan_init(&p);
            rule_src s = {"Trade Date", "Trade Date", &PR.col[10]};
            rule_ctx c = {.p = &p, .m = &M, .pr = &PR, .row = 3, .column = T[i].column, .type = ty(T[i].type),
                          .nsrc = 1, .src = &s};
            rule_result res;
            mf_err e = {0};
            CHECK_INT(rules_read(&c, T[i].rule, &res, &e), 0);
            char *got = res.expr ? plan_render_expr(res.expr) : strdup("-");
            if (strcmp(got, T[i].want))
                fprintf(stderr, "target words: rule \"%s\" on %s: got \"%s\", want \"%s\"\n", T[i].rule, T[i].column,
                        got, T[i].want);
            CHECK_STR(got, T[i].want);
            free(got);
            plan_free(&p);
        }
    }
    /* must not be negative: a reject rule plus the column; mandatory */
    {
        plan p;
        plan_init(&p);
        rule_src s = {"Amt", "Amt", &PR.col[3]};
        rule_ctx c = {.p = &p, .m = &M, .pr = &PR, .row = 9, .column = "AMOUNT", .type = ty("dec"), .nsrc = 1, .src = &s};
        rule_result res;
        mf_err e = {0};
        CHECK_INT(rules_read(&c, "must not be negative; mandatory", &res, &e), 0);
        CHECK(res.required);
        CHECK(res.understood);
        CHECK_INT(p.nrules, 1);
        if (p.nrules) {
            CHECK_INT(p.rules[0].kind, PR_REJECT);
            char *cond = plan_render_expr(p.rules[0].cond);
            CHECK_STR(cond, "AMOUNT < 0");
            free(cond);
        }
        plan_free(&p);
    }
    CHECK(rules_date_pattern(&(plan){0}, "x") == NULL);
    {
        plan p;
        plan_init(&p);
        CHECK_STR(rules_date_pattern(&p, "d-mon-yyyy"), "D-Mon-YYYY");
        CHECK_STR(rules_date_pattern(&p, "YYYYMMDD"), "YYYYMMDD");
        CHECK_STR(rules_date_pattern(&p, "M/D/YY"), "M/D/YY");
        plan_free(&p);
    }
    mf_arena_free(&M.arena);
    mf_arena_free(&A);
    CHECK_DONE();
}
