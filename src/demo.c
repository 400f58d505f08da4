/* The bundled demo: see demo.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "demo.h"
#include "exec/exec.h"
#include "session.h"

static const char how[] =
    "For a real model: --model openai/gpt-4o (key in OPENAI_API_KEY), --model "
    "anthropic/claude-sonnet-4-5, --model ollama/llama3, or model.name in "
    "~/.config/litecode/config.yaml (see examples/config/).";

typedef struct same_ctx {
    const char *root, *other;
} same_ctx;

static int same_file(void *ctx, const lc_walk_entry *e)
{
    same_ctx *c = ctx;
    if (!S_ISREG(e->st->st_mode))
        return 0;
    char *a = lc_path_join(c->root, e->path), *b = lc_path_join(c->other, e->path);
    lc_buf x = LC_BUF_INIT, y = LC_BUF_INIT;
    lc_err err = {0};
    bool same = lc_file_read(a, 1 << 20, &x, &err) == LC_OK && lc_file_read(b, 1 << 20, &y, &err) == LC_OK &&
                x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    lc_buf_free(&x);
    lc_buf_free(&y);
    free(a);
    free(b);
    return same ? 0 : -1;
}

/* Whether dir holds every file of the demo project as it was bundled. */
static bool is_demo_copy(const char *project, const char *dir)
{
    same_ctx c = {project, dir};
    lc_err err = {0};
    return lc_walk(project, same_file, &c, &err) == LC_OK;
}

/* Copies of earlier demos whose process is gone (named by pid). */
static int remove_dead_copy(void *ctx, const lc_walk_entry *e)
{
    const char *root = ctx;
    char *end;
    long pid = strtol(e->name, &end, 10);
    if (*end == '\0' && pid > 0 && pid != (long)getpid() && !lc_pid_alive((pid_t)pid, 0)) {
        char *path = lc_path_join(root, e->path);
        lc_err ignored = {0};
        lc_rm_rf(path, &ignored);
        free(path);
    }
    return LC_WALK_SKIP;
}

/* A fresh copy of the bundled project: <XDG state>/litecode/demo/<pid>. */
static int demo_copy(const char *project, char **out, lc_err *err)
{
    char *state = lc_xdg_dir("state", err);
    if (!state)
        return err->code;
    char *root = lc_path_join(state, "demo");
    free(state);
    int rc = lc_mkdir_p(root, 0700, err);
    lc_err ignored = {0};
    if (rc == LC_OK)
        lc_walk(root, remove_dead_copy, root, &ignored);
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    char *dst = lc_path_join(root, pid);
    free(root);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    if (rc == LC_OK)
        rc = lc_rm_rf(dst, err);
    if (rc == LC_OK)
        rc = lc_shadow_copy(project, dst, (uid_t)-1, (gid_t)-1, &rep, err);
    lc_shadow_report_free(&rep);
    if (rc != LC_OK) {
        lc_err_prefix(err, "copying the demo project");
        free(dst);
        return rc;
    }
    *out = dst;
    return LC_OK;
}

/* The recorded task: the log's first task event. */
static int first_task(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)record;
    (void)line;
    char **task = ctx;
    if (ev->kind == LC_EV_TASK && !*task)
        *task = lc_xstrdup(ev->text ? ev->text : "");
    return LC_OK;
}

static int recorded_task(const char *log, char **task, lc_err *err)
{
    int rc = lc_log_events(log, 0, first_task, task, NULL, err);
    if (rc != LC_OK)
        lc_err_prefix(err, "no model is configured and the bundled demo cannot be read");
    return rc;
}

int lc_demo_setup(lc_config *cfg, const char *dir, const char *task, lc_demo *d, lc_err *err)
{
    memset(d, 0, sizeof *d);
    char *data = lc_session_data_dir();
    char *log = lc_path_join(data, "examples/demo/session.jsonl");
    char *project = lc_path_join(data, "examples/demo/project");
    free(data);
    lc_buf aside = LC_BUF_INIT;
    struct stat st;
    char rp[PATH_MAX], rd[PATH_MAX];
    int rc = recorded_task(log, &d->task, err);
    if (rc == LC_OK && dir && stat(dir, &st) != 0)
        rc = lc_err_errno(err, LC_ENOTFOUND, errno, "--dir %s", dir);
    else if (rc == LC_OK && dir && !S_ISDIR(st.st_mode))
        rc = lc_err_set(err, LC_EINVAL, "--dir %s is not a directory", dir);
    if (rc != LC_OK)
        goto out;
    if (dir && realpath(project, rp) && realpath(dir, rd) && !strcmp(rp, rd))
        dir = NULL; /* the bundled files themselves: a copy is used, they never change */
    if (dir && !is_demo_copy(project, dir)) {
        lc_buf_printf(&aside, " --dir %s is not used: the recording only fits its own example project.", dir);
        dir = NULL;
    }
    if (task)
        lc_buf_puts(&aside, " Your task is not used: the demo replays its recorded one.");
    if (dir)
        d->dir = lc_xstrdup(dir);
    else if ((rc = demo_copy(project, &d->dir, err)) != LC_OK)
        goto out;
    char *name = lc_xasprintf("replay:%s", log);
    rc = lc_config_set(cfg, "model.name", name, LC_ORIGIN_DEFAULT, NULL, err);
    free(name);
    if (rc == LC_OK)
        d->notice = lc_xasprintf("This is the bundled demo: a recorded model on %s %s; the code runs for real in "
                                 "the sandbox.%s %s",
                                 dir ? "your copy of the example project," : "a fresh copy of the example project in",
                                 d->dir, lc_buf_cstr(&aside), how);
out:
    lc_buf_free(&aside);
    free(log);
    free(project);
    if (rc != LC_OK)
        lc_demo_free(d);
    return rc;
}

void lc_demo_free(lc_demo *d)
{
    free(d->dir);
    free(d->task);
    free(d->notice);
    memset(d, 0, sizeof *d);
}
