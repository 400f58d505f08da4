/* YAML files into lc_config. libyaml's event parser builds a small bounded
 * tree (aliases refused, depth and size capped: the file may be hostile),
 * then the tree is checked against the key table. Security rules are looked
 * at before anything else in the file, so a refused setting is reported
 * even when the file has other mistakes too. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config.h"

#define FILE_MAX (1024 * 1024)
#define DEPTH_MAX 16
#define NODES_MAX 20000

static const char *const sections[] = {"model", "agent", "container", "tools", "security", "approval", "ui"};
#define N_SECTIONS (sizeof sections / sizeof sections[0])

typedef enum ykind { Y_SCALAR, Y_SEQ, Y_MAP } ykind;

typedef struct ynode {
    ykind kind;
    char *text;  /* scalars */
    bool plain;  /* unquoted scalar: may be null */
    int line, col;
    struct ynode **kid; /* maps: key, value, key, value... */
    size_t n, cap;
} ynode;

typedef struct yparse {
    yaml_parser_t parser;
    const char *path;
    const char *data; /* the file's text, for hints on syntax errors */
    size_t len;
    size_t nodes;
    lc_err *err;
} yparse;

static void ynode_free(ynode *y)
{
    if (!y)
        return;
    for (size_t i = 0; i < y->n; i++)
        ynode_free(y->kid[i]);
    free(y->kid);
    free(y->text);
    free(y);
}

static void ynode_push(ynode *y, ynode *kid)
{
    if (y->n == y->cap) {
        y->cap = y->cap ? y->cap * 2 : 8;
        y->kid = lc_xrealloc(y->kid, y->cap * sizeof *y->kid);
    }
    y->kid[y->n++] = kid;
}

static bool is_null(const ynode *y)
{
    return y->kind == Y_SCALAR && y->plain &&
           (!y->text[0] || strcmp(y->text, "null") == 0 || strcmp(y->text, "~") == 0 ||
            strcmp(y->text, "Null") == 0 || strcmp(y->text, "NULL") == 0);
}

/* "FILE:LINE:COL: what[more]" */
static int at(yparse *y, int line, int col, int code, const char *what, const char *more)
{
    return lc_err_set(y->err, code, "%s:%d:%d: %s%s", y->path, line, col, what, more ? more : "");
}

static int next_event(yparse *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->parser, ev))
        return LC_OK;
    const yaml_parser_t *p = &y->parser;
    bool tab = p->problem_mark.index < y->len && y->data[p->problem_mark.index] == '\t';
    return lc_err_set(y->err, LC_EINVAL, "%s:%zu:%zu: not valid YAML: %s%s%s%s", y->path,
                      p->problem_mark.line + 1, p->problem_mark.column + 1,
                      p->problem ? p->problem : "syntax error", p->context ? " " : "",
                      p->context ? p->context : "", tab ? "; YAML indents with spaces, not tabs" : "");
}

/* ev is the node's first event; it is consumed. */
static int parse_node(yparse *y, yaml_event_t *ev, int depth, ynode **out)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    *out = NULL;
    if (depth > DEPTH_MAX || ++y->nodes > NODES_MAX) {
        yaml_event_delete(ev);
        return at(y, line, col, LC_EINVAL, "the file is nested too deeply or too large for a configuration", NULL);
    }
    if (ev->type == YAML_ALIAS_EVENT) {
        yaml_event_delete(ev);
        return at(y, line, col, LC_EINVAL, "aliases (*name) are not supported; write the value out", NULL);
    }
    ynode *node = lc_xcalloc(1, sizeof *node);
    node->line = line;
    node->col = col;
    if (ev->type == YAML_SCALAR_EVENT) {
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        node->kind = Y_SCALAR;
        node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        bool has_nul = memchr(v, '\0', len) != NULL;
        node->text = lc_xstrndup(v, len);
        yaml_event_delete(ev);
        *out = node;
        if (has_nul)
            return at(y, line, col, LC_EINVAL, "the value contains a NUL byte", NULL);
        return LC_OK;
    }
    yaml_event_type_t end;
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        node->kind = Y_SEQ;
        end = YAML_SEQUENCE_END_EVENT;
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        node->kind = Y_MAP;
        end = YAML_MAPPING_END_EVENT;
    } else {
        yaml_event_delete(ev);
        free(node);
        return at(y, line, col, LC_EINVAL, "unexpected YAML structure", NULL);
    }
    yaml_event_delete(ev);
    *out = node;
    for (;;) {
        yaml_event_t e;
        int rc = next_event(y, &e);
        if (rc != LC_OK)
            return rc;
        if (e.type == end) {
            yaml_event_delete(&e);
            return LC_OK;
        }
        ynode *kid;
        rc = parse_node(y, &e, depth + 1, &kid);
        if (kid)
            ynode_push(node, kid);
        if (rc != LC_OK)
            return rc;
    }
}

