/* MCP client: the user's stdio servers (mcp.servers in the user config),
 * spoken to in JSON-RPC 2.0, one JSON message per line. A server starts on
 * first use with a minimal environment, is asked for its tools, and answers
 * tools/call. Everything it sends is untrusted: messages are bounded, names
 * checked, text sanitized. A server that dies, hangs or sends garbage is
 * stopped and the caller gets a clear error; the next use starts it again. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent_int.h"

#define PROTOCOL_VERSION "2025-06-18"
#define START_TIMEOUT_S 30    /* spawn to the end of tools/list, unless configured */
#define START_MIN_S 10
#define CALL_TIMEOUT_S 60     /* default per request */
#define LINE_MAX_BYTES ((size_t)8 << 20)
#define ERR_TAIL 2000         /* stderr kept for messages */
#define TOOLS_MAX 256         /* per server */
#define PAGES_MAX 16
#define DESC_MAX 2000
#define SCHEMA_MAX (64 * 1024)
#define RESULT_MAX ((size_t)512 * 1024)

/* Versions whose tools/list and tools/call litecode knows. A server may
 * answer any of them (it picks when it does not speak ours). */
static const char *const known_versions[] = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"};

typedef struct mcp_tool {
    lc_mcp_tool pub;
    char *name, *pyname, *description, *schema;
} mcp_tool;

typedef struct server {
    const lc_mcp_server_config *cfg;
    lc_proc *proc;
    bool ready;       /* initialized, tools listed */
    bool listed;      /* tools were listed once (kept across restarts) */
    lc_buf in;        /* stdout bytes not yet a whole line */
    lc_buf errtail;   /* the end of its stderr */
    bool err_eof;     /* its stderr is closed: poll it no more */
    int wait_s;       /* the time limit in force, for messages */
    int64_t next_id;
    char *version;    /* the protocol version agreed */
    char *info;       /* serverInfo name and version, sanitized */
} server;

/* The parent-death signal of a server follows the thread that started it,
 * not the process: servers are started by a thread of lc_mcp's own that
 * lives as long as it does, so one does not die with a task's thread. */
typedef struct spawner {
    pthread_t th;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const lc_proc_opts *req; /* the request in hand; NULL: none */
    lc_proc *proc;
    int rc;
    lc_err err;
    bool done, quit;
} spawner;

struct lc_mcp {
    server *servers;
    size_t nservers;
    mcp_tool *tools;
    size_t ntools, cap;
    atomic_bool cancel;
    spawner sp;
};

static void *spawner_main(void *arg)
{
    spawner *sp = arg;
    pthread_mutex_lock(&sp->mu);
    for (;;) {
        while (!sp->req && !sp->quit)
            pthread_cond_wait(&sp->cv, &sp->mu);
        if (sp->quit)
            break;
        const lc_proc_opts *o = sp->req;
        pthread_mutex_unlock(&sp->mu);
        lc_err e = {0};
        lc_proc *p = NULL;
        int rc = lc_proc_spawn(o, &p, &e);
        pthread_mutex_lock(&sp->mu);
        sp->proc = p;
        sp->rc = rc;
        sp->err = e;
        sp->req = NULL;
        sp->done = true;
        pthread_cond_broadcast(&sp->cv);
    }
    pthread_mutex_unlock(&sp->mu);
    return NULL;
}

/* lc_proc_spawn on the spawner's thread (started on first use); on this
 * thread when it cannot be started. One caller at a time (the agent's). */
static int spawn(lc_mcp *m, const lc_proc_opts *o, lc_proc **out, lc_err *err)
{
    spawner *sp = &m->sp;
    if (!sp->running) {
        pthread_mutex_init(&sp->mu, NULL);
        pthread_cond_init(&sp->cv, NULL);
        if (pthread_create(&sp->th, NULL, spawner_main, sp) != 0) {
            pthread_cond_destroy(&sp->cv);
            pthread_mutex_destroy(&sp->mu);
            return lc_proc_spawn(o, out, err);
        }
        sp->running = true;
    }
    pthread_mutex_lock(&sp->mu);
    sp->req = o;
    sp->done = false;
    pthread_cond_broadcast(&sp->cv);
    while (!sp->done)
        pthread_cond_wait(&sp->cv, &sp->mu);
    *out = sp->proc;
    sp->proc = NULL;
    int rc = sp->rc;
    if (rc != LC_OK && err)
        *err = sp->err;
    pthread_mutex_unlock(&sp->mu);
    return rc;
}

