/* What a project's .litecode.yaml may do. The project may be hostile (a
 * repository cloned from anywhere, or a file a step of the agent rewrote),
 * so the file may tighten the sandbox and shape the agent, but nothing in it
 * may reach the user's secrets or machine: not the model server (where the
 * API key goes), not programs, images or paths on the host, not the network.
 * The policy is this one table; load.c enforces it and the docs list it. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

typedef struct rule {
    lc_config_key_id id;
    lc_key_project_rule rule;
    const char *why;
} rule;

#define MODEL_WHY "the model settings decide which server receives your API key and your code"
static const rule rules[] = {
    {LC_CFG_MODEL_NAME, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_BASE_URL, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_API_KEY_ENV, LC_KEY_PROJECT_REFUSED, "it picks which of your secrets is sent to the model server"},
    {LC_CFG_MODEL_TEMPERATURE, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_MAX_TOKENS, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_TIMEOUT, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_STALL, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_RETRIES, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_INPUT_PRICE, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_MODEL_OUTPUT_PRICE, LC_KEY_PROJECT_REFUSED, MODEL_WHY},
    {LC_CFG_CONTAINER_ENGINE, LC_KEY_PROJECT_REFUSED, "it picks which program on your machine runs containers"},
    {LC_CFG_CONTAINER_IMAGE, LC_KEY_PROJECT_REFUSED,
     "it could name any image on your machine (one with your data or tools in it) or one pulled from any registry"},
    {LC_CFG_CONTAINER_TEMPLATE, LC_KEY_PROJECT_TIGHTEN, "only the secure template is tighter than any other"},
    {LC_CFG_CONTAINER_MEMORY, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_CPUS, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_PIDS, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_TIMEOUT, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_GRACE, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_NETWORK, LC_KEY_PROJECT_TIGHTEN, "network access would let code send your project anywhere"},
    {LC_CFG_CONTAINER_WORKSPACE, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_TRANSPORT, LC_KEY_PROJECT_REFUSED, "it decides how your project's files reach the engine"},
    {LC_CFG_CONTAINER_RUNTIME, LC_KEY_PROJECT_REFUSED, "it names a program on your machine that runs the sandbox"},
    {LC_CFG_CONTAINER_CGROUP, LC_KEY_PROJECT_REFUSED, "it changes how your machine's engine manages resources"},
    {LC_CFG_CONTAINER_INIT_PATH, LC_KEY_PROJECT_REFUSED, "it names a program on your machine that runs in the sandbox"},
    {LC_CFG_CONTAINER_NOFILE, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_NPROC, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_TMP, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_OUTPUT_CAP, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_SHADOW_CAP, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_COPY_MAX, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_CONTAINER_IMPORTS, LC_KEY_PROJECT_TIGHTEN, NULL},
    {LC_CFG_TOOLS_FILES, LC_KEY_PROJECT_INSIDE, NULL},
    {LC_CFG_SECURITY_AUTO_APPROVE, LC_KEY_PROJECT_REFUSED,
     "a project must not be able to run code without your approval"},
    {LC_CFG_APPROVAL_MODE, LC_KEY_PROJECT_REFUSED,
     "a project must not be able to run code without your approval"},
    {LC_CFG_APPROVAL_RULES, LC_KEY_PROJECT_REFUSED,
     "a rule can let steps run without your approval"},
    {LC_CFG_UI_THEME, LC_KEY_PROJECT_NAME, "a theme path would read a file outside the project"},
    {LC_CFG_UI_KEYS, LC_KEY_PROJECT_REFUSED, "a project could swap the keys that approve and decline"},
    {LC_CFG_UI_SCROLLBACK, LC_KEY_PROJECT_REFUSED, "how much memory the TUI uses is yours to choose"},
    {LC_CFG_UI_MOUSE, LC_KEY_PROJECT_REFUSED, "how the TUI uses your terminal is yours to choose"},
    /* What a project may set as it likes: it shapes the agent, inside the sandbox. */
    {LC_CFG_AGENT_TYPE, LC_KEY_PROJECT_OK, NULL},
    {LC_CFG_AGENT_MAX_STEPS, LC_KEY_PROJECT_OK, NULL},
    {LC_CFG_AGENT_PLANNING, LC_KEY_PROJECT_OK, NULL},
    {LC_CFG_AGENT_PROFILE, LC_KEY_PROJECT_OK, NULL},
    {LC_CFG_AGENT_INSTRUCTIONS, LC_KEY_PROJECT_OK, NULL},
    {LC_CFG_TOOLS_ENABLED, LC_KEY_PROJECT_OK, NULL},
    {LC_CFG_SECURITY_LOCAL_EXEC, LC_KEY_PROJECT_OK, NULL}, /* true is refused in every file */
};

