/* The tool registry: built-in tools as data, the Python injected into the
 * kernel for them, their signatures for the prompt and their JSON schemas for
 * native function calling. Container helpers are Python over /workspace,
 * written in src/agent/tools/<name>.py and embedded at build time; host
 * tools are stubs over the kernel's _lc_host_tool. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define S LC_PARAM_STRING
#define I LC_PARAM_INTEGER

/* A new container tool is a row here and its src/agent/tools/<name>.py. */
static const lc_tool_def builtins[] = {
    {"search_files", "Finds files whose name matches a glob pattern (e.g. '*.py'), below path.",
     LC_TOOL_CONTAINER, "list",
     {{"pattern", S, "glob pattern for file names", NULL},
      {"path", S, "directory to search, relative to /workspace", "'.'"}},
     2},
    {"grep_code", "Searches file contents with a regular expression. Returns 'file:line: text' lines.",
     LC_TOOL_CONTAINER, "list",
     {{"pattern", S, "Python regular expression", NULL},
      {"path", S, "file or directory, relative to /workspace", "'.'"},
      {"file_glob", S, "only files whose name matches this glob", "'*'"},
      {"max_results", I, "stop after this many matches", "100"}},
     4},
    {"analyze_file", "Summarizes a file: size, line count, language, imports and top-level definitions.",
     LC_TOOL_CONTAINER, "dict", {{"path", S, "file relative to /workspace", NULL}}, 1},
    {"run_bash_command", "Runs a shell command in /workspace and returns its exit status and output.",
     LC_TOOL_CONTAINER, "str",
     {{"command", S, "the command line", NULL}, {"timeout", I, "seconds before it is killed", "60"}}, 2},
    {"find_pattern",
     "Finds every match of a regular expression with its file, line, column and surrounding lines.",
     LC_TOOL_CONTAINER, "list",
     {{"pattern", S, "Python regular expression", NULL},
      {"path", S, "file or directory, relative to /workspace", "'.'"},
      {"file_glob", S, "only files whose name matches this glob", "'*'"},
      {"context", I, "lines of context around each match", "2"}},
     4},
    {"verify_compilation",
     "Checks that source files still compile (Python with compile(), C and C++ with the compiler's "
     "-fsyntax-only when one is installed). Returns a report; 'OK' at its start when all passed.",
     LC_TOOL_CONTAINER, "str", {{"path", S, "file or directory, relative to /workspace", "'.'"}}, 1},
    {"run_tests",
     "Runs the project's tests (the given command, or pytest / make test / npm test when found) and "
     "returns the exit status and the output's head and tail.",
     LC_TOOL_CONTAINER, "str",
     {{"command", S, "test command; empty: detect it", "''"},
      {"timeout", I, "seconds before it is killed", "600"}},
     2},
    {"ask_user", "Asks the user a question and waits for the answer. Use it when the task is ambiguous.",
     LC_TOOL_HOST, "str", {{"question", S, "the question", NULL}}, 1},
    {"preview_changes",
     "Returns a summary of the files changed in the workspace so far (what the user will review).",
     LC_TOOL_HOST, "str", {{0}}, 0},
    {"llm_query", "Asks the language model a self-contained question and returns its answer as text.",
     LC_TOOL_HOST, "str", {{"prompt", S, "the whole question, with any text it needs", NULL}}, 1},
    {"generate_replacement",
     "Asks the language model to rewrite a piece of code following an instruction; returns only the "
     "new code.",
     LC_TOOL_HOST, "str",
     {{"code", S, "the code to rewrite", NULL}, {"instruction", S, "what to change", NULL}}, 2},
    {"summarize_findings", "Asks the language model for a short, structured summary of findings.",
     LC_TOOL_HOST, "str", {{"findings", S, "the raw findings", NULL}}, 1},
};

#undef S
#undef I