/* The document's root, or NULL for an empty file. */
static int parse_document(yparse *y, const char *data, size_t len, ynode **root)
{
    *root = NULL;
    y->data = data;
    y->len = len;
    yaml_parser_set_input_string(&y->parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&y->parser, YAML_UTF8_ENCODING);
    yaml_event_t ev;
    int rc;
    bool seen_document = false;
    for (;;) {
        if ((rc = next_event(y, &ev)) != LC_OK)
            return rc;
        yaml_event_type_t t = ev.type;
        int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return LC_OK;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            if (seen_document)
                return at(y, line, col, LC_EINVAL, "a configuration file holds one YAML document; remove the second '---'", NULL);
            seen_document = true;
            if ((rc = next_event(y, &ev)) != LC_OK)
                return rc;
            if ((rc = parse_node(y, &ev, 0, root)) != LC_OK)
                return rc;
            continue;
        }
        yaml_event_delete(&ev); /* stream start, document end */
    }
}

/* ---- checking the tree against the key table ---- */

typedef struct entry {
    const lc_config_key *key;
    const ynode *name;
    const ynode *value;
} entry;

static const lc_config_key *key_in_section(const char *section, const char *name)
{
    const lc_config_key *keys = lc_config_keys();
    for (int i = 0; i < LC_CFG__COUNT; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Names from the file are quoted in messages that reach a terminal. */
static void put_safe(lc_buf *out, const char *s)
{
    lc_text_sanitize(s, strnlen(s, 200), 0, out);
}

/* "did you mean" for a name in a section: a near key of the same section,
 * or the same name in another section. */
static int unknown_key(yparse *y, const char *section, const ynode *name)
{
    const lc_config_key *keys = lc_config_keys();
    const char *cands[LC_CFG__COUNT];
    size_t n = 0;
    for (int i = 0; i < LC_CFG__COUNT; i++)
        if (strcmp(keys[i].section, section) == 0)
            cands[n++] = keys[i].name;
    const char *near = lc_config_nearest(name->text, cands, n);
    lc_buf msg = LC_BUF_INIT;
    lc_buf_puts(&msg, "unknown key '");
    put_safe(&msg, name->text);
    lc_buf_printf(&msg, "' in section %s", section);
    if (near) {
        lc_buf_printf(&msg, "; did you mean '%s'?", near);
    } else {
        for (int i = 0; i < LC_CFG__COUNT; i++) {
            if (strcmp(keys[i].name, name->text) == 0) {
                lc_buf_printf(&msg, "; '%s' belongs in section %s (%s)", keys[i].name, keys[i].section, keys[i].dotted);
                break;
            }
        }
    }
    if (!near && !strchr(lc_buf_cstr(&msg), '(')) {
        lc_buf_printf(&msg, "; the keys of %s are:", section);
        for (size_t i = 0; i < n; i++)
            lc_buf_printf(&msg, " %s", cands[i]);
    }
    int rc = at(y, name->line, name->col, LC_EINVAL, lc_buf_cstr(&msg), NULL);
    lc_buf_free(&msg);
    return rc;
}

static int unknown_section(yparse *y, const ynode *name)
{
    const char *near = lc_config_nearest(name->text, sections, N_SECTIONS);
    if (!near && lc_config_nearest(name->text, (const char *const[]){"mcp"}, 1))
        near = "mcp"; /* read apart from the key table */
    lc_buf msg = LC_BUF_INIT;
    lc_buf_puts(&msg, "unknown section '");
    put_safe(&msg, name->text);
    lc_buf_putc(&msg, '\'');
    const lc_config_key *keys = lc_config_keys();
    if (near) {
        lc_buf_printf(&msg, "; did you mean '%s'?", near);
    } else {
        int i;
        for (i = 0; i < LC_CFG__COUNT && strcmp(keys[i].name, name->text) != 0; i++)
            ;
        if (i < LC_CFG__COUNT)
            lc_buf_printf(&msg, "; '%s' is a key of section %s: write it indented under '%s:'", name->text,
                          keys[i].section, keys[i].section);
        else
            lc_buf_puts(&msg, "; the sections are model, agent, container, tools, security, approval, ui and mcp");
    }
    int rc = at(y, name->line, name->col, LC_EINVAL, lc_buf_cstr(&msg), NULL);
    lc_buf_free(&msg);
    return rc;
}

/* Walks root into entries. Structural mistakes are remembered (the first
 * one) but the walk goes on, so security rules still see every key. */
static void collect(yparse *y, const ynode *root, entry *out, size_t *n, int *first_rc, lc_err *first)
{
    lc_err e = {0};
    lc_err *saved = y->err;
    y->err = &e;
#define NOTE(call)                              \
    do {                                        \
        int rc_ = (call);                       \
        if (*first_rc == LC_OK) {               \
            *first_rc = rc_;                    \
            *first = e;                         \
        }                                       \
    } while (0)
    if (root->kind != Y_MAP) {
        if (!is_null(root))
            NOTE(at(y, root->line, root->col, LC_EINVAL,
                    "expected sections such as 'model:' and 'container:' at the top of the file", NULL));
        y->err = saved;
        return;
    }
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const ynode *sname = root->kid[i], *sval = root->kid[i + 1];
        if (sname->kind != Y_SCALAR) {
            NOTE(at(y, sname->line, sname->col, LC_EINVAL, "a section name must be a plain word", NULL));
            continue;
        }
        if (strcmp(sname->text, "mcp") == 0)
            continue; /* not in the key table: load_mcp reads it */
        size_t s;
        for (s = 0; s < N_SECTIONS && strcmp(sections[s], sname->text) != 0; s++)
            ;
        if (s == N_SECTIONS) {
            NOTE(unknown_section(y, sname));
            continue;
        }
        for (size_t j = 0; j < i; j += 2)
            if (root->kid[j]->kind == Y_SCALAR && strcmp(root->kid[j]->text, sname->text) == 0) {
                char first_line[32];
                snprintf(first_line, sizeof first_line, "%d", root->kid[j]->line);
                NOTE(at(y, sname->line, sname->col, LC_EINVAL, "section appears twice; merge it with the one at line ",
                        first_line));
            }
        if (is_null(sval))
            continue;
        if (sval->kind != Y_MAP) {
            NOTE(at(y, sval->line, sval->col, LC_EINVAL,
                    "a section holds keys, one per line, indented under its name; e.g. 'container:' then '  memory: 1g'",
                    NULL));
            continue;
        }
        for (size_t k = 0; k + 1 < sval->n; k += 2) {
            const ynode *kname = sval->kid[k];
            if (kname->kind != Y_SCALAR) {
                NOTE(at(y, kname->line, kname->col, LC_EINVAL, "a key must be a plain word", NULL));
                continue;
            }
            const lc_config_key *key = key_in_section(sname->text, kname->text);
            if (!key) {
                NOTE(unknown_key(y, sname->text, kname));
                continue;
            }
            bool dup = false;
            for (size_t m = 0; m < *n; m++)
                if (out[m].key == key) {
                    char first_line[32];
                    snprintf(first_line, sizeof first_line, "%d", out[m].name->line);
                    NOTE(at(y, kname->line, kname->col, LC_EINVAL, "key set twice; the first is at line ", first_line));
                    dup = true;
                }
            if (!dup && *n < LC_CFG__COUNT)
                out[(*n)++] = (entry){key, kname, sval->kid[k + 1]};
        }
    }
#undef NOTE
    y->err = saved;
}

static int check_security(yparse *y, const entry *e, lc_config_layer layer)
{
    lc_config_key_id id = e->key->id;
    if (id == LC_CFG_SECURITY_LOCAL_EXEC && e->value->kind == Y_SCALAR && !is_null(e->value)) {
        lc_err tmp = {0};
        lc_config scratch;
        lc_config_defaults(&scratch);
        int rc = lc_config_set(&scratch, e->key->dotted, e->value->text, LC_ORIGIN_DEFAULT, NULL, &tmp);
        bool refused = rc == LC_OK && scratch.security.allow_local_code_execution;
        lc_config_free(&scratch);
        if (refused) {
            lc_config_refuse_local_exec(y->err);
            lc_err_prefix(y->err, "%s:%d:%d", y->path, e->name->line, e->name->col);
            return LC_ESECURITY;
        }
    }
    const char *why;
    if (layer == LC_LAYER_PROJECT && lc_config_project_rule(id, &why) == LC_KEY_PROJECT_REFUSED) {
        const char *flag = NULL;
        if (id == LC_CFG_SECURITY_AUTO_APPROVE)
            flag = "--yes";
        else if (id == LC_CFG_APPROVAL_MODE)
            flag = "--approve";
        else if (id == LC_CFG_MODEL_NAME)
            flag = "--model";
        else if (id == LC_CFG_MODEL_BASE_URL)
            flag = "--base-url";
        else if (id == LC_CFG_CONTAINER_ENGINE)
            flag = "--engine";
        else if (id == LC_CFG_CONTAINER_IMAGE)
            flag = "--image";
        return lc_err_set(y->err, LC_ESECURITY,
                          "%s:%d:%d: %s is refused in a project file: %s; set it in your own "
                          "~/.config/litecode/config.yaml or with %s%s%s, and remove it here",
                          y->path, e->name->line, e->name->col, e->key->dotted, why, flag ? flag : "--set ",
                          flag ? "" : e->key->dotted, flag ? "" : "=...");
    }
    return LC_OK;
}

/* Tool files are host paths mounted into the container: relative ones are
 * relative to the file that names them, and a project file may only name
 * regular files whose real path is inside the project. */
static int resolve_tool_files(yparse *y, const entry *e, lc_config_layer layer, lc_strv *items)
{
    char *copy = lc_xstrdup(y->path);
    const char *base = dirname(copy);
    char *rbase = realpath(base, NULL);
    int rc = LC_OK;
    for (size_t i = 0; rc == LC_OK && i < items->n; i++) {
        const char *p = items->v[i];
        if (layer == LC_LAYER_PROJECT) {
            char *real;
            rc = lc_config_tool_file_resolve(base, p, true, &real, y->err);
            if (rc != LC_OK) {
                lc_err_prefix(y->err, "%s:%d:%d: tools.files", y->path, e->value->line, e->value->col);
                break;
            }
            free(items->v[i]);
            items->v[i] = real;
        } else if (p[0] && p[0] != '/') {
            char *joined = lc_path_join(rbase ? rbase : base, p);
            free(items->v[i]);
            items->v[i] = joined;
        }
    }
    free(rbase);
    free(copy);
    return rc;
}

/* A limit in a project file may only tighten what holds before it. */
static int check_tighten(yparse *y, lc_config *c, const entry *e, const char *value, const lc_strv *items)
{
    const lc_config_key *k = e->key;
    lc_config want;
    lc_config_defaults(&want);
    lc_err ignored = {0};
    int rc = items ? lc_config_set_list(&want, k->dotted, items, LC_ORIGIN_FILE, "", &ignored)
                   : lc_config_set(&want, k->dotted, value, LC_ORIGIN_FILE, "", &ignored);
    if (rc == LC_OK && lc_config_is_looser(c, &want, k->id)) {
        char origin[600];
        lc_config_origin_describe(c, k->id, origin, sizeof origin);
        lc_buf now = LC_BUF_INIT, asked = LC_BUF_INIT;
        lc_config_print_value(c, k->id, &now);
        lc_config_print_value(&want, k->id, &asked);
        const char *why;
        lc_config_project_rule(k->id, &why);
        rc = lc_err_set(y->err, LC_ESECURITY,
                        "%s:%d:%d: %s: %s is looser than %s (from %s), and a project file may only tighten the "
                        "sandbox%s%s; loosen it in your own ~/.config/litecode/config.yaml or with --set %s=...",
                        y->path, e->name->line, e->name->col, k->dotted, lc_buf_cstr(&asked), lc_buf_cstr(&now),
                        origin, why ? ": " : "", why ? why : "", k->dotted);
        lc_buf_free(&now);
        lc_buf_free(&asked);
    } else {
        rc = LC_OK; /* a bad value is reported by the real set, with its place */
    }
    lc_config_free(&want);
    return rc;
}

static int apply_entry(yparse *y, lc_config *c, const entry *e, lc_config_layer layer)
{
    const lc_config_key *k = e->key;
    const ynode *v = e->value;
    bool want_list = k->type == LC_CFGT_LIST || k->type == LC_CFGT_MAP;
    char origin[4200];
    snprintf(origin, sizeof origin, "%s:%d", y->path, e->name->line);
    int rc;
    if (want_list && !is_null(v)) {
        ykind need = k->type == LC_CFGT_MAP ? Y_MAP : Y_SEQ;
        if (v->kind != need)
            return lc_err_set(y->err, LC_EINVAL, "%s:%d:%d: %s: expected %s", y->path, v->line, v->col, k->dotted,
                              need == Y_MAP ? "a mapping of action: key, e.g. {quit: q}"
                                            : "a list, e.g. [json, re] or one '- item' per line");
        lc_strv items = LC_STRV_INIT;
        for (size_t i = 0; i < v->n; i += need == Y_MAP ? 2 : 1) {
            const ynode *a = v->kid[i], *b = need == Y_MAP ? v->kid[i + 1] : NULL;
            const ynode *bad = a->kind != Y_SCALAR ? a : b && b->kind != Y_SCALAR ? b : NULL;
            if (bad) {
                lc_strv_free(&items);
                return lc_err_set(y->err, LC_EINVAL, "%s:%d:%d: %s: entries must be single values", y->path,
                                  bad->line, bad->col, k->dotted);
            }
            if (b)
                lc_strv_pushf(&items, "%s=%s", a->text, b->text);
            else
                lc_strv_push(&items, a->text);
        }
        rc = k->id == LC_CFG_TOOLS_FILES ? resolve_tool_files(y, e, layer, &items) : LC_OK;
        /* A rule's mistake is reported at the rule's own line, not at "rules:". */
        for (size_t i = 0; rc == LC_OK && k->id == LC_CFG_APPROVAL_RULES && i < v->n; i++) {
            lc_approval_rule r;
            if ((rc = lc_approval_rule_parse(v->kid[i]->text, &r, y->err)) != LC_OK)
                lc_err_prefix(y->err, "%s:%d:%d: approval.rules entry %zu", y->path, v->kid[i]->line,
                              v->kid[i]->col, i + 1);
            else
                lc_approval_rule_free(&r);
        }
        if (rc == LC_OK && layer == LC_LAYER_PROJECT && lc_config_project_rule(k->id, NULL) == LC_KEY_PROJECT_TIGHTEN)
            rc = check_tighten(y, c, e, NULL, &items);
        if (rc == LC_OK && (rc = lc_config_set_list(c, k->dotted, &items, LC_ORIGIN_FILE, origin, y->err)) != LC_OK)
            lc_err_prefix(y->err, "%s:%d:%d: %s", y->path, v->line, v->col, k->dotted);
        for (size_t i = 0; rc == LC_OK && k->id == LC_CFG_APPROVAL_RULES && i < v->n; i++)
            lc_strv_pushf(&c->approval.origins, "%s:%d", y->path, v->kid[i]->line);
        lc_strv_free(&items);
        return rc;
    }
    if (v->kind != Y_SCALAR)
        return lc_err_set(y->err, LC_EINVAL, "%s:%d:%d: %s: expected a single value, not a %s", y->path, v->line,
                          v->col, k->dotted, v->kind == Y_SEQ ? "list" : "mapping");
    const char *text = is_null(v) ? NULL : v->text;
    if (layer == LC_LAYER_PROJECT) {
        lc_key_project_rule r = lc_config_project_rule(k->id, NULL);
        if (r == LC_KEY_PROJECT_TIGHTEN && text && (rc = check_tighten(y, c, e, text, NULL)) != LC_OK)
            return rc;
        if (r == LC_KEY_PROJECT_NAME && text && (!*text || strspn(text, "abcdefghijklmnopqrstuvwxyz"
                                                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(text)))
            return lc_err_set(y->err, LC_ESECURITY,
                              "%s:%d:%d: %s: a project file may give a name here (letters, digits, '-' and '_'), not "
                              "a path (a path would read a file outside the project); name a built-in one, or set "
                              "the path in your own "
                              "~/.config/litecode/config.yaml", y->path, v->line, v->col, k->dotted);
    }
    if ((rc = lc_config_set(c, k->dotted, text, LC_ORIGIN_FILE, origin, y->err)) != LC_OK)
        lc_err_prefix(y->err, "%s:%d:%d: %s", y->path, v->line, v->col, k->dotted);
    return rc;
}

/* ---- mcp.servers: a mapping of named servers, outside the key table ---- */

#define MCP_SERVERS_MAX 32
#define MCP_NAME_MAX 32
#define MCP_ARGV_MAX 64
#define MCP_ENV_MAX 64

void lc_mcp_config_free(lc_mcp_config *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        lc_strv_free(&m->v[i].command);
        lc_strv_free(&m->v[i].env);
        free(m->v[i].origin);
    }
    free(m->v);
    memset(m, 0, sizeof *m);
}

/* The name node of the top-level mcp section, or NULL. */
static const ynode *find_mcp(const ynode *root)
{
    if (root->kind != Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < root->n; i += 2)
        if (root->kid[i]->kind == Y_SCALAR && strcmp(root->kid[i]->text, "mcp") == 0)
            return root->kid[i];
    return NULL;
}

static const ynode *value_of(const ynode *root, const ynode *name)
{
    for (size_t i = 0; i + 1 < root->n; i += 2)
        if (root->kid[i] == name)
            return root->kid[i + 1];
    return NULL;
}

static bool name_ok(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              strchr(extra, *p)))
            return false;
    return true;
}

