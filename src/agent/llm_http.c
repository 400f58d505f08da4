/* llm_http: the one streaming POST every provider makes. libcurl's easy
 * interface feeds the body to the SSE parser as it arrives; retries with
 * exponential backoff and jitter (or the server's retry-after) happen only
 * before a 2xx body starts, so streamed text is never shown twice. Stalls and
 * cancellation are noticed in the progress callback, which libcurl calls at
 * least about once a second even when no byte moves. Errors become typed
 * lc_err messages that say what to do, never containing the API key. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "agent/agent.h"

#define ERR_BODY_MAX (64 * 1024)
#define SSE_LINE_MAX (8u << 20)
#define RETRY_AFTER_CAP_MS 60000
#define BACKOFF_CAP_MS 30000
#define DETAIL_MAX 300

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

/* ---- error text ---------------------------------------------------------- */

/* Replaces every copy of the key in s (capacity cap) so that a server that
 * echoes the key back cannot get it into a message or a log. */
static void scrub_key(char *s, size_t cap, const char *key)
{
    if (!key || strlen(key) < 4 || !strstr(s, key))
        return;
    size_t klen = strlen(key);
    lc_buf b = LC_BUF_INIT;
    const char *p = s, *hit;
    while ((hit = strstr(p, key)) != NULL) {
        lc_buf_append(&b, p, (size_t)(hit - p));
        lc_buf_puts(&b, "[key hidden]");
        p = hit + klen;
    }
    lc_buf_puts(&b, p);
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    memcpy(s, b.data, n);
    s[n] = '\0';
    lc_buf_free(&b);
}

/* The server's own words about the failure: message, type and code of the
 * OpenAI, Anthropic, Ollama and llama.cpp error shapes, or the raw text. */
static void server_detail(const char *body, size_t len, lc_buf *msg, lc_buf *tags)
{
    cJSON *root = body && len ? lc_json_parse(body, len) : NULL;
    const cJSON *e = root;
    if (root) {
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (cJSON_IsObject(inner))
            e = inner;
        else if (cJSON_IsString(inner))
            lc_buf_puts(msg, inner->valuestring);
        const char *m = lc_json_str(e, "message");
        if (m)
            lc_buf_puts(msg, m);
        const char *keys[] = {"type", "code", "status"};
        for (size_t i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, keys[i]);
            if (cJSON_IsString(v)) {
                lc_buf_puts(tags, v->valuestring);
                lc_buf_putc(tags, ' ');
            }
        }
        if (!msg->len && !tags->len) {
            char *txt = lc_json_print(root);
            lc_buf_puts(msg, txt);
            free(txt);
        }
        cJSON_Delete(root);
    } else if (body && len) {
        lc_buf_append(msg, body, len > 4096 ? 4096 : len);
    }
}

/* Sanitized (no terminal escapes, one line) and cut to DETAIL_MAX bytes on
 * a UTF-8 boundary. */
static void clean_detail(const lc_buf *raw, lc_buf *out)
{
    lc_buf tmp = LC_BUF_INIT;
    const char *s = lc_buf_cstr(raw);
    size_t len = raw->len;
    while (len && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' ||
                   s[len - 1] == '\t'))
        len--;
    lc_text_sanitize(s, len, 0, &tmp);
    size_t n = tmp.len;
    if (n > DETAIL_MAX) {
        n = DETAIL_MAX;
        while (n > 0 && ((unsigned char)tmp.data[n] & 0xC0) == 0x80)
            n--;
    }
    lc_buf_append(out, lc_buf_cstr(&tmp), n);
    if (n < tmp.len)
        lc_buf_puts(out, "...");
    lc_buf_free(&tmp);
}