/* ---- setup ------------------------------------------------------------------- */

lc_mcp *lc_mcp_new(const lc_mcp_config *cfg)
{
    lc_mcp *m = lc_xcalloc(1, sizeof *m);
    m->nservers = cfg ? cfg->n : 0;
    m->servers = lc_xcalloc(m->nservers ? m->nservers : 1, sizeof *m->servers);
    for (size_t i = 0; i < m->nservers; i++) {
        m->servers[i].cfg = &cfg->v[i];
        m->servers[i].next_id = 1;
    }
    atomic_init(&m->cancel, false);
    return m;
}

static void server_stop(server *s)
{
    if (!s->proc)
        return;
    /* Closing stdin is how stdio servers are asked to end; then the group
     * gets SIGTERM, and SIGKILL from lc_proc_free if that did not do it. */
    lc_proc_close_stdin(s->proc);
    int st;
    if (lc_proc_wait(s->proc, 300, &st) == LC_ETIMEOUT) {
        lc_proc_signal(s->proc, SIGTERM);
        lc_proc_wait(s->proc, 500, &st);
    }
    lc_proc_free(s->proc);
    s->proc = NULL;
    s->ready = false;
    lc_buf_reset(&s->in);
}

void lc_mcp_free(lc_mcp *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nservers; i++) {
        server_stop(&m->servers[i]);
        lc_buf_free(&m->servers[i].in);
        lc_buf_free(&m->servers[i].errtail);
        free(m->servers[i].version);
        free(m->servers[i].info);
    }
    for (size_t i = 0; i < m->ntools; i++) {
        free(m->tools[i].name);
        free(m->tools[i].pyname);
        free(m->tools[i].description);
        free(m->tools[i].schema);
    }
    free(m->tools);
    free(m->servers);
    if (m->sp.running) {
        pthread_mutex_lock(&m->sp.mu);
        m->sp.quit = true;
        pthread_cond_broadcast(&m->sp.cv);
        pthread_mutex_unlock(&m->sp.mu);
        pthread_join(m->sp.th, NULL);
        pthread_cond_destroy(&m->sp.cv);
        pthread_mutex_destroy(&m->sp.mu);
    }
    free(m);
}

void lc_mcp_cancel(lc_mcp *m)
{
    if (m)
        atomic_store(&m->cancel, true);
}

size_t lc_mcp_server_count(const lc_mcp *m) { return m ? m->nservers : 0; }
size_t lc_mcp_tool_count(const lc_mcp *m) { return m ? m->ntools : 0; }

const lc_mcp_tool *lc_mcp_tool_at(const lc_mcp *m, size_t i)
{
    return m && i < m->ntools ? &m->tools[i].pub : NULL;
}

const lc_mcp_tool *lc_mcp_tool_find(const lc_mcp *m, const char *pyname)
{
    for (size_t i = 0; m && pyname && i < m->ntools; i++)
        if (!strcmp(m->tools[i].pyname, pyname))
            return &m->tools[i].pub;
    return NULL;
}

static server *server_named(lc_mcp *m, const char *name)
{
    for (size_t i = 0; i < m->nservers; i++)
        if (!strcmp(m->servers[i].cfg->name, name))
            return &m->servers[i];
    return NULL;
}

/* ---- the process --------------------------------------------------------------- */

/* What a server gets of litecode's environment: enough to find programs and
 * a home, never a key. The config's env comes on top. */
static const char *const passed_env[] = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
                                         "TMPDIR"};

static void build_env(const lc_mcp_server_config *c, lc_strv *env)
{
    for (size_t i = 0; i < sizeof passed_env / sizeof passed_env[0]; i++) {
        bool overridden = false;
        size_t n = strlen(passed_env[i]);
        for (size_t k = 0; k < c->env.n; k++)
            overridden |= !strncmp(c->env.v[k], passed_env[i], n) && c->env.v[k][n] == '=';
        const char *v = getenv(passed_env[i]);
        if (v && !overridden)
            lc_strv_pushf(env, "%s=%s", passed_env[i], v);
    }
    for (size_t k = 0; k < c->env.n; k++)
        lc_strv_push(env, c->env.v[k]);
}

