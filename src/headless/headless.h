/* headless: the stdio front end, an equal of ui/. The agent's steps are
 * printed as plain text on one stream, approvals are read as lines from
 * another; it sees the agent only through agent.h's public face and its
 * events. Everything from the model or the sandbox is sanitized first. */
#ifndef LC_HEADLESS_H
#define LC_HEADLESS_H

#include <stdbool.h>
#include <stdio.h>

#include "agent/agent.h"
#include "config/config.h"

typedef struct lc_headless lc_headless;

/* in: where answers are read (stdin); out: where steps are printed. model
 * (borrowed, may be NULL) prices the tokens in the closing line. With
 * auto_approve every step runs without asking. Free with lc_headless_free. */
lc_headless *lc_headless_new(FILE *in, FILE *out, const lc_model_config *model, bool auto_approve);
void lc_headless_free(lc_headless *h);
/* Any thread (a signal handler's thread): a question waiting for an answer
 * on in ends as if the input had ended, so the run stops at once. */
void lc_headless_stop(lc_headless *h);
/* The observer to give lc_agent_new. Valid while h lives. */
lc_observer lc_headless_observer(lc_headless *h);
/* Runs the agent on task (NULL after a resume), prints the final answer and
 * returns the exit code (LC_EXIT_*: lc_agent_exit_code). */
int lc_headless_run(lc_headless *h, lc_agent *agent, const char *task);

#endif
