/* test_formula.c — the formula reader (src/plan/formula*.c): SQL and Excel rules -> rendered plan
 * expressions, filters -> skip rules, contradictions with the sample -> questions, prose left to
 * the prose reader, and hostile input (deep nesting, long text, unbalanced parentheses, quotes).
 * The profile, the mapping with a lookup tab and earlier output columns are built by hand. */
#include "check.h"
#include "plan/formula.h"

#include <stdlib.h>
#include <string.h>

static mf_arena A;
static profile PR;
static mapping M;

static void add_col(int i, const char *name, prof_kind k, const char *const *sample)
{
    prof_column *c = &PR.col[i];
    c->name = name;
    c->kind = k;
    long n = 0;
    while (sample[n])
        n++;
    c->nsample = n;
    c->sample = mf_arena_alloc(&A, sizeof(char *) * (size_t)(n + 1));
    for (long j = 0; j < n; j++)
        c->sample[j] = *sample[j] ? sample[j] : NULL;
    c->decimal = '.';
}

#define S(...) ((const char *[]){__VA_ARGS__, NULL})

static void setup(void)
{
    mf_arena_init(&A);
    memset(&PR, 0, sizeof PR);
    PR.ncols = 22;
    PR.col = mf_arena_alloc(&A, sizeof(prof_column) * 22);
    add_col(0, "AMT", PK_DECIMAL, S("100.00", "45.10", "0.99"));
    PR.col[0].max_scale = 2;
    add_col(1, "DC_IND", PK_TEXT, S("D", "C", "C"));
    add_col(2, "PAY_TERMS", PK_TEXT, S("N30", "IMM", "N60"));
    add_col(3, "ISO_DT", PK_DATE, S("2023-11-30", "2024-01-15", "2023-06-01"));
    PR.col[3].date_formats[PR.col[3].ndate_formats++] = "YYYY-MM-DD";
    add_col(4, "EU_DT", PK_TEXT, S("31/12/2023", "15/01/2024", "13/06/2023"));
    add_col(5, "FULL_NAME", PK_TEXT, S("Smith, John", "Nguyen, Thi", "Doe, Jane"));
    add_col(6, "Cost Ctr", PK_TEXT, S("CC100", "", "CC350"));
    add_col(7, "Name", PK_TEXT, S("  John   Smith ", "Maria Garcia", " Li  Wei"));
    add_col(8, "Country", PK_TEXT, S("DE", "FR", "JP"));
    add_col(9, "Posting Date", PK_INTEGER, S("20230415", "20231001", "20220228"));
    add_col(10, "Store", PK_INTEGER, S("7", "42", "315"));
    add_col(11, "Type", PK_TEXT, S("SA", "GJ", "KR"));
    add_col(12, "Price", PK_DECIMAL, S("$1,234.56", "$0.99", "$12,000.00"));
    PR.col[12].max_scale = 2;
    PR.col[12].thousands = ',';
    add_col(13, "STATUS", PK_TEXT, S("O", "C", "P"));
    add_col(14, "QTY", PK_INTEGER, S("10", "3", "7"));
    add_col(15, "Email", PK_TEXT, S("a@x.com", "b@y.de", "c@z.org"));
    add_col(16, "BOOKING_DT", PK_TEXT, S("05-MAR-23", "17-NOV-22", "29-FEB-24"));
    add_col(17, "OLD_DT", PK_TEXT, S("05-MAR-98", "17-NOV-22", "29-FEB-24"));
    add_col(18, "Created", PK_TEXT, S("18/04/2019", "16/08/2022", "01/01/2020"));
    add_col(19, "Segment", PK_TEXT, S("RETAIL", "INTERNAL", ""));
    add_col(20, "Code", PK_TEXT, S("abc", "ABC", "xyz"));
    add_col(21, "Work Date", PK_DATE, S("2023-06-20", "2023-04-24", "2023-05-02"));

    memset(&M, 0, sizeof M);
    mf_arena_init(&M.arena);
    M.sheet = "Mapping";
    M.book.nsheets = 3;
    M.book.sheet = mf_arena_alloc(&A, sizeof(mf_sheet) * 3);
    static const char *map_cells[] = {"Source", "Target"};
    M.book.sheet[0] = (mf_sheet){.name = "Mapping", .nrows = 1, .ncols = 2, .cell = map_cells};
    static const char *countries[] = {"Code", "Name", "DE", "Germany", "FR", "France", "US", "United States"};
    M.book.sheet[1] = (mf_sheet){.name = "Countries", .nrows = 4, .ncols = 2, .cell = countries};
    static const char *acct[] = {"CLIENT_ACCT", "STD_ACCT", "N30", "NET-30", "N60", "NET-60"};
    M.book.sheet[2] = (mf_sheet){.name = "ACCT_MAP", .nrows = 3, .ncols = 2, .cell = acct};
}

