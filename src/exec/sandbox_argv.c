/* The sandbox container's command line: every flag here is part of the
 * security model (DESIGN.md), so it lives in one place, built from argv
 * pieces, never a shell string. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

/* The supervisor's uid and gid: any pair other than the worker's, below 1000 so
 * that it is mapped in every user namespace an engine sets up (userns-remap,
 * podman's keep-id map the low ids). It needs no entry in the image's passwd. */
static void supervisor_user(uid_t worker_uid, gid_t worker_gid, uid_t *uid, gid_t *gid)
{
    *uid = worker_uid == 999 ? 998 : 999;
    *gid = worker_gid == 999 ? 998 : 999;
}

static cJSON *id_pair(unsigned long a, unsigned long b)
{
    cJSON *v = cJSON_CreateArray();
    cJSON_AddItemToArray(v, cJSON_CreateNumber((double)a));
    cJSON_AddItemToArray(v, cJSON_CreateNumber((double)b));
    return v;
}

static char *kernel_config_json(const lc_container_config *c, const lc_sandbox_ws *ws)
{
    cJSON *o = cJSON_CreateObject();
    /* The kernel starts as root with CAP_SETUID/CAP_SETGID only and splits into
     * a worker under the sandbox user and a supervisor under another uid, so no
     * step can reach the supervisor's descriptors (docs/security.md). */
    uid_t wu, su;
    gid_t wg, sg;
    lc_sandbox_user(&wu, &wg);
    supervisor_user(wu, wg, &su, &sg);
    cJSON *users = cJSON_AddObjectToObject(o, "users");
    cJSON_AddItemToObject(users, "worker", id_pair(wu, wg));
    cJSON_AddItemToObject(users, "supervisor", id_pair(su, sg));
    cJSON *imports = cJSON_AddArrayToObject(o, "imports");
    for (size_t i = 0; i < c->authorized_imports.n; i++)
        cJSON_AddItemToArray(imports, cJSON_CreateString(c->authorized_imports.v[i]));
    cJSON_AddNumberToObject(o, "output_cap", (double)c->output_cap_bytes);
    cJSON_AddBoolToObject(o, "end_step_processes", true);
    if (ws->copy && !c->workspace_ro) {
        cJSON_AddBoolToObject(o, "track_changes", true);
        cJSON_AddNumberToObject(o, "shadow_cap", (double)c->shadow_cap_bytes);
    }
    if (ws->probe)
        cJSON_AddStringToObject(o, "probe", ws->probe);
    char *s = lc_json_print(o);
    cJSON_Delete(o);
    return s;
}

static void push_size_flag(lc_strv *a, const char *flag, int64_t bytes)
{
    lc_strv_pushf(a, "%s=%lld", flag, (long long)bytes);
}

/* podman's default init (catatonit) is often not packaged; tini is. NULL:
 * leave the engine's default and let its error say what is missing. */
static const char *packaged_init_path(void)
{
    static const char *const candidates[] = {"/usr/libexec/podman/catatonit", "/usr/bin/catatonit",
                                             "/usr/bin/tini-static", "/usr/bin/docker-init",
                                             "/usr/bin/tini", NULL};
    for (size_t i = 0; candidates[i]; i++)
        if (access(candidates[i], X_OK) == 0)
            return i == 0 ? NULL : candidates[i];
    return NULL;
}

void lc_sandbox_labels(const char *session_id, lc_strv *a)
{
    char host[256], boot[64];
    lc_host_identity(host, sizeof host, boot, sizeof boot);
    lc_strv_pushf(a, "--label=litecode.session=%s", session_id);
    lc_strv_pushf(a, "--label=litecode.pid=%d", (int)getpid());
    lc_strv_pushf(a, "--label=litecode.pidstart=%llu", (unsigned long long)lc_pid_start_ticks(getpid()));
    lc_strv_pushf(a, "--label=litecode.host=%s", host);
    lc_strv_pushf(a, "--label=litecode.boot=%s", boot);
}

/* key=value as one field of --mount, whose value docker and podman read as
 * CSV: a path with a comma (a project in /home/me/a,b) or a quote is quoted,
 * its quotes doubled, or the engine would read the rest as other fields. */
static void mount_field(lc_buf *m, const char *key, const char *value)
{
    if (!strpbrk(value, ",\"")) {
        lc_buf_printf(m, "%s=%s", key, value);
        return;
    }
    lc_buf_printf(m, "\"%s=", key);
    for (const char *p = value; *p; p++) {
        if (*p == '"')
            lc_buf_putc(m, '"');
        lc_buf_putc(m, *p);
    }
    lc_buf_putc(m, '"');
}

