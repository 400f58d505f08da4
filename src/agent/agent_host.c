/* Host tools: what the kernel's _lc_host_tool stubs (and the tool-calling
 * agent) ask the host for: the user (ask_user), the workspace (preview_changes)
 * and the model itself (llm_query and the tools built on it). */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

#define SUBQUERY_MAX (200 * 1024)

static int subquery(lc_agent *a, const char *prompt, char **answer, lc_err *err)
{
    *answer = NULL;
    if (strlen(prompt) > SUBQUERY_MAX)
        return lc_err_set(err, LC_EINVAL, "the prompt is longer than %d bytes; shorten it", SUBQUERY_MAX);
    lc_msg m = {.role = LC_ROLE_USER, .content = (char *)prompt};
    lc_llm_reply r = {0};
    int rc = agent_ask_messages(a, &m, 1, 0, false, LC_REQ_SUBQUERY, false, &r, err);
    if (rc != LC_OK)
        return rc;
    *answer = r.content;
    r.content = NULL;
    lc_llm_reply_free(&r);
    return LC_OK;
}

/* The body of the first fenced block, or the whole text. */
static char *strip_fence(char *text)
{
    char *open = strstr(text, "```");
    if (!open)
        return text;
    char *body = strchr(open, '\n');
    if (!body)
        return text;
    body++;
    char *close = strstr(body, "```");
    char *out = lc_xstrndup(body, close ? (size_t)(close - body) : strlen(body));
    free(text);
    return out;
}

int agent_host_tool(lc_agent *a, const char *name, const cJSON *args, cJSON **result, lc_err *err)
{
    *result = NULL;
    if (agent_mcp_has(a, name))
        return agent_mcp_tool(a, name, args, result, err);
    if (!lc_toolset_has(a->tools, name))
        return lc_err_set(err, LC_ENOTFOUND, "no host tool named '%.80s' is enabled for this agent", name);
    const char *s1 = NULL, *s2 = NULL;
    char *text = NULL;
    int rc = LC_OK;
    if (!strcmp(name, "ask_user")) {
        if (!(s1 = lc_json_str(args, "question")))
            return lc_err_set(err, LC_EINVAL, "ask_user needs question (a string)");
        text = a->obs.ask_user ? a->obs.ask_user(a->obs.ctx, s1) : NULL;
        if (!text)
            rc = lc_err_set(err, LC_ECANCEL, "the user did not answer; go on with what you know");
    } else if (!strcmp(name, "preview_changes")) {
        text = a->ws.changes_summary ? a->ws.changes_summary(a->ws.ctx) : NULL;
        if (!text)
            text = lc_xstrdup("No files changed in /workspace yet.");
    } else if (!strcmp(name, "llm_query")) {
        if (!(s1 = lc_json_str(args, "prompt")))
            return lc_err_set(err, LC_EINVAL, "llm_query needs prompt (a string)");
        rc = subquery(a, s1, &text, err);
    } else if (!strcmp(name, "generate_replacement")) {
        s1 = lc_json_str(args, "code");
        s2 = lc_json_str(args, "instruction");
        if (!s1 || !s2)
            return lc_err_set(err, LC_EINVAL, "generate_replacement needs code and instruction (strings)");
        char *p = lc_xasprintf("Rewrite the code below as the instruction says. Reply with only the "
                               "new code in one fenced block, no explanation.\n\nInstruction: %s\n\n"
                               "Code:\n```\n%s\n```\n",
                               s2, s1);
        rc = subquery(a, p, &text, err);
        free(p);
        if (rc == LC_OK)
            text = strip_fence(text);
    } else if (!strcmp(name, "summarize_findings")) {
        if (!(s1 = lc_json_str(args, "findings")))
            return lc_err_set(err, LC_EINVAL, "summarize_findings needs findings (a string)");
        char *p = lc_xasprintf("Summarize these findings about a codebase for a developer: short, "
                               "structured, with file paths and line numbers kept.\n\n%s\n",
                               s1);
        rc = subquery(a, p, &text, err);
        free(p);
    } else {
        return lc_err_set(err, LC_ENOTFOUND, "'%.80s' is not a host tool", name);
    }
    char *argtext = args ? lc_json_print(args) : lc_xstrdup("{}");
    lc_event ev = {.kind = LC_EV_TOOL_CALL, .step = a->step, .max_steps = a->step_limit, .text = name,
                   .len = strlen(name), .detail = argtext, .code = rc, .answer = rc == LC_OK ? text : err->msg};
    agent_emit(a, &ev);
    free(argtext);
    if (rc == LC_OK)
        *result = cJSON_CreateString(text);
    free(text);
    return rc;
}

