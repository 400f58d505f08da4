/* llm_http: the one streaming POST every provider makes. libcurl's easy
 * interface feeds the body to the SSE parser as it arrives; retries with
 * exponential backoff and jitter (or the server's retry-after) happen only
 * before a 2xx body starts, so streamed text is never shown twice. Stalls and
 * cancellation are noticed in the progress callback, which libcurl calls at
 * least about once a second even when no byte moves; a cancel also shuts
 * the transfer's sockets down so it is noticed at once. Errors become typed
 * lc_err messages that say what to do, never containing the API key. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent/agent.h"

#define ERR_BODY_MAX (64 * 1024)
#define SSE_LINE_MAX (8u << 20)
#define RETRY_AFTER_CAP_MS 60000
#define BACKOFF_CAP_MS 30000

int lc_llm_global_init(lc_err *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return lc_err_set(err, LC_ENET, "initializing libcurl: %s", curl_easy_strerror(rc));
    return LC_OK;
}

void lc_llm_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- one transfer ------------------------------------------------------ */

typedef enum body_kind { BODY_UNKNOWN, BODY_SSE, BODY_JSON, BODY_OTHER } body_kind;

typedef struct xfer {
    lc_llm_http *h;
    CURL *curl;
    lc_sse *sse;
    char ctype[64];     /* Content-Type, lower case */
    body_kind kind;     /* of a 2xx body */
    lc_buf other;       /* the start of a 2xx body that is neither */
    long status;        /* of the final response, known at the first body byte */
    bool body_2xx;
    int64_t last_rx_ms; /* last byte (or the start): stall detection */
    int64_t stall_ms;
    curl_off_t last_ulnow; /* a long upload is progress too */
    bool stalled;
    bool cancelled;
    int cb_rc;          /* a provider callback's failure */
    int64_t retry_after_ms; /* -1: the server did not say */
} xfer;

static bool cancel_requested(const lc_llm_http *h)
{
    return h->cancel && atomic_load(&h->cancel->flag) != 0;
}

void lc_llm_cancel_init(lc_llm_cancel_token *t)
{
    atomic_init(&t->flag, 0);
    pthread_mutex_init(&t->lock, NULL);
    for (size_t i = 0; i < sizeof t->fds / sizeof t->fds[0]; i++)
        t->fds[i] = -1;
}

void lc_llm_cancel_fire(lc_llm_cancel_token *t)
{
    atomic_store(&t->flag, 1);
    /* Under the lock a tracked descriptor cannot be closed and reused by
     * someone else before the shutdown lands. */
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < sizeof t->fds / sizeof t->fds[0]; i++)
        if (t->fds[i] >= 0)
            shutdown(t->fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&t->lock);
}

void lc_llm_cancel_reset(lc_llm_cancel_token *t)
{
    atomic_store(&t->flag, 0);
}

void lc_llm_cancel_destroy(lc_llm_cancel_token *t)
{
    pthread_mutex_destroy(&t->lock);
}