/* Whether argv[0] can be run, the way lc_proc_spawn looks for it. */
static bool findable(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = lc_xstrdup(path), *save = NULL;
    bool found = false;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        if (!*d || !strcmp(d, "."))
            continue;
        char *p = lc_path_join(d, prog);
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

/* util-linux's setpriv sets the parent-death signal and then runs the
 * server: if litecode dies without stopping it (a crash, SIGKILL), the
 * kernel kills the server. */
static const char *pdeathsig_helper(void)
{
    static const char *const where[] = {"/usr/bin/setpriv", "/bin/setpriv"};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

static int server_spawn(lc_mcp *m, server *s, lc_err *err)
{
    const lc_mcp_server_config *c = s->cfg;
    if (!findable(c->command.v[0]))
        return lc_err_set(err, LC_ENOTFOUND,
                          "MCP server %s: the program '%.200s' was not found (in PATH, or at that path); fix "
                          "mcp.servers.%s.command at %s",
                          c->name, c->command.v[0], c->name, c->origin ? c->origin : "your config");
    lc_strv argv = LC_STRV_INIT, env = LC_STRV_INIT;
    const char *helper = pdeathsig_helper();
    if (helper) {
        lc_strv_push(&argv, helper);
        lc_strv_push(&argv, "--pdeathsig");
        lc_strv_push(&argv, "KILL");
        lc_strv_push(&argv, "--");
    }
    for (size_t i = 0; i < c->command.n; i++)
        lc_strv_push(&argv, c->command.v[i]);
    build_env(c, &env);
    const char **av = lc_xcalloc(argv.n + 1, sizeof *av);
    const char **ev = lc_xcalloc(env.n + 1, sizeof *ev);
    for (size_t i = 0; i < argv.n; i++)
        av[i] = argv.v[i];
    for (size_t i = 0; i < env.n; i++)
        ev[i] = env.v[i];
    lc_proc_opts o = LC_PROC_OPTS_INIT;
    o.argv = av;
    o.envp = ev;
    o.pipe_stdin = o.pipe_stdout = o.pipe_stderr = true;
    o.new_process_group = true; /* stopped as a group, and apart from litecode's Ctrl-C */
    int rc = spawn(m, &o, &s->proc, err);
    free(av);
    free(ev);
    lc_strv_free(&argv);
    lc_strv_free(&env);
    if (rc != LC_OK) {
        lc_err_prefix(err, "MCP server %s", c->name);
        return rc;
    }
    int fd = lc_proc_stdin(s->proc);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    lc_buf_reset(&s->in);
    lc_buf_reset(&s->errtail);
    s->err_eof = false;
    return LC_OK;
}

static void keep_stderr(server *s, const char *d, size_t n)
{
    lc_buf_append(&s->errtail, d, n);
    if (s->errtail.len > 2 * ERR_TAIL) {
        size_t drop = s->errtail.len - ERR_TAIL;
        memmove(s->errtail.data, s->errtail.data + drop, s->errtail.len - drop);
        s->errtail.len -= drop;
        s->errtail.data[s->errtail.len] = '\0';
    }
}

/* ", its last words on stderr: ..." or "" */
static void put_last_words(server *s, lc_buf *b)
{
    size_t n = s->errtail.len;
    const char *d = s->errtail.data;
    while (n && (d[n - 1] == '\n' || d[n - 1] == '\r' || d[n - 1] == ' '))
        n--;
    if (!n)
        return;
    size_t from = n > 400 ? n - 400 : 0;
    lc_buf_puts(b, "; its stderr ends: ");
    lc_buf lines = LC_BUF_INIT;
    lc_text_sanitize(d + from, n - from, LC_SAN_KEEP_NEWLINE, &lines);
    for (const char *p = lc_buf_cstr(&lines); *p; p++)
        if (*p == '\n')
            lc_buf_puts(b, " / ");
        else if (*p != '\r')
            lc_buf_putc(b, *p);
    lc_buf_free(&lines);
}

/* A server gone wrong: stopped, and err says what happened and what next. */
static int fail(server *s, int code, const char *what, const char *method, lc_err *err)
{
    lc_buf b = LC_BUF_INIT;
    lc_buf_printf(&b, "MCP server %s %s", s->cfg->name, what);
    if (method)
        lc_buf_printf(&b, " (during %s)", method);
    int st = 0;
    if (s->proc && lc_proc_wait(s->proc, 100, &st) == LC_OK) {
        if (WIFEXITED(st))
            lc_buf_printf(&b, "; it exited with status %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            lc_buf_printf(&b, "; it was killed by signal %d", WTERMSIG(st));
    }
    put_last_words(s, &b);
    lc_buf_puts(&b, "; litecode stopped it and starts it again on the next use");
    lc_err_set(err, code, "%s", lc_buf_cstr(&b));
    lc_buf_free(&b);
    server_stop(s);
    return code;
}

/* ---- messages ------------------------------------------------------------------ */

static int send_msg(lc_mcp *m, server *s, cJSON *msg, int64_t deadline, const char *method, lc_err *err)
{
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return lc_err_set(err, LC_EINVAL, "could not encode a message for MCP server %s", s->cfg->name);
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL; the length says where it ends */
    size_t off = 0;
    int rc = LC_OK;
    int fd = lc_proc_stdin(s->proc);
    while (rc == LC_OK && off < len + 1) {
        if (fd < 0) {
            rc = fail(s, LC_EIO, "is not running", method, err);
            break;
        }
        ssize_t w = write(fd, text + off, len + 1 - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            rc = fail(s, LC_EIO, "closed its input", method, err);
            break;
        }
        int64_t left = deadline - lc_now_ms();
        if (atomic_load(&m->cancel)) {
            rc = fail(s, LC_ECANCEL, "was interrupted by the user", method, err);
            break;
        }
        if (left <= 0) {
            rc = fail(s, LC_ETIMEOUT, "stopped reading its input", method, err);
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, left > 100 ? 100 : (int)left);
    }
    free(text);
    return rc;
}

/* The next whole line of stdout, parsed. Empty lines are skipped. */
static int recv_msg(lc_mcp *m, server *s, int64_t deadline, const char *method, cJSON **out, lc_err *err)
{
    *out = NULL;
    for (;;) {
        char *nl = s->in.len ? memchr(s->in.data, '\n', s->in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - s->in.data);
            size_t used = n + 1;
            while (n && (s->in.data[n - 1] == '\r' || s->in.data[n - 1] == ' '))
                n--;
            cJSON *msg = n ? lc_json_parse(s->in.data, n) : NULL;
            bool blank = n == 0;
            lc_buf shown = LC_BUF_INIT;
            if (!msg && !blank)
                lc_text_sanitize(s->in.data, n > 120 ? 120 : n, 0, &shown);
            memmove(s->in.data, s->in.data + used, s->in.len - used);
            s->in.len -= used;
            s->in.data[s->in.len] = '\0';
            if (blank)
                continue;
            if (!cJSON_IsObject(msg)) {
                cJSON_Delete(msg);
                char what[300];
                snprintf(what, sizeof what, "sent a line that is not a JSON-RPC message: \"%s%s\"",
                         lc_buf_cstr(&shown), n > 120 ? "..." : "");
                lc_buf_free(&shown);
                return fail(s, LC_EPROTO, what, method, err);
            }
            lc_buf_free(&shown);
            *out = msg;
            return LC_OK;
        }
        if (s->in.len > LINE_MAX_BYTES)
            return fail(s, LC_EPROTO, "sent a message larger than 8 MiB", method, err);
        if (atomic_load(&m->cancel))
            return fail(s, LC_ECANCEL, "was interrupted by the user", method, err);
        int64_t left = deadline - lc_now_ms();
        if (left <= 0) {
            char what[200];
            snprintf(what, sizeof what, "did not answer within %d s", s->wait_s);
            return fail(s, LC_ETIMEOUT, what, method, err);
        }
        struct pollfd p[2] = {{.fd = lc_proc_stdout(s->proc), .events = POLLIN},
                              {.fd = s->err_eof ? -1 : lc_proc_stderr(s->proc), .events = POLLIN}};
        int r = poll(p, 2, left > 100 ? 100 : (int)left);
        if (r < 0 && errno != EINTR)
            return fail(s, LC_EIO, "could not be read", method, err);
        char buf[65536];
        if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(p[1].fd, buf, sizeof buf);
            if (n > 0)
                keep_stderr(s, buf, (size_t)n);
            else if (n == 0 || errno != EINTR)
                s->err_eof = true; /* a server may close its stderr and go on */
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(p[0].fd, buf, sizeof buf);
            if (n > 0)
                lc_buf_append(&s->in, buf, (size_t)n);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                /* Collect what it said on the way out. */
                while (p[1].fd >= 0 && poll(&p[1], 1, 50) > 0 && (n = read(p[1].fd, buf, sizeof buf)) > 0)
                    keep_stderr(s, buf, (size_t)n);
                return fail(s, LC_EIO, "exited", method, err);
            }
        }
    }
}