static int mcp_unknown(yparse *y, const ynode *k, const char *where, const char *const *known, size_t n)
{
    const char *near = lc_config_nearest(k->text, known, n);
    lc_buf msg = LC_BUF_INIT;
    lc_buf_puts(&msg, "unknown key '");
    put_safe(&msg, k->text);
    lc_buf_printf(&msg, "' in %s", where);
    if (near)
        lc_buf_printf(&msg, "; did you mean '%s'?", near);
    lc_buf_puts(&msg, "; the keys are:");
    for (size_t i = 0; i < n; i++)
        lc_buf_printf(&msg, " %s", known[i]);
    int rc = at(y, k->line, k->col, LC_EINVAL, lc_buf_cstr(&msg), NULL);
    lc_buf_free(&msg);
    return rc;
}

static int mcp_server(yparse *y, const ynode *name, const ynode *v, lc_mcp_server_config *s)
{
    static const char *const keys[] = {"command", "env", "timeout"};
    char where[80];
    snprintf(where, sizeof where, "mcp.servers.%s", name->text);
    if (v->kind != Y_MAP)
        return at(y, v->line, v->col, LC_EINVAL, where,
                  ": expected the server's keys, e.g. 'command: [python3, /path/to/server.py]'");
    const ynode *command = NULL;
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const ynode *k = v->kid[i], *val = v->kid[i + 1];
        if (k->kind != Y_SCALAR)
            return at(y, k->line, k->col, LC_EINVAL, "a key must be a plain word", NULL);
        for (size_t j = 0; j < i; j += 2)
            if (v->kid[j]->kind == Y_SCALAR && !strcmp(v->kid[j]->text, k->text))
                return at(y, k->line, k->col, LC_EINVAL, "key set twice in ", where);
        if (!strcmp(k->text, "command")) {
            command = val;
            if (val->kind != Y_SEQ || val->n == 0)
                return at(y, val->line, val->col, LC_EINVAL, where,
                          ".command: expected the program and its arguments as a list, e.g. "
                          "[python3, /path/to/server.py]; it runs without a shell");
            if (val->n > MCP_ARGV_MAX)
                return at(y, val->line, val->col, LC_EINVAL, where, ".command: too many arguments (at most 64)");
            for (size_t j = 0; j < val->n; j++) {
                const ynode *a = val->kid[j];
                if (a->kind != Y_SCALAR || (j == 0 && !a->text[0]) || strlen(a->text) > 4096 ||
                    strchr(a->text, '\n'))
                    return at(y, a->line, a->col, LC_EINVAL, where,
                              ".command: each entry must be one single-line word (the program first, not empty)");
                lc_strv_push(&s->command, a->text);
            }
        } else if (!strcmp(k->text, "env")) {
            if (is_null(val))
                continue;
            if (val->kind != Y_MAP)
                return at(y, val->line, val->col, LC_EINVAL, where,
                          ".env: expected a mapping of variables, e.g. {NOTES_DIR: /home/me/notes}");
            if (val->n / 2 > MCP_ENV_MAX)
                return at(y, val->line, val->col, LC_EINVAL, where, ".env: too many variables (at most 64)");
            for (size_t j = 0; j + 1 < val->n; j += 2) {
                const ynode *ek = val->kid[j], *ev = val->kid[j + 1];
                if (ek->kind != Y_SCALAR || !name_ok(ek->text, "", 128) || (ek->text[0] >= '0' && ek->text[0] <= '9'))
                    return at(y, ek->line, ek->col, LC_EINVAL, where,
                              ".env: a variable name is letters, digits and '_', not starting with a digit");
                if (ev->kind != Y_SCALAR || strlen(ev->text) > 65536)
                    return at(y, ev->line, ev->col, LC_EINVAL, where, ".env: a value must be a single string");
                lc_strv_pushf(&s->env, "%s=%s", ek->text, is_null(ev) ? "" : ev->text);
            }
        } else if (!strcmp(k->text, "timeout")) {
            char *end = NULL;
            long t = val->kind == Y_SCALAR ? strtol(val->text, &end, 10) : 0;
            if (val->kind != Y_SCALAR || !end || *end || end == val->text || t < 1 || t > 3600)
                return at(y, val->line, val->col, LC_EINVAL, where,
                          ".timeout: expected whole seconds from 1 to 3600 for one request to the server");
            s->timeout_s = (int)t;
        } else {
            return mcp_unknown(y, k, where, keys, sizeof keys / sizeof keys[0]);
        }
    }
    if (!command)
        return at(y, name->line, name->col, LC_EINVAL, where,
                  ": command is missing; e.g. 'command: [python3, /path/to/server.py]'");
    return LC_OK;
}