/* The container tools' Python, one src/agent/tools/<name>.py per tool plus
 * _prelude.py, the helpers they share (litecode's own code, run through the
 * kernel's define op: imports unrestricted, public names exported). Embedded
 * at build time by cmake/embed_dir.cmake. */
extern const char *const lc_tool_sources_names[];
extern const char *const lc_tool_sources_texts[];
extern const size_t lc_tool_sources_count;

static const char *tool_source(const char *name)
{
    for (size_t i = 0; i < lc_tool_sources_count; i++)
        if (!strcmp(lc_tool_sources_names[i], name))
            return lc_tool_sources_texts[i];
    return NULL;
}

/* A tool's file is its whole function, `def name(...) -> type:` and the body,
 * so it reads (and lints) as Python; the row above says the same signature
 * and adds the docstring, which goes in after the def line. */
static const char *helper_body(const char *name)
{
    const char *src = tool_source(name);
    const char *nl = src ? strchr(src, '\n') : NULL;
    return nl ? nl + 1 : NULL;
}

const char *lc_tool_python_source(const char *name)
{
    return name ? tool_source(name) : NULL;
}

const lc_tool_def *lc_tool_builtins(size_t *n)
{
    *n = sizeof builtins / sizeof builtins[0];
    return builtins;
}

const lc_tool_def *lc_tool_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name))
            return &builtins[i];
    return NULL;
}

static const char *py_type(lc_param_type t)
{
    return t == LC_PARAM_INTEGER ? "int" : t == LC_PARAM_BOOLEAN ? "bool" : "str";
}

static const char *json_type(lc_param_type t)
{
    return t == LC_PARAM_INTEGER ? "integer" : t == LC_PARAM_BOOLEAN ? "boolean" : "string";
}

static void put_signature(lc_buf *b, const lc_tool_def *t)
{
    lc_buf_printf(b, "def %s(", t->name);
    for (size_t i = 0; i < t->nparams; i++) {
        const lc_tool_param *p = &t->params[i];
        lc_buf_printf(b, "%s%s: %s", i ? ", " : "", p->name, py_type(p->type));
        if (p->dflt)
            lc_buf_printf(b, " = %s", p->dflt);
    }
    lc_buf_printf(b, ") -> %s:\n", t->returns);
}

static void put_docstring(lc_buf *b, const lc_tool_def *t)
{
    lc_buf_printf(b, "    \"\"\"%s\n", t->description);
    if (t->nparams) {
        lc_buf_puts(b, "\n    Args:\n");
        for (size_t i = 0; i < t->nparams; i++)
            lc_buf_printf(b, "        %s: %s\n", t->params[i].name, t->params[i].description);
    }
    lc_buf_puts(b, "    \"\"\"\n");
}

struct lc_toolset {
    const lc_tool_def **defs;
    size_t n;
    lc_strv files;       /* user tool file paths */
    lc_strv file_defs;   /* "def name(...)" lines found in user files */
    char *python;
    char *signatures;
    lc_tool_schema *schemas;
    lc_strv schema_text; /* owns the schemas' JSON */
    size_t nschemas;
};

static const char *const default_tools[] = {"search_files", "grep_code", "analyze_file"};

#define USER_TOOL_MAX (256 * 1024)

static void scan_user_defs(lc_toolset *ts, const char *src)
{
    const char *p = src;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l > 4 && !strncmp(p, "def ", 4) && p[4] != '_' && l < 300) {
            /* Untrusted file text: keep it printable. */
            lc_buf line = LC_BUF_INIT;
            lc_text_sanitize(p, l, 0, &line);
            lc_strv_push(&ts->file_defs, lc_buf_cstr(&line));
            lc_buf_free(&line);
        }
        p = nl ? nl + 1 : NULL;
    }
}

