/* llm: picks a model provider from a LiteLLM-style name and wraps the
 * provider vtable. The API key is read here from the variable the config
 * names; it lives only in the provider's memory and is wiped on destroy. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

void lc_msg_free(lc_msg *m)
{
    if (!m)
        return;
    free(m->content);
    for (size_t i = 0; i < m->ncalls; i++) {
        free(m->calls[i].id);
        free(m->calls[i].name);
        free(m->calls[i].arguments);
    }
    free(m->calls);
    free(m->tool_call_id);
    memset(m, 0, sizeof *m);
}

void lc_llm_reply_free(lc_llm_reply *r)
{
    if (!r)
        return;
    free(r->content);
    free(r->reasoning);
    for (size_t i = 0; i < r->ncalls; i++) {
        free(r->calls[i].id);
        free(r->calls[i].name);
        free(r->calls[i].arguments);
    }
    free(r->calls);
    free(r->finish_reason);
    memset(r, 0, sizeof *r);
}

/* Model names by prefix: which wire protocol, where, and which key. A new
 * provider (llm_<name>.c) is a row here. */
typedef struct known {
    const char *prefix;
    const lc_llm_provider *prov;
    const char *base_url;
    const char *key_env; /* NULL: no key by default */
} known;

static const known KNOWN[] = {
    {"openai/", &lc_llm_provider_openai, "https://api.openai.com/v1", "OPENAI_API_KEY"},
    {"anthropic/", &lc_llm_provider_anthropic, "https://api.anthropic.com", "ANTHROPIC_API_KEY"},
    {"ollama/", &lc_llm_provider_openai, "http://localhost:11434/v1", NULL},
    {"ollama_chat/", &lc_llm_provider_openai, "http://localhost:11434/v1", NULL},
};

int lc_llm_new(const lc_model_config *cfg, lc_llm **out, lc_err *err)
{
    *out = NULL;
    if (!cfg || !cfg->name || !*cfg->name)
        return lc_err_set(err, LC_EINVAL,
                          "no model is configured: set model.name (for example openai/gpt-4o, "
                          "anthropic/claude-sonnet-4-5 or ollama/llama3.1)");
    const char *name = cfg->name;
    if (lc_str_starts_with(name, "replay:")) {
        if (!name[7])
            return lc_err_set(err, LC_EINVAL, "model 'replay:' names no file: use replay:FILE");
        return lc_llm_replay_new(name + 7, out, err);
    }

    const known *k = NULL;
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (lc_str_starts_with(name, KNOWN[i].prefix))
            k = &KNOWN[i];
    const char *base = cfg->base_url && *cfg->base_url ? cfg->base_url : NULL;
    const char *model = name;
    const lc_llm_provider *prov = &lc_llm_provider_openai; /* any server at a base_url */
    const char *env = cfg->api_key_env && *cfg->api_key_env ? cfg->api_key_env : NULL;
    bool key_required = env != NULL;
    if (k) {
        model = name + strlen(k->prefix);
        prov = k->prov;
        if (!base)
            base = k->base_url;
        if (!env)
            env = k->key_env;
        key_required = env != NULL;
    } else if (!base) {
        return lc_err_set(err, LC_EINVAL,
                          "model '%.200s' names no known provider: use openai/NAME, "
                          "anthropic/NAME, ollama/NAME or replay:FILE, or set model.base_url for "
                          "an OpenAI-compatible server",
                          name);
    }
    if (!*model)
        return lc_err_set(err, LC_EINVAL, "model '%.200s' has no model name after the provider",
                          name);
    if (!lc_str_starts_with(base, "http://") && !lc_str_starts_with(base, "https://"))
        return lc_err_set(err, LC_EINVAL,
                          "model.base_url '%.200s' is not an http:// or https:// URL", base);
    const char *key = env ? getenv(env) : NULL;
    if (key && !*key)
        key = NULL;
    if (key_required && !key)
        return lc_err_set(err, LC_EAUTH,
                          "the API key variable $%.100s is not set: export it, or point "
                          "model.api_key_env at the variable that holds the key",
                          env);

    lc_llm_endpoint ep = {
        .base_url = base,
        .model = model,
        .key = key,
        .key_env = env,
        .temperature = cfg->temperature,
        .max_tokens = cfg->max_tokens,
        .timeout_s = cfg->timeout_s,
        .stall_s = cfg->stall_s,
        .max_retries = cfg->max_retries,
        .backoff_ms = 0,
    };
    return lc_llm_chat_new(prov, &ep, out, err);
}

