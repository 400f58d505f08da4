/* End-to-end test support: what the tests that run build/litecode-tui share.
 * A throwaway home (the XDG state and config directories point into it, so
 * nothing of the user's is read or written), scripted OpenAI streaming
 * replies for the mock server, the engine check, and the session log the
 * binary names. The names are the ones the tests' own copies had: a test
 * converts by dropping its copies and including this header. */
#ifndef LC_E2E_H
#define LC_E2E_H

#include <stdbool.h>

#include "engine_support.h"
#include "mock_server.h"

/* Appends to a mock server script one OpenAI streaming response (SSE,
 * ending in [DONE]) whose content is text. */
void add_response(lc_buf *script, const char *text);

/* Whether a container engine and the image are there. Without one the
 * caller skips (skip()); with LITECODE_REQUIRE_ENGINE=1 the test fails here. */
bool engine_ok(void);

/* One test's home, under a new temporary directory; all paths owned. */
typedef struct home {
    char *dir;     /* the temporary directory; home_close removes it */
    char *project; /* dir/project: not created (lc_test_write makes it) */
    char *state;   /* dir/state, created (0700): $XDG_STATE_HOME */
    char *cfgdir;  /* dir/config/litecode, not created: $XDG_CONFIG_HOME is dir/config */
} home;
void home_open(home *h, const char *tag);
void home_close(home *h);

/* Runs argv (NULL-terminated; no stdin, at most 5 minutes and 4 MiB of
 * each output) to its end, and prints how it ended and what it said, for
 * the test's own log. res is the caller's (LC_PROC_RESULT_INIT). */
void run_argv(const char *const *argv, lc_proc_result *res);

/* The session log the binary names on stderr ("session ID (log: FILE)").
 * Fails the test when there is none. Caller frees. */
char *log_of(const char *err_text);

#endif
