/* `litecode-tui --check`: what works and what to do about what does not, line
 * by line. The limits are verified from inside a real test container, not
 * assumed from the flags we passed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

/* Runs inside the test container; prints one "key=value" per line. */
static const char probe_code[] =
    "import os\n"
    "def _read(*paths):\n"
    "    for p in paths:\n"
    "        try:\n"
    "            return open(p).read().strip()\n"
    "        except OSError:\n"
    "            pass\n"
    "    return '?'\n"
    "print('memory=' + _read('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'))\n"
    "print('pids=' + _read('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'))\n"
    "mt = [l for l in open('/proc/meminfo') if l.startswith('MemTotal:')]\n"
    "print('memtotal=' + (mt[0].split()[1] if mt else '?'))\n"
    "print('net=' + ','.join(sorted(os.listdir('/sys/class/net'))))\n"
    "print('uid=%d' % os.getuid())\n"
    "cap = [l for l in open('/proc/self/status') if l.startswith('CapEff')]\n"
    "print('caps=' + (cap[0].split()[1] if cap else '?'))\n"
    /* the kernel's supervisor, the step's parent: its own uid, no capability */
    "sup = {l.split(':')[0]: l.split()[1:] for l in open('/proc/%d/status' % os.getppid())}\n"
    "print('supuid=' + (sup['Uid'][1] if 'Uid' in sup else '?'))\n"
    "print('supcaps=' + ''.join(sup.get('CapEff', ['?'])) + ''.join(sup.get('CapPrm', ['?'])))\n"
    "try:\n"
    "    open('/litecode-probe', 'w')\n"
    "    print('rootfs=writable')\n"
    "except OSError:\n"
    "    print('rootfs=read-only')\n"
    "try:\n"
    "    open('/workspace/.litecode-probe', 'w').close()\n"
    "    os.unlink('/workspace/.litecode-probe')\n"
    "    print('workspace=writable')\n"
    "except OSError as e:\n"
    "    print('workspace=' + type(e).__name__)\n"
    /* io_uring_setup: the kernel's worker closes it with a seccomp filter */
    "import ctypes, errno\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "fd = libc.syscall(425, 8, ctypes.create_string_buffer(120))\n"
    "print('io_uring=' + ('open' if fd >= 0 else errno.errorcode.get(ctypes.get_errno(), '?')))\n"
    "fd >= 0 and os.close(fd)\n";

static void line(lc_buf *out, const char *status, const char *what, const char *remedy)
{
    lc_buf_printf(out, "%-5s %s", status, what);
    if (remedy && *remedy)
        lc_buf_printf(out, "\n      -> %s", remedy);
    lc_buf_putc(out, '\n');
}

static const char *field(const char *text, const char *key, char *val, size_t valsz)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = strcspn(p + klen + 1, "\n");
            snprintf(val, valsz, "%.*s", (int)n, p + klen + 1);
            return val;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    snprintf(val, valsz, "?");
    return val;
}

