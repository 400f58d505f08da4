/* A step's result from what the kernel said (its "done" event) or from how
 * the container ended: the status, the error with its line, and the notice
 * the user and the model read when state was lost. */
#include <signal.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>

#include "exec/exec_internal.h"

static char *json_dup_str(const cJSON *o, const char *key)
{
    const char *s = lc_json_str(o, key);
    return s ? lc_xstrdup(s) : NULL;
}

bool lc_sandbox_json_int(const cJSON *obj, const char *key, double lo, double hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi ||
        floor(v->valuedouble) != v->valuedouble)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

void lc_sandbox_clamp_line(lc_exec_result *res, const char *code)
{
    int lines = 1;
    for (const char *p = code; p && *p; p++)
        lines += *p == '\n';
    if (res->error_line < 0 || res->error_line > lines)
        res->error_line = 0;
}

static void add_notice(lc_exec_result *res, char *text)
{
    if (res->notice && *res->notice) {
        char *both = lc_xasprintf("%s. %s", res->notice, text);
        free(text);
        text = both;
    }
    free(res->notice);
    res->notice = text;
}

/* What the supervisor counted about the step, said to the user and the model. */
static void fill_counts(lc_exec_result *res, const cJSON *done)
{
    int64_t n = 0;
    if (lc_sandbox_json_int(done, "left_threads", 0, 1000000, &n))
        res->left_threads = (int)n;
    if (lc_sandbox_json_int(done, "killed_processes", 0, 1000000, &n))
        res->killed_processes = (int)n;
    if (lc_sandbox_json_int(done, "rejected", 0, 1000000000, &n))
        res->rejected_messages = (int)n;
    if (res->left_threads > 0)
        add_notice(res, lc_xasprintf("the step left %d thread%s running in the sandbox: %s paused between "
                                     "steps and run%s again when the next step starts",
                                     res->left_threads, res->left_threads == 1 ? "" : "s",
                                     res->left_threads == 1 ? "it is" : "they are",
                                     res->left_threads == 1 ? "s" : ""));
    if (res->killed_processes > 0)
        add_notice(res, lc_xasprintf("the step left %d process%s running; a step's processes end with the "
                                     "step, so %s killed",
                                     res->killed_processes, res->killed_processes == 1 ? "" : "es",
                                     res->killed_processes == 1 ? "it was" : "they were"));
    if (res->rejected_messages > 0)
        add_notice(res, lc_xasprintf("the kernel refused %d message%s that did not come from the step's own "
                                     "code (a thread or process in the sandbox tried to send results of its "
                                     "own)",
                                     res->rejected_messages, res->rejected_messages == 1 ? "" : "s"));
}

void lc_sandbox_fill_error(lc_exec_result *res, const cJSON *done)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(done, "error");
    if (!cJSON_IsObject(e))
        return;
    res->error_type = json_dup_str(e, "type");
    res->error_message = json_dup_str(e, "message");
    res->traceback = json_dup_str(e, "traceback");
    int64_t line = 0;
    res->error_line = lc_sandbox_json_int(e, "lineno", 0, 10000000, &line) ? (int)line : 0;
}

#define LOST "Python state (variables, imports) was lost; files in /workspace are kept."

int lc_sandbox_worker_code(const char *text)
{
    static const char said[] = "litecode kernel: the worker ended (exit ";
    const char *last = NULL;
    for (const char *p = text; p && (p = strstr(p, said)) != NULL; p += sizeof said - 1)
        if (p == text || p[-1] == '\n') /* at the start of a line */
            last = p;
    if (!last)
        return 0;
    char *end = NULL;
    long n = strtol(last + sizeof said - 1, &end, 10);
    return end && *end == ')' && n > 0 && n < 256 ? (int)n : 0;
}

/* What ended the step's process, from the worker's exit code (see
 * lc_sandbox_end.worker_code); false when there is nothing more to say. */