/* Answers what the server asks of litecode: ping, and "not supported" for
 * the rest (sampling, roots, elicitation: litecode offers none of them). */
static int answer_server(lc_mcp *m, server *s, const cJSON *req, int64_t deadline, const char *method,
                         lc_err *err)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "jsonrpc", "2.0");
    cJSON_AddItemToObject(r, "id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(req, "id"), true));
    const char *what = lc_json_str(req, "method");
    if (what && !strcmp(what, "ping")) {
        cJSON_AddObjectToObject(r, "result");
    } else {
        cJSON *e = cJSON_AddObjectToObject(r, "error");
        cJSON_AddNumberToObject(e, "code", -32601);
        cJSON_AddStringToObject(e, "message", "litecode-tui does not offer this to MCP servers");
    }
    int rc = send_msg(m, s, r, deadline, method, err);
    cJSON_Delete(r);
    return rc;
}

/* One request and its answer. *result: the "result" member (taken). A
 * JSON-RPC error is LC_ESERVER with the server's message; the server keeps
 * running. */
static int request(lc_mcp *m, server *s, const char *method, cJSON *params, int64_t deadline, cJSON **result,
                   lc_err *err)
{
    *result = NULL;
    int64_t id = s->next_id++;
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
    cJSON_AddNumberToObject(msg, "id", (double)id);
    cJSON_AddStringToObject(msg, "method", method);
    if (params)
        cJSON_AddItemToObject(msg, "params", params);
    int rc = send_msg(m, s, msg, deadline, method, err);
    cJSON_Delete(msg);
    if (rc != LC_OK)
        return rc;
    for (;;) {
        cJSON *in;
        if ((rc = recv_msg(m, s, deadline, method, &in, err)) != LC_OK)
            return rc;
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(in, "id");
        const char *rmethod = lc_json_str(in, "method");
        if (rmethod) {
            /* A request from the server (it has an id) needs an answer; a
             * notification (logging, progress, list_changed) needs none. */
            if (rid && !cJSON_IsNull(rid))
                rc = answer_server(m, s, in, deadline, method, err);
            cJSON_Delete(in);
            if (rc != LC_OK)
                return rc;
            continue;
        }
        if (!cJSON_IsNumber(rid) || rid->valuedouble != (double)id) {
            cJSON_Delete(in); /* an answer to an abandoned request */
            continue;
        }
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(in, "error");
        cJSON *res = cJSON_DetachItemFromObjectCaseSensitive(in, "result");
        if (cJSON_IsObject(e)) {
            const char *em = lc_json_str(e, "message");
            lc_buf safe = LC_BUF_INIT;
            lc_text_sanitize(em ? em : "(no message)", em ? strnlen(em, 800) : 12, 0, &safe);
            rc = lc_err_set(err, LC_ESERVER, "MCP server %s answered %s with an error: %s (JSON-RPC error %d)",
                            s->cfg->name, method, lc_buf_cstr(&safe), (int)lc_json_num(e, "code", 0));
            lc_buf_free(&safe);
            cJSON_Delete(res);
            cJSON_Delete(in);
            return rc;
        }
        cJSON_Delete(in);
        if (!cJSON_IsObject(res)) {
            cJSON_Delete(res);
            return fail(s, LC_EPROTO, "answered without a result object", method, err);
        }
        *result = res;
        return LC_OK;
    }
}