static int load_mcp(yparse *y, lc_config *c, const ynode *root, const ynode *mcp_name)
{
    static const char *const keys[] = {"servers"};
    lc_mcp_config_free(&c->mcp);
    const ynode *v = value_of(root, mcp_name);
    if (!v || is_null(v))
        return LC_OK;
    if (v->kind != Y_MAP)
        return at(y, v->line, v->col, LC_EINVAL,
                  "mcp: expected 'servers:' with one entry per server, e.g. 'servers: {notes: {command: "
                  "[python3, /path/to/server.py]}}'", NULL);
    const ynode *servers = NULL;
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const ynode *k = v->kid[i];
        if (k->kind != Y_SCALAR || strcmp(k->text, "servers") != 0)
            return k->kind == Y_SCALAR ? mcp_unknown(y, k, "mcp", keys, 1)
                                       : at(y, k->line, k->col, LC_EINVAL, "a key must be a plain word", NULL);
        if (servers)
            return at(y, k->line, k->col, LC_EINVAL, "mcp.servers is set twice", NULL);
        servers = v->kid[i + 1];
    }
    if (!servers || is_null(servers))
        return LC_OK;
    if (servers->kind != Y_MAP)
        return at(y, servers->line, servers->col, LC_EINVAL,
                  "mcp.servers: expected a mapping of server names, e.g. 'notes:' then its 'command:'", NULL);
    size_t n = servers->n / 2;
    if (n > MCP_SERVERS_MAX)
        return at(y, servers->line, servers->col, LC_EINVAL, "mcp.servers: at most 32 servers", NULL);
    lc_mcp_config m = {.v = lc_xcalloc(n ? n : 1, sizeof *m.v)};
    int rc = LC_OK;
    for (size_t i = 0; rc == LC_OK && i < n; i++) {
        const ynode *name = servers->kid[2 * i], *sv = servers->kid[2 * i + 1];
        if (name->kind != Y_SCALAR || !name_ok(name->text, "-", MCP_NAME_MAX) ||
            !((name->text[0] >= 'a' && name->text[0] <= 'z') || (name->text[0] >= 'A' && name->text[0] <= 'Z'))) {
            rc = at(y, name->line, name->col, LC_EINVAL,
                    "mcp.servers: a server name is 1 to 32 letters, digits, '_' or '-', starting with a letter "
                    "(its tools are called NAME_TOOL in the sandbox)", NULL);
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m.v[j].name, name->text)) {
                rc = at(y, name->line, name->col, LC_EINVAL, "mcp.servers: a server of this name is already "
                        "defined above", NULL);
                break;
            }
        if (rc != LC_OK)
            break;
        lc_mcp_server_config *s = &m.v[m.n++];
        s->name = lc_xstrdup(name->text);
        s->origin = lc_xasprintf("%s:%d", y->path, name->line);
        rc = mcp_server(y, name, sv, s);
    }
    if (rc != LC_OK) {
        lc_mcp_config_free(&m);
        return rc;
    }
    c->mcp = m;
    return LC_OK;
}