static bool has(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

static int classify(long status, const char *body, size_t len, const lc_llm_endpoint *ep,
                    lc_err *err, bool *retry)
{
    lc_buf raw = LC_BUF_INIT, tags = LC_BUF_INIT, detail = LC_BUF_INIT, hay = LC_BUF_INIT;
    server_detail(body, len, &raw, &tags);
    clean_detail(&raw, &detail);
    lc_buf_printf(&hay, "%s %s", lc_buf_cstr(&tags), lc_buf_cstr(&raw));
    const char *h = lc_buf_cstr(&hay);
    const char *d = detail.len ? detail.data : "no details";
    const char *model = ep && ep->model ? ep->model : "?";
    const char *env = ep && ep->key_env && *ep->key_env ? ep->key_env : NULL;
    int rc;
    *retry = false;

    if (has(h, "insufficient_quota") || has(h, "exceeded your current quota") ||
        has(h, "credit balance is too low")) {
        rc = lc_err_set(err, LC_ERATE,
                        "the account is out of quota for model %s: add credit or check the plan "
                        "with the provider (retrying will not help): %s",
                        model, d);
    } else if (has(h, "context_length_exceeded") || has(h, "context length") ||
               has(h, "context window") || has(h, "prompt is too long") ||
               has(h, "too many tokens") || has(h, "exceeds the context") ||
               has(h, "maximum context")) {
        rc = lc_err_set(err, LC_EINVAL,
                        "the conversation is too long for model %s: start a new session or use a "
                        "model with a longer context (%s)",
                        model, d);
    } else if (status == 401 || has(lc_buf_cstr(&tags), "authentication_error") ||
               has(lc_buf_cstr(&tags), "invalid_api_key")) {
        /* The server's text is left out: some servers echo part of the key. */
        if (env)
            rc = lc_err_set(err, LC_EAUTH, "the server refused the API key in $%s: check it", env);
        else
            rc = lc_err_set(err, LC_EAUTH,
                            "the server wants an API key: set model.api_key_env to the name of "
                            "the environment variable that holds it");
    } else if (status == 403 || has(lc_buf_cstr(&tags), "permission_error")) {
        rc = lc_err_set(err, LC_EAUTH,
                        "the server refused access to model %s with the API key in $%s: check "
                        "the key's permissions (%s)",
                        model, env ? env : "(none)", d);
    } else if (status == 404 || has(lc_buf_cstr(&tags), "model_not_found") ||
               has(lc_buf_cstr(&tags), "not_found_error") ||
               (has(h, "model") && has(h, "not found"))) {
        rc = lc_err_set(err, LC_ENOTFOUND,
                        "model '%s' was not found on the server: check model.name and "
                        "model.base_url%s (%s)",
                        model, has(h, "pull") ? ", or run `ollama pull` for it" : "", d);
    } else if (status == 429 || has(lc_buf_cstr(&tags), "rate_limit")) {
        *retry = status != 0;
        rc = lc_err_set(err, LC_ERATE,
                        "the server is rate limiting requests for model %s: wait a minute and "
                        "try again (%s)",
                        model, d);
    } else if (status == 408 || status == 409) {
        *retry = true;
        rc = lc_err_set(err, LC_ESERVER,
                        "the server could not take the request (HTTP %ld): try again (%s)", status,
                        d);
    } else if (status >= 500 || has(lc_buf_cstr(&tags), "overloaded") ||
               has(lc_buf_cstr(&tags), "server_error") || has(lc_buf_cstr(&tags), "api_error")) {
        *retry = status >= 500;
        if (status)
            rc = lc_err_set(err, LC_ESERVER,
                            "the model server failed (HTTP %ld): it may be down or overloaded, "
                            "try again later (%s)",
                            status, d);
        else
            rc = lc_err_set(err, LC_ESERVER,
                            "the model server reported an error in the middle of its answer: "
                            "try again (%s)",
                            d);
    } else if (status >= 300 && status < 400) {
        rc = lc_err_set(err, LC_EPROTO,
                        "the model server redirected the request (HTTP %ld): set model.base_url "
                        "to the address it redirects to",
                        status);
    } else if (status == 400 || status == 413 || status == 422) {
        rc = lc_err_set(err, LC_EINVAL, "the server rejected the request (HTTP %ld): %s", status,
                        d);
    } else if (status == 0) {
        rc = lc_err_set(err, LC_ESERVER,
                        "the model server reported an error in the middle of its answer: %s", d);
    } else {
        rc = lc_err_set(err, LC_EPROTO, "unexpected HTTP %ld from the model server: %s", status,
                        d);
    }
    if (err && ep)
        scrub_key(err->msg, sizeof err->msg, ep->key);
    lc_buf_free(&raw);
    lc_buf_free(&tags);
    lc_buf_free(&detail);
    lc_buf_free(&hay);
    return rc;
}

int lc_llm_http_error(long status, const char *body, size_t len, const lc_llm_endpoint *ep,
                      lc_err *err)
{
    bool retry;
    return classify(status, body, len, ep, err, &retry);
}

/* ---- one transfer ------------------------------------------------------ */

typedef enum body_kind { BODY_UNKNOWN, BODY_SSE, BODY_JSON, BODY_OTHER } body_kind;

typedef struct xfer {
    lc_llm_http *h;
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
    return h->cancel && atomic_load(h->cancel) != 0;
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

/* The status must be read from the handle, which on_body cannot see: this
 * small shim captures it before the first body byte is handled. */
typedef struct xfer_curl {
    xfer x;
    CURL *curl;
} xfer_curl;

static size_t on_body_shim(char *buf, size_t size, size_t n, void *ud)
{
    xfer_curl *xc = ud;
    if (xc->x.status == 0) {
        long st = 0;
        curl_easy_getinfo(xc->curl, CURLINFO_RESPONSE_CODE, &st);
        xc->x.status = st;
    }
    return on_body(buf, size, n, &xc->x);
}

static int one_attempt(lc_llm_http *h, CURL *curl, xfer_curl *xc, CURLcode *cc)
{
    xfer *x = &xc->x;
    lc_buf_free(&x->other);
    memset(x, 0, sizeof *x);
    x->h = h;
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

    xfer_curl xc;
    memset(&xc, 0, sizeof xc);
    xc.curl = curl;
    curl_easy_setopt(curl, CURLOPT_URL, h->url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, h->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(h->body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "litecode-tui/" LC_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body_shim);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &xc);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &xc.x);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &xc.x);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
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
        rc = one_attempt(h, curl, &xc, &cc);
        xfer *x = &xc.x;
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
            rc = classify(x->status, h->err_body.data, h->err_body.len, h->ep, err, &retry);
        }
        if (!retry || attempt >= max_retries)
            break;
        int64_t wait = x->retry_after_ms >= 0 ? x->retry_after_ms : backoff_ms(h->ep, attempt, &seed);
        if (wait > RETRY_AFTER_CAP_MS)
            wait = RETRY_AFTER_CAP_MS;
        if (!nap(h, wait)) {
            rc = lc_err_set(err, LC_ECANCEL, "the model request was cancelled");
            break;
        }
    }
    if (rc < 0 && err && h->ep)
        scrub_key(err->msg, sizeof err->msg, h->ep->key);
    lc_buf_free(&xc.x.other);
    curl_slist_free_all(hdrs);
    if (h->handle && !*h->handle) {
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL); /* hdrs are gone */
        *h->handle = curl;
    } else {
        curl_easy_cleanup(curl);
    }
    return rc;
}