static plan_type ty(const char *t)
{
    plan_type x = {0};
    if (!strcmp(t, "date")) x.base = PT_DATE;
    else if (!strcmp(t, "int")) x.base = PT_INTEGER;
    else if (!strcmp(t, "bool")) x.base = PT_BOOLEAN;
    else if (!strcmp(t, "ts")) x.base = PT_TIMESTAMP;
    else if (!strncmp(t, "dec", 3)) { x.base = PT_DECIMAL; x.prec = 18; x.scale = t[3] ? atoi(t + 3) : 2; }
    else { x.base = PT_TEXT; x.len = atoi(t + 4); }
    return x;
}

/* Earlier output columns every reading may use. */
static void outputs(plan *p)
{
    plan_add_column(p, "WORK_DATE", ty("date"))->expr = plan_new_expr(p, PE_HOLE);
    plan_add_column(p, "BILLABLE", ty("bool"))->expr = plan_new_expr(p, PE_HOLE);
    plan_add_column(p, "HOURS", ty("dec"))->expr = plan_new_expr(p, PE_HOLE);
}

/* formula_read of `rule` for target COL (type; "" = a row without a target) with the row's sources
 * "A|B".  *took receives the return value; the result is the rendered expression, "-" when none,
 * "?" for a hole. */
static char *read_formula(const char *rule, const char *type, const char *sources, plan *p, int *took)
{
    rule_src src[4];
    int nsrc = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sources);
    for (char *tokp = buf, *s; (s = strsep(&tokp, "|")) != NULL && nsrc < 4;) {
        if (!*s)
            continue;
        src[nsrc] = (rule_src){.written = plan_strdup(p, s)};
        for (int i = 0; i < PR.ncols; i++)
            if (!strcmp(PR.col[i].name, s)) {
                src[nsrc].name = PR.col[i].name;
                src[nsrc].prof = &PR.col[i];
            }
        nsrc++;
    }
    rule_ctx c = {.p = p, .m = &M, .pr = &PR, .row = 7, .column = *type ? "COL" : NULL,
                  .type = *type ? ty(type) : (plan_type){0}, .nsrc = nsrc, .src = src};
    rule_result res = {0};
    mf_err e = {0};
    *took = formula_read(&c, rule, &res, &e);
    if (*took < 0)
        return strdup("ERROR");
    if (!res.expr)
        return strdup("-");
    return plan_render_expr(res.expr);
}

typedef struct fcase {
    const char *rule, *type, *sources, *want;
} fcase;

