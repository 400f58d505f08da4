/* The user's MCP servers as the agent's tools: started with the first system
 * prompt, their tools become Python functions in the sandbox (stubs over the
 * kernel's tool channel), tools for native calling, and lines of the prompt.
 * A call is a host action: approved like a step, logged with its result. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

#define MAX_NAMED_PARAMS 40
#define ERROR_TEXT_MAX 2000

static const char mcp_prelude[] =
    "\n# ---- tools of the user's MCP servers: each call asks the host ----\n"
    "class MCPError(RuntimeError):\n"
    "    \"\"\"An MCP tool failed: the server's error, a call the user declined, or a server\n"
    "    that died or hung.\"\"\"\n"
    "_lc_unset = object()\n"
    "def _lc_mcp(_name, _args):\n"
    "    try:\n"
    "        return _lc_host_tool(_name, arguments={k: v for k, v in _args.items() if v is not _lc_unset})\n"
    "    except RuntimeError as e:\n"
    "        raise MCPError(str(e)) from None\n";

static bool is_identifier(const char *s)
{
    static const char *const kw[] = {"False", "None", "True", "and", "as", "assert", "async", "await", "break",
                                     "class", "continue", "def", "del", "elif", "else", "except", "finally",
                                     "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
                                     "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"};
    if (!s || !(isalpha((unsigned char)*s) || *s == '_') || strlen(s) > 64 || s[0] == '_')
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (!strcmp(s, kw[i]))
            return false;
    return true;
}

static const char *py_type(const cJSON *prop)
{
    const char *t = lc_json_str(prop, "type");
    if (!t)
        return NULL;
    return !strcmp(t, "string")    ? "str"
           : !strcmp(t, "integer") ? "int"
           : !strcmp(t, "number")  ? "float"
           : !strcmp(t, "boolean") ? "bool"
           : !strcmp(t, "array")   ? "list"
           : !strcmp(t, "object")  ? "dict"
                                   : NULL;
}

static bool is_required(const cJSON *schema, const char *name)
{
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required"), *it;
    cJSON_ArrayForEach(it, req)
    {
        if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
            return true;
    }
    return false;
}

/* One line of untrusted text, safe inside a Python docstring and a prompt. */
static void put_doc_text(lc_buf *b, const char *s, size_t max)
{
    lc_buf safe = LC_BUF_INIT;
    size_t n = s ? strnlen(s, max + 1) : 0;
    lc_text_sanitize(s ? s : "", n > max ? max : n, 0, &safe);
    for (const char *p = lc_buf_cstr(&safe); *p; p++) {
        if (*p == '\\')
            lc_buf_puts(b, "\\\\");
        else if (*p == '"' && p[1] == '"')
            lc_buf_puts(b, "\\\"");
        else
            lc_buf_putc(b, *p);
    }
    if (n > max)
        lc_buf_puts(b, "...");
    lc_buf_free(&safe);
}

/* def line (without the trailing ":") for the prompt and the code. */
static void put_def(lc_buf *code, lc_buf *sig, lc_buf *doc, lc_buf *call, const lc_mcp_tool *t)
{
    cJSON *schema = lc_json_parse(t->schema_json, strlen(t->schema_json));
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties"), *p;
    bool named = cJSON_IsObject(props) || !props;
    size_t count = 0;
    cJSON_ArrayForEach(p, props)
    {
        named &= is_identifier(p->string);
        count++;
    }
    named &= count <= MAX_NAMED_PARAMS;
    lc_buf_printf(code, "def %s(", t->pyname);
    lc_buf_printf(sig, "def %s(", t->pyname);
    lc_buf_puts(call, "{");
    if (named && count) {
        lc_buf_puts(code, "*");
        lc_buf_puts(sig, "*");
        /* Required ones first: a keyword-only list may mix them, but the
         * model reads it better this way. */
        for (int pass = 0; pass < 2; pass++) {
            cJSON_ArrayForEach(p, props)
            {
                bool req = is_required(schema, p->string);
                if (req != (pass == 0))
                    continue;
                const char *ty = py_type(p);
                lc_buf_printf(code, ", %s", p->string);
                lc_buf_printf(sig, ", %s", p->string);
                if (ty) {
                    lc_buf_printf(code, ": %s", ty);
                    lc_buf_printf(sig, ": %s", ty);
                }
                if (!req) {
                    lc_buf_puts(code, " = _lc_unset");
                    lc_buf_puts(sig, " = <optional>");
                }
                lc_buf_printf(call, "'%s': %s, ", p->string, p->string);
            }
        }
    } else if (count) {
        /* Names Python cannot take as parameters: any keywords go through. */
        lc_buf_puts(code, "**arguments");
        lc_buf_puts(sig, "**arguments");
    }
    lc_buf_puts(call, "}");
    if (!named && count) {
        lc_buf_reset(call);
        lc_buf_puts(call, "arguments");
    }
    lc_buf_puts(code, ") -> str");
    lc_buf_puts(sig, ") -> str");

    lc_buf_puts(doc, "    \"\"\"");
    put_doc_text(doc, t->description && *t->description ? t->description : "(no description)", 2000);
    lc_buf_puts(doc, "\n    (tool ");
    put_doc_text(doc, t->name, 128);
    lc_buf_printf(doc, " of MCP server %s)\n", t->server);
    if (count) {
        lc_buf_puts(doc, "\n    Args:\n");
        cJSON_ArrayForEach(p, props)
        {
            lc_buf_puts(doc, "        ");
            put_doc_text(doc, p->string, 64);
            const char *ty = lc_json_str(p, "type");
            lc_buf_printf(doc, " (%s%s): ", ty ? ty : "any", is_required(schema, p->string) ? ", required" : "");
            put_doc_text(doc, lc_json_str(p, "description"), 300);
            lc_buf_puts(doc, "\n");
        }
    }
    lc_buf_puts(doc, "    \"\"\"\n");
    cJSON_Delete(schema);
}