static int notify(lc_mcp *m, server *s, const char *method, int64_t deadline, lc_err *err)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
    cJSON_AddStringToObject(msg, "method", method);
    int rc = send_msg(m, s, msg, deadline, method, err);
    cJSON_Delete(msg);
    return rc;
}

/* ---- start: initialize, tools/list ------------------------------------------------ */

static bool version_ok(const char *v)
{
    for (size_t i = 0; i < sizeof known_versions / sizeof known_versions[0]; i++)
        if (!strcmp(v, known_versions[i]))
            return true;
    /* A newer dated revision keeps initialize, tools/list and tools/call. */
    int y, mo, d;
    char tail;
    return sscanf(v, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3 && strlen(v) == 10 &&
           strcmp(v, PROTOCOL_VERSION) > 0;
}

static char *sanitized(const char *s, size_t max)
{
    lc_buf b = LC_BUF_INIT;
    size_t n = s ? strnlen(s, max + 1) : 0;
    lc_text_sanitize(s ? s : "", n > max ? max : n, LC_SAN_KEEP_NEWLINE, &b);
    if (n > max)
        lc_buf_puts(&b, "...");
    return lc_buf_detach(&b);
}

/* server "notes", tool "secret-word" -> "notes_secret_word" */
static char *py_name(const char *server_name, const char *tool)
{
    char *p = lc_xasprintf("%s_%s", server_name, tool);
    for (char *q = p; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_'))
            *q = '_';
    return p;
}

static void add_tool(lc_mcp *m, server *s, const cJSON *t, lc_strv *problems)
{
    const char *name = lc_json_str(t, "name");
    if (!name || !*name || strlen(name) > 128) {
        lc_strv_pushf(problems, "%s: a tool without a usable name (1 to 128 bytes) was skipped", s->cfg->name);
        return;
    }
    char *pyname = py_name(s->cfg->name, name);
    char *safe = sanitized(name, 128);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(t, "inputSchema");
    char *schema_text = cJSON_IsObject(schema) ? cJSON_PrintUnformatted(schema) : NULL;
    const char *skip = NULL;
    if (!schema_text)
        skip = "its inputSchema is not a JSON object";
    else if (strlen(schema_text) > SCHEMA_MAX)
        skip = "its inputSchema is larger than 64 KiB";
    else if (strlen(pyname) > 100)
        skip = "its sandbox name would be longer than 100 characters";
    else if (lc_tool_find(pyname) || !strcmp(pyname, "final_answer") || !strcmp(pyname, "python_executor"))
        skip = "its sandbox name is taken by a built-in tool";
    else if (lc_mcp_tool_find(m, pyname))
        skip = "its sandbox name is taken by another tool of the server";
    if (skip) {
        lc_strv_pushf(problems, "%s: tool %s was skipped: %s (%s)", s->cfg->name, safe, skip, pyname);
        free(pyname);
        free(safe);
        free(schema_text);
        return;
    }
    if (m->ntools == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->tools = lc_xrealloc(m->tools, m->cap * sizeof *m->tools);
    }
    mcp_tool *mt = &m->tools[m->ntools++];
    mt->name = lc_xstrdup(name);
    mt->pyname = pyname;
    mt->description = sanitized(lc_json_str(t, "description"), DESC_MAX);
    mt->schema = schema_text;
    mt->pub = (lc_mcp_tool){s->cfg->name, mt->name, mt->pyname, mt->description, mt->schema};
    free(safe);
}

static int server_start(lc_mcp *m, server *s, lc_strv *problems, lc_err *err)
{
    int rc = server_spawn(m, s, err);
    if (rc != LC_OK)
        return rc;
    /* A start is slower than a call (an interpreter loads; npx, uvx fetch
     * the server): the configured timeout, but never under START_MIN_S. */
    int start_s = s->cfg->timeout_s <= 0 ? START_TIMEOUT_S
                  : s->cfg->timeout_s < START_MIN_S ? START_MIN_S : s->cfg->timeout_s;
    int64_t deadline = lc_now_ms() + (int64_t)start_s * 1000;
    s->wait_s = start_s;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "protocolVersion", PROTOCOL_VERSION);
    cJSON_AddObjectToObject(p, "capabilities");
    cJSON *ci = cJSON_AddObjectToObject(p, "clientInfo");
    cJSON_AddStringToObject(ci, "name", "litecode-tui");
    cJSON_AddStringToObject(ci, "version", LC_VERSION);
    cJSON *res;
    if ((rc = request(m, s, "initialize", p, deadline, &res, err)) != LC_OK) {
        server_stop(s);
        return rc;
    }
    const char *v = lc_json_str(res, "protocolVersion");
    if (!v || !version_ok(v)) {
        char *sv = sanitized(v ? v : "(none)", 40);
        lc_err_set(err, LC_EPROTO,
                   "MCP server %s speaks protocol version %s, which litecode does not know (it speaks "
                   "2024-11-05 to %s); update the server or litecode",
                   s->cfg->name, sv, PROTOCOL_VERSION);
        free(sv);
        cJSON_Delete(res);
        server_stop(s);
        return LC_EPROTO;
    }
    free(s->version);
    s->version = lc_xstrdup(v);
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(res, "serverInfo");
    char *iname = sanitized(lc_json_str(info, "name"), 80), *iver = sanitized(lc_json_str(info, "version"), 40);
    free(s->info);
    s->info = lc_xasprintf("%s %s", iname, iver);
    free(iname);
    free(iver);
    cJSON_Delete(res);
    if ((rc = notify(m, s, "notifications/initialized", deadline, err)) != LC_OK)
        return rc;
    if (s->listed) { /* a restart: the tools are known, the prompt already has them */
        s->ready = true;
        return LC_OK;
    }
    char *cursor = NULL;
    size_t count = 0;
    for (int page = 0; page < PAGES_MAX; page++) {
        cJSON *lp = NULL;
        if (cursor) {
            lp = cJSON_CreateObject();
            cJSON_AddStringToObject(lp, "cursor", cursor);
        }
        free(cursor);
        cursor = NULL;
        if ((rc = request(m, s, "tools/list", lp, deadline, &res, err)) != LC_OK) {
            server_stop(s);
            return rc;
        }
        const cJSON *tools = cJSON_GetObjectItemCaseSensitive(res, "tools");
        if (!cJSON_IsArray(tools)) {
            cJSON_Delete(res);
            return fail(s, LC_EPROTO, "answered tools/list without a tools array", NULL, err);
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, tools)
        {
            if (count++ >= TOOLS_MAX) {
                lc_strv_pushf(problems, "%s: more than %d tools; the rest were skipped", s->cfg->name, TOOLS_MAX);
                break;
            }
            add_tool(m, s, t, problems);
        }
        const char *next = lc_json_str(res, "nextCursor");
        if (next && *next && count < TOOLS_MAX)
            cursor = lc_xstrdup(next);
        cJSON_Delete(res);
        if (!cursor)
            break;
    }
    free(cursor);
    s->listed = true;
    s->ready = true;
    return LC_OK;
}

/* Whether the process is still there (it may have ended between calls). */
static bool server_alive(server *s)
{
    int st;
    if (!s->proc || lc_proc_wait(s->proc, 0, &st) == LC_OK) {
        if (s->proc)
            server_stop(s);
        return false;
    }
    return s->ready;
}

size_t lc_mcp_start_all(lc_mcp *m, lc_strv *problems)
{
    for (size_t i = 0; m && i < m->nservers; i++) {
        server *s = &m->servers[i];
        if (s->listed || server_alive(s))
            continue;
        atomic_store(&m->cancel, false);
        lc_err e = {0};
        if (server_start(m, s, problems, &e) != LC_OK)
            lc_strv_pushf(problems, "%s", e.msg);
    }
    return lc_mcp_tool_count(m);
}

const char *lc_mcp_server_info(const lc_mcp *m, const char *name)
{
    for (size_t i = 0; m && i < m->nservers; i++)
        if (!strcmp(m->servers[i].cfg->name, name))
            return m->servers[i].info;
    return NULL;
}

/* ---- calls ---------------------------------------------------------------------- */

static int ensure_running(lc_mcp *m, server *s, lc_err *err)
{
    if (server_alive(s))
        return LC_OK;
    lc_strv problems = LC_STRV_INIT;
    int rc = server_start(m, s, &problems, err);
    lc_strv_free(&problems);
    return rc;
}

static void put_content(lc_buf *b, const cJSON *item)
{
    const char *type = lc_json_str(item, "type");
    if (b->len)
        lc_buf_putc(b, '\n');
    if (type && !strcmp(type, "text")) {
        const char *t = lc_json_str(item, "text");
        lc_buf_puts(b, t ? t : "");
    } else if (type && (!strcmp(type, "image") || !strcmp(type, "audio"))) {
        const char *mime = lc_json_str(item, "mimeType"), *data = lc_json_str(item, "data");
        char *sm = sanitized(mime ? mime : "?", 80);
        lc_buf_printf(b, "[%s %s, %zu bytes of base64, not shown]", type, sm, data ? strlen(data) : 0);
        free(sm);
    } else if (type && !strcmp(type, "resource")) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(item, "resource");
        const char *t = lc_json_str(r, "text"), *uri = lc_json_str(r, "uri");
        if (t)
            lc_buf_puts(b, t);
        else
            lc_buf_printf(b, "[resource %.300s, binary, not shown]", uri ? uri : "?");
    } else if (type && !strcmp(type, "resource_link")) {
        const char *uri = lc_json_str(item, "uri");
        lc_buf_printf(b, "[resource link %.300s]", uri ? uri : "?");
    } else {
        lc_buf_puts(b, "[content of an unknown type, not shown]");
    }
}