static bool worker_cause(int code, char *out, size_t outsz)
{
    static const struct {
        int sig;
        const char *name, *what;
    } sigs[] = {{SIGSEGV, "SIGSEGV", "a crash in native code (a C extension or ctypes)"},
                {SIGBUS, "SIGBUS", "a crash in native code (a C extension or ctypes)"},
                {SIGILL, "SIGILL", "a crash in native code (a C extension or ctypes)"},
                {SIGFPE, "SIGFPE", "a crash in native code (a C extension or ctypes)"},
                {SIGABRT, "SIGABRT", "abort() in native code, or os.abort()"},
                {SIGTERM, "SIGTERM", "sent by a process of the step, or from outside litecode"},
                {SIGINT, "SIGINT", "an interrupt that the step's code let end the process"},
                {SIGXCPU, "SIGXCPU", "a CPU time limit"},
                {SIGSYS, "SIGSYS", "a system call the sandbox forbids"}};
    if (code <= 0)
        return false;
    if (code == 129 || code == 128 + SIGKILL) { /* 129: the kernel's code for a SIGKILL not the OOM killer's */
        snprintf(out, outsz, "the step's process was killed (SIGKILL, not out of memory): by the step itself "
                             "or from outside litecode");
        return true;
    }
    if (code > 128) {
        int sig = code - 128;
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            if (sigs[i].sig == sig) {
                snprintf(out, outsz, "the step's process ended on %s (signal %d): %s", sigs[i].name, sig,
                         sigs[i].what);
                return true;
            }
        snprintf(out, outsz, "the step's process ended on signal %d", sig);
        return true;
    }
    if (code == 3) /* the kernel's code for a worker that left without saying why */
        return false;
    snprintf(out, outsz, "the step's process exited with code %d instead of returning to the kernel "
                         "(os._exit, or native code that ended the process)", code);
    return true;
}

void lc_sandbox_describe_death(const lc_container_config *cfg, lc_sandbox_end end, bool we_killed,
                               lc_stop_reason why, bool during_step, lc_exec_result *res)
{
    char mem[32], cause[160];
    lc_format_size(cfg->memory_bytes, mem, sizeof mem);
    res->status = LC_STEP_KILLED;
    res->state_lost = true;
    if (we_killed && why == LC_WHY_SHADOW) {
        res->status = LC_STEP_SHADOW_LIMIT;
        res->notice = lc_xstrdup("The step kept writing past the shadow copy's growth limit and did not stop "
                                 "when interrupted; the sandbox was restarted. " LOST);
        return;
    }
    if (we_killed && why != LC_WHY_NONE) {
        res->notice = lc_xasprintf("The step did not stop within %d s of the interrupt; the sandbox was "
                                   "restarted. " LOST, cfg->grace_s);
        return;
    }
    const char *type = "SandboxExited";
    bool oom = end.how == LC_END_OOM;
    if (!we_killed && !oom && end.how != LC_END_REMOVED && worker_cause(end.worker_code, cause, sizeof cause)) {
        type = "StepProcessEnded";
    } else if (we_killed) {
        snprintf(cause, sizeof cause, "the kernel stopped answering properly and was removed");
        type = "SandboxRestarted";
    } else if (oom) {
        snprintf(cause, sizeof cause, "it ran out of memory (limit %s) and the kernel was killed", mem);
        type = "OutOfMemory";
    } else if (end.how == LC_END_KILLED) {
        /* The kernel's supervisor shares a real uid with the steps, so that it
         * can stop them; a step can kill it too, and end its own sandbox. */
        snprintf(cause, sizeof cause, "it was killed from outside litecode, or by a process of the step (exit %d, "
                                      "not out of memory)",
                 end.exit_code);
        type = "SandboxKilled";
    } else if (end.how == LC_END_REMOVED) {
        snprintf(cause, sizeof cause, "its container was removed from outside litecode");
        type = "SandboxKilled";
    } else {
        snprintf(cause, sizeof cause, "the kernel ended (exit %d)", end.exit_code);
    }
    if (during_step) {
        res->error_type = lc_xstrdup(type);
        res->error_message = oom
                                 ? lc_xasprintf("the step was killed for using more than the sandbox's %s of "
                                                "memory", mem)
                                 : lc_xasprintf("the sandbox ended during the step: %s", cause);
    }
    res->notice = lc_xasprintf("The sandbox ended %s: %s. It was restarted; " LOST,
                               during_step ? "during the step" : "between steps", cause);
}

void lc_sandbox_fill_done(lc_exec_result *res, const cJSON *done, lc_stop_reason why)
{
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(done, "final_answer");
    res->value_repr = json_dup_str(done, "value_repr");
    res->truncated = lc_json_bool(done, "truncated", false);
    int64_t dropped = 0;
    res->dropped_bytes = lc_sandbox_json_int(done, "dropped", 0, LC_SANDBOX_MAX_BYTES, &dropped) ? (uint64_t)dropped : 0;
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
    fill_counts(res, done);
}
