/* reference.c — the one fixed reference of the plan language a model is given with every question:
 * the expression grammar and the step table, compact (docs/plan-language.md is the full text).
 *
 * Invariant: fixed text, the same for every call (the prompt's hash changes only with the question
 * and its context); when the language gains a step, this table gains its line (test_llm checks
 * that every example here parses).
 */
#include "llm/suggest.h"

const char llm_plan_reference[] =
    "THE PLAN LANGUAGE (expressions only)\n"
    "An expression computes one output column from the source row.\n"
    "  [Name]          a column of the source file (]] inside stands for ])\n"
    "  NAME            an output column defined earlier in the plan\n"
    "  \"text\"          a text literal (escapes \\\" \\\\); numbers 12.50, -3; true, false, null\n"
    "Grammar:\n"
    "  top     := cond (',' step)*          a step after a comma applies to everything before it\n"
    "  cond    := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | compare\n"
    "  compare := expr [ ('is' | 'is not' | '<' | '<=' | '>' | '>=') expr | 'is missing' | 'is present'\n"
    "                   | 'is one of' '(' \"a\", \"b\" ')' | 'contains' \"x\" | 'starts with' \"x\" | 'ends with' \"x\" ]\n"
    "  expr    := sum ('&' sum)*   (& concatenates text) ; sum := product (('+'|'-') product)*\n"
    "  product := term (('*'|'/') term)* ; term := primary step*\n"
    "  primary := [Src] | NAME | literal | '(' top ')' | 'if' cond 'then' top 'else' top\n"
    "           | 'days from' expr 'to' expr | 'length of' term | 'row number'\n"
    "Steps (each applies to the value before it):\n"
    "  trimmed | upper cased | lower cased | title cased | digits only | with spaces collapsed\n"
    "  padded left with \"0\" to 10 | padded right with \" \" to 10 | prefixed with \"X\" | suffixed with \"X\"\n"
    "  first 3 characters | last 3 characters | characters 2 to 5 | text before \"-\" | text after \"-\"\n"
    "  text before last \"-\" | text after last \"-\" | with \"x\" replaced by \"y\" | with \"x\" removed\n"
    "  read as MM/DD/YYYY (any pattern of YYYY YY MM M DD D Mon) | read as ISO | read as Excel serial date\n"
    "  read as number (thousands \",\", decimal \".\", negative in parentheses, trailing minus, currency \"$\")\n"
    "  read as integer | read as boolean (\"Y\" = true, \"N\" = false)\n"
    "  multiplied by 100 | divided by 100 | rounded to 2 decimals | rounded up to 2 decimals | negated\n"
    "  negated when <cond> | absolute value | defaulting to <expr> when missing\n"
    "  mapped (\"D\" -> \"DEBIT\", \"C\" -> \"CREDIT\", otherwise unchanged|rejected|null|\"X\")\n"
    "  looked up in NAME (otherwise rejected) | its year | its month | its day | its quarter\n"
    "  its fiscal year (starting month 7) | written as \"YYYY-MM\" | plus 30 days | minus 30 days | end of month\n"
    "Types: text(n), integer, bigint, decimal(p,s), date, timestamp, boolean. Text from the file must be read\n"
    "(read as number / date / integer / boolean) before arithmetic or assignment to a typed column.\n"
    "Examples:\n"
    "  [Acct No] trimmed, padded left with \"0\" to 10\n"
    "  [Posting Dt] read as MM/DD/YYYY\n"
    "  [Amt] read as number (thousands \",\", negative in parentheses), negated when [Dr/Cr] is \"C\"\n"
    "  if [Qty] read as number > 0 then \"BUY\" else \"SELL\"\n"
    "  [First] trimmed & \" \" & [Last] trimmed\n";
