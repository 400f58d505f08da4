/* llm_anthropic: the Anthropic Messages API, streamed. The system prompt
 * goes in the top-level `system` field, tool results travel as tool_result
 * blocks in a user message, and stop reasons are mapped to the OpenAI words
 * the rest of the agent uses ("stop", "tool_calls", "length"). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define ANTHROPIC_VERSION "2023-06-01"
#define DEFAULT_MAX_TOKENS 4096
#define MAX_BLOCKS 256

/* Per call: which tool call each content block feeds. */
typedef struct an_parse {
    int block_call[MAX_BLOCKS]; /* content block index -> call slot + 1; 0: not a call */
} an_parse;

/* ---- request ------------------------------------------------------------- */

/* Consecutive messages of one role are merged: the API wants user and
 * assistant to alternate, and all tool results in one user message. */
static cJSON *blocks_for(cJSON *msgs, const char *role)
{
    cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
    if (last && strcmp(lc_json_str(last, "role"), role) == 0)
        return cJSON_GetObjectItemCaseSensitive(last, "content");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON *content = cJSON_AddArrayToObject(m, "content");
    cJSON_AddItemToArray(msgs, m);
    return content;
}

static void add_text(cJSON *blocks, const char *text)
{
    if (!text || !*text)
        return; /* the API refuses empty text blocks */
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "text");
    cJSON_AddStringToObject(b, "text", text);
    cJSON_AddItemToArray(blocks, b);
}

static int add_tools(cJSON *root, const lc_llm_request *req, lc_err *err)
{
    if (!req->tools || !req->ntools)
        return LC_OK;
    cJSON *tools = cJSON_AddArrayToObject(root, "tools");
    for (size_t i = 0; i < req->ntools; i++) {
        const lc_tool_schema *t = &req->tools[i];
        const char *pj = t->parameters_json ? t->parameters_json : "{\"type\":\"object\"}";
        cJSON *schema = lc_json_parse(pj, strlen(pj));
        if (!cJSON_IsObject(schema)) {
            cJSON_Delete(schema);
            return lc_err_set(err, LC_EINVAL,
                              "tool '%.100s' has a parameters schema that is not a JSON object",
                              t->name ? t->name : "?");
        }
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "name", t->name ? t->name : "");
        if (t->description)
            cJSON_AddStringToObject(tool, "description", t->description);
        cJSON_AddItemToObject(tool, "input_schema", schema);
        cJSON_AddItemToArray(tools, tool);
    }
    return LC_OK;
}

static char *build_body(const lc_llm_endpoint *ep, const void *conf, const lc_llm_request *req,
                        lc_err *err)
{
    (void)conf;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", ep->model);
    cJSON_AddNumberToObject(root, "max_tokens", ep->max_tokens > 0 ? ep->max_tokens : DEFAULT_MAX_TOKENS);
    lc_buf system = LC_BUF_INIT;
    cJSON *msgs = cJSON_CreateArray();
    for (size_t i = 0; i < req->nmessages; i++) {
        const lc_msg *m = &req->messages[i];
        switch (m->role) {
        case LC_ROLE_SYSTEM:
            if (system.len)
                lc_buf_puts(&system, "\n\n");
            lc_buf_puts(&system, m->content ? m->content : "");
            break;
        case LC_ROLE_USER:
            add_text(blocks_for(msgs, "user"), m->content);
            break;
        case LC_ROLE_ASSISTANT: {
            cJSON *blocks = blocks_for(msgs, "assistant");
            add_text(blocks, m->content);
            for (size_t c = 0; c < m->ncalls; c++) {
                const lc_tool_call *tc = &m->calls[c];
                cJSON *b = cJSON_CreateObject();
                cJSON_AddStringToObject(b, "type", "tool_use");
                cJSON_AddStringToObject(b, "id", tc->id ? tc->id : "");
                cJSON_AddStringToObject(b, "name", tc->name ? tc->name : "");
                const char *args = tc->arguments ? tc->arguments : "{}";
                cJSON *input = lc_json_parse(args, strlen(args));
                if (!cJSON_IsObject(input)) { /* the model's broken JSON: send it empty */
                    cJSON_Delete(input);
                    input = cJSON_CreateObject();
                }
                cJSON_AddItemToObject(b, "input", input);
                cJSON_AddItemToArray(blocks, b);
            }
            break;
        }
        case LC_ROLE_TOOL: {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "type", "tool_result");
            cJSON_AddStringToObject(b, "tool_use_id", m->tool_call_id ? m->tool_call_id : "");
            cJSON_AddStringToObject(b, "content", m->content ? m->content : "");
            cJSON_AddItemToArray(blocks_for(msgs, "user"), b);
            break;
        }
        }
    }
    /* A message left without blocks (an empty user turn) would be refused. */
    cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (cJSON_GetArraySize(content) == 0)
            add_text(content, "(empty)");
    }
    if (system.len)
        cJSON_AddStringToObject(root, "system", system.data);
    lc_buf_free(&system);
    cJSON_AddItemToObject(root, "messages", msgs);
    if (add_tools(root, req, err) < 0) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON_AddBoolToObject(root, "stream", 1);
    if (ep->temperature >= 0)
        cJSON_AddNumberToObject(root, "temperature", ep->temperature > 1 ? 1 : ep->temperature);
    char *s = lc_json_print(root);
    cJSON_Delete(root);
    return s;
}