/* Readings: the expression the formula becomes. */
static const fcase READ[] = {
    /* SQL */
    {"CASE WHEN DC_IND = 'C' THEN -1 * AMT ELSE AMT END", "dec", "AMT|DC_IND",
     "if [DC_IND] is \"C\" then [AMT] read as number, negated else [AMT] read as number"},
    {"CASE PAY_TERMS WHEN 'N30' THEN 30 WHEN 'N60' THEN 60 WHEN 'IMM' THEN 0 ELSE NULL END", "int", "PAY_TERMS",
     "[PAY_TERMS] mapped (\"N30\" -> 30, \"N60\" -> 60, \"IMM\" -> 0, otherwise null)"},
    {"CASE STATUS WHEN 'O' THEN 'OPEN' WHEN 'C' THEN 'CLOSED' ELSE 'UNKNOWN' END", "text(10)", "STATUS",
     "[STATUS] mapped (\"O\" -> \"OPEN\", \"C\" -> \"CLOSED\", otherwise \"UNKNOWN\"), defaulting to \"UNKNOWN\" when missing"},
    {"DECODE(STATUS, 'O', 'Open', 'C', 'Closed', STATUS)", "text(10)", "STATUS",
     "[STATUS] mapped (\"O\" -> \"Open\", \"C\" -> \"Closed\")"},
    {"COALESCE(PAY_TERMS, 'NET30')", "text(8)", "PAY_TERMS", "[PAY_TERMS] defaulting to \"NET30\" when missing"},
    {"ISNULL(NULLIF(TRIM(PAY_TERMS), ''), '9999')", "text(6)", "PAY_TERMS",
     "[PAY_TERMS] trimmed, defaulting to \"9999\" when missing"},
    {"NULLIF(TRIM(PAY_TERMS), 'IMM')", "text(6)", "PAY_TERMS",
     "if [PAY_TERMS] trimmed is \"IMM\" then null else [PAY_TERMS] trimmed"},
    {"CAST(ISO_DT AS DATE)", "date", "ISO_DT", "[ISO_DT] read as YYYY-MM-DD"},
    {"CAST(REPLACE(REPLACE(Price, '$', ''), ',', '') AS DECIMAL(12,2))", "dec", "Price",
     "[Price] read as number (thousands \",\", currency \"$\")"},
    {"CAST(QTY AS INTEGER)", "int", "QTY", "[QTY] read as integer"},
    {"CONVERT(date, Posting Date, 112)", "date", "Posting Date", "[Posting Date] read as YYYYMMDD"},
    {"UPPER(LEFT(STATUS, 1)) || LOWER(SUBSTRING(STATUS, 2))", "text(10)", "STATUS",
     "[STATUS] first 1 characters upper cased & [STATUS] characters 2 to 100000000 lower cased"},
    {"=RIGHT([@Email],LEN([@Email])-2)", "text(10)", "Email", "[Email] characters 3 to 100000000"},
    {"ISO_DT::date", "date", "ISO_DT", "[ISO_DT] read as YYYY-MM-DD"},
    {"AMT * -1", "dec", "AMT", "[AMT] read as number, negated"},
    {"STATUS || '-' || [Cost Ctr]", "text(10)", "STATUS|Cost Ctr",
     "if [Cost Ctr] is missing then null else [STATUS] & \"-\" & [Cost Ctr]"},
    {"LTRIM(RTRIM(STATUS))", "text(5)", "STATUS", "[STATUS] trimmed"},
    {"TRIM(BOTH FROM STATUS)", "text(5)", "STATUS", "[STATUS] trimmed"},
    {"=IF([@Type]=\"SA\",[@Store],0)", "text(5)", "Type|Store", "if [Type] upper cased is \"SA\" then [Store] else \"0\""},
    {"STR_TO_DATE(EU_DT, '%d/%m/%Y')", "date", "EU_DT", "[EU_DT] read as D/M/YYYY"},
    {"DATE_FORMAT(STR_TO_DATE(EU_DT, '%d/%m/%Y'), '%Y%m')", "text(6)", "EU_DT",
     "[EU_DT] read as D/M/YYYY, written as \"YYYYMM\""},
    {"CONVERT(date, [Posting Date], 112)", "date", "Posting Date", "[Posting Date] read as YYYYMMDD"},
    {"TO_DATE(BOOKING_DT, 'DD-MON-YY')", "date", "BOOKING_DT", "[BOOKING_DT] read as D-Mon-YY (pivot 1950)"},
    {"TO_CHAR(TO_DATE(EU_DT, 'DD/MM/YYYY'), 'YYYYMM')", "text(6)", "EU_DT",
     "[EU_DT] read as D/M/YYYY, written as \"YYYYMM\""},
    {"EXTRACT(QUARTER FROM TO_DATE([Posting Date], 'YYYYMMDD'))", "int", "Posting Date",
     "[Posting Date] read as YYYYMMDD, its quarter"},
    {"DATEDIFF(day, ISO_DT, EU_DT)", "int", "ISO_DT|EU_DT",
     "days from [ISO_DT] read as YYYY-MM-DD to [EU_DT] read as DD/MM/YYYY"},
    {"SUBSTRING(PAY_TERMS, 2, 2)", "text(2)", "PAY_TERMS", "[PAY_TERMS] characters 2 to 3"},
    {"TRIM(SUBSTRING(FULL_NAME FROM POSITION(',' IN FULL_NAME) + 1))", "text(40)", "FULL_NAME",
     "[FULL_NAME] text after \",\", trimmed"},
    {"SPLIT_PART(FULL_NAME, ',', 1)", "text(40)", "FULL_NAME", "[FULL_NAME] text before \",\""},
    {"LEFT(PAY_TERMS, 1) || '-' || RIGHT(PAY_TERMS, 2)", "text(5)", "PAY_TERMS",
     "[PAY_TERMS] first 1 characters & \"-\" & [PAY_TERMS] last 2 characters"},
    {"CONCAT(STATUS, '_', PAY_TERMS)", "text(9)", "STATUS|PAY_TERMS", "[STATUS] & \"_\" & [PAY_TERMS]"},
    {"UPPER(TRIM(Email))", "text(20)", "Email", "[Email] trimmed, upper cased"},
    {"ROUND(AMT * QTY / 3, 2)", "dec", "AMT|QTY", "[AMT] read as number * [QTY] read as number / 3, rounded to 2 decimals"},
    {"ABS(AMT)", "dec", "AMT", "[AMT] read as number, absolute value"},
    {"LPAD(Store, 5, '0')", "text(5)", "Store", "[Store] padded left with \"0\" to 5"},
    {"QTY AS QUANTITY  -- straight copy", "int", "QTY", "[QTY] read as integer"},
    {"'USD' AS CURRENCY", "text(3)", "", "\"USD\""},
    {"CASE WHEN ISO_DT < '2023-12-31' AND AMT > 0 THEN 'OVERDUE' ELSE 'CURRENT' END", "text(8)", "ISO_DT|AMT",
     "if [ISO_DT] read as YYYY-MM-DD < \"2023-12-31\" read as ISO date and [AMT] read as number > 0 then \"OVERDUE\" "
     "else \"CURRENT\""},
    {"CASE WHEN STATUS IN ('O','P') THEN TRUE ELSE FALSE END", "bool", "STATUS",
     "[STATUS] mapped (\"O\" -> true, \"P\" -> true, otherwise false), defaulting to false when missing"},
    {"LEFT JOIN ACCT_MAP m ON m.CLIENT_ACCT = src.PAY_TERMS -> COALESCE(m.STD_ACCT, 'SUSPENSE')", "text(10)",
     "PAY_TERMS", "[PAY_TERMS] looked up in ACCT_MAP (otherwise null), defaulting to \"SUSPENSE\" when missing"},
    {"AMT / 100.0  -- store as a fraction", "dec6", "AMT", "[AMT] read as number / 100.0, rounded to 6 decimals"},
    /* Excel */
    {"=[@[Cost Ctr]]", "text(10)", "Cost Ctr", "[Cost Ctr]"},
    {"=TRIM([@Name])", "text(60)", "Name", "[Name] with spaces collapsed"},
    {"=PROPER(Country)", "text(60)", "Country", "[Country] title cased"},
    {"=IF(ISBLANK([@[Cost Ctr]]),\"NONE\",[@[Cost Ctr]])", "text(10)", "Cost Ctr",
     "[Cost Ctr] defaulting to \"NONE\" when missing"},
    {"=IF([@Type]=\"SA\",\"Sales\",IF([@Type]=\"GJ\",\"Journal\",\"Other\"))", "text(10)", "Type",
     "[Type] upper cased, mapped (\"SA\" -> \"Sales\", \"GJ\" -> \"Journal\", otherwise \"Other\"), defaulting to \"Other\" when missing"},
    {"=IF([@Country]=\"DE\",[@Type],\"\")", "text(2)", "Country|Type",
     "if [Country] upper cased is \"DE\" then [Type] else null"},
    {"=IFERROR(VLOOKUP([@Country],Countries!A:B,2,FALSE),\"Unknown\")", "text(40)", "Country",
     "[Country] looked up in COUNTRIES (otherwise \"Unknown\")"},
    {"=TEXT([@Store],\"0000\")", "text(4)", "Store", "[Store] padded left with \"0\" to 4"},
    {"=\"C\"&TEXT(Store,\"000000\")", "text(7)", "Store", "\"C\" & [Store] padded left with \"0\" to 6"},
    {"=RIGHT(\"00000000\"&[@Store],8)", "text(8)", "Store", "\"00000000\" & [Store], last 8 characters"},
    {"=DATE(LEFT(A2,4),MID(A2,5,2),RIGHT(A2,2))   (A = Posting Date, text yyyymmdd)", "date", "Posting Date",
     "[Posting Date] read as YYYYMMDD"},
    {"=DATE(RIGHT(Created,4),MID(Created,4,2),LEFT(Created,2))", "date", "Created", "[Created] read as DD/MM/YYYY"},
    {"=YEAR([@[EU_DT]])", "int", "EU_DT", "[EU_DT] read as DD/MM/YYYY, its year"},
    {"=MONTH(WORK_DATE)", "int", "Work Date", "WORK_DATE its month"},
    {"=DATEVALUE([Work Date])", "date", "Work Date", "[Work Date] read as YYYY-MM-DD"},
    {"=ROUNDUP([@AMT]/3,0)", "dec", "AMT", "[AMT] read as number / 3, rounded up to 0 decimals"},
    {"=VALUE(SUBSTITUTE([@Price],\"$\",\"\"))", "dec", "Price",
     "[Price] read as number (thousands \",\", currency \"$\")"},
    {"=NUMBERVALUE([@AMT],\".\",\",\")", "dec", "AMT", "[AMT] read as number (thousands \",\")"},
    {"=MID([@Email],FIND(\"@\",[@Email])+1,100)", "text(60)", "Email", "[Email] text after \"@\""},
    {"=LEFT([@FULL_NAME],FIND(\",\",[@FULL_NAME])-1)", "text(40)", "FULL_NAME", "[FULL_NAME] text before \",\""},
    {"=LEN([@Email])", "int", "Email", "length of [Email]"},
    {"=SUBSTITUTE([@Email],\"@\",\" at \")", "text(40)", "Email", "[Email] with \"@\" replaced by \" at \""},
    {"=[@AMT]*19%", "dec", "AMT", "[AMT] read as number * 0.19, rounded to 2 decimals"},
    {"=[@[EU_DT]]-[@[ISO_DT]]", "int", "EU_DT|ISO_DT",
     "days from [ISO_DT] read as YYYY-MM-DD to [EU_DT] read as DD/MM/YYYY"},
    {"=OR([@Type]=\"SA\",[@Type]=\"Gj\")", "bool", "Type", "[Type] upper cased is \"SA\" or [Type] upper cased is \"GJ\""},
    {"=IF(BILLABLE,ROUND(HOURS*2,2),0)", "dec", "", "if BILLABLE then HOURS * 2, rounded to 2 decimals else 0"},
    {"=ROW()-1", "int", "", "row number"},
    {"=WORK_DATE+30", "date", "", "WORK_DATE plus 30 days"},
    {"=EOMONTH(WORK_DATE,0)", "date", "", "WORK_DATE end of month"},
    {"=\"FY2023\"", "text(6)", "", "\"FY2023\""},
    {"=IF([@Country]=\xe2\x80\x9c" "DE\xe2\x80\x9d;\"x\";\"y\")", "text(1)", "Country",
     "if [Country] upper cased is \"DE\" then \"x\" else \"y\""},
    {"UPPER(STATUS);", "text(1)", "STATUS", "[STATUS] upper cased"},
    {"=\"Q\"&ROUNDUP(MONTH([@ISO_DT])/3,0)", "text(2)", "ISO_DT",
     "\"Q\" & [ISO_DT] read as YYYY-MM-DD written as \"M\" mapped (\"1\" -> \"1\", \"2\" -> \"1\", \"3\" -> \"1\", "
     "\"4\" -> \"2\", \"5\" -> \"2\", \"6\" -> \"2\", \"7\" -> \"3\", \"8\" -> \"3\", \"9\" -> \"3\", \"10\" -> \"4\", "
     "\"11\" -> \"4\", \"12\" -> \"4\", otherwise rejected)"},
    {"YEAR(ISO_DT) || '-' || MONTH(ISO_DT)", "text(7)", "ISO_DT",
     "[ISO_DT] read as YYYY-MM-DD written as \"YYYY\" & \"-\" & [ISO_DT] read as YYYY-MM-DD written as \"M\""},
    {"=B2*K2   (B = AMT, K = QTY)", "dec", "AMT|QTY", "[AMT] read as number * [QTY] read as number"},
    {"ROW_NUMBER() OVER ()", "int", "", "row number"},
    {"=IF(ISNUMBER(SEARCH(\"doe\",[@FULL_NAME])),\"Y\",\"N\")", "text(1)", "FULL_NAME",
     "if [FULL_NAME] upper cased contains \"DOE\" then \"Y\" else \"N\""},
    {"CASE WHEN STATUS IN ('O','P') THEN 1 ELSE 0 END", "bool", "STATUS",
     "[STATUS] mapped (\"O\" -> true, \"P\" -> true, otherwise false), defaulting to false when missing"},
    {"DATEDIFF(day, ISO_DT, DATE '2023-12-31')", "int", "ISO_DT",
     "days from [ISO_DT] read as YYYY-MM-DD to \"2023-12-31\" read as ISO date"},
    {NULL, NULL, NULL, NULL}};