static void add_schema(lc_toolset *ts, size_t *cap, const char *name, const char *desc, cJSON *params)
{
    if (ts->nschemas == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        ts->schemas = lc_xrealloc(ts->schemas, *cap * sizeof *ts->schemas);
    }
    char *json = lc_json_print(params);
    cJSON_Delete(params);
    lc_strv_push_owned(&ts->schema_text, json);
    ts->schemas[ts->nschemas++] = (lc_tool_schema){name, desc, json};
}

static cJSON *schema_object(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "object");
    cJSON_AddObjectToObject(o, "properties");
    cJSON_AddArrayToObject(o, "required");
    return o;
}

static void schema_prop(cJSON *o, const char *name, const char *type, const char *desc, bool required)
{
    cJSON *p = cJSON_AddObjectToObject(cJSON_GetObjectItem(o, "properties"), name);
    cJSON_AddStringToObject(p, "type", type);
    cJSON_AddStringToObject(p, "description", desc);
    if (required)
        cJSON_AddItemToArray(cJSON_GetObjectItem(o, "required"), cJSON_CreateString(name));
}

static void build_outputs(lc_toolset *ts, const lc_strv *srcs)
{
    lc_buf py = LC_BUF_INIT, sig = LC_BUF_INIT;
    bool any_container = false;
    for (size_t i = 0; i < ts->n; i++)
        any_container |= ts->defs[i]->where == LC_TOOL_CONTAINER;
    if (any_container)
        lc_buf_puts(&py, tool_source("_prelude"));
    for (size_t i = 0; i < ts->n; i++) {
        const lc_tool_def *t = ts->defs[i];
        lc_buf_puts(&py, "\n");
        put_signature(&py, t);
        put_docstring(&py, t);
        if (t->where == LC_TOOL_CONTAINER) {
            const char *body = helper_body(t->name);
            lc_buf_puts(&py, body ? body : "    raise NotImplementedError('litecode was built without this tool')\n");
        } else {
            lc_buf_printf(&py, "    return _lc_host_tool('%s'", t->name);
            for (size_t k = 0; k < t->nparams; k++)
                lc_buf_printf(&py, ", %s=%s", t->params[k].name, t->params[k].name);
            lc_buf_puts(&py, ")\n");
        }
        put_signature(&sig, t);
        put_docstring(&sig, t);
        lc_buf_puts(&sig, "\n");
    }
    for (size_t i = 0; i < ts->files.n; i++) {
        lc_buf_printf(&py, "\n# ---- user tools from %s ----\n", ts->files.v[i]);
        lc_buf_puts(&py, srcs->v[i]);
        lc_buf_puts(&py, "\n");
    }
    if (ts->file_defs.n) {
        lc_buf_puts(&sig, "# User tools (see their docstrings with help(name)):\n");
        for (size_t i = 0; i < ts->file_defs.n; i++)
            lc_buf_printf(&sig, "%s\n", ts->file_defs.v[i]);
    }
    ts->python = lc_buf_detach(&py);
    ts->signatures = lc_buf_detach(&sig);

    size_t cap = 0;
    cJSON *o = schema_object();
    schema_prop(o, "code", "string", "Python code to run in the sandbox; state persists between calls",
                true);
    add_schema(ts, &cap, "python_executor",
               "Runs Python code in the sandbox (the project is at /workspace) and returns its output "
               "and the value of its last expression.",
               o);
    for (size_t i = 0; i < ts->n; i++) {
        const lc_tool_def *t = ts->defs[i];
        o = schema_object();
        for (size_t k = 0; k < t->nparams; k++)
            schema_prop(o, t->params[k].name, json_type(t->params[k].type), t->params[k].description,
                        t->params[k].dflt == NULL);
        add_schema(ts, &cap, t->name, t->description, o);
    }
    o = schema_object();
    schema_prop(o, "answer", "string", "the final answer to the task", true);
    add_schema(ts, &cap, "final_answer", "Ends the task with this answer.", o);
}

