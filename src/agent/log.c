/* The session log: JSON Lines, append-only, one event a line, each line
 * written whole or not at all (space allocated first, one write(2), a failed
 * write cut back) and synced, so a crash loses at most the line being
 * written; a full disk ends the log with a record of why, written into
 * space kept in reserve. One streaming reader for every use. Secrets
 * registered with lc_log_add_secret are replaced before a line leaves
 * memory. */
/* fallocate and memrchr come with _GNU_SOURCE, which the build defines. */
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"

#define LOG_VERSION 1
/* One line: a reply is at most 16 MiB and a step's output is capped, so a
 * longer line is not a line of ours. */
#define LOG_LINE_MAX ((size_t)64 * 1024 * 1024)
/* Space kept allocated past the end of the file, so that when the disk
 * fills, the record that says so (and the run's end) still fits. */
#define LOG_RESERVE ((off_t)64 * 1024)
/* The log has no size limit (readers stream it), but one this big is worth
 * a word: first at 256 MiB, then every 128 MiB. */
#define LOG_WARN_FIRST ((uint64_t)256 << 20)
#define LOG_WARN_EVERY ((uint64_t)128 << 20)

struct lc_log {
    int fd;
    char *path;
    pthread_mutex_t mu;
    lc_strv secrets;
    off_t size;        /* the file's length: every byte of it is whole lines */
    bool reserve_ok;   /* the file system keeps space for us (fallocate) */
    char *failed;      /* why a write failed; later writes are refused */
    char *repaired;    /* what lc_log_open repaired at the end, or NULL */
    uint64_t warn_at;  /* the size of the next size warning */
    char *warning;     /* a size warning not yet taken */
    char *missed;      /* why the receiver (lc_log_observer) missed a record */
};

/* Invalid UTF-8 (binary output, a character cut by a cap) becomes U+FFFD:
 * log lines stay JSON that strict readers accept, and requests stay JSON a
 * server accepts. JSON's own syntax is ASCII, so only string contents change. */
void agent_utf8_fix(lc_buf *line)
{
    if (lc_utf8_valid(line->data, line->len))
        return;
    lc_buf out = LC_BUF_INIT;
    size_t i = 0;
    while (i < line->len) {
        uint32_t cp;
        size_t n = (unsigned char)line->data[i] < 0x80 ? 1 : lc_utf8_decode(line->data + i, line->len - i, &cp);
        if (n == 0) {
            lc_buf_puts(&out, "\xEF\xBF\xBD");
            i++;
        } else {
            lc_buf_append(&out, line->data + i, n);
            i += n;
        }
    }
    lc_buf_free(line);
    *line = out;
}

