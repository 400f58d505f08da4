/* A step's result from what the kernel said (its "done" event) or from how
 * the container ended: the status, the error with its line, and the notice
 * the user and the model read when state was lost. */
#include <limits.h>
#include <string.h>
#include <sys/wait.h>

#include "exec/exec_internal.h"

static char *json_dup_str(const cJSON *o, const char *key)
{
    const char *s = lc_json_str(o, key);
    return s ? lc_xstrdup(s) : NULL;
}

void lc_sandbox_fill_error(lc_exec_result *res, const cJSON *done)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(done, "error");
    if (!cJSON_IsObject(e))
        return;
    res->error_type = json_dup_str(e, "type");
    res->error_message = json_dup_str(e, "message");
    res->traceback = json_dup_str(e, "traceback");
    res->error_line = (int)lc_json_int(e, "lineno", 0, 0, INT_MAX);
}

void lc_sandbox_describe_death(const lc_container_config *cfg, int wstatus, bool we_killed, lc_stop_reason why,
                               lc_exec_result *res)
{
    char mem[32];
    lc_format_size(cfg->memory_bytes, mem, sizeof mem);
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    res->status = LC_STEP_KILLED;
    res->state_lost = true;
    if (we_killed && why == LC_WHY_SHADOW) {
        res->status = LC_STEP_SHADOW_LIMIT;
        res->notice = lc_xasprintf("the step kept writing past the shadow copy's growth limit and did "
                                   "not stop when interrupted; the sandbox was restarted and Python "
                                   "state (variables, imports) was lost");
    } else if (we_killed) {
        res->notice = lc_xasprintf("the step did not stop within %d s of the interrupt; the sandbox "
                                   "was restarted and Python state (variables, imports) was lost. "
                                   "Files in /workspace are kept.",
                                   cfg->grace_s);
    } else if (code == 137) {
        res->error_type = lc_xstrdup("OutOfMemory");
        res->error_message = lc_xasprintf("the step was killed for using more than the sandbox's %s "
                                          "of memory", mem);
        res->notice = lc_xasprintf("out of memory (limit %s): the kernel was killed; the sandbox was "
                                   "restarted and Python state (variables, imports) was lost. Files "
                                   "in /workspace are kept.", mem);
    } else {
        res->error_type = lc_xstrdup("SandboxExited");
        res->error_message = lc_xasprintf("the kernel ended (exit %d)", code);
        res->notice = lc_xasprintf("the sandbox ended during the step (exit %d); it was restarted "
                                   "and Python state (variables, imports) was lost", code);
    }
}

void lc_sandbox_fill_done(lc_exec_result *res, const cJSON *done, lc_stop_reason why)
{
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(done, "final_answer");
    res->value_repr = json_dup_str(done, "value_repr");
    res->truncated = lc_json_bool(done, "truncated", false);
    res->dropped_bytes = (uint64_t)lc_json_int(done, "dropped", 0, 0, INT64_MAX);
    lc_sandbox_fill_error(res, done);
    if (lc_json_bool(done, "has_final", false) && fa) {
        res->status = LC_STEP_FINAL;
        res->final_answer = lc_json_print(fa);
    } else if (lc_json_bool(done, "interrupted", false)) {
        res->status = why == LC_WHY_TIMEOUT ? LC_STEP_TIMEOUT
                      : why == LC_WHY_SHADOW ? LC_STEP_SHADOW_LIMIT
                                          : LC_STEP_INTERRUPTED;
    } else {
        res->status = lc_json_bool(done, "ok", false) ? LC_STEP_OK : LC_STEP_ERROR;
        if (res->status == LC_STEP_ERROR && res->error_type && strcmp(res->error_type, "SyntaxError") == 0)
            res->status = LC_STEP_SYNTAX;
    }
}