int lc_mcp_call(lc_mcp *m, const lc_mcp_tool *t, const char *args_json, char **text, bool *is_error, lc_err *err)
{
    *text = NULL;
    *is_error = false;
    if (!t)
        return lc_err_set(err, LC_ENOTFOUND, "no such MCP tool (its server did not start, or it was skipped)");
    server *s = m ? server_named(m, t->server) : NULL;
    if (!s)
        return lc_err_set(err, LC_ENOTFOUND, "no MCP server named %s", t->server);
    cJSON *args = lc_json_parse(args_json && *args_json ? args_json : "{}", args_json && *args_json ? strlen(args_json) : 2);
    if (!cJSON_IsObject(args)) {
        cJSON_Delete(args);
        return lc_err_set(err, LC_EINVAL, "the arguments of %s must be a JSON object of name: value", t->pyname);
    }
    atomic_store(&m->cancel, false);
    int rc = ensure_running(m, s, err);
    if (rc != LC_OK) {
        cJSON_Delete(args);
        return rc;
    }
    int timeout = s->cfg->timeout_s > 0 ? s->cfg->timeout_s : CALL_TIMEOUT_S;
    s->wait_s = timeout;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", t->name);
    cJSON_AddItemToObject(p, "arguments", args);
    cJSON *res;
    if ((rc = request(m, s, "tools/call", p, lc_now_ms() + (int64_t)timeout * 1000, &res, err)) != LC_OK)
        return rc;
    lc_buf b = LC_BUF_INIT;
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(res, "content"), *item;
    cJSON_ArrayForEach(item, content)
    {
        put_content(&b, item);
        if (b.len > RESULT_MAX)
            break;
    }
    if (!b.len && cJSON_GetObjectItemCaseSensitive(res, "structuredContent")) {
        char *j = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(res, "structuredContent"));
        lc_buf_puts(&b, j ? j : "");
        free(j);
    }
    if (b.len > RESULT_MAX) {
        lc_buf cut = LC_BUF_INIT;
        lc_text_head_tail(b.data, b.len, RESULT_MAX / 2, RESULT_MAX / 4, &cut);
        lc_buf_free(&b);
        b = cut;
    }
    agent_utf8_fix(&b); /* cJSON keeps a server's invalid UTF-8; the kernel's JSON reader would not */
    *is_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError"));
    cJSON_Delete(res);
    *text = lc_buf_detach(&b);
    if (!*text)
        *text = lc_xstrdup("");
    return LC_OK;
}

