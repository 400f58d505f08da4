/* Built-in defaults and the container templates. The defaults are the
 * "default" template plus the limits of DESIGN.md's security model; a
 * template only changes the limits that differ between workloads. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

typedef struct template_def {
    const char *name;
    const char *image;
    int64_t memory_bytes;
    int timeout_s;
    const char *imports; /* space separated */
} template_def;

#define MIB (1024LL * 1024)
#define GIB (1024LL * MIB)

static const template_def templates[] = {
    {"default", "litecode-sandbox:" LC_VERSION, 1 * GIB, 30, "os sys json re collections datetime"},
    {"secure", "litecode-sandbox:" LC_VERSION, 512 * MIB, 15, "json re collections"},
    {"ml", "litecode-sandbox-ml:" LC_VERSION, 4 * GIB, 120, "numpy numpy.* pandas pandas.* sklearn sklearn.* matplotlib matplotlib.*"},
};

static const template_def *template_find(const char *name)
{
    for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++)
        if (name && strcmp(templates[i].name, name) == 0)
            return &templates[i];
    return NULL;
}

int lc_container_template_apply(lc_container_config *cc, const char *name, lc_err *err)
{
    const template_def *t = template_find(name);
    if (!t)
        return lc_err_set(err, LC_EINVAL, "unknown template '%s'; use default, secure or ml", name ? name : "");
    free(cc->template_name);
    cc->template_name = lc_xstrdup(t->name);
    free(cc->image);
    cc->image = lc_xstrdup(t->image);
    cc->memory_bytes = t->memory_bytes;
    cc->timeout_s = t->timeout_s;
    cc->network = false;
    lc_strv_clear(&cc->authorized_imports);
    const char *p = t->imports;
    while (*p) {
        size_t n = strcspn(p, " ");
        lc_strv_push_owned(&cc->authorized_imports, lc_xstrndup(p, n));
        p += n;
        p += strspn(p, " ");
    }
    return LC_OK;
}

void lc_config_defaults(lc_config *c)
{
    memset(c, 0, sizeof *c);

    c->model.name = NULL; /* main falls back to the bundled demo replay */
    c->model.temperature = 0.2;
    c->model.max_tokens = 4096;
    c->model.timeout_s = 600;
    c->model.stall_s = 60;
    c->model.max_retries = 4;
    c->model.input_price = -1;
    c->model.output_price = -1;

    c->agent.type = LC_AGENT_CODE;
    c->agent.max_steps = 20;
    c->agent.planning_interval = 0;

    lc_container_config *cc = &c->container;
    cc->engine = LC_ENGINE_AUTO;
    cc->cpus = 1;
    cc->pids = 256;
    cc->grace_s = 3;
    cc->network = false;
    cc->workspace_ro = false;
    cc->runtime = NULL;
    cc->cgroup_manager = lc_xstrdup("cgroupfs");
    cc->transport = lc_xstrdup("auto");
    cc->init_path = NULL;
    cc->nofile = 1024;
    cc->nproc = 4096; /* per uid across the host: a backstop; pids is the per-container limit */
    cc->tmp_bytes = 256 * MIB;
    cc->output_cap_bytes = 1 * MIB;
    cc->shadow_cap_bytes = 1 * GIB;
    cc->copy_max_bytes = 4 * GIB;
    (void)lc_container_template_apply(cc, "default", NULL);

    c->ui.theme = lc_xstrdup("dark");
    c->ui.scrollback = 20000;
    c->ui.mouse = true;
    c->security.allow_local_code_execution = false;
    c->security.auto_approve = false;
    c->approval.mode = lc_xstrdup("ask");

    /* What the template just set is reported as coming from it. */
    static const lc_config_key_id from_template[] = {
        LC_CFG_CONTAINER_IMAGE, LC_CFG_CONTAINER_MEMORY, LC_CFG_CONTAINER_TIMEOUT,
        LC_CFG_CONTAINER_NETWORK, LC_CFG_CONTAINER_IMPORTS,
    };
    for (size_t i = 0; i < sizeof from_template / sizeof from_template[0]; i++) {
        c->origin[from_template[i]].kind = LC_ORIGIN_TEMPLATE;
        c->origin[from_template[i]].text = lc_xstrdup("default");
    }
}

