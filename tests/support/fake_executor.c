/* The scripted executor behind fake_executor.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fake_executor.h"

typedef struct entry {
    fake_step s; /* strings owned */
} entry;

typedef struct fake {
    entry *v;
    size_t n, cap;
    lc_strv ran, checked, defined, tool_results;
    lc_strv analyses; /* match, then JSON: pairs (fake_executor_analysis) */
    atomic_int interrupts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool interrupted;
} fake;

static char *dup_or_null(const char *s) { return s ? lc_xstrdup(s) : NULL; }

void fake_executor_add(lc_executor *ex, const fake_step *s)
{
    fake *f = ex->impl;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = lc_xrealloc(f->v, f->cap * sizeof *f->v);
    }
    fake_step *d = &f->v[f->n++].s;
    *d = *s;
    d->match = dup_or_null(s->match);
    d->output = dup_or_null(s->output);
    d->value_repr = dup_or_null(s->value_repr);
    d->final_answer = dup_or_null(s->final_answer);
    d->error_type = dup_or_null(s->error_type);
    d->error_message = dup_or_null(s->error_message);
    d->traceback = dup_or_null(s->traceback);
    d->tool_name = dup_or_null(s->tool_name);
    d->tool_args = dup_or_null(s->tool_args);
    d->notice = dup_or_null(s->notice);
}

static const fake_step *find(fake *f, const char *code, bool syntax)
{
    for (size_t i = 0; i < f->n; i++) {
        const fake_step *s = &f->v[i].s;
        if ((s->status == LC_STEP_SYNTAX) != syntax)
            continue;
        if (!s->match || strstr(code, s->match))
            return s;
    }
    return NULL;
}

static void fill(lc_exec_result *res, const fake_step *s)
{
    res->status = s->status;
    res->output = lc_xstrdup(s->output ? s->output : "");
    res->value_repr = dup_or_null(s->value_repr);
    res->final_answer = dup_or_null(s->final_answer);
    res->error_type = dup_or_null(s->error_type);
    res->error_message = dup_or_null(s->error_message);
    res->traceback = dup_or_null(s->traceback);
    res->error_line = s->error_line;
    res->notice = dup_or_null(s->notice);
    res->state_lost = s->state_lost;
    res->duration_s = 0.001;
}

static int f_start(lc_executor *ex, lc_err *err)
{
    (void)ex;
    (void)err;
    return LC_OK;
}

static int f_check(lc_executor *ex, const char *code, lc_exec_result *res, lc_err *err)
{
    (void)err;
    fake *f = ex->impl;
    memset(res, 0, sizeof *res);
    lc_strv_push(&f->checked, code);
    const fake_step *s = find(f, code, true);
    if (s)
        fill(res, s);
    else
        res->status = LC_STEP_OK;
    return LC_OK;
}

/* final_answer("...") with a plain double-quoted literal, as the kernel would. */
static char *auto_final(const char *code)
{
    const char *p = strstr(code, "final_answer(\"");
    if (!p)
        return NULL;
    p += 14;
    const char *q = strchr(p, '"');
    if (!q)
        return NULL;
    char *text = lc_xstrndup(p, (size_t)(q - p));
    cJSON *s = cJSON_CreateString(text);
    char *json = lc_json_print(s);
    cJSON_Delete(s);
    free(text);
    return json;
}

