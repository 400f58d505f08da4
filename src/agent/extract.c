/* Code and tool-call extraction from model replies. Replies are hostile
 * text: every scan is bounded by the reply's length and nothing here trusts
 * a fence to be closed or a JSON object to be well formed. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

static bool is_blank_line_rest(const char *p)
{
    while (*p && *p != '\n') {
        if (!isspace((unsigned char)*p))
            return false;
        p++;
    }
    return true;
}

static char *trimmed_dup(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return n ? lc_xstrndup(s, n) : NULL;
}

static bool blank_rest(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* The one reading of ``` fences: the agent extracts the code with it and
 * the TUI hides from the conversation exactly what it extracts. */
lc_fence_line lc_extract_fence_line(const char *line, size_t len, bool in_code)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (len - i < 3 || memcmp(line + i, "```", 3) != 0)
        return LC_FENCE_NONE;
    i += 3;
    if (in_code) { /* a bare fence, any number of backticks, closes */
        while (i < len && line[i] == '`')
            i++;
        return blank_rest(line + i, len - i) ? LC_FENCE_CLOSE : LC_FENCE_NONE;
    }
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t n = 0;
    while (i + n < len && isalnum((unsigned char)line[i + n]))
        n++;
    const char *w = line + i;
    bool py = (n == 6 && strncasecmp(w, "python", 6) == 0) || (n == 2 && strncasecmp(w, "py", 2) == 0) ||
              (n == 7 && strncasecmp(w, "python3", 7) == 0);
    return py && blank_rest(w + n, len - i - n) ? LC_FENCE_OPEN : LC_FENCE_NONE;
}

const char *lc_extract_tag(const char *s, size_t len, bool in_code, size_t *taglen)
{
    static const char open[] = "<code>", close[] = "</code>";
    const char *t = in_code ? close : open;
    *taglen = in_code ? sizeof close - 1 : sizeof open - 1;
    return memmem(s, len, t, *taglen);
}

/* A ``` fence opening Python at p (p is at the start of a line): returns
 * where the code starts, or NULL. */
static const char *python_fence(const char *p)
{
    size_t len = strcspn(p, "\n");
    if (lc_extract_fence_line(p, len, false) != LC_FENCE_OPEN)
        return NULL;
    return p[len] == '\n' ? p + len + 1 : p + len;
}

/* Finds the closing ``` line of a fence whose body starts at body. Returns
 * the start of the closing line (end of code) and sets *after; NULL if the
 * block is never closed. */
static const char *fence_end(const char *body, const char **after)
{
    const char *line = body;
    while (*line) {
        size_t len = strcspn(line, "\n");
        if (lc_extract_fence_line(line, len, true) == LC_FENCE_CLOSE) {
            *after = line[len] == '\n' ? line + len + 1 : line + len;
            return line;
        }
        if (line[len] != '\n')
            break;
        line += len + 1;
    }
    return NULL;
}

static void add_block(lc_buf *code, const char *s, size_t n, int *nblocks)
{
    /* Blocks are joined with a blank line so a trailing expression of one
     * block never glues onto the next. */
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n > 0 && (*s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    if (n == 0)
        return;
    if (code->len)
        lc_buf_puts(code, "\n\n");
    lc_buf_append(code, s, n);
    (*nblocks)++;
}

void lc_extract_code(const char *reply, lc_extracted *out)
{
    memset(out, 0, sizeof *out);
    if (!reply)
        return;
    lc_buf code = LC_BUF_INIT;
    const char *first = NULL;
    const char *p = reply;
    bool line_start = true;
    while (*p) {
        if (line_start) {
            const char *q = p;
            while (*q == ' ' || *q == '\t')
                q++;
            const char *body = python_fence(q);
            if (body) {
                if (!first)
                    first = p;
                const char *after = NULL;
                const char *end = fence_end(body, &after);
                if (!end) {
                    add_block(&code, body, strlen(body), &out->nblocks);
                    out->unclosed = true;
                    break;
                }
                add_block(&code, body, (size_t)(end - body), &out->nblocks);
                p = after;
                line_start = true;
                continue;
            }
        }
        size_t tl;
        if (lc_extract_tag(p, strnlen(p, sizeof "<code>" - 1), false, &tl) == p) {
            if (!first)
                first = p;
            const char *body = p + tl;
            const char *end = lc_extract_tag(body, strlen(body), true, &tl);
            if (!end) {
                add_block(&code, body, strlen(body), &out->nblocks);
                out->unclosed = true;
                break;
            }
            /* Models often put a fence inside the tags: take its body. */
            const char *in = body;
            while (isspace((unsigned char)*in) && in < end)
                in++;
            const char *fb = python_fence(in);
            if (!fb && strncmp(in, "```", 3) == 0 && is_blank_line_rest(in + 3))
                fb = strchr(in, '\n') ? strchr(in, '\n') + 1 : NULL;
            if (fb && fb < end) {
                const char *close = end;
                const char *k = end;
                while (k > fb && isspace((unsigned char)k[-1]))
                    k--;
                if (k - fb >= 3 && strncmp(k - 3, "```", 3) == 0)
                    close = k - 3;
                add_block(&code, fb, (size_t)(close - fb), &out->nblocks);
            } else {
                add_block(&code, body, (size_t)(end - body), &out->nblocks);
            }
            p = end + tl;
            line_start = false;
            continue;
        }
        line_start = (*p == '\n');
        p++;
    }
    if (code.len)
        out->code = lc_buf_detach(&code);
    lc_buf_free(&code);
    size_t tlen = first ? (size_t)(first - reply) : strlen(reply);
    out->thought = trimmed_dup(reply, tlen);
    /* "Thought:" is the prompt's label, not part of the thought. */
    if (out->thought && strncasecmp(out->thought, "Thought:", 8) == 0) {
        char *t = trimmed_dup(out->thought + 8, strlen(out->thought + 8));
        free(out->thought);
        out->thought = t;
    }
}

void lc_extracted_free(lc_extracted *x)
{
    if (!x)
        return;
    free(x->code);
    free(x->thought);
    memset(x, 0, sizeof *x);
}

bool lc_extract_looks_like_answer(const char *reply)
{
    if (!reply)
        return false;
    static const char *const cues[] = {"final answer", "the answer is", "answer:", "in summary",
                                       "to summarize", "in conclusion", "final_answer"};
    char low[4096];
    size_t n = strlen(reply);
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)reply[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof cues / sizeof cues[0]; i++)
        if (strstr(low, cues[i]))
            return true;
    return false;
}

