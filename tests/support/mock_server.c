/* mock_server: scripted HTTP responses over a real socket, so the providers'
 * libcurl code, retries, stalls and cut streams are tested end to end. One
 * connection at a time, which is all a single lc_llm ever opens. */
#include "mock_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

typedef enum step_kind { STEP_SEND, STEP_DELAY, STEP_STALL } step_kind;

typedef struct step {
    step_kind kind;
    lc_buf data; /* STEP_SEND */
    int ms;      /* STEP_DELAY, STEP_STALL */
} step;

typedef struct response {
    int status;
    lc_buf headers;
    step *steps;
    size_t nsteps;
} response;

typedef struct request {
    char *head;
    char *body;
} request;

struct mock_server {
    int listen_fd;
    char url[64];
    pthread_t thread;
    atomic_int stop;
    response *resp;
    size_t nresp;
    pthread_mutex_t lock;
    request *req;
    size_t nreq;
};

/* ---- script ---------------------------------------------------------------- */

static step *new_step(response *r, step_kind kind)
{
    r->steps = lc_xrealloc(r->steps, (r->nsteps + 1) * sizeof *r->steps);
    step *s = &r->steps[r->nsteps++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    return s;
}

static lc_buf *pending(response *r)
{
    if (!r->nsteps || r->steps[r->nsteps - 1].kind != STEP_SEND)
        new_step(r, STEP_SEND);
    return &r->steps[r->nsteps - 1].data;
}

static void unescape_into(lc_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            lc_buf_putc(b, *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s);
        } else {
            lc_buf_putc(b, *s);
        }
    }
}

static int parse_script(mock_server *m, const char *script)
{
    response *r = NULL;
    bool crlf = false;
    const char *p = script;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = lc_xstrndup(p, n);
        p = nl ? nl + 1 : p + n;
        if (lc_str_starts_with(line, "@#")) {
            /* comment */
        } else if (lc_str_starts_with(line, "@response ")) {
            m->resp = lc_xrealloc(m->resp, (m->nresp + 1) * sizeof *m->resp);
            r = &m->resp[m->nresp++];
            memset(r, 0, sizeof *r);
            r->status = atoi(line + 10);
            crlf = false;
        } else if (!r) {
            if (*line) {
                fprintf(stderr, "mock_server: script text before @response: %s\n", line);
                free(line);
                return -1;
            }
        } else if (lc_str_starts_with(line, "@header ")) {
            lc_buf_printf(&r->headers, "%s\r\n", line + 8);
        } else if (strcmp(line, "@body") == 0) {
        } else if (lc_str_starts_with(line, "@crlf ")) {
            crlf = strcmp(line + 6, "on") == 0;
        } else if (lc_str_starts_with(line, "@raw ")) {
            unescape_into(pending(r), line + 5);
        } else if (strcmp(line, "@flush") == 0) {
            new_step(r, STEP_SEND);
        } else if (lc_str_starts_with(line, "@delay ")) {
            new_step(r, STEP_DELAY)->ms = atoi(line + 7);
        } else if (lc_str_starts_with(line, "@stall ")) {
            new_step(r, STEP_STALL)->ms = atoi(line + 7);
        } else if (line[0] == '@') {
            fprintf(stderr, "mock_server: unknown directive: %s\n", line);
            free(line);
            return -1;
        } else if (nl || n) {
            lc_buf *b = pending(r);
            lc_buf_append(b, line, n);
            lc_buf_puts(b, crlf ? "\r\n" : "\n");
        }
        free(line);
    }
    return m->nresp ? 0 : -1;
}

/* ---- serving --------------------------------------------------------------- */

static bool stopping(mock_server *m)
{
    return atomic_load(&m->stop) != 0;
}

/* Waits ms, waking early when told to stop or when the client hung up. */
static void wait_ms(mock_server *m, int fd, int ms)
{
    int64_t until = lc_now_ms() + ms;
    while (!stopping(m) && lc_now_ms() < until) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 20) > 0) {
            char c;
            ssize_t got = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
                return; /* the client is gone */
            if (got > 0)
                (void)recv(fd, &c, 1, MSG_DONTWAIT); /* stray bytes: drop */
        }
    }
}