/* Filters: the skip rule each one adds (a row without a target, or with one). */
static const fcase FILTER[] = {
    {"WHERE STATUS <> 'C' AND QTY > 0    -- C = closed", "", "", "not ([STATUS] is not \"C\" and [QTY] read as number > 0)"},
    {"Rows: =FILTER(data, Segment<>\"INTERNAL\")  - intercompany customers are not loaded", "", "",
     "not ([Segment] is missing or [Segment] upper cased is not \"INTERNAL\")"},
    {"Filter before load: QTY<>0 AND [Type]<>\"\"   (blank type = absence line)", "", "",
     "not ([QTY] read as number is not 0 and [Type] is present)"},
    {"PAY_TERMS  -- WHERE (STATUS = 'O' OR STATUS = 'P') AND QTY > 5", "text(5)", "PAY_TERMS",
     "not (([STATUS] is \"O\" or [STATUS] is \"P\") and [QTY] read as number > 5)"},
    {"Copy. Filter rows: =AND([@AMT]<>0,[@Type]<>\"KR\")", "text(5)", "PAY_TERMS",
     "not ([AMT] read as number is not 0 and ([Type] is missing or [Type] upper cased is not \"KR\"))"},
    {"WHERE STATUS LIKE 'O%' OR PAY_TERMS BETWEEN 'A' AND 'M'", "", "",
     "not ([STATUS] starts with \"O\" or [PAY_TERMS] >= \"A\" and [PAY_TERMS] <= \"M\")"},
    {NULL, NULL, NULL, NULL}};