int lc_llm_chat(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream,
                lc_llm_reply *reply, lc_err *err)
{
    if (!reply)
        return lc_err_set(err, LC_EINVAL, "lc_llm_chat: no reply to fill");
    memset(reply, 0, sizeof *reply);
    if (!llm || !req)
        return lc_err_set(err, LC_EINVAL, "lc_llm_chat: no model or no request");
    lc_err_clear(err);
    int rc = llm->ops->chat(llm, req, stream, reply, err);
    if (rc < 0) {
        lc_llm_reply_free(reply);
        if (err && !err->msg[0])
            lc_err_set(err, rc, "the model request failed (%s)", lc_status_name(rc));
    }
    return rc;
}

void lc_llm_cancel(lc_llm *llm)
{
    if (llm && llm->ops->cancel)
        llm->ops->cancel(llm);
}

void lc_llm_destroy(lc_llm *llm)
{
    if (llm)
        llm->ops->destroy(llm);
}

/* ---- the shared reply accumulator -------------------------------------- */

static int acc_room(lc_llm_acc *a, size_t len, lc_err *err)
{
    if (a->total + len > LC_LLM_REPLY_MAX)
        return lc_err_set(err, LC_EPROTO,
                          "the model's answer grew past %zu MiB: the server is misbehaving, try "
                          "again or lower model.max_tokens",
                          LC_LLM_REPLY_MAX >> 20);
    a->total += len;
    return LC_OK;
}

int lc_llm_acc_text(lc_llm_acc *a, const char *s, size_t len, lc_err *err)
{
    if (!len)
        return LC_OK;
    int rc = acc_room(a, len, err);
    if (rc < 0)
        return rc;
    lc_buf_append(&a->content, s, len);
    if (a->stream && a->stream->text)
        a->stream->text(a->stream->ctx, s, len);
    return LC_OK;
}

int lc_llm_acc_reasoning(lc_llm_acc *a, const char *s, size_t len, lc_err *err)
{
    if (!len)
        return LC_OK;
    int rc = acc_room(a, len, err);
    if (rc < 0)
        return rc;
    lc_buf_append(&a->reasoning, s, len);
    if (a->stream && a->stream->reasoning)
        a->stream->reasoning(a->stream->ctx, s, len);
    return LC_OK;
}

lc_llm_acc_call *lc_llm_acc_slot(lc_llm_acc *a, size_t slot)
{
    if (slot >= LC_LLM_MAX_CALLS)
        return NULL;
    if (slot >= a->ncalls)
        a->ncalls = slot + 1;
    return &a->calls[slot];
}

int lc_llm_acc_add(lc_llm_acc *a, lc_buf *field, const char *s, size_t len, lc_err *err)
{
    int rc = acc_room(a, len, err);
    if (rc < 0)
        return rc;
    lc_buf_append(field, s, len);
    return LC_OK;
}

void lc_llm_acc_set_finish(lc_llm_acc *a, const char *reason)
{
    free(a->finish_reason);
    a->finish_reason = lc_xstrndup(reason, 64);
}

int lc_llm_acc_take(lc_llm_acc *a, lc_llm_reply *reply, lc_err *err)
{
    memset(reply, 0, sizeof *reply);
    size_t n = 0;
    for (size_t i = 0; i < a->ncalls; i++)
        if (a->calls[i].id.len || a->calls[i].name.len || a->calls[i].args.len)
            n++;
    if (n) {
        reply->calls = lc_xcalloc(n, sizeof *reply->calls);
        for (size_t i = 0; i < a->ncalls; i++) {
            lc_llm_acc_call *c = &a->calls[i];
            if (!c->id.len && !c->name.len && !c->args.len)
                continue; /* a slot the server skipped */
            if (!c->name.len) {
                lc_llm_reply_free(reply);
                return lc_err_set(err, LC_EPROTO,
                                  "the model sent a tool call without a function name: try again");
            }
            lc_tool_call *t = &reply->calls[reply->ncalls++];
            t->id = c->id.len ? lc_buf_detach(&c->id) : lc_xasprintf("call_%zu", i);
            t->name = lc_buf_detach(&c->name);
            t->arguments = c->args.len ? lc_buf_detach(&c->args) : lc_xstrdup("{}");
        }
    }
    reply->content = lc_buf_detach(&a->content);
    reply->reasoning = a->reasoning.len ? lc_buf_detach(&a->reasoning) : NULL;
    reply->finish_reason = a->finish_reason;
    a->finish_reason = NULL;
    reply->prompt_tokens = a->prompt_tokens;
    reply->completion_tokens = a->completion_tokens;
    return LC_OK;
}

void lc_llm_acc_free(lc_llm_acc *a)
{
    lc_buf_free(&a->content);
    lc_buf_free(&a->reasoning);
    for (size_t i = 0; i < LC_LLM_MAX_CALLS; i++) {
        lc_buf_free(&a->calls[i].id);
        lc_buf_free(&a->calls[i].name);
        lc_buf_free(&a->calls[i].args);
    }
    free(a->finish_reason);
    memset(a, 0, sizeof *a);
}