/* The first line of fd (at most max bytes), or NULL. */
static char *first_line(int fd, size_t max)
{
    char *buf = lc_xcalloc(1, max + 1);
    ssize_t n = pread(fd, buf, max, 0);
    if (n <= 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    char *nl = memchr(buf, '\n', (size_t)n);
    if (nl)
        *nl = '\0';
    return buf;
}

/* A log written by a newer litecode must not get lines of this format. */
static int check_format(const char *path, const cJSON *ev, lc_err *err)
{
    double v = lc_json_num(ev, "v", 0), f = lc_json_num(ev, "format", 0);
    double newest = v > f ? v : f;
    if (newest > LOG_VERSION)
        return lc_err_set(err, LC_EINVAL,
                          "%s was written by a newer litecode (log format %g; this one knows format %d): "
                          "read or resume it with that version",
                          path, newest, LOG_VERSION);
    return LC_OK;
}

/* A crash (or a full disk) can leave the last line cut. Appending to it
 * would join the next event to the fragment and make that line unreadable,
 * so the fragment is cut off (its size and start are recorded by the caller). */
static int repair_end(lc_log *log, off_t size, off_t *cut_at, lc_buf *fragment, lc_err *err)
{
    *cut_at = -1;
    if (size == 0)
        return LC_OK;
    char last;
    if (pread(log->fd, &last, 1, size - 1) != 1)
        return lc_err_errno(err, LC_EIO, errno, "reading the session log %s", log->path);
    if (last == '\n')
        return LC_OK;
    /* Find the start of the cut line: after the last newline. */
    char buf[65536];
    off_t end = size, start = 0;
    while (end > 0) {
        off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
        ssize_t n = pread(log->fd, buf, (size_t)(end - from), from);
        if (n <= 0)
            return lc_err_errno(err, LC_EIO, errno, "reading the session log %s", log->path);
        char *nl = memrchr(buf, '\n', (size_t)n);
        if (nl) {
            start = from + (nl - buf) + 1;
            break;
        }
        end = from;
    }
    char head[200];
    ssize_t n = pread(log->fd, head, sizeof head, start);
    if (n > 0)
        lc_buf_append(fragment, head, (size_t)n);
    agent_utf8_fix(fragment);
    if (ftruncate(log->fd, start) != 0)
        return lc_err_errno(err, LC_EIO, errno, "repairing the end of the session log %s", log->path);
    *cut_at = start;
    return LC_OK;
}

int lc_log_open(const char *path, lc_log **out, lc_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening the session log %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return lc_err_errno(err, LC_EINVAL, e, "the session log %s is not a regular file", path);
    }
    lc_log *log = lc_xcalloc(1, sizeof *log);
    log->fd = fd;
    log->path = lc_xstrdup(path);
    log->size = st.st_size;
    log->reserve_ok = true;
    log->warn_at = LOG_WARN_FIRST;
    while ((uint64_t)log->size >= log->warn_at)
        log->warn_at += LOG_WARN_EVERY;
    pthread_mutex_init(&log->mu, NULL);
    /* Whatever key this process can read is scrubbed from every line. */
    static const char *const key_envs[] = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"};
    for (size_t i = 0; i < sizeof key_envs / sizeof key_envs[0]; i++)
        lc_log_add_secret(log, getenv(key_envs[i]));
    int rc = LC_OK;
    if (log->size > 0) {
        char *line = first_line(fd, 1 << 20);
        cJSON *hd = line ? lc_json_parse(line, strlen(line)) : NULL;
        free(line);
        rc = cJSON_IsObject(hd) ? check_format(path, hd, err) : LC_OK;
        cJSON_Delete(hd);
    }
    off_t cut_at = -1;
    lc_buf fragment = LC_BUF_INIT;
    if (rc == LC_OK)
        rc = repair_end(log, log->size, &cut_at, &fragment, err);
    if (rc == LC_OK && cut_at >= 0) {
        uint64_t dropped = (uint64_t)(log->size - cut_at);
        log->size = cut_at;
        cJSON *f = cJSON_CreateObject();
        cJSON_AddNumberToObject(f, "offset", (double)cut_at);
        cJSON_AddNumberToObject(f, "dropped_bytes", (double)dropped);
        cJSON_AddStringToObject(f, "fragment", lc_buf_cstr(&fragment));
        rc = lc_log_write(log, lc_event_kind_name(LC_EV_LOG_REPAIRED), 0, f, err);
        log->repaired = lc_xasprintf("the session log %s ended in a line cut while it was written (a crash, a "
                                     "kill or a full disk): its %llu bytes were dropped, and the repair is "
                                     "recorded in the log",
                                     path, (unsigned long long)dropped);
    }
    lc_buf_free(&fragment);
    if (rc != LC_OK) {
        lc_log_close(log);
        return rc;
    }
    *out = log;
    return LC_OK;
}

const char *lc_log_repaired(const lc_log *log) { return log ? log->repaired : NULL; }

const char *lc_log_failure(lc_log *log)
{
    if (!log)
        return NULL;
    pthread_mutex_lock(&log->mu);
    const char *f = log->failed; /* set once, never freed before close */
    pthread_mutex_unlock(&log->mu);
    return f;
}

char *lc_log_take_warning(lc_log *log)
{
    if (!log)
        return NULL;
    pthread_mutex_lock(&log->mu);
    char *w = log->warning;
    log->warning = NULL;
    pthread_mutex_unlock(&log->mu);
    return w;
}

