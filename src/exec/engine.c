/* The container engine's CLI: finding one that works, and the sweep of
 * containers left behind by sessions that died. Every call is an argv. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

#define ENGINE_TIMEOUT_MS 30000

static void first_line(const char *s, char *out, size_t outsz);
static int probe(lc_engine *e, lc_err *err);

/* One row of LC_ENGINES (config.h): how to drive that engine's CLI. */
typedef struct engine_def {
    const char *name;
    const char *version_format;
    const char *network_on;
    const char *remote_env;
    unsigned flags;
    const char *fails;
    const char *remedy;
} engine_def;

#define DEF_(id, name, ver, net, remote, flags, fails, remedy) \
    [LC_ENGINE_##id] = {name, ver, net, remote, flags, fails, remedy},
static const engine_def engines[LC_ENGINE__COUNT] = {LC_ENGINES(DEF_)};
#undef DEF_

struct lc_engine {
    lc_engine_kind kind;
    const engine_def *def;
    char *version;
    char *runtime;
    char *cgroup_manager;
    bool service; /* podman talks to a service (--remote: CONTAINER_HOST, a connection) */
    bool probed;
    bool local;   /* this machine's own engine, whatever the environment points the CLI at */
};

lc_engine_kind lc_engine_kind_of(const lc_engine *e) { return e->kind; }
const char *lc_engine_name(const lc_engine *e) { return e->def->name; }
const char *lc_engine_version(const lc_engine *e) { return e->version ? e->version : "?"; }
bool lc_engine_has(const lc_engine *e, unsigned flag) { return (e->def->flags & flag) != 0; }
const char *lc_engine_network_on(const lc_engine *e) { return e->def->network_on; }

void lc_engine_argv(const lc_engine *e, lc_strv *argv, const char *subcommand)
{
    lc_strv_push(argv, lc_engine_name(e));
    /* Not for the probe (`version` needs none, and it says whether podman is
     * remote) nor for a podman service, whose CLI refuses them: the service
     * runs containers with its own runtime and cgroup manager. */
    if (lc_engine_has(e, LC_ENGINE_F_GLOBAL_RUNTIME) && e->probed && !e->service) {
        /* Global options: podman's defaults (crun, systemd) fail on cgroup v1 hosts. */
        lc_strv_pushf(argv, "--runtime=%s", e->runtime ? e->runtime : "runc");
        lc_strv_pushf(argv, "--cgroup-manager=%s", e->cgroup_manager ? e->cgroup_manager : "cgroupfs");
    }
    if (e->local && lc_engine_has(e, LC_ENGINE_F_CONTEXTS))
        lc_strv_push(argv, "--context=default"); /* not a current context of the CLI's config */
    if (subcommand)
        lc_strv_push(argv, subcommand);
}

const char *lc_engine_endpoint(const lc_engine *e, const char **var)
{
    const char *host = getenv(e->def->remote_env);
    if (var)
        *var = e->def->remote_env;
    return host && *host ? host : NULL;
}

bool lc_engine_is_remote(const lc_engine *e, char *why, size_t whysz)
{
    char none[1];
    if (!why) {
        why = none;
        whysz = sizeof none;
    }
    why[0] = '\0';
    const char *host = getenv(e->def->remote_env);
    if (e->service && !(host && *host)) {
        /* A connection (CONTAINER_CONNECTION, containers.conf `remote = true`
         * with a default connection): its CLI said it talks to a service. */
        const char *conn = getenv("CONTAINER_CONNECTION");
        snprintf(why, whysz, "%s --remote%s%s", e->def->name, conn && *conn ? ", CONTAINER_CONNECTION=" : "",
                 conn && *conn ? conn : "");
        return true;
    }
    if (host && *host) {
        bool local = strncmp(host, "unix://", 7) == 0 && lc_engine_kind_of(e) != LC_ENGINE_PODMAN;
        if (!local)
            snprintf(why, whysz, "%s=%s", e->def->remote_env, host);
        return !local; /* podman with CONTAINER_HOST always talks to a service: --remote */
    }
    if (!lc_engine_has(e, LC_ENGINE_F_CONTEXTS))
        return false;
    /* Only ask the CLI when a context other than the default may be in use:
     * the question costs a process per session. */
    const char *ctx = getenv("DOCKER_CONTEXT");
    bool maybe = ctx && *ctx && strcmp(ctx, "default") != 0;
    if (!maybe) {
        const char *cfgdir = getenv("DOCKER_CONFIG");
        const char *home = getenv("HOME");
        char *path = cfgdir ? lc_path_join(cfgdir, "config.json")
                            : home ? lc_xasprintf("%s/.docker/config.json", home) : NULL;
        lc_buf b = LC_BUF_INIT;
        lc_err ignored = {0};
        maybe = path && lc_file_read(path, 1 << 20, &b, &ignored) == LC_OK &&
                strstr(lc_buf_cstr(&b), "\"currentContext\"") != NULL;
        lc_buf_free(&b);
        free(path);
    }
    if (!maybe)
        return false;
    const char *args[] = {"context", "inspect", "--format", "{{.Name}} {{.Endpoints.docker.Host}}", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    bool remote = false;
    if (lc_engine_run(e, args, ENGINE_TIMEOUT_MS, &res, &ignored) == LC_OK) {
        char line[512];
        first_line(lc_buf_cstr(&res.out), line, sizeof line);
        const char *ep = strchr(line, ' ');
        remote = ep && strncmp(ep + 1, "unix://", 7) != 0 && ep[1];
        if (remote)
            snprintf(why, whysz, "docker context %s", line);
    }
    lc_proc_result_free(&res);
    return remote;
}

void lc_engine_env(lc_strv *env)
{
    /* The engine's own variables, the build script's (Debian mirror and
     * suite, proxies for the archive), and the basics a CLI needs. */
    static const char *const keep[] = {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "DOCKER_HOST", "DOCKER_CONFIG",
        "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "CONTAINER_HOST",
        "CONTAINER_CONNECTION", "CONTAINER_SSHKEY", "SSH_AUTH_SOCK", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINERS_REGISTRIES_CONF",
        "LITECODE_DEBIAN_MIRROR", "LITECODE_DEBIAN_SUITE", "http_proxy", "https_proxy",
        "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", NULL};
    for (size_t i = 0; keep[i]; i++) {
        const char *v = getenv(keep[i]);
        if (v)
            lc_strv_pushf(env, "%s=%s", keep[i], v);
    }
    /* Never empty: an empty list would read as "inherit everything". */
    if (!getenv("PATH"))
        lc_strv_push(env, "PATH=/usr/local/bin:/usr/bin:/bin");
}

/* The variables that point an engine's CLI at another engine than this
 * machine's own. */
static bool points_elsewhere(const char *entry)
{
    static const char *const vars[] = {"DOCKER_HOST=", "DOCKER_CONTEXT=", "CONTAINER_HOST=", "CONTAINER_CONNECTION=",
                                       NULL};
    for (size_t i = 0; vars[i]; i++)
        if (lc_str_starts_with(entry, vars[i]))
            return true;
    return false;
}

void lc_engine_env_for(const lc_engine *e, lc_strv *env)
{
    lc_engine_env(env);
    if (!e || !e->local)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < env->n; i++) {
        if (points_elsewhere(env->v[i]))
            free(env->v[i]);
        else
            env->v[kept++] = env->v[i];
    }
    env->n = kept;
    env->v[kept] = NULL;
}

bool lc_engine_elsewhere(const lc_engine *e, char *why, size_t whysz)
{
    char none[1];
    if (!why) {
        why = none;
        whysz = sizeof none;
    }
    why[0] = '\0';
    if (e->local)
        return false;
    const char *host = getenv(e->def->remote_env);
    bool docker = lc_engine_has(e, LC_ENGINE_F_CONTEXTS);
    if (host && *host &&
        !(docker && (!strcmp(host, "unix:///var/run/docker.sock") || !strcmp(host, "unix:///run/docker.sock")))) {
        snprintf(why, whysz, "%s=%s", e->def->remote_env, host);
        return true;
    }
    const char *ctx = getenv("DOCKER_CONTEXT");
    if (docker && ctx && *ctx && strcmp(ctx, "default") != 0 && !(host && *host)) {
        snprintf(why, whysz, "DOCKER_CONTEXT=%s", ctx);
        return true;
    }
    return lc_engine_is_remote(e, why, whysz); /* a connection, a context in the CLI's config */
}

int lc_engine_open_local(const lc_container_config *cfg, lc_engine_kind kind, lc_engine **out, lc_err *err)
{
    *out = NULL;
    if (kind <= LC_ENGINE_AUTO || kind >= LC_ENGINE__COUNT)
        return lc_err_set(err, LC_EINVAL, "no such engine");
    lc_engine *e = lc_xcalloc(1, sizeof *e);
    e->kind = kind;
    e->def = &engines[kind];
    e->local = true;
    e->runtime = NULL; /* only the sandbox's runs need the configured runtime */
    e->cgroup_manager = lc_xstrdup(cfg->cgroup_manager);
    int rc = probe(e, err);
    if (rc == LC_OK && e->service) /* containers.conf says remote: no local podman here */
        rc = lc_err_set(err, LC_EENGINE, "%s talks to a service even without CONTAINER_HOST", e->def->name);
    if (rc != LC_OK) {
        lc_engine_free(e);
        return rc;
    }
    *out = e;
    return LC_OK;
}

static void first_line(const char *s, char *out, size_t outsz)
{
    size_t n = strcspn(s, "\n");
    lc_buf b = LC_BUF_INIT;
    lc_text_sanitize(s, n, 0, &b);
    snprintf(out, outsz, "%s", lc_buf_cstr(&b));
    lc_buf_free(&b);
}

/* Runs an engine subcommand; LC_EENGINE with its stderr when it fails. */
int lc_engine_run(const lc_engine *e, const char *const *args, int timeout_ms, lc_proc_result *res,
                  lc_err *err)
{
    lc_strv argv = LC_STRV_INIT;
    lc_engine_argv(e, &argv, NULL);
    for (size_t i = 0; args[i]; i++)
        lc_strv_push(&argv, args[i]);
    lc_strv env = LC_STRV_INIT;
    lc_engine_env_for(e, &env);
    int rc = lc_proc_run_env((const char *const *)argv.v, (const char *const *)env.v, NULL, 0, timeout_ms,
                             1 << 20, res, err);
    lc_strv_free(&env);
    if (rc == LC_OK && (res->exit_code != 0 || res->timed_out)) {
        char line[512], how[128];
        first_line(lc_buf_cstr(&res->err), line, sizeof line);
        lc_proc_describe(res, how, sizeof how);
        rc = lc_err_set(err, LC_EENGINE, "`%s %s` failed (%s): %s", argv.v[0], args[0], how,
                        line[0] ? line : "no message");
    }
    lc_strv_free(&argv);
    return rc;
}

static int probe(lc_engine *e, lc_err *err)
{
    const char *args[] = {"version", "--format", e->def->version_format, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    int rc = lc_engine_run(e, args, ENGINE_TIMEOUT_MS, &res, err);
    if (rc == LC_OK) {
        char v[128];
        first_line(lc_buf_cstr(&res.out), v, sizeof v);
        size_t n = strlen(v);
        /* podman's format adds " remote" when its CLI talks to a service. */
        if (n > 7 && strcmp(v + n - 7, " remote") == 0) {
            v[n - 7] = '\0';
            e->service = true;
        }
        e->version = lc_xstrdup(v);
        e->probed = true;
    }
    lc_proc_result_free(&res);
    return rc;
}

/* errs[k]: why engine k failed; LC_ENOTFOUND when its CLI is not installed
 * (or it was not asked for). */
static int explain_missing(lc_engine_kind want, const lc_err *errs, lc_err *err)
{
    bool any = false;
    for (int k = LC_ENGINE_AUTO + 1; k < LC_ENGINE__COUNT; k++)
        any = any || errs[k].code != LC_ENOTFOUND;
    if (!any)
        return lc_err_set(err, LC_EENGINE,
                          "no container engine found: litecode runs model-written code only inside a "
                          "container. Install Docker (`sudo apt-get install docker.io`) or Podman (`sudo "
                          "apt-get install podman runc`), or run scripts/setup.sh.");
    if (want != LC_ENGINE_AUTO)
        return lc_err_set(err, LC_EENGINE, "%s: %s%s", engines[want].fails, errs[want].msg, engines[want].remedy);
    lc_buf all = LC_BUF_INIT;
    for (int k = LC_ENGINE_AUTO + 1; k < LC_ENGINE__COUNT; k++)
        lc_buf_printf(&all, "%s%s: %s", k > LC_ENGINE_AUTO + 1 ? ". " : "", engines[k].name, errs[k].msg);
    int rc = lc_err_set(err, LC_EENGINE,
                        "no working container engine. %s. Start the docker daemon (`sudo systemctl start "
                        "docker` or `sudo dockerd &`) or fix podman; scripts/setup.sh does this for you.",
                        lc_buf_cstr(&all));
    lc_buf_free(&all);
    return rc;
}

int lc_engine_open(const lc_container_config *cfg, lc_engine **out, lc_err *err)
{
    lc_err errs[LC_ENGINE__COUNT];
    memset(errs, 0, sizeof errs);
    *out = NULL;
    for (int k = LC_ENGINE_AUTO + 1; k < LC_ENGINE__COUNT; k++) {
        if (cfg->engine != LC_ENGINE_AUTO && cfg->engine != (lc_engine_kind)k) {
            errs[k].code = LC_ENOTFOUND;
            continue;
        }
        lc_engine *e = lc_xcalloc(1, sizeof *e);
        e->kind = (lc_engine_kind)k;
        e->def = &engines[k];
        e->runtime = lc_xstrdup(cfg->runtime);
        e->cgroup_manager = lc_xstrdup(cfg->cgroup_manager);
        if (probe(e, &errs[k]) == LC_OK) {
            *out = e;
            return LC_OK;
        }
        lc_engine_free(e);
    }
    return explain_missing(cfg->engine, errs, err);
}

void lc_engine_free(lc_engine *e)
{
    if (!e)
        return;
    free(e->version);
    free(e->runtime);
    free(e->cgroup_manager);
    free(e);
}

int lc_engine_image_exists(lc_engine *e, const char *image, lc_err *err)
{
    const char *args[] = {"image", "inspect", "--format", "{{.Id}}", image, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    int rc = lc_engine_run(e, args, ENGINE_TIMEOUT_MS, &res, &ignored);
    int present = rc == LC_OK;
    if (rc != LC_OK && rc != LC_EENGINE)
        present = lc_err_set(err, rc, "%s", ignored.msg);
    lc_proc_result_free(&res);
    return present;
}

/* This host's identity for labels: containers of other hosts sharing a
 * daemon are never ours to sweep. */
void lc_host_identity(char *host, size_t hostsz, char *boot, size_t bootsz)
{
    if (gethostname(host, hostsz) != 0)
        snprintf(host, hostsz, "unknown");
    host[hostsz - 1] = '\0';
    lc_buf b = LC_BUF_INIT;
    lc_err ignored = {0};
    if (lc_file_read("/proc/sys/kernel/random/boot_id", 128, &b, &ignored) == LC_OK)
        snprintf(boot, bootsz, "%.*s", (int)strcspn(lc_buf_cstr(&b), "\n"), lc_buf_cstr(&b));
    else
        snprintf(boot, bootsz, "unknown");
    lc_buf_free(&b);
}

static int list_labelled(lc_engine *e, const char *filter, lc_strv *ids, lc_err *err)
{
    const char *args[] = {"ps", "-a", "-q", "--no-trunc", "--filter", filter, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    int rc = lc_engine_run(e, args, ENGINE_TIMEOUT_MS, &res, err);
    if (rc == LC_OK) {
        char *save = NULL, *text = lc_xstrdup(lc_buf_cstr(&res.out));
        for (char *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
            if (*tok)
                lc_strv_push(ids, tok);
        free(text);
    }
    lc_proc_result_free(&res);
    return rc;
}

int lc_engine_list_session(lc_engine *e, const char *session_id, lc_strv *ids, lc_err *err)
{
    char filter[256];
    snprintf(filter, sizeof filter, "label=litecode.session=%s", session_id);
    return list_labelled(e, filter, ids, err);
}

/* Decides from a container's labels whether its session is dead. */
static bool owner_is_dead(const char *line, const char *host, const char *boot)
{
    char c_host[256] = "", c_boot[64] = "";
    long long pid = 0;
    unsigned long long start = 0;
    /* line: "<pid> <start> <host> <boot>" (labels may be missing: "<no value>") */
    if (sscanf(line, "%lld %llu %255s %63s", &pid, &start, c_host, c_boot) != 4)
        return false; /* not labelled the way we label: not ours to judge */
    if (strcmp(c_host, host) != 0)
        return false; /* another machine's session sharing this daemon */
    if (strcmp(c_boot, boot) != 0)
        return true; /* this machine rebooted since: its owner is gone */
    if (pid <= 0)
        return false;
    return !lc_pid_alive((pid_t)pid, start);
}

/* The read-only copy transport's named volumes of dead sessions (their
 * containers went first, so none is in use). */
static void sweep_volumes(lc_engine *e, const char *host, const char *boot)
{
    const char *ls[] = {"volume", "ls", "-q", "--filter", "label=litecode.session", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    if (lc_engine_run(e, ls, ENGINE_TIMEOUT_MS, &res, &ignored) != LC_OK) {
        lc_proc_result_free(&res);
        return;
    }
    char *save = NULL, *text = lc_xstrdup(lc_buf_cstr(&res.out));
    lc_proc_result_free(&res);
    for (char *v = strtok_r(text, "\n", &save); v; v = strtok_r(NULL, "\n", &save)) {
        const char *fmt = "{{index .Labels \"litecode.pid\"}} {{index .Labels \"litecode.pidstart\"}} "
                          "{{index .Labels \"litecode.host\"}} {{index .Labels \"litecode.boot\"}}";
        const char *args[] = {"volume", "inspect", "--format", fmt, v, NULL};
        lc_proc_result ires = LC_PROC_RESULT_INIT;
        if (lc_engine_run(e, args, ENGINE_TIMEOUT_MS, &ires, &ignored) == LC_OK &&
            owner_is_dead(lc_buf_cstr(&ires.out), host, boot)) {
            const char *rm[] = {"volume", "rm", "-f", v, NULL};
            lc_proc_result rres = LC_PROC_RESULT_INIT;
            lc_engine_run(e, rm, ENGINE_TIMEOUT_MS, &rres, &ignored);
            lc_proc_result_free(&rres);
        }
        lc_proc_result_free(&ires);
    }
    free(text);
}

int lc_engine_sweep(lc_engine *e, lc_strv *removed, lc_err *err)
{
    lc_strv ids = LC_STRV_INIT;
    int rc = list_labelled(e, "label=litecode.session", &ids, err);
    char host[256], boot[64];
    lc_host_identity(host, sizeof host, boot, sizeof boot);
    for (size_t i = 0; rc == LC_OK && i < ids.n; i++) {
        const char *fmt = "{{index .Config.Labels \"litecode.pid\"}} "
                          "{{index .Config.Labels \"litecode.pidstart\"}} "
                          "{{index .Config.Labels \"litecode.host\"}} "
                          "{{index .Config.Labels \"litecode.boot\"}}";
        const char *args[] = {"inspect", "--format", fmt, ids.v[i], NULL};
        lc_proc_result res = LC_PROC_RESULT_INIT;
        lc_err gone = {0};
        if (lc_engine_run(e, args, ENGINE_TIMEOUT_MS, &res, &gone) == LC_OK &&
            owner_is_dead(lc_buf_cstr(&res.out), host, boot)) {
            const char *rm[] = {"rm", "-f", "-v", ids.v[i], NULL};
            lc_proc_result rres = LC_PROC_RESULT_INIT;
            if (lc_engine_run(e, rm, ENGINE_TIMEOUT_MS, &rres, &gone) == LC_OK && removed)
                lc_strv_push(removed, ids.v[i]);
            lc_proc_result_free(&rres);
        }
        lc_proc_result_free(&res);
    }
    lc_strv_free(&ids);
    if (rc == LC_OK)
        sweep_volumes(e, host, boot);
    return rc;
}
