/* Agent profiles: agents/NAME.yaml names the tools an agent gets, its extra
 * instructions and the sandbox it needs (template, read-only workspace).
 * A tiny loader over libyaml's document API; every error names file:line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "agent/agent.h"

#define PROFILE_MAX_BYTES (256 * 1024)

static int bad(lc_err *err, const char *path, const yaml_node_t *n, const char *what)
{
    return lc_err_set(err, LC_EINVAL, "%s:%lu: %s", path, n ? (unsigned long)n->start_mark.line + 1 : 0ul,
                      what);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int parse_bool(const char *path, const yaml_node_t *n, bool *out, lc_err *err)
{
    const char *s = scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "ro"))) {
        *out = true;
        return LC_OK;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "rw"))) {
        *out = false;
        return LC_OK;
    }
    return bad(err, path, n, "expected true/false (or ro/rw for workspace)");
}

static int load_doc(const char *path, yaml_document_t *doc, lc_profile *p, lc_err *err)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return bad(err, path, root, "a profile is a mapping (name:, tools:, instructions: ...)");
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        const char *key = scalar(k);
        if (!key)
            return bad(err, path, k, "keys must be plain names");
        if (!strcmp(key, "tools")) {
            if (!v || v->type != YAML_SEQUENCE_NODE)
                return bad(err, path, v, "tools: is a list of tool names");
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
                 it++) {
                yaml_node_t *t = yaml_document_get_node(doc, *it);
                const char *name = scalar(t);
                if (!name)
                    return bad(err, path, t, "a tool name must be a string");
                if (strcmp(name, "final_answer") != 0 && !lc_tool_find(name)) {
                    char msg[256];
                    snprintf(msg, sizeof msg, "unknown tool '%.80s'", name);
                    return bad(err, path, t, msg);
                }
                lc_strv_push(&p->tools, name);
            }
            continue;
        }
        const char *val = scalar(v);
        if (!val)
            return bad(err, path, v, "expected a single value");
        if (!strcmp(key, "name")) {
            free(p->name);
            p->name = lc_xstrdup(val);
        } else if (!strcmp(key, "description")) {
            free(p->description);
            p->description = lc_xstrdup(val);
        } else if (!strcmp(key, "instructions")) {
            free(p->instructions);
            p->instructions = lc_xstrdup(val);
        } else if (!strcmp(key, "template")) {
            free(p->template_name);
            p->template_name = lc_xstrdup(val);
        } else if (!strcmp(key, "workspace") || !strcmp(key, "read_only")) {
            int rc = parse_bool(path, v, &p->workspace_ro, err);
            if (rc)
                return rc;
        } else if (!strcmp(key, "max_steps")) {
            char *end = NULL;
            errno = 0;
            long n = strtol(val, &end, 10);
            if (errno || !end || *end || n < 1 || n > 1000)
                return bad(err, path, v, "max_steps must be a number from 1 to 1000");
            p->max_steps = (int)n;
        } else {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "unknown key '%.80s' (known: name, description, instructions, template, "
                     "workspace, max_steps, tools)",
                     key);
            return bad(err, path, k, msg);
        }
    }
    return LC_OK;
}

int lc_profile_load(const char *path, lc_profile *out, lc_err *err)
{
    memset(out, 0, sizeof *out);
    lc_buf text = LC_BUF_INIT;
    int rc = lc_file_read(path, PROFILE_MAX_BYTES, &text, err);
    if (rc) {
        lc_buf_free(&text);
        return rc;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        lc_buf_free(&text);
        return lc_err_set(err, LC_EIO, "%s: cannot start the YAML parser", path);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)lc_buf_cstr(&text), text.len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = lc_err_set(err, LC_EINVAL, "%s:%lu: %s", path, (unsigned long)parser.problem_mark.line + 1,
                        parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        lc_buf_free(&text);
        return rc;
    }
    rc = load_doc(path, &doc, out, err);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    lc_buf_free(&text);
    if (rc == LC_OK && !out->name) {
        /* The file name is the profile's name when the file does not say. */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strlen(base);
        if (n > 5 && !strcmp(base + n - 5, ".yaml"))
            n -= 5;
        out->name = lc_xstrndup(base, n);
    }
    if (rc)
        lc_profile_free(out);
    return rc;
}