void lc_log_close(lc_log *log)
{
    if (!log)
        return;
    fsync(log->fd);
    /* Give back the space kept past the end: a truncate to the file's own
     * length frees it (ext4, tmpfs, xfs). */
    struct stat st;
    if (log->reserve_ok && fstat(log->fd, &st) == 0 && ftruncate(log->fd, st.st_size) != 0) {
        /* nothing to do: the space goes with the file */
    }
    close(log->fd);
    pthread_mutex_destroy(&log->mu);
    lc_strv_free(&log->secrets);
    free(log->failed);
    free(log->repaired);
    free(log->warning);
    free(log->missed);
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

/* The write failed: the file is cut back to whole lines, later writes are
 * refused, and the reserve takes one last record that says why the log
 * ends here. Called with mu held. */
static int fail_log(lc_log *log, off_t before, int step, int e, lc_err *err)
{
    /* Only a partly written line is cut: a truncate also frees the space
     * kept past the end, which the last record needs. */
    struct stat st;
    if (fstat(log->fd, &st) == 0 && st.st_size != before && ftruncate(log->fd, before) != 0) {
        /* the reader skips a cut last line; nothing better to do */
    }
    lc_err_errno(err, LC_EIO, e, "writing the session log %s", log->path);
    log->failed = lc_xstrdup(err->msg);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "v", LOG_VERSION);
    char ts[40];
    lc_iso8601(lc_wall_ms(), ts, sizeof ts);
    cJSON_AddStringToObject(o, "ts", ts);
    cJSON_AddStringToObject(o, "kind", lc_event_kind_name(LC_EV_LOG_FAILED));
    cJSON_AddNumberToObject(o, "step", step);
    cJSON_AddStringToObject(o, "message", err->msg);
    char *text = lc_json_print(o);
    cJSON_Delete(o);
    lc_buf line = LC_BUF_INIT;
    lc_buf_puts(&line, text);
    free(text);
    agent_utf8_fix(&line);
    lc_buf_putc(&line, '\n');
    if (lc_fd_write_all(log->fd, line.data, line.len) != 0) {
        if (ftruncate(log->fd, before) != 0) {
            /* as above */
        }
    } else {
        log->size = before + (off_t)line.len;
    }
    lc_buf_free(&line);
    return LC_EIO;
}

/* Appends one whole line, or nothing. Called with mu held. */
static int append_line(lc_log *log, const char *kind, int step, const lc_buf *line, lc_err *err)
{
    /* After a failure only the run's end may still go into the reserve. */
    if (log->failed && lc_event_kind_parse(kind) != LC_EV_DONE)
        return lc_err_set(err, LC_EIO, "%s", log->failed);
    struct stat st;
    if (fstat(log->fd, &st) != 0)
        return lc_err_errno(err, LC_EIO, errno, "writing the session log %s", log->path);
    off_t before = st.st_size;
    /* The reserve stays allocated ahead of the line: a full disk refuses
     * this line here, whole, and the reserve still holds the record that
     * says so. File systems without fallocate go without. */
    if (log->reserve_ok && !log->failed &&
        fallocate(log->fd, FALLOC_FL_KEEP_SIZE, before, (off_t)line->len + LOG_RESERVE) != 0) {
        int e = errno;
        if (e == EOPNOTSUPP || e == ENOSYS || e == EINVAL)
            log->reserve_ok = false;
        else
            return fail_log(log, before, step, e, err);
    }
    if (lc_fd_write_all(log->fd, line->data, line->len) != 0) {
        int e = errno;
        if (log->failed) {
            if (ftruncate(log->fd, before) != 0) {
                /* as in fail_log */
            }
            return lc_err_set(err, LC_EIO, "%s", log->failed);
        }
        return fail_log(log, before, step, e, err);
    }
    log->size = before + (off_t)line->len;
    if ((uint64_t)log->size >= log->warn_at) {
        char human[32];
        lc_format_bytes_human((uint64_t)log->size, human, sizeof human);
        free(log->warning);
        log->warning = lc_xasprintf("the session log %s is %s; it keeps growing with the session, and --report "
                                    "and --resume take longer to read it: a new task is best a new session",
                                    log->path, human);
        while ((uint64_t)log->size >= log->warn_at)
            log->warn_at += LOG_WARN_EVERY;
    }
    return LC_OK;
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
    int rc = append_line(log, kind, step, &line, err);
    pthread_mutex_unlock(&log->mu);
    lc_buf_free(&line);
    /* Rare events that matter on their own are synced at once; the agent
     * syncs the rest once per step (lc_log_sync). */
    if (rc == LC_OK && (lc_event_kind_flags(lc_event_kind_parse(kind)) & LC_EV_SYNC))
        rc = lc_log_sync(log, err);
    return rc;
}