/* A key without a row is refused: a key added later stays out of reach of a
 * hostile project until someone decides what a project may do with it. */
#define UNDECIDED_WHY "litecode has not decided what a project file may do with this key; set it in your own config"


lc_key_project_rule lc_config_project_rule(lc_config_key_id id, const char **why)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].id == id) {
            if (why)
                *why = rules[i].why;
            return rules[i].rule;
        }
    if (why)
        *why = UNDECIDED_WHY;
    return LC_KEY_PROJECT_REFUSED;
}

/* "os.*" covers "os" and "os.path"; "*" covers everything. */
static bool import_covered(const lc_strv *allowed, const char *want)
{
    for (size_t i = 0; i < allowed->n; i++) {
        const char *a = allowed->v[i];
        size_t n = strlen(a);
        if (!strcmp(a, "*") || !strcmp(a, want))
            return true;
        if (n >= 2 && !strcmp(a + n - 2, ".*") && !strncmp(a, want, n - 2) &&
            (want[n - 2] == '\0' || want[n - 2] == '.'))
            return true;
    }
    return false;
}

bool lc_config_is_looser(const lc_config *now, const lc_config *wanted, lc_config_key_id id)
{
    const lc_config_key *k = &lc_config_keys()[id];
    const char *a = (const char *)now + k->offset, *b = (const char *)wanted + k->offset;
    switch (k->type) {
    case LC_CFGT_INT: return *(const int *)b > *(const int *)a;
    case LC_CFGT_DOUBLE: return *(const double *)b > *(const double *)a;
    case LC_CFGT_SIZE: return *(const int64_t *)b > *(const int64_t *)a;
    case LC_CFGT_NETWORK: return *(const bool *)b && !*(const bool *)a;
    case LC_CFGT_WORKSPACE: return !*(const bool *)b && *(const bool *)a; /* rw after ro */
    case LC_CFGT_CHOICE: /* the template */
        return strcmp(*(char *const *)b, "secure") != 0;
    case LC_CFGT_LIST: {
        const lc_strv *have = (const lc_strv *)a, *want = (const lc_strv *)b;
        for (size_t i = 0; i < want->n; i++)
            if (!import_covered(have, want->v[i]))
                return true;
        return false;
    }
    default: return true; /* a type nobody declared tightenable: refuse */
    }
}

/* ---- tool files ---- */

static bool inside(const char *root, const char *path)
{
    size_t n = strlen(root);
    return !strncmp(path, root, n) && (path[n] == '/' || (n == 1 && root[0] == '/'));
}

int lc_config_tool_file_resolve(const char *root, const char *path, bool in_project, char **out, lc_err *err)
{
    *out = NULL;
    char *rroot = realpath(root, NULL);
    if (!rroot)
        return lc_err_errno(err, LC_ENOTFOUND, errno, "resolving %s", root);
    char *joined = path[0] == '/' ? lc_xstrdup(path) : lc_path_join(rroot, path);
    char *real = realpath(joined, NULL);
    int e = errno;
    int rc = LC_OK;
    struct stat st;
    if (in_project && (!lc_path_is_safe_relative(path) || (real && !inside(rroot, real))))
        rc = lc_err_set(err, LC_ESECURITY,
                        "'%s' is outside the project%s; a project file may only name tool files inside the "
                        "project, by a relative path without '..' that no symlink leads out of (name tool "
                        "files elsewhere in your own ~/.config/litecode/config.yaml)",
                        path, real && strcmp(real, joined) ? " (a symlink leads out of it)" : "");
    else if (!real)
        rc = lc_err_errno(err, e == ENOENT ? LC_ENOTFOUND : LC_EIO, e, "tool file %s", joined);
    else if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        rc = lc_err_set(err, LC_EINVAL, "tool file %s is not a regular file", path);
    if (rc == LC_OK) {
        *out = real;
        real = NULL;
    }
    free(real);
    free(joined);
    free(rroot);
    return rc;
}