void lc_container_config_free(lc_container_config *cc)
{
    free(cc->image);
    free(cc->template_name);
    free(cc->runtime);
    free(cc->cgroup_manager);
    free(cc->transport);
    free(cc->init_path);
    lc_strv_free(&cc->authorized_imports);
    lc_strv_free(&cc->tool_files);
    lc_strv_free(&cc->tool_sources);
    memset(cc, 0, sizeof *cc);
}

void lc_container_config_copy(lc_container_config *dst, const lc_container_config *src)
{
    *dst = *src;
    dst->image = lc_xstrdup(src->image);
    dst->template_name = lc_xstrdup(src->template_name);
    dst->runtime = lc_xstrdup(src->runtime);
    dst->cgroup_manager = lc_xstrdup(src->cgroup_manager);
    dst->transport = lc_xstrdup(src->transport);
    dst->init_path = lc_xstrdup(src->init_path);
    memset(&dst->authorized_imports, 0, sizeof dst->authorized_imports);
    memset(&dst->tool_files, 0, sizeof dst->tool_files);
    memset(&dst->tool_sources, 0, sizeof dst->tool_sources);
    lc_strv_copy(&dst->authorized_imports, &src->authorized_imports);
    lc_strv_copy(&dst->tool_files, &src->tool_files);
    lc_strv_copy(&dst->tool_sources, &src->tool_sources);
}

void lc_config_free(lc_config *c)
{
    free(c->model.name);
    free(c->model.base_url);
    free(c->model.api_key_env);
    free(c->agent.profile);
    free(c->agent.instructions);
    lc_strv_free(&c->agent.tools);
    lc_container_config_free(&c->container);
    free(c->ui.theme);
    free(c->approval.mode);
    lc_strv_free(&c->approval.rules);
    lc_strv_free(&c->approval.origins);
    free(c->user_file);
    lc_strv_free(&c->ui.key_bindings);
    lc_mcp_config_free(&c->mcp);
    for (int i = 0; i < LC_CFG__COUNT; i++)
        free(c->origin[i].text);
    memset(c, 0, sizeof *c);
}

const char *lc_engine_kind_name(lc_engine_kind k)
{
#define NAME_(id, name, ...) [LC_ENGINE_##id] = name,
    static const char *const names[LC_ENGINE__COUNT] = {[LC_ENGINE_AUTO] = "auto", LC_ENGINES(NAME_)};
#undef NAME_
    return k > LC_ENGINE_AUTO && k < LC_ENGINE__COUNT ? names[k] : "auto";
}

const char *lc_agent_type_name(lc_agent_type t)
{
    return t == LC_AGENT_TOOL_CALLING ? "tool_calling" : "code";
}

int lc_exit_code_for(int status)
{
    switch (status) {
    case LC_OK: return LC_EXIT_OK;
    case LC_EINVAL: return LC_EXIT_USAGE;
    case LC_ENOTFOUND: return LC_EXIT_ERROR;
    case LC_ESECURITY: return LC_EXIT_SECURITY;
    case LC_EENGINE: return LC_EXIT_NO_ENGINE;
    case LC_ECANCEL: return LC_EXIT_STOPPED;
    default: return LC_EXIT_ERROR;
    }
}

lc_approve_mode lc_config_approve_mode(const lc_config *c)
{
    if (c->security.auto_approve)
        return LC_APPROVE_ALL;
    const char *m = c->approval.mode;
    if (m && strcmp(m, "reads") == 0)
        return LC_APPROVE_READS;
    if (m && strcmp(m, "all") == 0)
        return LC_APPROVE_ALL;
    return LC_APPROVE_ASK;
}

const char *lc_approve_mode_name(lc_approve_mode m)
{
    static const char *const names[] = {"ask", "reads", "all"};
    return (unsigned)m < 3 ? names[m] : "ask";
}