int lc_log_event(lc_log *log, const lc_event *ev, lc_err *err)
{
    const char *kind;
    cJSON *fields;
    if (!log || !log_record_of(ev, &kind, &fields))
        return LC_OK;
    return lc_log_write(log, kind, ev->step, fields, err);
}

static void receive(void *ctx, const lc_event *ev)
{
    lc_log *log = ctx;
    lc_err err = {0};
    if (lc_log_event(log, ev, &err) == LC_OK)
        return;
    pthread_mutex_lock(&log->mu);
    if (!log->missed)
        log->missed = lc_xstrdup(err.msg);
    pthread_mutex_unlock(&log->mu);
}

lc_observer lc_log_observer(lc_log *log)
{
    return (lc_observer){.ctx = log, .event = log ? receive : NULL};
}

const char *lc_log_missed(lc_log *log)
{
    if (!log)
        return NULL;
    pthread_mutex_lock(&log->mu);
    const char *m = log->missed; /* set once, never freed before close */
    pthread_mutex_unlock(&log->mu);
    return m;
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
        /* The approval mode asked for (ask, reads, all); what is in force as
         * the run goes is in the approval records. */
        cJSON_AddStringToObject(f, "approve", lc_approve_mode_name(lc_config_approve_mode(cfg)));
        /* Whether steps are approved without asking is not the config's to
         * say but the front end's: the agent logs an approval event with what
         * is in force when its run starts and whenever it changes. */
    }
    return lc_log_write(log, lc_event_kind_name(LC_EV_HEADER), 0, f, err);
}

int lc_log_hunk(lc_log *log, bool applied, const char *path, int hunk, const char *detail, lc_err *err)
{
    lc_event ev = {.kind = applied ? LC_EV_HUNK_APPLIED : LC_EV_HUNK_UNDONE, .text = path ? path : "",
                   .hunk = hunk, .detail = detail};
    return lc_log_event(log, &ev, err);
}

int lc_log_hunk_not_applied(lc_log *log, const char *path, int hunk, const char *detail, const char *reason,
                            lc_err *err)
{
    lc_event ev = {.kind = LC_EV_HUNK_NOT_APPLIED, .text = path ? path : "", .hunk = hunk, .detail = detail,
                   .answer = reason};
    return lc_log_event(log, &ev, err);
}

/* A line that is not an event may be a cut line to which an older
 * litecode appended the next event: a record starts with {"v": and that
 * text cannot occur inside a JSON string (its quotes would be escaped), so
 * the event is found after the fragment. NULL when there is none. */
static cJSON *joined_event(const char *p, size_t l)
{
    static const char mark[] = "{\"v\":";
    for (size_t i = 1; i + sizeof mark - 1 <= l; i++) {
        if (memcmp(p + i, mark, sizeof mark - 1) != 0)
            continue;
        cJSON *o = lc_json_parse(p + i, l - i);
        if (cJSON_IsObject(o) && lc_json_str(o, "kind"))
            return o;
        cJSON_Delete(o);
    }
    return NULL;
}

/* A bounded line reader over a file descriptor. */
typedef struct line_reader {
    int fd;
    lc_buf pending;  /* bytes read and not yet returned */
    size_t scanned;  /* bytes of pending known to hold no newline */
    bool eof;
} line_reader;

/* The next line into line (without its newline). Returns 1 with *had_nl,
 * 0 at the end, or an error. */