int lc_config_load_file(lc_config *c, const char *path, lc_config_layer layer, lc_err *err)
{
    lc_buf data = LC_BUF_INIT;
    int rc = lc_file_read(path, FILE_MAX, &data, err);
    if (rc == LC_OK)
        rc = lc_config_load_data(c, path, data.data ? data.data : "", data.len, layer, err);
    lc_buf_free(&data);
    return rc;
}

int lc_config_load_data(lc_config *c, const char *path, const char *data, size_t len, lc_config_layer layer,
                        lc_err *err)
{
    yparse y = {.path = path, .err = err};
    if (!yaml_parser_initialize(&y.parser))
        return lc_err_set(err, LC_EIO, "%s: cannot start the YAML parser", path);
    ynode *root = NULL;
    int rc = parse_document(&y, data, len, &root);
    entry *entries = NULL;
    const ynode *mcp = rc == LC_OK && root ? find_mcp(root) : NULL; /* its name */
    if (mcp && layer == LC_LAYER_PROJECT)
        rc = at(&y, mcp->line, mcp->col, LC_ESECURITY,
                "mcp is refused in a project file: an MCP server is a program that runs on your machine "
                "with your rights, outside the sandbox; configure servers in your own "
                "~/.config/litecode/config.yaml, and remove the section here", NULL);
    if (rc == LC_OK && root) {
        size_t n = 0;
        int first_rc = LC_OK;
        lc_err first = {0};
        entries = lc_xcalloc(LC_CFG__COUNT + 1, sizeof *entries);
        collect(&y, root, entries, &n, &first_rc, &first);
        for (size_t i = 0; rc == LC_OK && i < n; i++)
            rc = check_security(&y, &entries[i], layer);
        if (rc == LC_OK && first_rc != LC_OK) {
            rc = first_rc;
            if (err)
                *err = first;
        }
        for (size_t i = 0; rc == LC_OK && i < n; i++)
            rc = apply_entry(&y, c, &entries[i], layer);
        if (rc == LC_OK && mcp)
            rc = load_mcp(&y, c, root, mcp);
    }
    free(entries);
    ynode_free(root);
    yaml_parser_delete(&y.parser);
    return rc;
}

