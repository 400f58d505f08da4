/* The executor interface's dispatch, and the values it passes around. */
#include <stdlib.h>

#include "exec/exec.h"

const char *lc_step_status_name(lc_step_status s)
{
    static const char *const names[] = {"ok", "error", "final", "syntax", "interrupted", "timeout",
                                        "killed", "shadow_limit"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

void lc_exec_result_free(lc_exec_result *r)
{
    if (!r)
        return;
    free(r->output);
    free(r->value_repr);
    free(r->final_answer);
    free(r->error_type);
    free(r->error_message);
    free(r->traceback);
    free(r->notice);
    *r = (lc_exec_result){0};
}

int lc_executor_start(lc_executor *ex, lc_err *err) { return ex->ops->start(ex, err); }

int lc_executor_check(lc_executor *ex, const char *code, lc_exec_result *res, lc_err *err)
{
    *res = (lc_exec_result){0};
    if (!ex->ops->check)
        return LC_OK; /* an executor that cannot compile ahead lets exec report it */
    return ex->ops->check(ex, code, res, err);
}

int lc_executor_analyze(lc_executor *ex, const char *code, const lc_strv *vouched, const lc_strv *dirty,
                        cJSON **analysis, lc_err *err)
{
    *analysis = NULL;
    if (!ex->ops->analyze)
        return lc_err_set(err, LC_ESTATE, "this executor (%s) has no static check", ex->ops->name);
    return ex->ops->analyze(ex, code, vouched, dirty, analysis, err);
}

int lc_executor_exec(lc_executor *ex, const char *code, int timeout_s, const lc_exec_hooks *hooks,
                     lc_exec_result *res, lc_err *err)
{
    *res = (lc_exec_result){0};
    return ex->ops->exec(ex, code, timeout_s, hooks, res, err);
}

int lc_executor_define(lc_executor *ex, const char *code, lc_err *err)
{
    if (!ex->ops->define)
        return lc_err_set(err, LC_ESTATE, "this executor cannot load helper code");
    return ex->ops->define(ex, code, err);
}

void lc_executor_interrupt(lc_executor *ex)
{
    if (ex->ops->interrupt)
        ex->ops->interrupt(ex);
}

void lc_executor_stop(lc_executor *ex)
{
    if (ex->ops->stop)
        ex->ops->stop(ex);
}

char *lc_executor_describe(lc_executor *ex)
{
    return ex->ops->describe ? ex->ops->describe(ex) : lc_xstrdup(ex->ops->name);
}

void lc_executor_destroy(lc_executor *ex)
{
    if (ex)
        ex->ops->destroy(ex);
}