/* ---- stream -------------------------------------------------------------- */

static const char *map_stop(const char *s)
{
    if (strcmp(s, "end_turn") == 0 || strcmp(s, "stop_sequence") == 0)
        return "stop";
    if (strcmp(s, "tool_use") == 0)
        return "tool_calls";
    if (strcmp(s, "max_tokens") == 0)
        return "length";
    return s; /* "pause_turn", "refusal": passed on as they are */
}

static int block_index(lc_llm_parse *r, const cJSON *root)
{
    double i = lc_json_num(root, "index", -1);
    if (i < 0 || i >= MAX_BLOCKS)
        return lc_err_set(r->err, LC_EPROTO,
                          "the model server sent a content block index out of range");
    return (int)i;
}

static int on_block_start(lc_llm_parse *r, const cJSON *root)
{
    int bi = block_index(r, root);
    if (bi < 0)
        return bi;
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(root, "content_block");
    const char *type = lc_json_str(cb, "type");
    if (!type)
        return LC_OK;
    if (strcmp(type, "text") == 0) {
        const char *t = lc_json_str(cb, "text");
        return t ? lc_llm_acc_text(&r->acc, t, strlen(t), r->err) : LC_OK;
    }
    if (strcmp(type, "tool_use") != 0)
        return LC_OK; /* thinking blocks arrive through their deltas */
    lc_llm_acc_call *c = lc_llm_acc_slot(&r->acc, r->acc.ncalls);
    if (!c)
        return lc_err_set(r->err, LC_EPROTO, "the model sent more than %d tool calls",
                          LC_LLM_MAX_CALLS);
    ((an_parse *)r->state)->block_call[bi] = (int)r->acc.ncalls; /* slot + 1 */
    const char *id = lc_json_str(cb, "id");
    const char *name = lc_json_str(cb, "name");
    int rc = LC_OK;
    if (id)
        rc = lc_llm_acc_add(&r->acc, &c->id, id, strlen(id), r->err);
    if (rc == LC_OK && name)
        rc = lc_llm_acc_add(&r->acc, &c->name, name, strlen(name), r->err);
    /* A non-empty input here is the whole input (no deltas will follow). */
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(cb, "input");
    if (rc == LC_OK && cJSON_IsObject(input) && input->child) {
        char *txt = lc_json_print(input);
        rc = lc_llm_acc_add(&r->acc, &c->args, txt, strlen(txt), r->err);
        free(txt);
    }
    return rc;
}

static int on_block_delta(lc_llm_parse *r, const cJSON *root)
{
    int bi = block_index(r, root);
    if (bi < 0)
        return bi;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
    const char *type = lc_json_str(d, "type");
    if (!type)
        return LC_OK;
    if (strcmp(type, "text_delta") == 0) {
        const char *t = lc_json_str(d, "text");
        return t ? lc_llm_acc_text(&r->acc, t, strlen(t), r->err) : LC_OK;
    }
    if (strcmp(type, "thinking_delta") == 0) {
        const char *t = lc_json_str(d, "thinking");
        return t ? lc_llm_acc_reasoning(&r->acc, t, strlen(t), r->err) : LC_OK;
    }
    if (strcmp(type, "input_json_delta") == 0) {
        const char *t = lc_json_str(d, "partial_json");
        int slot = ((const an_parse *)r->state)->block_call[bi] - 1;
        if (slot < 0)
            return LC_OK; /* input of a block we do not run (a server-side tool) */
        lc_llm_acc_call *c = &r->acc.calls[slot];
        return t ? lc_llm_acc_add(&r->acc, &c->args, t, strlen(t), r->err) : LC_OK;
    }
    return LC_OK; /* signature_delta, citations...: nothing the agent uses */
}

