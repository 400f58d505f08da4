/* The session log: JSON Lines, append-only, one event a line, each line
 * written with one write(2) and synced so a crash loses at most the line
 * being written. Secrets registered with lc_log_add_secret are replaced
 * before a line leaves memory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"

#define LOG_VERSION 1
#define LOG_READ_MAX ((size_t)512 * 1024 * 1024)

struct lc_log {
    int fd;
    char *path;
    pthread_mutex_t mu;
    lc_strv secrets;
};

int lc_log_open(const char *path, lc_log **out, lc_err *err)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening the session log %s", path);
    lc_log *log = lc_xcalloc(1, sizeof *log);
    log->fd = fd;
    log->path = lc_xstrdup(path);
    pthread_mutex_init(&log->mu, NULL);
    /* Whatever key this process can read is scrubbed from every line. */
    static const char *const key_envs[] = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"};
    for (size_t i = 0; i < sizeof key_envs / sizeof key_envs[0]; i++)
        lc_log_add_secret(log, getenv(key_envs[i]));
    *out = log;
    return LC_OK;
}

void lc_log_close(lc_log *log)
{
    if (!log)
        return;
    fsync(log->fd);
    close(log->fd);
    pthread_mutex_destroy(&log->mu);
    lc_strv_free(&log->secrets);
    free(log->path);
    free(log);
}

const char *lc_log_path(const lc_log *log) { return log ? log->path : NULL; }

void lc_log_add_secret(lc_log *log, const char *secret)
{
    if (!log || !secret || strlen(secret) < 8)
        return;
    pthread_mutex_lock(&log->mu);
    if (!lc_strv_contains(&log->secrets, secret))
        lc_strv_push(&log->secrets, secret);
    pthread_mutex_unlock(&log->mu);
}

static void redact(lc_buf *line, const lc_strv *secrets)
{
    for (size_t i = 0; i < secrets->n; i++) {
        const char *s = secrets->v[i];
        size_t sl = strlen(s);
        char *hit = line->data ? strstr(line->data, s) : NULL;
        if (!hit)
            continue;
        lc_buf out = LC_BUF_INIT;
        const char *p = line->data;
        while (hit) {
            lc_buf_append(&out, p, (size_t)(hit - p));
            lc_buf_puts(&out, "[redacted]");
            p = hit + sl;
            hit = strstr(p, s);
        }
        lc_buf_puts(&out, p);
        lc_buf_free(line);
        *line = out;
    }
}

int lc_log_write(lc_log *log, const char *kind, int step, cJSON *fields, lc_err *err)
{
    if (!log) {
        cJSON_Delete(fields);
        return LC_OK;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "v", LOG_VERSION);
    char ts[40];
    lc_iso8601(lc_wall_ms(), ts, sizeof ts);
    cJSON_AddStringToObject(o, "ts", ts);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddNumberToObject(o, "step", step);
    if (fields) {
        /* Move the fields over, keeping the header keys first for readers. */
        cJSON *it = fields->child;
        while (it) {
            cJSON *next = it->next;
            cJSON *d = cJSON_DetachItemViaPointer(fields, it);
            if (!cJSON_GetObjectItemCaseSensitive(o, d->string))
                cJSON_AddItemToObject(o, d->string, d);
            else
                cJSON_Delete(d);
            it = next;
        }
        cJSON_Delete(fields);
    }
    char *text = lc_json_print(o);
    cJSON_Delete(o);
    lc_buf line = LC_BUF_INIT;
    lc_buf_puts(&line, text);
    free(text);
    agent_utf8_fix(&line);
    lc_buf_putc(&line, '\n');

    pthread_mutex_lock(&log->mu);
    redact(&line, &log->secrets);
    int rc = LC_OK;
    /* One write(2) per line: a crash of this process never leaves half a
     * line behind that the kernel did not get. */
    if (lc_fd_write_all(log->fd, line.data, line.len) != 0)
        rc = lc_err_errno(err, LC_EIO, errno, "writing the session log %s", log->path);
    pthread_mutex_unlock(&log->mu);
    lc_buf_free(&line);
    /* Rare events that matter on their own are synced at once; the agent
     * syncs the rest once per step (lc_log_sync). */
    if (rc == LC_OK && (!strcmp(kind, "header") || !strcmp(kind, "final_answer") || !strcmp(kind, "done") ||
                        !strncmp(kind, "hunk_", 5)))
        rc = lc_log_sync(log, err);
    return rc;
}

int lc_log_sync(lc_log *log, lc_err *err)
{
    if (!log)
        return LC_OK;
    if (fsync(log->fd) != 0 && errno != EINVAL && errno != EROFS)
        return lc_err_errno(err, LC_EIO, errno, "syncing the session log %s", log->path);
    return LC_OK;
}

static cJSON *strv_json(const lc_strv *sv)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; sv && i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
    return a;
}