static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)purpose;
    lc_llm_cancel_token *t = ud;
    int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < sizeof t->fds / sizeof t->fds[0]; i++) {
        if (t->fds[i] < 0) {
            t->fds[i] = fd;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return fd;
}

static int close_socket(void *ud, curl_socket_t fd)
{
    lc_llm_cancel_token *t = ud;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < sizeof t->fds / sizeof t->fds[0]; i++)
        if (t->fds[i] == fd)
            t->fds[i] = -1;
    int rc = close(fd);
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->last_rx_ms = lc_now_ms();
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        x->retry_after_ms = -1; /* a new response (after 100 Continue...) */
        return len;
    }
    char line[256];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, buf, l);
    line[l] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    *colon = '\0';
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (strcasecmp(line, "content-type") == 0) {
        size_t i = 0;
        for (; v[i] && i < sizeof x->ctype - 1; i++)
            x->ctype[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
        x->ctype[i] = '\0';
    } else if (strcasecmp(line, "retry-after-ms") == 0) {
        char *end;
        double ms = strtod(v, &end);
        if (end != v && ms >= 0)
            x->retry_after_ms = (int64_t)ms;
    } else if (strcasecmp(line, "retry-after") == 0 && x->retry_after_ms < 0) {
        char *end;
        double s = strtod(v, &end);
        if (end != v && s >= 0 && (*end == '\0' || *end == ' ')) {
            x->retry_after_ms = (int64_t)(s * 1000.0);
        } else {
            time_t when = curl_getdate(v, NULL); /* an HTTP date */
            if (when > 0) {
                time_t now = time(NULL);
                x->retry_after_ms = when > now ? (int64_t)(when - now) * 1000 : 0;
            }
        }
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->last_rx_ms = lc_now_ms();
    if (x->status == 0) /* the final response's status, before its body */
        curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
    if (!x->body_2xx && x->status >= 200 && x->status < 300) {
        x->body_2xx = true;
        x->h->started = true;
        /* Event streams come as text/event-stream, or text/plain, or with
         * no type at all; JSON means the server ignored stream=true; HTML
         * means base_url points at a web site. */
        if (strstr(x->ctype, "json"))
            x->kind = BODY_JSON;
        else if (strstr(x->ctype, "html"))
            x->kind = BODY_OTHER;
        else
            x->kind = BODY_SSE;
    }
    if (x->body_2xx) {
        if (x->kind == BODY_JSON) {
            if (x->h->json_body.len + len > LC_LLM_REPLY_MAX) {
                x->cb_rc = LC_EPROTO;
                return 0;
            }
            lc_buf_append(&x->h->json_body, buf, len);
            return len;
        }
        if (x->kind == BODY_OTHER) {
            if (x->other.len < 4096)
                lc_buf_append(&x->other, buf, len < 4096 ? len : 4096);
            return len;
        }
        int rc = lc_sse_feed(x->sse, buf, len);
        if (rc < 0) {
            x->cb_rc = rc;
            return 0; /* aborts the transfer */
        }
        return len;
    }
    if (x->h->err_body.len < ERR_BODY_MAX) {
        size_t room = ERR_BODY_MAX - x->h->err_body.len;
        lc_buf_append(&x->h->err_body, buf, len < room ? len : room);
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal;
    xfer *x = ud;
    if (ulnow != x->last_ulnow) {
        x->last_ulnow = ulnow;
        x->last_rx_ms = lc_now_ms();
    }
    if (cancel_requested(x->h)) {
        x->cancelled = true;
        return 1;
    }
    if (lc_now_ms() - x->last_rx_ms > x->stall_ms) {
        x->stalled = true;
        return 1;
    }
    return 0;
}

/* ---- the call with retries -------------------------------------------- */

static int backoff_ms(const lc_llm_endpoint *ep, int attempt, unsigned *seed)
{
    int64_t d = ep->backoff_ms > 0 ? ep->backoff_ms : 500;
    for (int i = 0; i < attempt && d < BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > BACKOFF_CAP_MS)
        d = BACKOFF_CAP_MS;
    /* Jitter: 75..100 % of the delay, so clients do not retry in lockstep. */
    int64_t j = d / 4 > 0 ? (int64_t)(rand_r(seed) % (int)(d / 4 + 1)) : 0;
    return (int)(d - j);
}

/* Sleeps ms in short naps; false if the user cancelled meanwhile. */
static bool nap(const lc_llm_http *h, int64_t ms)
{
    int64_t until = lc_now_ms() + ms;
    for (;;) {
        if (cancel_requested(h))
            return false;
        int64_t left = until - lc_now_ms();
        if (left <= 0)
            return true;
        lc_sleep_ms(left < 50 ? (int)left : 50);
    }
}

static int one_attempt(lc_llm_http *h, CURL *curl, xfer *x, CURLcode *cc)
{
    lc_buf_free(&x->other);
    memset(x, 0, sizeof *x);
    x->h = h;
    x->curl = curl;
    x->retry_after_ms = -1;
    int stall_s = h->ep->stall_s > 0 ? h->ep->stall_s : 120;
    x->stall_ms = (int64_t)stall_s * 1000;
    x->last_rx_ms = lc_now_ms();
    x->sse = lc_sse_new(SSE_LINE_MAX, h->on_event, h->ctx);
    lc_buf_reset(&h->err_body);
    lc_buf_reset(&h->json_body);
    *cc = curl_easy_perform(curl);
    if (x->status == 0) {
        long st = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &st);
        x->status = st;
    }
    h->status = x->status;
    int rc = LC_OK;
    if (*cc == CURLE_OK && x->body_2xx && x->kind == BODY_SSE)
        rc = lc_sse_finish(x->sse);
    else if (*cc == CURLE_OK && x->status >= 200 && x->status < 300)
        h->started = true; /* an empty 2xx body: the provider reports the cut */
    h->json = x->kind == BODY_JSON;
    lc_sse_free(x->sse);
    x->sse = NULL;
    return rc;
}

void lc_llm_http_handle_free(void **handle)
{
    if (handle && *handle) {
        curl_easy_cleanup(*handle);
        *handle = NULL;
    }
}

void lc_llm_conn_init(lc_llm_conn *c, const lc_llm_endpoint *ep)
{
    memset(c, 0, sizeof *c);
    c->base_url = lc_xstrdup(ep->base_url);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->model = lc_xstrdup(ep->model);
    c->key = lc_xstrdup(ep->key);
    c->key_env = lc_xstrdup(ep->key_env);
    c->ep = *ep;
    c->ep.base_url = c->base_url;
    c->ep.model = c->model;
    c->ep.key = c->key;
    c->ep.key_env = c->key_env;
    lc_llm_cancel_init(&c->cancel);
}

void lc_llm_conn_free(lc_llm_conn *c)
{
    lc_llm_http_handle_free(&c->curl); /* closes sockets the token tracks */
    lc_llm_cancel_destroy(&c->cancel);
    if (c->key)
        explicit_bzero(c->key, strlen(c->key));
    free(c->key);
    free(c->key_env);
    free(c->model);
    free(c->base_url);
    free(c->url);
}

int lc_llm_http_stream(lc_llm_http *h, lc_err *err)
{
    h->status = 0;
    h->started = false;
    h->attempts = 0;
    h->json = false;
    CURL *curl = NULL;
    if (h->handle && *h->handle) {
        curl = *h->handle; /* reset keeps its live connections */
        *h->handle = NULL;
        curl_easy_reset(curl);
    } else {
        curl = curl_easy_init();
    }
    if (!curl)
        return lc_err_set(err, LC_ENET, "could not start an HTTP client (libcurl)");
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; h->headers && i < h->headers->n; i++)
        hdrs = curl_slist_append(hdrs, h->headers->v[i]);
    hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
    hdrs = curl_slist_append(hdrs, "Expect:");

    xfer xs;
    memset(&xs, 0, sizeof xs);
    curl_easy_setopt(curl, CURLOPT_URL, h->url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, h->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(h->body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "litecode-tui/" LC_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &xs);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &xs);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &xs);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    if (h->cancel) {
        curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, h->cancel);
        curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
        curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, h->cancel);
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    if (h->ep->timeout_s > 0)
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)h->ep->timeout_s);

    unsigned seed = (unsigned)lc_now_ms() ^ (unsigned)(uintptr_t)h;
    int max_retries = h->ep->max_retries > 0 ? h->ep->max_retries : 0;
    int rc = LC_OK;
    for (int attempt = 0;; attempt++) {
        CURLcode cc;
        h->attempts = attempt + 1;
        lc_err_clear(err); /* a retried failure's message must not linger */
        rc = one_attempt(h, curl, &xs, &cc);
        xfer *x = &xs;
        bool retry = false;
        if (x->cancelled || (cc != CURLE_OK && cancel_requested(h))) {
            rc = lc_err_set(err, LC_ECANCEL, "the model request was cancelled");
            break;
        }
        if (x->cb_rc < 0) {
            rc = x->cb_rc; /* the provider said why, or the parser's limit */
            if (err && !err->msg[0])
                lc_err_set(err, rc,
                           "the model server's answer is malformed or too large (an event "
                           "line over %u MiB, or a whole answer over %zu MiB)",
                           SSE_LINE_MAX >> 20, LC_LLM_REPLY_MAX >> 20);
            break;
        }
        if (x->stalled) {
            rc = lc_err_set(err, LC_ETIMEOUT,
                            "the model server sent nothing for %d s, so the stream is stalled: "
                            "try again, or raise model.stall_timeout for a slow server",
                            (int)(x->stall_ms / 1000));
            break;
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
            rc = lc_err_set(err, LC_ETIMEOUT,
                            "the model request took longer than %d s (model.timeout): try again "
                            "or raise it",
                            h->ep->timeout_s > 0 ? h->ep->timeout_s : 30);
            break;
        }
        if (cc != CURLE_OK) {
            if (h->started) {
                rc = lc_err_set(err, LC_ENET, "the connection broke in the middle of the answer: %s",
                                curl_easy_strerror(cc));
                break;
            }
            rc = lc_err_set(err, LC_ENET,
                            "could not reach the model server at %s: %s; check model.base_url and "
                            "that the server is running",
                            h->url, curl_easy_strerror(cc));
            retry = true;
        } else if (x->status >= 200 && x->status < 300 && x->kind == BODY_OTHER) {
            lc_buf shown = LC_BUF_INIT;
            lc_text_sanitize(lc_buf_cstr(&x->other), x->other.len > 60 ? 60 : x->other.len, 0,
                             &shown);
            rc = lc_err_set(err, LC_EPROTO,
                            "the server at %s answered with a web page (%s), not a model "
                            "stream: check model.base_url ('%s...')",
                            h->url, x->ctype, lc_buf_cstr(&shown));
            lc_buf_free(&shown);
            break;
        } else if (x->status >= 200 && x->status < 300) {
            if (rc < 0 && err && !err->msg[0])
                lc_err_set(err, rc, "the model server's event stream is malformed");
            break; /* rc from the final parse */
        } else {
            rc = lc_llm_http_classify(x->status, h->err_body.data, h->err_body.len, h->ep, err,
                                       &retry);
        }
        if (!retry || attempt >= max_retries)
            break;
        int64_t wait = x->retry_after_ms >= 0 ? x->retry_after_ms : backoff_ms(h->ep, attempt, &seed);
        if (wait > RETRY_AFTER_CAP_MS)
            wait = RETRY_AFTER_CAP_MS;
        if (h->stream && h->stream->notice && err) {
            char note[LC_ERR_MSG_MAX + 64];
            lc_llm_scrub_key(err->msg, sizeof err->msg, h->ep->key);
            if (wait < 10000)
                snprintf(note, sizeof note, "%s; retrying in %.1f s (attempt %d of %d)", err->msg,
                         (double)wait / 1000.0, attempt + 2, max_retries + 1);
            else
                snprintf(note, sizeof note, "%s; retrying in %d s (attempt %d of %d)", err->msg,
                         (int)(wait / 1000), attempt + 2, max_retries + 1);
            h->stream->notice(h->stream->ctx, note);
        }
        if (!nap(h, wait)) {
            rc = lc_err_set(err, LC_ECANCEL, "the model request was cancelled");
            break;
        }
    }
    if (rc < 0 && err && h->ep)
        lc_llm_scrub_key(err->msg, sizeof err->msg, h->ep->key);
    lc_buf_free(&xs.other);
    curl_slist_free_all(hdrs);
    if (h->handle && !*h->handle) {
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL); /* hdrs are gone */
        *h->handle = curl;
    } else {
        curl_easy_cleanup(curl);
    }
    return rc;
}