static bool verify_limits(const lc_container_config *cc, const char *probe, lc_buf *out)
{
    char v[256], what[512], mem[32];
    bool ok = true;
    lc_format_size(cc->memory_bytes, mem, sizeof mem);
    int64_t got = 0;
    field(probe, "memory", v, sizeof v);
    bool mem_ok = lc_parse_size(v, &got) == LC_OK && got == cc->memory_bytes;
    snprintf(what, sizeof what, "memory limit %s inside the container (%s)", mem, v);
    char mt[64];
    field(probe, "memtotal", mt, sizeof mt);
    double kb = atof(mt);
    if (!mem_ok && strcmp(v, "?") == 0 && cc->runtime && kb > 0) {
        /* gVisor shows no cgroup files inside; its MemTotal is the limit. */
        double ratio = kb * 1024.0 / (double)cc->memory_bytes;
        mem_ok = ratio > 0.95 && ratio < 1.05;
        snprintf(what, sizeof what, "memory limit %s inside the container (MemTotal %s kB under %s)", mem, mt,
                 cc->runtime);
    }
    line(out, mem_ok ? "ok" : "FAIL", what, mem_ok ? NULL : "the engine did not apply --memory; check cgroup support (docs/troubleshooting.md)");
    ok &= mem_ok;

    field(probe, "pids", v, sizeof v);
    bool pids_ok = atoi(v) == cc->pids;
    snprintf(what, sizeof what, "pids limit %d (%s)", cc->pids, v);
    if (!pids_ok && strcmp(v, "?") == 0 && cc->runtime) {
        /* Not visible inside a sandboxing runtime: the engine sets it on the
         * sandbox's own cgroup, which the fork-bomb integration test exercises. */
        snprintf(what, sizeof what, "pids limit %d set on the %s sandbox's cgroup (not visible inside)", cc->pids,
                 cc->runtime);
        line(out, "warn", what, "under gVisor the host's pids limit counts the sandbox's own threads, not the "
                                "processes of step code; gVisor bounds those itself");
    } else {
        line(out, pids_ok ? "ok" : "FAIL", what,
             pids_ok ? NULL : "the engine did not apply --pids-limit; check the pids cgroup controller");
        ok &= pids_ok;
    }

    field(probe, "net", v, sizeof v);
    bool net_ok = cc->network || strcmp(v, "lo") == 0;
    snprintf(what, sizeof what, "network %s (interfaces: %s)", cc->network ? "ENABLED by configuration" : "none", v);
    line(out, net_ok ? (cc->network ? "warn" : "ok") : "FAIL", what,
         net_ok ? (cc->network ? "set container.network: false unless the task needs it" : NULL)
                : "the container has a network interface; report this as a bug");
    ok &= net_ok;

    field(probe, "caps", v, sizeof v);
    bool caps_ok = strcmp(v, "0000000000000000") == 0;
    snprintf(what, sizeof what, "capabilities dropped (CapEff %s)", v);
    line(out, caps_ok ? "ok" : "FAIL", what, caps_ok ? NULL : "the engine kept capabilities; report this as a bug");
    ok &= caps_ok;

    field(probe, "uid", v, sizeof v);
    bool uid_ok = atoi(v) != 0;
    snprintf(what, sizeof what, "runs as a non-root user (uid %s)", v);
    line(out, uid_ok ? "ok" : "FAIL", what, uid_ok ? NULL : "the container runs as root; report this as a bug");
    ok &= uid_ok;

    /* The supervisor, which holds the protocol: another uid than the steps',
     * not root, no capability (docs/security.md, the kernel). */
    char sup[64], supcaps[64];
    field(probe, "supuid", sup, sizeof sup);
    field(probe, "supcaps", supcaps, sizeof supcaps);
    bool sup_ok = strcmp(sup, "?") != 0 && atoi(sup) != 0 && strcmp(sup, v) != 0 &&
                  strcmp(supcaps, "00000000000000000000000000000000") == 0;
    snprintf(what, sizeof what, "kernel protocol out of the steps' reach (supervisor uid %s, steps uid %s, no capabilities)",
             sup, v);
    line(out, sup_ok ? "ok" : "FAIL", what,
         sup_ok ? NULL : "the kernel's supervisor shares the steps' uid or kept capabilities; report this as a bug");
    ok &= sup_ok;

    field(probe, "rootfs", v, sizeof v);
    bool ro_ok = strcmp(v, "read-only") == 0;
    snprintf(what, sizeof what, "root filesystem %s", v);
    line(out, ro_ok ? "ok" : "FAIL", what, ro_ok ? NULL : "the engine ignored --read-only");
    ok &= ro_ok;

    field(probe, "workspace", v, sizeof v);
    bool ws_ok = strcmp(v, cc->workspace_ro ? "OSError" : "writable") == 0 || (cc->workspace_ro && strcmp(v, "PermissionError") == 0);
    snprintf(what, sizeof what, "/workspace %s", v);
    line(out, ws_ok ? "ok" : "FAIL", what,
         ws_ok ? NULL : "the sandbox user cannot write the shadow copy: with rootless podman see docs/troubleshooting.md (file ownership)");
    ok &= ws_ok;

    field(probe, "io_uring", v, sizeof v);
    bool uring_ok = strcmp(v, "ENOSYS") == 0 || strcmp(v, "EPERM") == 0;
    snprintf(what, sizeof what, "io_uring %s to step code (%s)", uring_ok ? "closed" : "OPEN", v);
    line(out, uring_ok ? "ok" : "FAIL", what,
         uring_ok ? NULL : "the kernel's seccomp filter was not applied; report this as a bug");
    ok &= uring_ok;
    return ok;
}

/* gVisor: said when runsc is there to be used, or installed but not yet
 * registered with the engine's daemon. Nothing when it is not installed:
 * it is an option, not a requirement. */