int lc_log_header(lc_log *log, const lc_config *cfg, const char *dir, const char *executor_desc, lc_err *err)
{
    /* The configured key variable joins the well-known ones (lc_log_open). */
    if (cfg && cfg->model.api_key_env)
        lc_log_add_secret(log, getenv(cfg->model.api_key_env));
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "litecode", LC_VERSION);
    cJSON_AddNumberToObject(f, "format", LOG_VERSION);
    if (dir)
        cJSON_AddStringToObject(f, "dir", dir);
    cJSON_AddNumberToObject(f, "pid", (double)getpid());
    if (executor_desc)
        cJSON_AddStringToObject(f, "executor", executor_desc);
    if (cfg) {
        /* The key's variable name is fine to record; its value never is. */
        cJSON *m = cJSON_AddObjectToObject(f, "model");
        if (cfg->model.name)
            cJSON_AddStringToObject(m, "name", cfg->model.name);
        if (cfg->model.base_url)
            cJSON_AddStringToObject(m, "base_url", cfg->model.base_url);
        if (cfg->model.api_key_env)
            cJSON_AddStringToObject(m, "api_key_env", cfg->model.api_key_env);
        cJSON_AddNumberToObject(m, "temperature", cfg->model.temperature);
        cJSON_AddNumberToObject(m, "max_tokens", cfg->model.max_tokens);
        double in, out;
        if (lc_model_price(&cfg->model, &in, &out)) { /* for the report's cost */
            cJSON_AddNumberToObject(m, "input_price", in);
            cJSON_AddNumberToObject(m, "output_price", out);
        }
        cJSON *a = cJSON_AddObjectToObject(f, "agent");
        cJSON_AddStringToObject(a, "type", cfg->agent.type == LC_AGENT_TOOL_CALLING ? "tool_calling" : "code");
        cJSON_AddNumberToObject(a, "max_steps", cfg->agent.max_steps);
        cJSON_AddNumberToObject(a, "planning_interval", cfg->agent.planning_interval);
        if (cfg->agent.profile)
            cJSON_AddStringToObject(a, "profile", cfg->agent.profile);
        cJSON_AddItemToObject(a, "tools", strv_json(&cfg->agent.tools));
        const lc_container_config *cc = &cfg->container;
        cJSON *c = cJSON_AddObjectToObject(f, "container");
        cJSON_AddStringToObject(c, "engine", lc_engine_kind_name(cc->engine));
        if (cc->image)
            cJSON_AddStringToObject(c, "image", cc->image);
        if (cc->template_name)
            cJSON_AddStringToObject(c, "template", cc->template_name);
        cJSON_AddNumberToObject(c, "memory_bytes", (double)cc->memory_bytes);
        cJSON_AddNumberToObject(c, "cpus", cc->cpus);
        cJSON_AddNumberToObject(c, "pids", cc->pids);
        cJSON_AddNumberToObject(c, "timeout_s", cc->timeout_s);
        cJSON_AddBoolToObject(c, "network", cc->network);
        cJSON_AddBoolToObject(c, "workspace_ro", cc->workspace_ro);
        cJSON_AddItemToObject(c, "authorized_imports", strv_json(&cc->authorized_imports));
        cJSON_AddBoolToObject(f, "auto_approve", cfg->security.auto_approve);
    }
    return lc_log_write(log, "header", 0, f, err);
}

int lc_log_hunk(lc_log *log, bool applied, const char *path, int hunk, const char *detail, lc_err *err)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "path", path ? path : "");
    cJSON_AddNumberToObject(f, "hunk", hunk);
    if (detail)
        cJSON_AddStringToObject(f, "detail", detail);
    return lc_log_write(log, applied ? "hunk_applied" : "hunk_undone", 0, f, err);
}

int lc_log_read(const char *path, cJSON **events, lc_err *err)
{
    *events = NULL;
    lc_buf text = LC_BUF_INIT;
    int rc = lc_file_read(path, LOG_READ_MAX, &text, err);
    if (rc) {
        lc_buf_free(&text);
        return rc;
    }
    cJSON *arr = cJSON_CreateArray();
    const char *p = lc_buf_cstr(&text);
    const char *end = p + text.len;
    unsigned long lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        if (l > 0 && !(l == 1 && p[0] == '\r')) {
            cJSON *o = lc_json_parse(p, l);
            if (!cJSON_IsObject(o) || !lc_json_str(o, "kind")) {
                cJSON_Delete(o);
                if (!nl) /* a line cut by a crash: the log is still good up to it */
                    break;
                cJSON_Delete(arr);
                lc_buf_free(&text);
                return lc_err_set(err, LC_EINVAL, "%s:%lu: not a session log event (a JSON object with \"kind\")",
                                  path, lineno);
            }
            cJSON_AddItemToArray(arr, o);
        }
        p += l + (nl ? 1 : 0);
    }
    lc_buf_free(&text);
    *events = arr;
    return LC_OK;
}