int lc_config_tool_files_stage(lc_container_config *cc, const char *dest, lc_err *err)
{
    if (!cc->tool_files.n)
        return LC_OK;
    int rc = lc_rm_rf(dest, err); /* a resumed session stages afresh */
    if (rc == LC_OK)
        rc = lc_mkdir_p(dest, 0755, err);
    lc_strv copies = LC_STRV_INIT;
    for (size_t i = 0; rc == LC_OK && i < cc->tool_files.n; i++) {
        const char *src = cc->tool_files.v[i];
        const char *base = strrchr(src, '/');
        base = base ? base + 1 : src;
        /* The number keeps two tool files of the same name apart. */
        char *dst = lc_xasprintf("%s/%02zu-%s", dest, i + 1, base);
        char *real = realpath(src, NULL);
        /* Resolved when the config was read; a path that resolves elsewhere
         * now had a symlink put in it since, and is not followed. */
        if (!real || strcmp(real, src) != 0)
            rc = lc_err_set(err, LC_ESECURITY,
                            "tool file %s: %s; tool files are copied from their real path, not through links",
                            src, real ? "a symlink now leads elsewhere" : "it is gone");
        else if ((rc = lc_file_copy(src, dst, 0644, NULL, err)) == LC_OK && chmod(dst, 0644) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "chmod %s", dst);
        if (rc == LC_OK)
            lc_strv_push_owned(&copies, dst);
        else
            free(dst);
        free(real);
    }
    if (rc == LC_OK) {
        lc_strv_free(&cc->tool_sources);
        cc->tool_sources = cc->tool_files;
        cc->tool_files = copies;
    } else {
        lc_strv_free(&copies);
    }
    return rc;
}

/* ---- files litecode reads ---- */

static bool same_path(const char *a, const char *b)
{
    /* Case-insensitive: on such file systems ".LITECODE.yaml" is the file. */
    return strcasecmp(a, b) == 0;
}

bool lc_config_reads_path(const lc_config *c, const char *root, const char *rel)
{
    if (!rel || !*rel)
        return false;
    /* Trailing dots and spaces name the same file on Windows file systems. */
    size_t n = strlen(rel);
    while (n > 0 && (rel[n - 1] == '.' || rel[n - 1] == ' ') && (n < 2 || rel[n - 2] != '/'))
        n--;
    char *r = lc_xstrndup(rel, n);
    bool hit = same_path(r, ".litecode.yaml");
    char *rroot = root ? realpath(root, NULL) : NULL;
    char *abs = rroot ? lc_path_join(rroot, r) : NULL;
    for (size_t i = 0; !hit && c && abs && i < c->container.tool_files.n; i++)
        hit = same_path(abs, c->container.tool_files.v[i]);
    for (size_t i = 0; !hit && c && abs && i < c->container.tool_sources.n; i++)
        hit = same_path(abs, c->container.tool_sources.v[i]);
    /* A project that holds litecode's own configuration (--dir ~): the user
     * file, agent profiles and themes there, and the trust store, change
     * what later runs do. (Sessions in the state directory are not that.) */
    char *cfgdir = abs && !hit ? lc_xdg_dir("config", NULL) : NULL;
    char *rcfg = cfgdir ? realpath(cfgdir, NULL) : NULL;
    const char *base = rcfg ? rcfg : cfgdir;
    if (base) {
        size_t bl = strlen(base);
        hit = strncasecmp(abs, base, bl) == 0 && (abs[bl] == '/' || !abs[bl]);
    }
    char *store = abs && !hit ? lc_trust_store_path(NULL) : NULL;
    if (store) {
        char *sdir = lc_xstrdup(store);
        *strrchr(sdir, '/') = '\0';
        char *rs = realpath(sdir, NULL);
        char *full = rs ? lc_path_join(rs, "trusted.txt") : lc_xstrdup(store);
        hit = same_path(abs, full);
        free(full);
        free(rs);
        free(sdir);
    }
    free(store);
    free(rcfg);
    free(cfgdir);
    free(abs);
    free(rroot);
    free(r);
    return hit;
}