static void gvisor_line(lc_engine *engine, const lc_container_config *cc, lc_buf *out)
{
    if (cc->runtime) {
        char what[300];
        snprintf(what, sizeof what, "runtime %s (the test container ran under it)", cc->runtime);
        line(out, "ok", what, NULL);
        return;
    }
    if (lc_engine_has(engine, LC_ENGINE_F_GLOBAL_RUNTIME))
        return; /* podman: runtimes are paths given per call, nothing to register */
    const char *args[] = {"info", "--format", "{{json .Runtimes}}", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    bool registered = lc_engine_run(engine, args, 30000, &res, &ignored) == LC_OK &&
                      strstr(lc_buf_cstr(&res.out), "\"runsc\"") != NULL;
    lc_proc_result_free(&res);
    if (registered)
        line(out, "ok", "gVisor (runsc) registered: container.runtime: runsc runs the sandbox under it", NULL);
    else if (access("/usr/bin/runsc", X_OK) == 0)
        line(out, "warn", "gVisor (runsc) installed but not registered with the engine",
             "scripts/setup.sh --gvisor registers it (see docs/security.md)");
}

int lc_exec_check(const lc_container_config *cc, lc_buf *out, lc_err *err)
{
    lc_engine *engine = NULL;
    lc_err e = {0};
    char what[512];
    if (lc_engine_open(cc, &engine, &e) != LC_OK) {
        line(out, "FAIL", "container engine", e.msg);
        return lc_err_set(err, LC_EENGINE, "%s", e.msg);
    }
    snprintf(what, sizeof what, "engine %s %s", lc_engine_name(engine), lc_engine_version(engine));
    line(out, "ok", what, NULL);

    int present = lc_engine_image_exists(engine, cc->image, &e);
    snprintf(what, sizeof what, "image %s", cc->image);
    if (present < 0) {
        line(out, "FAIL", what, e.msg);
        lc_engine_free(engine);
        return lc_err_set(err, present, "%s", e.msg);
    }
    if (present == 0) {
        /* What a session would say or do about it, in its words: load it
         * onto a remote engine from this machine's; else what to do, which
         * for a user's own container.image is not litecode's build script. */
        char remedy[LC_ERR_MSG_MAX];
        lc_image_plan plan;
        lc_err pe = {0};
        if (lc_image_plan_make(engine, cc, NULL, &plan, &pe) == LC_OK)
            snprintf(remedy, sizeof remedy, "a session loads it there from this machine's %s when it starts",
                     plan.from ? lc_engine_name(plan.from) : "engine");
        else
            snprintf(remedy, sizeof remedy, "%s", pe.msg);
        lc_image_plan_free(&plan);
        line(out, "FAIL", what, remedy);
        lc_engine_free(engine);
        return lc_err_set(err, LC_ENOTFOUND, "the sandbox image %s is missing", cc->image);
    }
    line(out, "ok", what, NULL);

    char tmpl[] = "/tmp/litecode-check-XXXXXX";
    if (!mkdtemp(tmpl)) {
        lc_engine_free(engine);
        return lc_err_errno(err, LC_EIO, errno, "cannot create a temporary directory");
    }
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    if (geteuid() == 0 && chown(tmpl, uid, gid) != 0) {
        lc_engine_free(engine);
        return lc_err_errno(err, LC_EIO, errno, "cannot give %s to uid %d", tmpl, (int)uid);
    }
    char sid[32];
    snprintf(sid, sizeof sid, "check-%d", (int)getpid());
    lc_executor *ex = NULL;
    /* The probe is litecode's own code, not the model's: the import guard of
     * the user's configuration (which need not allow ctypes) is not for it. */
    lc_container_config probe_cc;
    lc_container_config_copy(&probe_cc, cc);
    lc_strv_clear(&probe_cc.authorized_imports);
    lc_strv_push(&probe_cc.authorized_imports, "*");
    lc_sandbox_opts so = {&probe_cc, tmpl, sid, engine, NULL};
    int rc = lc_sandbox_new(&so, &ex, &e);
    if (rc == LC_OK)
        rc = lc_executor_start(ex, &e);
    if (rc != LC_OK) {
        line(out, "FAIL", "test container", e.msg);
    } else {
        snprintf(what, sizeof what, "kernel ready in %.0f ms", lc_sandbox_start_ms(ex));
        line(out, "ok", what, NULL);
        const char *why = NULL;
        const char *how = lc_sandbox_transport(ex, &why);
        snprintf(what, sizeof what, "workspace: %s%s%s%s", strcmp(how, "copy") == 0 ? "copied over the engine" : "bind mount",
                 why ? " (" : "", why ? why : "", why ? ")" : "");
        line(out, "ok", what, NULL);
        gvisor_line(engine, cc, out);
        lc_exec_result r;
        rc = lc_executor_exec(ex, probe_code, 30, NULL, &r, &e);
        if (rc == LC_OK && r.status == LC_STEP_OK) {
            if (!verify_limits(cc, r.output ? r.output : "", out))
                rc = lc_err_set(&e, LC_ESECURITY, "a limit was not applied");
        } else if (rc == LC_OK) {
            line(out, "FAIL", "probe step", r.error_message ? r.error_message : lc_step_status_name(r.status));
            rc = LC_EENGINE;
        } else {
            line(out, "FAIL", "probe step", e.msg);
        }
        lc_exec_result_free(&r);
    }
    lc_executor_destroy(ex);
    lc_container_config_free(&probe_cc);
    lc_engine_free(engine);
    lc_rm_rf(tmpl, &e);
    if (rc != LC_OK)
        return lc_err_set(err, rc, "the sandbox check failed: see the lines above");
    return LC_OK;
}
