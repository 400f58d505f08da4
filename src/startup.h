/* Before a session: the config as the command line, the project's trust and
 * the agent profile make it (security rules checked before anything starts),
 * the options only the binary can check, and the modes that need no session
 * (--check, --report, --print-config). Wiring, like main.c. */
#ifndef LC_STARTUP_H
#define LC_STARTUP_H

#include "config/config.h"

/* The config of this run: the user file, the project file if trusted (asked
 * on a terminal, else said why not; --trust records it first), the
 * environment, the flags, the profile; then validated. Then what the
 * validation cannot see (--dir, key bindings, theme), as usage errors. cfg
 * is the caller's to free even on error. */
int lc_startup_config(const lc_cli *cli, lc_config *cfg, lc_err *err);
/* --check: the engine, image and limits, and one model request. Prints the
 * checks on stdout; returns the exit code. */
int lc_startup_check(lc_config *cfg);
/* --print-config and --report: the text on stdout; returns the exit code. */
int lc_startup_print_config(const lc_config *cfg);
int lc_startup_report(const char *log);

#endif