int lc_mcp_ping(lc_mcp *m, const char *name, lc_err *err)
{
    server *s = m ? server_named(m, name) : NULL;
    if (!s)
        return lc_err_set(err, LC_ENOTFOUND, "no MCP server named %s", name);
    atomic_store(&m->cancel, false);
    int rc = ensure_running(m, s, err);
    if (rc != LC_OK)
        return rc;
    int timeout = s->cfg->timeout_s > 0 ? s->cfg->timeout_s : CALL_TIMEOUT_S;
    s->wait_s = timeout;
    cJSON *res;
    rc = request(m, s, "ping", NULL, lc_now_ms() + (int64_t)timeout * 1000, &res, err);
    cJSON_Delete(res);
    return rc;
}

/* ---- --check ---------------------------------------------------------------------- */

int lc_mcp_check(const lc_mcp_config *cfg, lc_buf *out)
{
    if (!cfg || !cfg->n)
        return LC_OK; /* nothing configured, nothing to say */
    lc_mcp *m = lc_mcp_new(cfg);
    int rc = LC_OK;
    for (size_t i = 0; i < m->nservers; i++) {
        server *s = &m->servers[i];
        lc_strv problems = LC_STRV_INIT;
        lc_err e = {0};
        size_t before = m->ntools;
        if (server_start(m, s, &problems, &e) != LC_OK) {
            char *why = lc_text_line(e.msg);
            lc_buf_printf(out, "FAIL  mcp server %s\n      -> %s\n", s->cfg->name, why);
            free(why);
            rc = e.code;
        } else {
            lc_buf_printf(out, "ok    mcp server %s (%s, protocol %s): %zu tools\n", s->cfg->name, s->info,
                          s->version, m->ntools - before);
            for (size_t k = before; k < m->ntools; k++) {
                char *d = lc_text_line(m->tools[k].description);
                size_t dl = strlen(d);
                lc_buf_printf(out, "      %s  %.100s%s\n", m->tools[k].pyname, d, dl > 100 ? "..." : "");
                free(d);
            }
        }
        for (size_t k = 0; k < problems.n; k++) {
            char *p = lc_text_line(problems.v[k]);
            lc_buf_printf(out, "warn  %s\n", p);
            free(p);
        }
        lc_strv_free(&problems);
        server_stop(s);
    }
    lc_mcp_free(m);
    return rc;
}