/* Questions: formula syntax whose reading the sample contradicts, or that cannot be read. */
static const fcase ASK[] = {
    {"TO_DATE(EU_DT, 'MM/DD/YYYY')", "date", "EU_DT", "does not read"},
    {"TO_DATE(OLD_DT, 'DD-MON-YY')", "date", "OLD_DT", "which century"},
    {"CASE STATUS WHEN 'X' THEN 'A' WHEN 'Y' THEN 'B' END", "text(1)", "STATUS", "none of which occurs"},
    {"CASE STATUS WHEN ... END  -- as per spec v2", "text(20)", "STATUS", "could not read"},
    {"LEFT(PAY_TERMS, n)  -- n tbc with client", "text(10)", "PAY_TERMS", "not final"},
    {"=[@AMT]*[@Rate]", "dec", "AMT", "\"Rate\" names no column"},
    {"=TEXT([@ISO_DT],\"dd/mm/yyyy\")", "date", "ISO_DT", "should the target be text"},
    {"=VLOOKUP([@Country],Mapping!A:B,2,FALSE)", "text(30)", "Country", "does not have"},
    {"=VLOOKUP([@Country],Countries!A:B,2,TRUE)", "text(30)", "Country", "exact match"},
    {"CASE WHEN Code = 'abc' THEN 1 ELSE 0 END", "int", "Code", "should case be ignored"},
    {"UPPER(PAY_TERMS)  -- then round to 2 dp", "text(5)", "PAY_TERMS", "asks for more"},
    {"=TODAY()-[@ISO_DT]", "int", "ISO_DT", "changes from run to run"},
    {"=SUM(A:A)", "dec", "AMT", "not one I can translate"},
    {"=IF([@AMT]>0,\"x\"", "text(1)", "AMT", "could not read"},
    {"=\"abc", "text(3)", "", "not closed"},
    {"CAST(AMT AS TIMESTAMP)", "ts", "AMT", "not a conversion"},
    {"TRIM(LEADING '0' FROM STATUS)", "text(5)", "STATUS", "has no step"},
    {"RTRIM(STATUS)", "text(5)", "STATUS", "one side only"},
    {"TO_DATE(ISO_DT, 'YYYY-MM-DD')  -- ISO_DT is dd/mm/yyyy", "date", "ISO_DT", "the note says"},
    {"ROW_NUMBER() OVER (ORDER BY STATUS)", "int", "STATUS", "another order"},
    {"=[@[Posting Date]]-[@[Posting Date]]", "int", "Posting Date", "both as numbers and as dates"},
    {"=IF([@Type]=\"SA\",[@Store]*2,\"none\")", "text(5)", "Type|Store", "writes one as text"},
    {NULL, NULL, NULL, NULL}};