/* ---- JSON-in-text tool calls -------------------------------------------- */

/* The end of the balanced JSON object or array starting at p, strings and
 * escapes respected; NULL when it never closes or when the scan would pass
 * *budget bytes (each byte looked at is taken from it). */
static const char *json_value_end(const char *p, size_t *budget)
{
    int depth = 0;
    bool in_str = false;
    for (const char *q = p; *q; q++) {
        if (*budget == 0)
            return NULL;
        (*budget)--;
        if (in_str) {
            if (*q == '\\' && q[1])
                q++;
            else if (*q == '"')
                in_str = false;
            continue;
        }
        if (*q == '"')
            in_str = true;
        else if (*q == '{' || *q == '[')
            depth++;
        else if (*q == '}' || *q == ']') {
            if (--depth == 0)
                return q + 1;
            if (depth < 0)
                return NULL;
        }
    }
    return NULL;
}

#define MAX_TEXT_CALLS 16

static bool take_call(const cJSON *o, lc_tool_call **calls, size_t *n, size_t *cap)
{
    if (!cJSON_IsObject(o) || *n >= MAX_TEXT_CALLS) /* a list counts call by call */
        return false;
    const char *name = lc_json_str(o, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(o, "arguments");
    if (!args)
        args = cJSON_GetObjectItemCaseSensitive(o, "parameters");
    if (!name || !*name)
        return false;
    char *argtext;
    if (cJSON_IsString(args)) /* some models send arguments as a JSON string */
        argtext = lc_xstrdup(args->valuestring);
    else if (args)
        argtext = lc_json_print(args);
    else
        argtext = lc_xstrdup("{}");
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *calls = lc_xrealloc(*calls, *cap * sizeof **calls);
    }
    lc_tool_call *c = &(*calls)[(*n)++];
    c->id = lc_xasprintf("call_text_%zu", *n);
    c->name = lc_xstrdup(name);
    c->arguments = argtext;
    return true;
}

size_t lc_extract_tool_calls(const char *reply, lc_tool_call **calls)
{
    *calls = NULL;
    if (!reply)
        return 0;
    size_t n = 0, cap = 0;
    const char *p = reply;
    /* Every bracket is a candidate and each is scanned to its close, so
     * nested brackets cost the square of their depth: a hostile reply of
     * 200 KB of "[[[..." took minutes. The scans share a budget linear in
     * the reply's length; past it the search stops with what it found. */
    size_t budget = 8 * strlen(reply) + ((size_t)1 << 20);
    while ((p = strpbrk(p, "{[")) != NULL && n < MAX_TEXT_CALLS) {
        const char *end = json_value_end(p, &budget);
        if (!end)
            break;
        cJSON *v = lc_json_parse(p, (size_t)(end - p));
        bool took = false;
        if (cJSON_IsArray(v)) {
            const cJSON *it;
            cJSON_ArrayForEach(it, v) took |= take_call(it, calls, &n, &cap);
        } else if (v) {
            took = take_call(v, calls, &n, &cap);
        }
        cJSON_Delete(v);
        p = took ? end : p + 1;
    }
    return n;
}

void lc_tool_calls_free(lc_tool_call *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(calls[i].id);
        free(calls[i].name);
        free(calls[i].arguments);
    }
    free(calls);
}
