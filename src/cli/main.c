/* main.c — the mapforge command line (being written: see cli/). */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "mapforge: usage: mapforge onboard|plan|run ...\n");
    return 1;
}