int lc_profile_find(const lc_strv *dirs, const char *name, lc_profile *out, lc_err *err)
{
    memset(out, 0, sizeof *out);
    if (!name || !*name || strlen(name) > 64 || strpbrk(name, "/\\.") != NULL)
        return lc_err_set(err, LC_EINVAL, "agent profile name '%.64s' must be a plain name like 'digger'",
                          name ? name : "");
    for (size_t i = 0; dirs && i < dirs->n; i++) {
        char *file = lc_xasprintf("%s.yaml", name);
        char *path = lc_path_join(dirs->v[i], file);
        free(file);
        struct stat st;
        if (stat(path, &st) == 0) {
            int rc = lc_profile_load(path, out, err);
            free(path);
            return rc;
        }
        free(path);
    }
    char *where = dirs && dirs->n ? lc_strv_join(dirs, ", ") : lc_xstrdup("(no directories)");
    int rc = lc_err_set(err, LC_ENOTFOUND,
                        "agent profile '%s' not found in %s; add %s.yaml there or pick digger or codemod",
                        name, where, name);
    free(where);
    return rc;
}

/* A profile supplies defaults: through lc_config_set with a profile origin,
 * so a value the user set in a file, the environment or a flag wins, and
 * --print-config says "profile NAME" for what the profile decided. */
int lc_profile_apply(const lc_profile *p, lc_config *cfg, lc_err *err)
{
    const char *who = p->name ? p->name : "?";
    char steps[32];
    snprintf(steps, sizeof steps, "%d", p->max_steps);
    int rc = LC_OK;
    if (p->template_name)
        rc = lc_config_set(cfg, "container.template", p->template_name, LC_ORIGIN_PROFILE, who, err);
    if (rc == LC_OK && p->workspace_ro)
        rc = lc_config_set(cfg, "container.workspace", "ro", LC_ORIGIN_PROFILE, who, err);
    if (rc == LC_OK && p->instructions)
        rc = lc_config_set(cfg, "agent.instructions", p->instructions, LC_ORIGIN_PROFILE, who, err);
    if (rc == LC_OK && p->tools.n)
        rc = lc_config_set_list(cfg, "tools.enabled", &p->tools, LC_ORIGIN_PROFILE, who, err);
    if (rc == LC_OK && p->max_steps > 0)
        rc = lc_config_set(cfg, "agent.max_steps", steps, LC_ORIGIN_PROFILE, who, err);
    if (rc != LC_OK) {
        lc_err_prefix(err, "agent profile %s", who);
        return rc;
    }
    free(cfg->agent.profile);
    cfg->agent.profile = lc_xstrdup(p->name);
    return LC_OK;
}

void lc_profile_free(lc_profile *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->description);
    free(p->instructions);
    free(p->template_name);
    lc_strv_free(&p->tools);
    memset(p, 0, sizeof *p);
}

int lc_profile_use(lc_config *cfg, const char *data_dir, lc_err *err)
{
    if (!cfg->agent.profile)
        return LC_OK;
    /* The user's own profiles first, then the bundled ones. */
    lc_strv dirs = LC_STRV_INIT;
    lc_err ignored = {0};
    char *user = lc_xdg_dir("config", &ignored);
    if (user)
        lc_strv_push_owned(&dirs, lc_path_join(user, "agents"));
    lc_strv_push_owned(&dirs, lc_path_join(data_dir, "agents"));
    lc_profile p;
    int rc = lc_profile_find(&dirs, cfg->agent.profile, &p, err);
    if (rc == LC_OK) {
        rc = lc_profile_apply(&p, cfg, err);
        lc_profile_free(&p);
    }
    lc_strv_free(&dirs);
    free(user);
    return rc;
}