int lc_toolset_new(const lc_strv *names, const lc_strv *files, lc_toolset **out, lc_err *err)
{
    *out = NULL;
    lc_toolset *ts = lc_xcalloc(1, sizeof *ts);
    size_t nn = names && names->n ? names->n : sizeof default_tools / sizeof default_tools[0];
    ts->defs = lc_xcalloc(nn ? nn : 1, sizeof *ts->defs);
    lc_strv srcs = LC_STRV_INIT;
    int rc = LC_OK;
    for (size_t i = 0; i < nn; i++) {
        const char *name = names && names->n ? names->v[i] : default_tools[i];
        if (!strcmp(name, "final_answer"))
            continue; /* always there: built into the kernel */
        const lc_tool_def *d = lc_tool_find(name);
        if (!d) {
            lc_buf known = LC_BUF_INIT;
            for (size_t k = 0; k < sizeof builtins / sizeof builtins[0]; k++)
                lc_buf_printf(&known, "%s%s", k ? ", " : "", builtins[k].name);
            lc_buf safe = LC_BUF_INIT;
            lc_text_sanitize(name, strlen(name), 0, &safe);
            rc = lc_err_set(err, LC_EINVAL, "unknown tool '%.100s'; known tools: %s", lc_buf_cstr(&safe),
                            lc_buf_cstr(&known));
            lc_buf_free(&safe);
            lc_buf_free(&known);
            goto fail;
        }
        bool dup = false;
        for (size_t k = 0; k < ts->n; k++)
            dup |= ts->defs[k] == d;
        if (!dup)
            ts->defs[ts->n++] = d;
    }
    for (size_t i = 0; files && i < files->n; i++) {
        lc_buf src = LC_BUF_INIT;
        rc = lc_file_read(files->v[i], USER_TOOL_MAX, &src, err);
        if (rc != LC_OK) {
            lc_buf_free(&src);
            lc_err_prefix(err, "reading user tool file %s (named in the config's tools)", files->v[i]);
            goto fail;
        }
        scan_user_defs(ts, lc_buf_cstr(&src));
        lc_strv_push(&srcs, lc_buf_cstr(&src));
        lc_strv_push(&ts->files, files->v[i]);
        lc_buf_free(&src);
    }
    build_outputs(ts, &srcs);
    lc_strv_free(&srcs);
    *out = ts;
    return LC_OK;
fail:
    lc_strv_free(&srcs);
    lc_toolset_free(ts);
    return rc;
}

void lc_toolset_free(lc_toolset *ts)
{
    if (!ts)
        return;
    free(ts->defs);
    lc_strv_free(&ts->files);
    lc_strv_free(&ts->file_defs);
    free(ts->python);
    free(ts->signatures);
    free(ts->schemas);
    lc_strv_free(&ts->schema_text);
    free(ts);
}

size_t lc_toolset_count(const lc_toolset *ts) { return ts->n; }
const lc_tool_def *lc_toolset_get(const lc_toolset *ts, size_t i) { return i < ts->n ? ts->defs[i] : NULL; }

bool lc_toolset_has(const lc_toolset *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (!strcmp(ts->defs[i]->name, name))
            return true;
    return false;
}

void lc_toolset_add_extra(lc_toolset *ts, const char *python, const char *signatures, const lc_tool_schema *schemas,
                          size_t n)
{
    char *py = lc_xasprintf("%s%s", ts->python ? ts->python : "", python ? python : "");
    free(ts->python);
    ts->python = py;
    char *sig = lc_xasprintf("%s%s", ts->signatures ? ts->signatures : "", signatures ? signatures : "");
    free(ts->signatures);
    ts->signatures = sig;
    if (!n)
        return;
    /* final_answer stays last. */
    lc_tool_schema last = ts->schemas[ts->nschemas - 1];
    ts->schemas = lc_xrealloc(ts->schemas, (ts->nschemas + n) * sizeof *ts->schemas);
    for (size_t i = 0; i < n; i++) {
        lc_strv_push(&ts->schema_text, schemas[i].name);
        const char *name = ts->schema_text.v[ts->schema_text.n - 1];
        lc_strv_push(&ts->schema_text, schemas[i].description);
        const char *desc = ts->schema_text.v[ts->schema_text.n - 1];
        lc_strv_push(&ts->schema_text, schemas[i].parameters_json);
        ts->schemas[ts->nschemas - 1 + i] = (lc_tool_schema){name, desc, ts->schema_text.v[ts->schema_text.n - 1]};
    }
    ts->nschemas += n;
    ts->schemas[ts->nschemas - 1] = last;
}