void agent_mcp_start(lc_agent *a)
{
    if (!a->mcp || a->mcp_started)
        return;
    a->mcp_started = true;
    /* A server's token must not reach the log even if a tool echoes it. */
    for (size_t i = 0; i < a->cfg->mcp.n; i++) {
        const lc_strv *env = &a->cfg->mcp.v[i].env;
        for (size_t k = 0; k < env->n; k++) {
            const char *eq = strchr(env->v[k], '=');
            char *name = lc_xstrndup(env->v[k], eq ? (size_t)(eq - env->v[k]) : 0);
            for (char *p = name; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            if (eq && (strstr(name, "KEY") || strstr(name, "TOKEN") || strstr(name, "SECRET") || strstr(name, "PASSWORD")))
                lc_log_add_secret(a->log, eq + 1);
            free(name);
        }
    }
    lc_strv problems = LC_STRV_INIT;
    size_t n = lc_mcp_start_all(a->mcp, &problems);
    for (size_t i = 0; i < problems.n; i++) {
        char *m = lc_xasprintf("MCP: %s", problems.v[i]);
        agent_emit_text(a, LC_EV_INFO, m);
        free(m);
    }
    lc_strv_free(&problems);
    if (!n)
        return;
    lc_buf code = LC_BUF_INIT, sig = LC_BUF_INIT;
    lc_tool_schema *schemas = lc_xcalloc(n, sizeof *schemas);
    lc_strv descs = LC_STRV_INIT;
    lc_buf_puts(&code, mcp_prelude);
    lc_buf_puts(&sig, "# Tools of the user's MCP servers. They run on the user's machine: the user approves each "
                      "call.\n# A failure raises MCPError with the server's message.\n");
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const lc_mcp_tool *t = lc_mcp_tool_at(a->mcp, i);
        lc_buf def = LC_BUF_INIT, s = LC_BUF_INIT, doc = LC_BUF_INIT, call = LC_BUF_INIT;
        put_def(&def, &s, &doc, &call, t);
        lc_buf_printf(&code, "\n%s:\n%s    return _lc_mcp('%s', %s)\n", lc_buf_cstr(&def), lc_buf_cstr(&doc), t->pyname,
                      lc_buf_cstr(&call));
        lc_buf_printf(&sig, "%s:\n%s\n", lc_buf_cstr(&s), lc_buf_cstr(&doc));
        lc_strv_pushf(&descs, "%s (tool %s of the user's MCP server %s; the user approves each call)",
                      t->description && *t->description ? t->description : "No description.", t->name, t->server);
        schemas[i] = (lc_tool_schema){t->pyname, descs.v[i], t->schema_json};
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "server", t->server);
        cJSON_AddStringToObject(o, "tool", t->name);
        cJSON_AddStringToObject(o, "function", t->pyname);
        cJSON_AddItemToArray(list, o);
        lc_buf_free(&def);
        lc_buf_free(&s);
        lc_buf_free(&doc);
        lc_buf_free(&call);
    }
    lc_toolset_add_extra(a->tools, lc_buf_cstr(&code), lc_buf_cstr(&sig), schemas, n);
    lc_event tev = {.kind = LC_EV_MCP_TOOLS, .step = a->step, .max_steps = a->step_limit, .tools = list};
    agent_emit(a, &tev);
    cJSON_Delete(list);
    char *m = lc_xasprintf("MCP: %zu tool%s from %zu server%s", n, n == 1 ? "" : "s", lc_mcp_server_count(a->mcp),
                           lc_mcp_server_count(a->mcp) == 1 ? "" : "s");
    agent_emit_text(a, LC_EV_INFO, m);
    free(m);
    free(schemas);
    lc_strv_free(&descs);
    lc_buf_free(&code);
    lc_buf_free(&sig);
}