/* Prose (or not formula syntax): left to rules.c, nothing added. */
static const char *const PROSE[] = {"Trim", "As is", "Left-pad with zeros to 10", "Exclude rows where STATUS = 'C'",
                                    "D -> DEBIT, C -> CREDIT", "1:1", "-", "n/a", "left(Acct No, 4)",
                                    "Constant 'GL'", "Y/N to true/false", "substring(2,4)", NULL};

static int count_rules(const plan *p)
{
    return p->nrules;
}

static void check_reads(void)
{
    for (const fcase *k = READ; k->rule; k++) {
        plan p;
        plan_init(&p);
        outputs(&p);
        int took;
        char *got = read_formula(k->rule, k->type, k->sources, &p, &took);
        if (strcmp(got, k->want) || p.nquestions) {
            fprintf(stderr, "formula \"%s\" (%s): got \"%s\", want \"%s\"\n", k->rule, k->type, got, k->want);
            for (int i = 0; i < p.nquestions; i++)
                fprintf(stderr, "    question: %s\n", p.questions[i].text);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

static void check_filters(void)
{
    for (const fcase *k = FILTER; k->rule; k++) {
        plan p;
        plan_init(&p);
        int took;
        char *got = read_formula(k->rule, k->type, k->sources, &p, &took);
        CHECK_INT(took, 1);
        CHECK_INT(count_rules(&p), 1);
        if (p.nrules == 1) {
            CHECK_INT(p.rules[0].kind, PR_SKIP);
            char *cond = plan_render_expr(p.rules[0].cond);
            if (strcmp(cond, k->want)) {
                fprintf(stderr, "filter \"%s\": got \"%s\", want \"%s\"\n", k->rule, cond, k->want);
                check_failures++;
            }
            free(cond);
        }
        for (int i = 0; i < p.nquestions; i++)
            fprintf(stderr, "filter \"%s\": question %s\n", k->rule, p.questions[i].text), check_failures++;
        free(got);
        plan_free(&p);
    }
}

static void check_questions(void)
{
    for (const fcase *k = ASK; k->rule; k++) {
        plan p;
        plan_init(&p);
        int took;
        char *got = read_formula(k->rule, k->type, k->sources, &p, &took);
        bool ok = took == 1 && !strcmp(got, "?") && p.nquestions == 1 && !p.nrules &&
                  strstr(p.questions[0].text, k->want);
        if (!ok) {
            fprintf(stderr, "formula \"%s\": took %d, got \"%s\", %d question(s)%s%s; want a question with \"%s\"\n",
                    k->rule, took, got, p.nquestions, p.nquestions ? ": " : "",
                    p.nquestions ? p.questions[0].text : "", k->want);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

static void check_prose(void)
{
    for (int i = 0; PROSE[i]; i++) {
        plan p;
        plan_init(&p);
        int took;
        char *got = read_formula(PROSE[i], "text(10)", "PAY_TERMS", &p, &took);
        if (took != 0 || p.nquestions || p.nrules || p.nlookups) {
            fprintf(stderr, "prose \"%s\" was taken (%d): %s\n", PROSE[i], took, got);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

/* Deep nesting, long text, unbalanced parentheses and quotes: a question or prose, never a crash. */
static void check_hostile(void)
{
    size_t n = 200000;
    char *deep = malloc(2 * n + 16);
    strcpy(deep, "=");
    memset(deep + 1, '(', n);
    strcpy(deep + 1 + n, "1");
    memset(deep + 2 + n, ')', n);
    deep[2 + 2 * n] = 0;
    const char *shallow_deep_want = "too long";
    plan p;
    plan_init(&p);
    int took;
    char *got = read_formula(deep, "int", "", &p, &took);
    CHECK_INT(took, 1);
    CHECK_STR(got, "?");
    CHECK(p.nquestions == 1 && strstr(p.questions[0].text, "longer than"));
    (void)shallow_deep_want;
    free(got);
    plan_free(&p);

    /* nesting within the length limit: the depth limit answers */
    char nest[4000];
    size_t o = 0;
    nest[o++] = '=';
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(nest + o, sizeof nest - o, "UPPER(");
    o += (size_t)snprintf(nest + o, sizeof nest - o, "[@Email]");
    for (int i = 0; i < 300; i++)
        nest[o++] = ')';
    nest[o] = 0;
    plan_init(&p);
    got = read_formula(nest, "text(10)", "Email", &p, &took);
    CHECK_INT(took, 1);
    CHECK_STR(got, "?");
    CHECK(p.nquestions == 1 && strstr(p.questions[0].text, "nested more than"));
    free(got);
    plan_free(&p);

    /* a long flat chain: shallow for the parser, tall for every walk after it */
    char chain[7000];
    o = 0;
    chain[o++] = '=';
    for (int i = 0; i < 3000; i++)
        o += (size_t)snprintf(chain + o, sizeof chain - o, "%s1", i ? "+" : "");
    plan_init(&p);
    got = read_formula(chain, "int", "", &p, &took);
    CHECK_INT(took, 1);
    CHECK_STR(got, "?");
    CHECK(p.nquestions == 1 && strstr(p.questions[0].text, "nested more than"));
    free(got);
    plan_free(&p);

    static const char *const BAD[] = {"=((((", "=))))", "=IF(", "=\"", "='abc", "CASE WHEN", "=[@[Col", "=[",
                                      "=1+", "=,,,", "COALESCE(,)", "=A1:", "=Tab!", "=@", "=IF(1,2,3,4,5)",
                                      "=\xff\xfe", "=VLOOKUP()", "=DATE()", "=TEXT()", "=MID(1)", NULL};
    for (int i = 0; BAD[i]; i++) {
        plan_init(&p);
        got = read_formula(BAD[i], "text(10)", "Email", &p, &took);
        if (took == 1 && strcmp(got, "?")) {
            fprintf(stderr, "hostile \"%s\" read as %s\n", BAD[i], got);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
    free(deep);
}

/* A formula that reads a *derived* text (a step, a join, an IF) as a number or a date: the derived
 * value is computed for each sampled row (formula_sample.c) and the reading is inferred from, and
 * checked against, those values — the format of the result, not of the source, decides. */
static const fcase DERIVED_READ[] = {
    {"=DATEVALUE(SUBSTITUTE([@Created],\"/\",\"-\"))", "date", "Created",
     "[Created] with \"/\" replaced by \"-\", read as DD-MM-YYYY"},
    {"=DATEVALUE(LEFT([@Created],6)&\"20\"&RIGHT([@Created],2))", "date", "Created",
     "[Created] first 6 characters & \"20\" & [Created] last 2 characters, read as DD/MM/YYYY"},
    {"=DATEVALUE(TRIM(LEFT([@Created],10)))", "date", "Created",
     "[Created] first 10 characters, with spaces collapsed, read as DD/MM/YYYY"},
    {"=DATEVALUE(IF(ISBLANK([@Created]),\"01/01/2000\",[@Created]))", "date", "Created",
     "[Created] defaulting to \"01/01/2000\" when missing, read as DD/MM/YYYY"},
    {"=DATEVALUE(LOWER([@BOOKING_DT]))", "date", "BOOKING_DT",
     "[BOOKING_DT] lower cased, read as DD-Mon-YY (pivot 1950)"},
    {"=VALUE(MID([@PAY_TERMS],2,2))", "int", "PAY_TERMS", "[PAY_TERMS] characters 2 to 3, read as number"},
    {"=VALUE(\"1\"&[@QTY])", "int", "QTY", "\"1\" & [QTY], read as number"},
    {"=VALUE(LEFT([@Store]&\"000\",3))", "int", "Store", "[Store] & \"000\", first 3 characters, read as number"},
    {"=VALUE(TEXT([@Store],\"00000\"))", "int", "Store", "[Store] padded left with \"0\" to 5, read as number"},
    {"=VALUE(RIGHT([@Store],5))", "int", "Store", "[Store] last 5 characters, read as number"},
    {"=VALUE(SUBSTITUTE([@ISO_DT],\"-\",\"\"))", "int", "ISO_DT", "[ISO_DT] with \"-\" removed, read as number"},
    {"=VALUE(IF(OR([@STATUS]=\"O\",[@STATUS]=\"C\"),\"1\",\"2\"))", "int", "STATUS",
     "(if [STATUS] upper cased is \"O\" or [STATUS] upper cased is \"C\" then \"1\" else \"2\"), read as number"},
    {"=VALUE(IF(AND([@STATUS]<>\"O\",NOT([@STATUS]=\"C\")),\"1\",\"2\"))", "int", "STATUS",
     "(if ([STATUS] is missing or [STATUS] upper cased is not \"O\") and not [STATUS] upper cased is \"C\" "
     "then \"1\" else \"2\"), read as number"},
    {"=VALUE(IF([@STATUS]>\"C\",\"1\",\"2\"))", "int", "STATUS",
     "(if [STATUS] upper cased > \"C\" then \"1\" else \"2\"), read as number"},
    {"=VALUE(IF([@STATUS]<=\"C\",\"1\",\"2\"))", "int", "STATUS",
     "(if [STATUS] upper cased <= \"C\" then \"1\" else \"2\"), read as number"},
    {"=VALUE(IF(ISNUMBER(SEARCH(\"3\",[@PAY_TERMS])),\"1\",\"2\"))", "int", "PAY_TERMS",
     "(if [PAY_TERMS] contains \"3\" then \"1\" else \"2\"), read as number"},
    {"=VALUE(IF([@Segment]=\"\",\"0\",\"1\"))", "int", "Segment",
     "(if [Segment] is missing then \"0\" else \"1\"), read as number"},
    {NULL, NULL, NULL, NULL}};

/* ... and when the derived values are not numbers, a question quoting one of them. */
static const fcase DERIVED_ASK[] = {
    {"=VALUE(IF([@STATUS]=\"O\",\"1\",\"x\"))", "int", "STATUS", "2 of 3 sampled values"},
    {"=VALUE(LOWER([@PAY_TERMS]))", "int", "PAY_TERMS", "(such as \"n30\") do not read as a number"},
    {"=VALUE(UPPER(TRIM([@Name])))", "int", "Name", "(such as \"JOHN SMITH\") do not read as a number"},
    {"=VALUE(LEFT([@Email],FIND(\"@\",[@Email])-1))", "int", "Email", "(such as \"a\") do not read as a number"},
    {"=VALUE(MID([@Email],FIND(\"@\",[@Email])+1,100))", "int", "Email", "(such as \"x.com\") do not read"},
    {NULL, NULL, NULL, NULL}};

static void check_derived(void)
{
    for (const fcase *k = DERIVED_READ; k->rule; k++) {
        plan p;
        plan_init(&p);
        int took;
        char *got = read_formula(k->rule, k->type, k->sources, &p, &took);
        if (took != 1 || strcmp(got, k->want) || p.nquestions) {
            fprintf(stderr, "derived \"%s\": took %d, got \"%s\" (%d questions), want \"%s\"\n", k->rule, took, got,
                    p.nquestions, k->want);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
    for (const fcase *k = DERIVED_ASK; k->rule; k++) {
        plan p;
        plan_init(&p);
        int took;
        char *got = read_formula(k->rule, k->type, k->sources, &p, &took);
        if (took != 1 || strcmp(got, "?") || p.nquestions != 1 || !strstr(p.questions[0].text, k->want)) {
            fprintf(stderr, "derived \"%s\": took %d, got \"%s\", %d question(s)%s%s; want one with \"%s\"\n",
                    k->rule, took, got, p.nquestions, p.nquestions ? ": " : "",
                    p.nquestions ? p.questions[0].text : "", k->want);
            check_failures++;
        }
        free(got);
        plan_free(&p);
    }
}

int main(void)
{
    setup();
    check_reads();
    check_filters();
    check_questions();
    check_prose();
    check_hostile();
    check_derived();
    mf_arena_free(&A);
    mf_arena_free(&M.arena);
    CHECK_DONE();
}