static bool send_all(int fd, const char *d, size_t n)
{
    while (n) {
        ssize_t w = send(fd, d, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        d += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads one request (head and Content-Length body), recording it. */
static bool read_request(mock_server *m, int fd)
{
    lc_buf in = LC_BUF_INIT;
    size_t head_len = 0, need = 0;
    int64_t deadline = lc_now_ms() + 10000;
    for (;;) {
        if (head_len && in.len >= head_len + need)
            break;
        if (stopping(m) || lc_now_ms() > deadline) {
            lc_buf_free(&in);
            return false;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        char buf[8192];
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0) {
            lc_buf_free(&in);
            return false;
        }
        lc_buf_append(&in, buf, (size_t)got);
        if (!head_len) {
            char *end = strstr(in.data, "\r\n\r\n");
            if (end) {
                head_len = (size_t)(end - in.data) + 4;
                const char *cl = strcasestr(in.data, "\r\ncontent-length:");
                if (cl && cl < end)
                    need = (size_t)strtoul(cl + 17, NULL, 10);
            }
        }
    }
    request rq = {lc_xstrndup(in.data, head_len), lc_xstrndup(in.data + head_len, need)};
    pthread_mutex_lock(&m->lock);
    m->req = lc_xrealloc(m->req, (m->nreq + 1) * sizeof *m->req);
    m->req[m->nreq++] = rq;
    pthread_mutex_unlock(&m->lock);
    lc_buf_free(&in);
    return true;
}

static void serve(mock_server *m, int fd, size_t index)
{
    static const char EXHAUSTED[] =
        "{\"error\":{\"message\":\"mock server: the script has no more responses\"}}";
    lc_buf head = LC_BUF_INIT;
    if (index >= m->nresp) {
        lc_buf_printf(&head,
                      "HTTP/1.1 500 Mock\r\nContent-Type: application/json\r\nContent-Length: "
                      "%zu\r\nConnection: close\r\n\r\n%s",
                      sizeof EXHAUSTED - 1, EXHAUSTED);
        send_all(fd, head.data, head.len);
        lc_buf_free(&head);
        return;
    }
    const response *r = &m->resp[index];
    if (r->status == 0)
        return; /* @response 0: hang up without a word (a network error) */
    lc_buf_printf(&head, "HTTP/1.1 %d Mock\r\n%sConnection: close\r\n\r\n", r->status,
                  lc_buf_cstr(&r->headers));
    bool ok = send_all(fd, head.data, head.len);
    lc_buf_free(&head);
    for (size_t i = 0; ok && i < r->nsteps && !stopping(m); i++) {
        const step *s = &r->steps[i];
        if (s->kind == STEP_SEND)
            ok = !s->data.len || send_all(fd, s->data.data, s->data.len);
        else
            wait_ms(m, fd, s->ms);
    }
}

static void *run(void *arg)
{
    mock_server *m = arg;
    size_t index = 0;
    while (!stopping(m)) {
        struct pollfd pfd = {m->listen_fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int fd = accept(m->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        if (read_request(m, fd))
            serve(m, fd, index++);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    return NULL;
}

/* ---- life cycle ------------------------------------------------------------ */

int mock_server_start_script(const char *script, mock_server **out)
{
    *out = NULL;
    mock_server *m = lc_xcalloc(1, sizeof *m);
    m->listen_fd = -1;
    pthread_mutex_init(&m->lock, NULL);
    atomic_init(&m->stop, 0);
    if (parse_script(m, script) < 0) {
        fprintf(stderr, "mock_server: the script has no @response\n");
        mock_server_stop(m);
        return -1;
    }
    m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0; /* a free port */
    socklen_t sl = sizeof sa;
    if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(m->listen_fd, 8) < 0 || getsockname(m->listen_fd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("mock_server: listen on 127.0.0.1");
        mock_server_stop(m);
        return -1;
    }
    snprintf(m->url, sizeof m->url, "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        perror("mock_server: pthread_create");
        close(m->listen_fd);
        m->listen_fd = -1;
        mock_server_stop(m);
        return -1;
    }
    *out = m;
    return 0;
}

int mock_server_start(const char *fixture, mock_server **out)
{
    const char *src = getenv("LC_SOURCE_DIR");
    char *path = lc_xasprintf("%s/tests/fixtures/llm/%s", src && *src ? src : LC_SOURCE_DIR, fixture);
    lc_buf text = LC_BUF_INIT;
    lc_err err = {0};
    int rc = -1;
    if (lc_file_read(path, 1 << 20, &text, &err) < 0)
        fprintf(stderr, "mock_server: %s\n", err.msg);
    else
        rc = mock_server_start_script(lc_buf_cstr(&text), out);
    free(path);
    lc_buf_free(&text);
    return rc;
}

const char *mock_server_url(const mock_server *m)
{
    return m->url;
}

size_t mock_server_nrequests(mock_server *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->nreq;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static char *request_part(mock_server *m, size_t i, bool body)
{
    char *s = NULL;
    pthread_mutex_lock(&m->lock);
    if (i < m->nreq)
        s = lc_xstrdup(body ? m->req[i].body : m->req[i].head);
    pthread_mutex_unlock(&m->lock);
    return s;
}

char *mock_server_request_head(mock_server *m, size_t i)
{
    return request_part(m, i, false);
}

char *mock_server_request_body(mock_server *m, size_t i)
{
    return request_part(m, i, true);
}

void mock_server_stop(mock_server *m)
{
    if (!m)
        return;
    if (m->listen_fd >= 0) {
        atomic_store(&m->stop, 1);
        pthread_join(m->thread, NULL);
        close(m->listen_fd);
    }
    for (size_t i = 0; i < m->nresp; i++) {
        for (size_t j = 0; j < m->resp[i].nsteps; j++)
            lc_buf_free(&m->resp[i].steps[j].data);
        free(m->resp[i].steps);
        lc_buf_free(&m->resp[i].headers);
    }
    free(m->resp);
    for (size_t i = 0; i < m->nreq; i++) {
        free(m->req[i].head);
        free(m->req[i].body);
    }
    free(m->req);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
