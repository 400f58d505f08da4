/* litecode-tui: wiring only. Parses flags, loads and validates the config,
 * builds the session and hands it to the TUI or headless front end. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("litecode-tui %s\n", LC_VERSION);
        return 0;
    }
    fprintf(stderr, "litecode-tui: not wired yet\n");
    return 1;
}