bool agent_mcp_has(const lc_agent *a, const char *name)
{
    return a->mcp && lc_mcp_tool_find(a->mcp, name) != NULL;
}

/* The call's result or failure, on record and for the front end. */
static void log_call(lc_agent *a, const lc_mcp_tool *t, const char *argtext, int rc, const char *text,
                     const char *error)
{
    lc_event ev = {.kind = LC_EV_TOOL_CALL, .step = a->step, .max_steps = a->step_limit, .text = t->pyname,
                   .len = strlen(t->pyname), .detail = argtext, .code = rc == LC_OK ? LC_OK : LC_EIO,
                   .answer = rc == LC_OK ? (text ? text : "") : (error ? error : ""), .mcp_server = t->server,
                   .mcp_tool = t->name};
    agent_emit(a, &ev);
}

int agent_mcp_tool(lc_agent *a, const char *name, const cJSON *args, cJSON **result, lc_err *err)
{
    *result = NULL;
    const lc_mcp_tool *t = a->mcp ? lc_mcp_tool_find(a->mcp, name) : NULL;
    if (!t)
        return lc_err_set(err, LC_ENOTFOUND, "no MCP tool named '%.80s'", name);
    if (args && !cJSON_IsObject(args))
        return lc_err_set(err, LC_EINVAL, "the arguments of %s must be an object of name: value", t->pyname);
    char *argtext = args ? lc_json_print(args) : lc_xstrdup("{}");
    char *label = lc_xasprintf("MCP %s: %s", t->server, t->name);
    lc_action act = {.kind = LC_ACTION_TOOL, .step = a->step, .tool_name = label, .tool_args = argtext,
                     .mcp_server = t->server, .mcp_tool = t->name, .mcp_function = t->pyname};
    lc_decision d = agent_approve(a, &act);
    free(label);
    int rc = LC_OK;
    char *text = NULL;
    bool is_error = false;
    if (d.kind == LC_DECIDE_RUN_EDITED) {
        /* An edit of a call is its arguments as JSON. */
        cJSON *edited = d.text ? lc_json_parse(d.text, strlen(d.text)) : NULL;
        if (cJSON_IsObject(edited)) {
            free(argtext);
            argtext = lc_json_print(edited);
            d.kind = LC_DECIDE_RUN;
        } else {
            free(d.text);
            d = (lc_decision){.kind = LC_DECIDE_DECLINE,
                              .text = lc_xstrdup("the edited arguments were not a JSON object, so the call did not run")};
        }
        cJSON_Delete(edited);
    }
    switch (d.kind) {
    case LC_DECIDE_STOP:
        atomic_store(&a->stop, true);
        rc = lc_err_set(err, LC_ECANCEL, "the user stopped the session before %s ran", t->pyname);
        break;
    case LC_DECIDE_DECLINE:
        rc = lc_err_set(err, LC_ECANCEL, "the user declined this call of %s (MCP server %s), so it did not run. "
                        "Their reason: %.800s", t->pyname, t->server, d.text && *d.text ? d.text : "(none given)");
        break;
    default:
        if ((rc = agent_log_check(a, err)) != LC_OK)
            break;
        rc = lc_mcp_call(a->mcp, t, argtext, &text, &is_error, err);
        if (rc == LC_OK && is_error) {
            lc_buf msg = LC_BUF_INIT;
            lc_text_head_tail(text, strlen(text), ERROR_TEXT_MAX, ERROR_TEXT_MAX / 2, &msg);
            rc = lc_err_set(err, LC_ESERVER, "MCP server %s: tool %s reported an error: %s", t->server, t->pyname,
                            lc_buf_cstr(&msg));
            lc_buf_free(&msg);
        }
        break;
    }
    free(d.text);
    log_call(a, t, argtext, rc, text, rc == LC_OK ? NULL : err->msg);
    if (rc == LC_OK)
        *result = cJSON_CreateString(text);
    free(text);
    free(argtext);
    return rc;
}