/* ---- the layers ---- */

char *lc_config_user_path(lc_err *err)
{
    char *dir = lc_xdg_dir("config", err);
    if (!dir)
        return NULL;
    char *p = lc_path_join(dir, "config.yaml");
    free(dir);
    return p;
}

char *lc_config_project_path(const char *dir)
{
    return lc_path_join(dir ? dir : ".", ".litecode.yaml");
}

int lc_config_apply_env(lc_config *c, lc_err *err)
{
    static const struct { const char *var, *key; } env[] = {
#define LC_X_(var, key) {var, key},
        LC_CONFIG_ENV(LC_X_)
#undef LC_X_
    };
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        const char *v = getenv(env[i].var);
        if (!v || !*v)
            continue;
        int rc = lc_config_set(c, env[i].key, v, LC_ORIGIN_ENV, env[i].var, err);
        if (rc != LC_OK) {
            lc_err_prefix(err, "environment variable %s", env[i].var);
            return rc;
        }
    }
    return LC_OK;
}

int lc_config_load(lc_config *c, const lc_config_load_opts *o, lc_err *err)
{
    lc_config_defaults(c);
    int rc;
    if (o && o->config_path) {
        c->user_file = lc_xstrdup(o->config_path);
        if ((rc = lc_config_load_file(c, o->config_path, LC_LAYER_USER, err)) != LC_OK) {
            if (rc == LC_ENOTFOUND)
                lc_err_prefix(err, "--config");
            return rc == LC_ENOTFOUND ? LC_EINVAL : rc;
        }
    } else {
        char *user = lc_config_user_path(err);
        if (user) {
            c->user_file = lc_xstrdup(user);
            rc = lc_config_load_file(c, user, LC_LAYER_USER, err);
            free(user);
            if (rc != LC_OK && rc != LC_ENOTFOUND)
                return rc;
        }
        lc_err_clear(err);
    }
    if (o && o->dir && o->project_trusted) {
        /* The bytes parsed are the bytes whose hash was trusted: read once. */
        char *proj = lc_config_project_path(o->dir);
        lc_buf data = LC_BUF_INIT;
        rc = lc_config_project_read(o->dir, &data, err);
        char hash[LC_SHA256_HEX_LEN + 1];
        if (rc == LC_OK && o->project_sha256) {
            lc_sha256_hex(data.data ? data.data : "", data.len, hash);
            if (strcmp(hash, o->project_sha256) != 0)
                rc = lc_err_set(err, LC_ESECURITY,
                                "%s changed while litecode-tui was starting; it was not read. Run again to "
                                "be asked about the new content", proj);
        }
        if (rc == LC_OK)
            rc = lc_config_load_data(c, proj, data.data ? data.data : "", data.len, LC_LAYER_PROJECT, err);
        lc_buf_free(&data);
        free(proj);
        if (rc != LC_OK && rc != LC_ENOTFOUND)
            return rc;
        lc_err_clear(err);
    }
    /* Rules across keys wait for the flags (lc_cli_apply runs them): a flag
     * may complete what a file started, such as --base-url for a bare name. */
    return lc_config_apply_env(c, err);
}
