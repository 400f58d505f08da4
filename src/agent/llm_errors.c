/* llm_errors: a model server's failure turned into a typed error whose
 * message says what to do (wrong key, quota, unknown model, context too
 * long, server down), with the server's own words sanitized, bounded and
 * scrubbed of the API key, since some servers echo the key back. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define DETAIL_MAX 300

/* Replaces every copy of the key in s (capacity cap) so that a server that
 * echoes the key back cannot get it into a message or a log. */
void lc_llm_scrub_key(char *s, size_t cap, const char *key)
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

int lc_llm_http_classify(long status, const char *body, size_t len, const lc_llm_endpoint *ep,
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
    } else if (status == 413 || has(h, "request_too_large") ||
               has(h, "context_length_exceeded") || has(h, "context length") ||
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
        lc_llm_scrub_key(err->msg, sizeof err->msg, ep->key);
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
    return lc_llm_http_classify(status, body, len, ep, err, &retry);
}