void lc_sandbox_run_argv(const lc_container_config *c, const lc_engine *engine, const char *name,
                         const char *session_id, const char *shadow, const lc_sandbox_ws *ws, lc_strv *a)
{
    lc_engine_argv(engine, a, ws->copy ? "create" : "run");
    lc_strv_push(a, "--interactive");
    lc_strv_push(a, "--init");
    const char *init = lc_engine_has(engine, LC_ENGINE_F_INIT_SEARCH)
                           ? (c->init_path ? c->init_path : packaged_init_path())
                           : NULL;
    if (init)
        lc_strv_pushf(a, "--init-path=%s", init);
    lc_strv_push(a, "--pull=never");
    lc_strv_pushf(a, "--name=%s", name);
    lc_sandbox_labels(session_id, a);
    lc_strv_pushf(a, "--network=%s", c->network ? lc_engine_network_on(engine) : "none");
    push_size_flag(a, "--memory", c->memory_bytes);
    push_size_flag(a, "--memory-swap", c->memory_bytes); /* swap equal to memory: no extra swap */
    lc_strv_pushf(a, "--cpus=%g", c->cpus);
    lc_strv_pushf(a, "--pids-limit=%d", c->pids);
    lc_strv_pushf(a, "--ulimit=nofile=%d:%d", c->nofile, c->nofile);
    lc_strv_pushf(a, "--ulimit=nproc=%d:%d", c->nproc, c->nproc);
    lc_strv_push(a, "--ulimit=core=0:0");
    lc_strv_push(a, "--read-only");
    lc_strv_pushf(a, "--tmpfs=/tmp:rw,nosuid,nodev,size=%lld,mode=1777", (long long)c->tmp_bytes);
    /* Root with three capabilities only. SETUID and SETGID are for the kernel's
     * first moments: it forks, and both its processes take their own non-root
     * uid (which empties every capability set) before any step runs; the steps
     * never hold one. The container's init (pid 1) stays root with the three: it
     * only reaps and forwards the engine's signals (the interrupt: KILL lets it
     * signal the kernel, which runs under other uids), and being root's, its
     * descriptors are closed to step code. */
    lc_strv_push(a, "--cap-drop=ALL");
    lc_strv_push(a, "--cap-add=SETUID");
    lc_strv_push(a, "--cap-add=SETGID");
    lc_strv_push(a, "--cap-add=KILL");
    lc_strv_push(a, "--security-opt=no-new-privileges");
    if (lc_engine_has(engine, LC_ENGINE_F_KEEP_ID) && geteuid() != 0)
        lc_strv_push(a, "--userns=keep-id");
    lc_strv_push(a, "--user=0:0");
    lc_strv_push(a, "--log-driver=none");
    lc_strv_push(a, "--hostname=litecode");
    if (!lc_engine_has(engine, LC_ENGINE_F_GLOBAL_RUNTIME) && c->runtime)
        lc_strv_pushf(a, "--runtime=%s", c->runtime);
    /* `ro`, not `readonly`: podman refuses the bare word on a volume. */
    if (ws->copy)
        /* A named volume labelled like the container (lc_transport_volume_create),
         * filled over the engine before the start and removed with the
         * container, or swept once its session died; read-only ones are filled
         * through a helper container. */
        lc_strv_pushf(a, "--mount=type=volume,source=%s,destination=/workspace%s", ws->volume ? ws->volume : "",
                      c->workspace_ro ? ",ro" : "");
    else
        lc_strv_pushf(a, "--volume=%s:/workspace:%s", shadow, c->workspace_ro ? "ro" : "rw");
    /* The project's git objects, borrowed by the shadow's .git (lc_shadow_make):
     * read-only, so a step can read the history but never write the project's
     * store; not recursive, so nothing mounted below them comes along. */
    if (ws->git_volume)
        lc_strv_pushf(a, "--mount=type=volume,source=%s,destination=" LC_SHADOW_GIT_OBJECTS ",ro",
                      ws->git_volume);
    else if (ws->git_objects && ws->probe)
        /* While the probe finds out whether the engine sees this machine's
         * files: --volume, which an engine that does not makes an empty
         * directory of (as of the shadow), so the probe can tell; --mount
         * would fail the start instead. Recursive, so only until then. */
        lc_strv_pushf(a, "--volume=%s:" LC_SHADOW_GIT_OBJECTS ":ro", ws->git_objects);
    else if (ws->git_objects) {
        lc_buf m = LC_BUF_INIT;
        lc_buf_puts(&m, "--mount=type=bind,");
        mount_field(&m, "source", ws->git_objects);
        lc_buf_puts(&m, ",destination=" LC_SHADOW_GIT_OBJECTS ",ro,bind-nonrecursive=true");
        lc_strv_push(a, lc_buf_cstr(&m));
        lc_buf_free(&m);
    }
    /* With the copy transport the tool files are copied (lc_transport_fill_tools)
     * into a volume of their own, root's like the image around it. */
    if (ws->copy && c->tool_files.n)
        lc_strv_push(a, "--mount=type=volume,destination=/opt/litecode/tools");
    for (size_t i = 0; !ws->copy && i < c->tool_files.n; i++) {
        const char *path = c->tool_files.v[i];
        const char *base = strrchr(path, '/');
        lc_strv_pushf(a, "--volume=%s:/opt/litecode/tools/%s:ro", path, base ? base + 1 : path);
    }
    lc_strv_push(a, "--workdir=/workspace");
    /* Only these variables exist inside: nothing of the host's environment. */
    lc_strv_push(a, "--env=HOME=/tmp");
    lc_strv_push(a, "--env=LANG=C.UTF-8");
    lc_strv_push(a, "--env=PYTHONDONTWRITEBYTECODE=1");
    lc_strv_push(a, "--env=PYTHONUNBUFFERED=1");
    lc_strv_push(a, c->image);
    lc_strv_push(a, "python3");
    lc_strv_push(a, "-u");
    lc_strv_push(a, "-c");
    lc_strv_push_owned(a, lc_xstrndup(lc_kernel_source, lc_kernel_source_len));
    lc_strv_push_owned(a, kernel_config_json(c, ws));
}