static int f_exec(lc_executor *ex, const char *code, int timeout_s, const lc_exec_hooks *hooks,
                  lc_exec_result *res, lc_err *err)
{
    (void)timeout_s;
    fake *f = ex->impl;
    memset(res, 0, sizeof *res);
    lc_strv_push(&f->ran, code);
    const fake_step *s = find(f, code, false);
    if (!s) {
        char *fin = auto_final(code);
        res->status = fin ? LC_STEP_FINAL : LC_STEP_OK;
        res->final_answer = fin;
        res->output = lc_xstrdup("");
        return LC_OK;
    }
    if (s->output && hooks && hooks->output) {
        size_t n = strlen(s->output), half = n / 2;
        hooks->output(hooks->ctx, LC_STREAM_STDOUT, s->output, half);
        hooks->output(hooks->ctx, LC_STREAM_STDOUT, s->output + half, n - half);
    }
    if (s->tool_name && hooks && hooks->tool_call) {
        const char *a = s->tool_args ? s->tool_args : "{}";
        cJSON *args = lc_json_parse(a, strlen(a));
        cJSON *result = NULL;
        lc_err terr = {0};
        if (hooks->tool_call(hooks->ctx, s->tool_name, args, &result, &terr) == LC_OK) {
            char *j = lc_json_print(result);
            lc_strv_pushf(&f->tool_results, "ok:%s", j);
            free(j);
        } else {
            lc_strv_pushf(&f->tool_results, "error:%s", terr.msg);
        }
        cJSON_Delete(result);
        cJSON_Delete(args);
    }
    if (s->fail)
        return lc_err_set(err, s->fail, "%s", s->error_message ? s->error_message : "the executor failed");
    if (s->block) {
        pthread_mutex_lock(&f->mu);
        while (!f->interrupted)
            pthread_cond_wait(&f->cv, &f->mu);
        f->interrupted = false;
        pthread_mutex_unlock(&f->mu);
        fill(res, s);
        res->status = LC_STEP_INTERRUPTED;
        return LC_OK;
    }
    (void)err;
    fill(res, s);
    return LC_OK;
}

static int f_define(lc_executor *ex, const char *code, lc_err *err)
{
    (void)err;
    fake *f = ex->impl;
    lc_strv_push(&f->defined, code);
    return LC_OK;
}

static void f_interrupt(lc_executor *ex)
{
    fake *f = ex->impl;
    atomic_fetch_add(&f->interrupts, 1);
    pthread_mutex_lock(&f->mu);
    f->interrupted = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void f_stop(lc_executor *ex) { (void)ex; }

static char *f_describe(lc_executor *ex)
{
    (void)ex;
    return lc_xstrdup("fake executor");
}

static void f_destroy(lc_executor *ex)
{
    fake *f = ex->impl;
    for (size_t i = 0; i < f->n; i++) {
        fake_step *s = &f->v[i].s;
        free((char *)s->match);
        free((char *)s->output);
        free((char *)s->value_repr);
        free((char *)s->final_answer);
        free((char *)s->error_type);
        free((char *)s->error_message);
        free((char *)s->traceback);
        free((char *)s->tool_name);
        free((char *)s->tool_args);
        free((char *)s->notice);
    }
    free(f->v);
    lc_strv_free(&f->ran);
    lc_strv_free(&f->checked);
    lc_strv_free(&f->defined);
    lc_strv_free(&f->tool_results);
    lc_strv_free(&f->analyses);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
    free(ex);
}

static int f_analyze(lc_executor *ex, const char *code, const lc_strv *vouched, const lc_strv *dirty,
                     cJSON **analysis, lc_err *err)
{
    (void)vouched;
    (void)dirty;
    fake *f = ex->impl;
    for (size_t i = 0; i + 1 < f->analyses.n; i += 2)
        if (strstr(code, f->analyses.v[i])) {
            *analysis = cJSON_Parse(f->analyses.v[i + 1]);
            return LC_OK;
        }
    return lc_err_set(err, LC_ESTATE, "the fake has no analysis for this code");
}

void fake_executor_analysis(lc_executor *ex, const char *match, const char *json)
{
    fake *f = ex->impl;
    lc_strv_push(&f->analyses, match);
    lc_strv_push(&f->analyses, json);
}

static const lc_executor_ops fake_ops = {
    .name = "fake",
    .start = f_start,
    .check = f_check,
    .exec = f_exec,
    .define = f_define,
    .interrupt = f_interrupt,
    .stop = f_stop,
    .describe = f_describe,
    .destroy = f_destroy,
    .analyze = f_analyze,
};

lc_executor *fake_executor_new(void)
{
    fake *f = lc_xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    lc_executor *ex = lc_xcalloc(1, sizeof *ex);
    ex->ops = &fake_ops;
    ex->impl = f;
    return ex;
}

const lc_strv *fake_executor_ran(lc_executor *ex) { return &((fake *)ex->impl)->ran; }
const lc_strv *fake_executor_checked(lc_executor *ex) { return &((fake *)ex->impl)->checked; }
const lc_strv *fake_executor_defined(lc_executor *ex) { return &((fake *)ex->impl)->defined; }
const lc_strv *fake_executor_tool_results(lc_executor *ex) { return &((fake *)ex->impl)->tool_results; }
int fake_executor_interrupts(lc_executor *ex) { return atomic_load(&((fake *)ex->impl)->interrupts); }