const char *lc_toolset_python(const lc_toolset *ts) { return ts->python; }
const char *lc_toolset_signatures(const lc_toolset *ts) { return ts->signatures; }

const lc_tool_schema *lc_toolset_schemas(const lc_toolset *ts, size_t *n)
{
    *n = ts->nschemas;
    return ts->schemas;
}

/* ---- a tool call as Python ------------------------------------------------ */

static bool is_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

/* JSON text of a string is a valid Python string literal (cJSON escapes
 * quotes, backslashes and control characters). */
static void put_py_literal(lc_buf *b, const cJSON *v)
{
    if (cJSON_IsString(v) || cJSON_IsNumber(v)) {
        char *t = lc_json_print(v);
        lc_buf_puts(b, t);
        free(t);
    } else if (cJSON_IsTrue(v)) {
        lc_buf_puts(b, "True");
    } else if (cJSON_IsFalse(v)) {
        lc_buf_puts(b, "False");
    } else if (cJSON_IsArray(v)) {
        lc_buf_putc(b, '[');
        const cJSON *it;
        bool first = true;
        cJSON_ArrayForEach(it, v)
        {
            if (!first)
                lc_buf_puts(b, ", ");
            first = false;
            put_py_literal(b, it);
        }
        lc_buf_putc(b, ']');
    } else if (cJSON_IsObject(v)) {
        lc_buf_putc(b, '{');
        const cJSON *it;
        bool first = true;
        cJSON_ArrayForEach(it, v)
        {
            if (!first)
                lc_buf_puts(b, ", ");
            first = false;
            cJSON *k = cJSON_CreateString(it->string);
            put_py_literal(b, k);
            cJSON_Delete(k);
            lc_buf_puts(b, ": ");
            put_py_literal(b, it);
        }
        lc_buf_putc(b, '}');
    } else {
        lc_buf_puts(b, "None");
    }
}

int lc_tool_call_python(const char *name, const char *args_json, char **code, lc_err *err)
{
    *code = NULL;
    if (!is_identifier(name))
        return lc_err_set(err, LC_EINVAL, "the tool name is not a Python identifier");
    cJSON *args = lc_json_parse(args_json && *args_json ? args_json : "{}",
                                args_json && *args_json ? strlen(args_json) : 2);
    if (!cJSON_IsObject(args)) {
        cJSON_Delete(args);
        return lc_err_set(err, LC_EINVAL,
                          "the arguments of %s are not a JSON object; send them as {\"name\": value}",
                          name);
    }
    lc_buf b = LC_BUF_INIT;
    lc_buf_printf(&b, "%s(", name);
    const cJSON *it;
    bool first = true;
    cJSON_ArrayForEach(it, args)
    {
        if (!is_identifier(it->string)) {
            lc_buf_free(&b);
            cJSON_Delete(args);
            return lc_err_set(err, LC_EINVAL, "argument names of %s must be Python identifiers", name);
        }
        lc_buf_printf(&b, "%s%s=", first ? "" : ", ", it->string);
        first = false;
        put_py_literal(&b, it);
    }
    lc_buf_puts(&b, ")");
    cJSON_Delete(args);
    *code = lc_buf_detach(&b);
    return LC_OK;
}
