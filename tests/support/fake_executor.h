/* A scripted lc_executor for agent tests: no container, canned results per
 * code, a record of what it was asked to check, define and run. */
#ifndef LC_FAKE_EXECUTOR_H
#define LC_FAKE_EXECUTOR_H

#include "exec/exec.h"

/* One canned answer. The first entry whose match is a substring of the code
 * answers (NULL matches everything); entries stay, so they answer every
 * matching step. Entries with status LC_STEP_SYNTAX answer check() only.
 * Strings are copied. */
typedef struct fake_step {
    const char *match;
    lc_step_status status;
    const char *output;        /* sent through hooks->output as stdout, in two pieces */
    const char *value_repr;
    const char *final_answer;  /* JSON text */
    const char *error_type;
    const char *error_message;
    const char *traceback;
    int error_line;
    const char *tool_name;     /* called through hooks->tool_call during the step */
    const char *tool_args;     /* JSON object text */
    const char *notice;
    bool state_lost;
    bool block;                /* wait for interrupt(), then LC_STEP_INTERRUPTED */
    int fail;                  /* exec itself fails with this status and error_message (the
                                * engine or the container failed, e.g. LC_ETIMEOUT) */
} fake_step;

lc_executor *fake_executor_new(void);
void fake_executor_add(lc_executor *ex, const fake_step *s);
/* Code given to exec / check / define, in order. */
const lc_strv *fake_executor_ran(lc_executor *ex);
const lc_strv *fake_executor_checked(lc_executor *ex);
const lc_strv *fake_executor_defined(lc_executor *ex);
/* What tool calls returned: "ok:<json>" or "error:<message>". */
const lc_strv *fake_executor_tool_results(lc_executor *ex);
int fake_executor_interrupts(lc_executor *ex);
/* The static check's answer (the kernel's JSON) for code containing match;
 * without a matching entry analyze fails (the agent must then ask). */
void fake_executor_analysis(lc_executor *ex, const char *match, const char *json);

/* Without a matching entry, exec answers LC_STEP_OK with no output, except
 * code containing final_answer("text") which answers LC_STEP_FINAL with
 * that text, like the real kernel. */

#endif