static int next_line(line_reader *r, lc_buf *line, bool *had_nl, const char *path, unsigned long lineno,
                     lc_err *err)
{
    lc_buf_reset(line);
    for (;;) {
        char *nl = r->pending.len > r->scanned
                       ? memchr(r->pending.data + r->scanned, '\n', r->pending.len - r->scanned)
                       : NULL;
        if (nl) {
            size_t l = (size_t)(nl - r->pending.data);
            lc_buf_append(line, r->pending.data, l);
            memmove(r->pending.data, nl + 1, r->pending.len - l - 1);
            r->pending.len -= l + 1;
            r->pending.data[r->pending.len] = '\0';
            r->scanned = 0;
            *had_nl = true;
            return 1;
        }
        r->scanned = r->pending.len;
        if (r->pending.len > LOG_LINE_MAX)
            return lc_err_set(err, LC_EINVAL, "%s:%lu: a line longer than %zu MiB: not a session log", path,
                              lineno, LOG_LINE_MAX >> 20);
        if (r->eof) {
            if (!r->pending.len)
                return 0;
            lc_buf_append(line, r->pending.data, r->pending.len);
            lc_buf_reset(&r->pending);
            r->scanned = 0;
            *had_nl = false;
            return 1;
        }
        char buf[1 << 16];
        ssize_t n = read(r->fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return lc_err_errno(err, LC_EIO, errno, "reading %s", path);
        }
        if (n == 0)
            r->eof = true;
        else
            lc_buf_append(&r->pending, buf, (size_t)n);
    }
}

int lc_log_scan(const char *path, unsigned flags, lc_log_event_fn fn, void *ctx, lc_log_info *info, lc_err *err)
{
    lc_log_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    int fd = lc_file_open_regular(path, O_RDONLY, 0, err);
    if (fd < 0)
        return fd;
    line_reader rd = {fd, LC_BUF_INIT, 0, false};
    lc_buf line = LC_BUF_INIT;
    bool had_nl = false;
    int rc = LC_OK;
    unsigned long lineno = 0;
    for (;;) {
        int got = next_line(&rd, &line, &had_nl, path, lineno + 1, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        lineno++;
        info->lines = lineno;
        info->bytes += line.len + (had_nl ? 1 : 0);
        const char *p = lc_buf_cstr(&line);
        size_t l = line.len;
        if (l && p[l - 1] == '\r')
            l--;
        if (l == 0)
            continue;
        cJSON *o = lc_json_parse(p, l);
        if (!cJSON_IsObject(o) || !lc_json_str(o, "kind")) {
            cJSON_Delete(o);
            if (!had_nl) { /* a line cut by a crash: the log is still good up to it */
                info->cut = true;
                info->cut_line = lineno;
                info->cut_bytes = l;
                break;
            }
            o = joined_event(p, l);
            if (!o && (flags & LC_LOG_SKIP_BAD)) {
                if (!info->bad++)
                    info->bad_line = lineno;
                continue;
            }
            if (!o) {
                rc = lc_err_set(err, LC_EINVAL, "%s:%lu: not a session log event (a JSON object with \"kind\")",
                                path, lineno);
                break;
            }
            info->joined++;
        }
        rc = check_format(path, o, err);
        if (rc == LC_OK && info->events == 0) {
            info->header = lc_event_kind_parse(lc_json_str(o, "kind")) == LC_EV_HEADER;
            info->format = (int)lc_json_int(o, "format", 0, INT_MIN, INT_MAX);
        }
        info->events++;
        if (rc == LC_OK && fn)
            rc = fn(ctx, o, lineno);
        cJSON_Delete(o);
        if (rc != LC_OK)
            break;
    }
    lc_buf_free(&rd.pending);
    lc_buf_free(&line);
    close(fd);
    return rc;
}

static int collect(void *ctx, const cJSON *ev, unsigned long line)
{
    (void)line;
    cJSON_AddItemToArray(ctx, cJSON_Duplicate(ev, true));
    return LC_OK;
}

int lc_log_read(const char *path, cJSON **events, lc_err *err)
{
    *events = NULL;
    cJSON *arr = cJSON_CreateArray();
    int rc = lc_log_scan(path, 0, collect, arr, NULL, err);
    if (rc != LC_OK) {
        cJSON_Delete(arr);
        return rc;
    }
    *events = arr;
    return LC_OK;
}