static int on_event(lc_llm_parse *r, const lc_sse_event *ev)
{
    if (ev->kind == LC_SSE_ERROR_LINE)
        return lc_llm_http_error(0, ev->data, ev->len, r->ep, r->err);
    cJSON *root = lc_json_parse(ev->data, ev->len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        lc_buf name = LC_BUF_INIT;
        lc_text_sanitize(ev->name, strnlen(ev->name, 40), 0, &name);
        int rc = lc_err_set(r->err, LC_EPROTO,
                            "the model server sent a '%s' event that is not a JSON object",
                            lc_buf_cstr(&name));
        lc_buf_free(&name);
        return rc;
    }
    const char *type = lc_json_str(root, "type");
    if (!type)
        type = ev->name;
    int rc = LC_OK;
    if (strcmp(type, "error") == 0) {
        rc = lc_llm_http_error(0, ev->data, ev->len, r->ep, r->err);
    } else if (strcmp(type, "message_start") == 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(msg, "usage");
        r->acc.prompt_tokens = lc_json_int(usage, "input_tokens", 0, 0, INT64_MAX);
        r->acc.completion_tokens = lc_json_int(usage, "output_tokens", 0, 0, INT64_MAX);
    } else if (strcmp(type, "content_block_start") == 0) {
        rc = on_block_start(r, root);
    } else if (strcmp(type, "content_block_delta") == 0) {
        rc = on_block_delta(r, root);
    } else if (strcmp(type, "message_delta") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
        const char *stop = lc_json_str(d, "stop_reason");
        if (stop)
            lc_llm_acc_set_finish(&r->acc, map_stop(stop));
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
        if (cJSON_IsObject(usage)) {
            r->acc.completion_tokens = lc_json_int(usage, "output_tokens", r->acc.completion_tokens, 0, INT64_MAX);
            r->acc.prompt_tokens = lc_json_int(usage, "input_tokens", r->acc.prompt_tokens, 0, INT64_MAX);
        }
    }
    /* ping, content_block_stop, message_stop (the stop reason before it is
     * what counts, llm_chat.c) and unknown events carry nothing we keep. */
    cJSON_Delete(root);
    return rc;
}

/* A server (or proxy) that ignored stream=true: one Message object. */
static int take_json(lc_llm_parse *r, const char *body, size_t len)
{
    cJSON *root = lc_json_parse(body, len);
    const char *type = lc_json_str(root, "type");
    if (!cJSON_IsObject(root) || !type) {
        cJSON_Delete(root);
        return lc_err_set(r->err, LC_EPROTO,
                          "the model server answered with JSON that is not a message");
    }
    int rc = LC_OK;
    if (strcmp(type, "error") == 0) {
        rc = lc_llm_http_error(0, body, len, r->ep, r->err);
        cJSON_Delete(root);
        return rc;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    r->acc.prompt_tokens = lc_json_int(usage, "input_tokens", 0, 0, INT64_MAX);
    r->acc.completion_tokens = lc_json_int(usage, "output_tokens", 0, 0, INT64_MAX);
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(root, "content"))
    {
        const char *bt = lc_json_str(b, "type");
        if (rc < 0 || !bt)
            continue;
        if (strcmp(bt, "text") == 0) {
            const char *t = lc_json_str(b, "text");
            if (t)
                rc = lc_llm_acc_text(&r->acc, t, strlen(t), r->err);
        } else if (strcmp(bt, "thinking") == 0) {
            const char *t = lc_json_str(b, "thinking");
            if (t)
                rc = lc_llm_acc_reasoning(&r->acc, t, strlen(t), r->err);
        } else if (strcmp(bt, "tool_use") == 0) {
            lc_llm_acc_call *c = lc_llm_acc_slot(&r->acc, r->acc.ncalls);
            if (!c) {
                rc = lc_err_set(r->err, LC_EPROTO, "the model sent more than %d tool calls",
                                LC_LLM_MAX_CALLS);
                continue;
            }
            const char *id = lc_json_str(b, "id"), *name = lc_json_str(b, "name");
            char *input = lc_json_print(cJSON_GetObjectItemCaseSensitive(b, "input"));
            if (id)
                rc = lc_llm_acc_add(&r->acc, &c->id, id, strlen(id), r->err);
            if (rc == LC_OK && name)
                rc = lc_llm_acc_add(&r->acc, &c->name, name, strlen(name), r->err);
            if (rc == LC_OK && input && strcmp(input, "null") != 0)
                rc = lc_llm_acc_add(&r->acc, &c->args, input, strlen(input), r->err);
            free(input);
        }
    }
    const char *stop = lc_json_str(root, "stop_reason");
    lc_llm_acc_set_finish(&r->acc, map_stop(stop ? stop : "end_turn"));
    cJSON_Delete(root);
    return rc;
}

/* Both "https://api.anthropic.com" and ".../v1" are accepted. */
static char *messages_url(const char *base_url)
{
    return lc_str_ends_with(base_url, "/v1") ? lc_xasprintf("%s/messages", base_url)
                                             : lc_xasprintf("%s/v1/messages", base_url);
}

static void add_headers(const lc_llm_endpoint *ep, lc_strv *headers)
{
    lc_strv_push(headers, "anthropic-version: " ANTHROPIC_VERSION);
    if (ep->key)
        lc_strv_pushf(headers, "x-api-key: %s", ep->key);
}

const lc_llm_provider lc_llm_provider_anthropic = {
    .what = "an Anthropic model",
    .parse_size = sizeof(an_parse),
    .url = messages_url,
    .headers = add_headers,
    .body = build_body,
    .event = on_event,
    .whole = take_json,
};

int lc_llm_anthropic_new(const lc_llm_endpoint *ep, lc_llm **out, lc_err *err)
{
    return lc_llm_chat_new(&lc_llm_provider_anthropic, ep, out, err);
}
