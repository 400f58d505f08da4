/* Workspace transport for an engine that does not share this machine's
 * filesystem (a remote DOCKER_HOST, a docker context, podman --remote): the
 * shadow goes into the container's own volume over the engine before the
 * kernel starts, and each step's changes come back as the kernel's "change"
 * events, written into the shadow here, so change detection, diffs, review
 * and apply see what they would see with a bind mount. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

#define FILL_TIMEOUT_MS (30 * 60 * 1000) /* a large project over a slow link */
#define MAX_PATH_BYTES 4096

/* podman cp gives what it copies to the container's user unless told not
 * to (--archive=false); the sandbox container starts as root, so the step's
 * user could not write its own workspace. docker cp keeps the owners. NULL:
 * no option. */
static const char *cp_keep_owners(const lc_engine *e)
{
    return lc_engine_kind_of(e) == LC_ENGINE_PODMAN ? "--archive=false" : NULL;
}

int lc_transport_fill(const lc_engine *e, const char *container, const char *shadow, lc_err *err)
{
    /* `cp DIR/. NAME:/workspace` copies the contents with their owners (the
     * sandbox user, as lc_shadow_copy left them), modes and symlinks as
     * symlinks; the CLI makes the tar stream itself. */
    char *src = lc_xasprintf("%s/.", shadow);
    char *dst = lc_xasprintf("%s:/workspace", container);
    const char *args[] = {"cp", cp_keep_owners(e), src, dst, NULL};
    if (!args[1])
        memmove(&args[1], &args[2], 3 * sizeof args[0]);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    int rc = lc_engine_run(e, args, FILL_TIMEOUT_MS, &res, err);
    lc_proc_result_free(&res);
    free(src);
    free(dst);
    if (rc != LC_OK)
        return lc_err_set(err, rc, "copying the project into the sandbox failed: %s", err->msg);
    return LC_OK;
}

int lc_transport_volume_create(const lc_engine *e, const char *session_id, const char *volume, lc_err *err)
{
    lc_strv a = LC_STRV_INIT;
    lc_strv_push(&a, "volume");
    lc_strv_push(&a, "create");
    lc_sandbox_labels(session_id, &a);
    lc_strv_push(&a, volume);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    int rc = lc_engine_run(e, (const char *const *)a.v, FILL_TIMEOUT_MS, &res, err);
    lc_proc_result_free(&res);
    lc_strv_free(&a);
    return rc;
}

int lc_transport_fill_volume(const lc_engine *e, const char *image, const char *session_id,
                             const char *volume, const char *shadow, lc_err *err)
{
    int rc = lc_transport_volume_create(e, session_id, volume, err);
    return rc == LC_OK ? lc_transport_fill_through(e, image, session_id, volume, shadow, err) : rc;
}

int lc_transport_fill_through(const lc_engine *e, const char *image, const char *session_id, const char *volume,
                              const char *shadow, lc_err *err)
{
    int rc;
    lc_strv a = LC_STRV_INIT;
    lc_proc_result res = LC_PROC_RESULT_INIT;
    char *helper = lc_xasprintf("%s-fill", volume);
    lc_strv_push(&a, "create");
    lc_strv_pushf(&a, "--name=%s", helper);
    lc_sandbox_labels(session_id, &a);
    lc_strv_push(&a, "--network=none");
    lc_strv_pushf(&a, "--mount=type=volume,source=%s,destination=/workspace", volume);
    lc_strv_push(&a, image);
    lc_strv_push(&a, "true");
    rc = lc_engine_run(e, (const char *const *)a.v, FILL_TIMEOUT_MS, &res, err);
    lc_proc_result_free(&res);
    lc_strv_free(&a);
    if (rc == LC_OK)
        rc = lc_transport_fill(e, helper, shadow, err);
    const char *rm[] = {"rm", "-f", helper, NULL};
    lc_err ignored = {0};
    lc_engine_run(e, rm, FILL_TIMEOUT_MS, &res, &ignored);
    lc_proc_result_free(&res);
    free(helper);
    return rc;
}

void lc_transport_volume_rm(const lc_engine *e, const char *volume)
{
    const char *rm[] = {"volume", "rm", "-f", volume, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    lc_engine_run(e, rm, 30000, &res, &ignored);
    lc_proc_result_free(&res);
}

int lc_transport_fill_tools(const lc_engine *e, const char *container, const lc_strv *tool_files, lc_err *err)
{
    int rc = LC_OK;
    for (size_t i = 0; rc == LC_OK && i < tool_files->n; i++) {
        const char *path = tool_files->v[i];
        const char *base = strrchr(path, '/');
        char *dst = lc_xasprintf("%s:/opt/litecode/tools/%s", container, base ? base + 1 : path);
        const char *args[] = {"cp", cp_keep_owners(e), path, dst, NULL};
        if (!args[1])
            memmove(&args[1], &args[2], 3 * sizeof args[0]);
        lc_proc_result res = LC_PROC_RESULT_INIT;
        rc = lc_engine_run(e, args, FILL_TIMEOUT_MS, &res, err);
        lc_proc_result_free(&res);
        free(dst);
    }
    return rc;
}

/* ---- bringing changes back ---------------------------------------------- */

void lc_transport_in_init(lc_transport_in *t, const char *shadow, uint64_t cap)
{
    memset(t, 0, sizeof *t);
    t->shadow = shadow;
    t->cap = cap;
    t->fd = -1;
    lc_sandbox_user(&t->uid, &t->gid);
}

static void abort_file(lc_transport_in *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        unlink(t->tmp);
    }
    t->fd = -1;
    free(t->tmp);
    free(t->target);
    t->tmp = t->target = NULL;
}

void lc_transport_in_end(lc_transport_in *t)
{
    abort_file(t);
    free(t->unread_first);
    t->unread_first = NULL;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Standard base64 with padding; false on anything else. */
static bool b64_decode(const char *s, lc_buf *out)
{
    size_t n = strlen(s);
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = s[i + j] == '=' && i + 4 == n && j >= 2 ? 0 : b64val((unsigned char)s[i + j]);
            if (v[j] < 0)
                return false;
        }
        unsigned char b[3] = {(unsigned char)(v[0] << 2 | v[1] >> 4), (unsigned char)(v[1] << 4 | v[2] >> 2),
                              (unsigned char)(v[2] << 6 | v[3])};
        size_t k = s[i + 2] == '=' ? 1 : s[i + 3] == '=' ? 2 : 3;
        if (s[i + 2] == '=' && s[i + 3] != '=')
            return false;
        lc_buf_append(out, (const char *)b, k);
    }
    return true;
}

/* The event's path as shadow/<path>, after checking it names something
 * under the shadow: relative, no empty, "." or ".." component, no NUL.
 * Only this process writes the shadow while the engine is remote, so the
 * checks of the parents below are not raced by the sandbox. */
static char *target_path(lc_transport_in *t, const cJSON *ev, lc_err *err)
{
    const char *p64 = lc_json_str(ev, "path");
    lc_buf rel = LC_BUF_INIT;
    if (!p64 || !b64_decode(p64, &rel) || rel.len == 0 || rel.len > MAX_PATH_BYTES ||
        memchr(rel.data, '\0', rel.len)) {
        lc_buf_free(&rel);
        lc_err_set(err, LC_EPROTO, "a change with a missing or invalid path");
        return NULL;
    }
    const char *r = lc_buf_cstr(&rel);
    for (const char *c = r;;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
            lc_buf safe = LC_BUF_INIT;
            lc_text_sanitize(r, rel.len, 0, &safe);
            lc_err_set(err, LC_EPROTO, "a change names a path outside the workspace: %s", lc_buf_cstr(&safe));
            lc_buf_free(&safe);
            lc_buf_free(&rel);
            return NULL;
        }
        if (!c[n])
            break;
        c += n + 1;
    }
    char *full = lc_path_join(t->shadow, r);
    lc_buf_free(&rel);
    return full;
}

static void own(lc_transport_in *t, const char *path)
{
    if (geteuid() == 0 && lchown(path, t->uid, t->gid) != 0) {
        /* the shadow's owner is a convenience for the next start; a failure here is not fatal */
    }
}

/* Makes every parent of full (below the shadow) a real directory: missing
 * ones are created; a symlink or file in the way is an error, never followed. */
static int make_parents(lc_transport_in *t, char *full, lc_err *err)
{
    size_t base = strlen(t->shadow);
    for (char *s = full + base + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        struct stat st;
        int rc = LC_OK;
        if (lstat(full, &st) != 0) {
            if (errno != ENOENT || mkdir(full, 0755) != 0)
                rc = lc_err_errno(err, LC_EIO, errno, "creating %s", full);
            else
                own(t, full);
        } else if (!S_ISDIR(st.st_mode)) {
            rc = lc_err_set(err, LC_EPROTO, "%s is not a directory in the shadow copy", full);
        }
        *s = '/';
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* Removes whatever is at full (a directory with its contents; never follows). */
static int remove_any(const char *full, lc_err *err)
{
    struct stat st;
    if (lstat(full, &st) != 0)
        return errno == ENOENT ? LC_OK : lc_err_errno(err, LC_EIO, errno, "%s", full);
    if (S_ISDIR(st.st_mode))
        return lc_rm_rf(full, err);
    if (unlink(full) != 0)
        return lc_err_errno(err, LC_EIO, errno, "removing %s", full);
    return LC_OK;
}

static int take_file(lc_transport_in *t, char *full, const cJSON *ev, lc_err *err)
{
    const char *d64 = lc_json_str(ev, "data");
    lc_buf data = LC_BUF_INIT;
    if (!d64 || !b64_decode(d64, &data)) {
        lc_buf_free(&data);
        abort_file(t);
        free(full);
        return lc_err_set(err, LC_EPROTO, "a changed file without valid contents");
    }
    if (t->fd >= 0 && strcmp(t->target, full) != 0)
        abort_file(t); /* the previous file never got its last part */
    int rc = LC_OK;
    t->bytes += data.len;
    if (t->cap && t->bytes > t->cap) {
        t->over_cap = true;
        abort_file(t);
        free(full);
        lc_buf_free(&data);
        return LC_OK;
    }
    if (t->fd < 0) {
        rc = make_parents(t, full, err);
        if (rc == LC_OK) {
            char rnd[13];
            lc_random_hex(rnd, 6);
            const char *slash = strrchr(full, '/');
            t->tmp = lc_xasprintf("%.*s/.litecode-in-%s", (int)(slash - full), full, rnd);
            t->fd = open(t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (t->fd < 0)
                rc = lc_err_errno(err, LC_EIO, errno, "creating %s", t->tmp);
            t->target = full;
            full = NULL;
        }
    }
    if (rc == LC_OK && lc_fd_write_all(t->fd, data.data, data.len) != 0)
        rc = lc_err_errno(err, LC_EIO, errno, "writing %s", t->tmp);
    lc_buf_free(&data);
    free(full);
    if (rc == LC_OK && !lc_json_bool(ev, "more", false)) {
        int64_t mode = 0644;
        lc_sandbox_json_int(ev, "mode", 0, 0777, &mode);
        if (fchmod(t->fd, (mode_t)mode & 0777) != 0 || (geteuid() == 0 && fchown(t->fd, t->uid, t->gid) != 0))
            rc = lc_err_errno(err, LC_EIO, errno, "setting the mode of %s", t->target);
        struct stat st;
        if (rc == LC_OK && lstat(t->target, &st) == 0 && S_ISDIR(st.st_mode))
            rc = lc_rm_rf(t->target, err);
        if (rc == LC_OK && rename(t->tmp, t->target) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "replacing %s", t->target);
        if (rc == LC_OK) {
            close(t->fd);
            t->fd = -1;
            t->files++;
        }
        if (rc == LC_OK) {
            free(t->tmp);
            free(t->target);
            t->tmp = t->target = NULL;
        }
    }
    if (rc != LC_OK)
        abort_file(t);
    return rc;
}

char *lc_transport_in_note(const lc_transport_in *t)
{
    if (!t->unread)
        return NULL;
    return lc_xasprintf("%" PRId64 " %s in the sandbox could not be brought back, so what the step did there is "
                        "not in the shadow copy (the review shows them as they were): %s. What the step made "
                        "unreadable comes back once a later step makes it readable; a path longer than 4096 "
                        "bytes or a special file (fifo, socket, device) never does",
                        t->unread, t->unread == 1 ? "entry" : "entries", t->unread_first ? t->unread_first : "");
}

/* An entry the kernel could not bring back (made unreadable by the step, a
 * path longer than the system takes, a special file): counted and its name
 * kept for the notice; nothing is written. Its path may be longer than any
 * path here. */
static int take_unread(lc_transport_in *t, const cJSON *ev, lc_err *err)
{
    const char *p64 = lc_json_str(ev, "path");
    const char *why = lc_json_str(ev, "why");
    int64_t more = 0;
    lc_buf rel = LC_BUF_INIT;
    if (!p64 || strlen(p64) > 4 * 65536 || !b64_decode(p64, &rel) || rel.len == 0) {
        lc_buf_free(&rel);
        return lc_err_set(err, LC_EPROTO, "an unreadable entry with a missing or invalid path");
    }
    lc_sandbox_json_int(ev, "more", 0, INT32_MAX, &more);
    t->unread += 1 + more;
    if (!t->unread_first) {
        lc_buf line = LC_BUF_INIT;
        lc_text_sanitize(lc_buf_cstr(&rel), rel.len > 300 ? 300 : rel.len, 0, &line);
        lc_buf safe_why = LC_BUF_INIT;
        lc_text_sanitize(why ? why : "", why ? (strlen(why) > 100 ? 100 : strlen(why)) : 0, 0, &safe_why);
        t->unread_first = lc_xasprintf("%s%s (%s)", lc_buf_cstr(&line), rel.len > 300 ? "..." : "",
                                       why ? lc_buf_cstr(&safe_why) : "cannot be read");
        lc_buf_free(&line);
        lc_buf_free(&safe_why);
    }
    lc_buf_free(&rel);
    return LC_OK;
}

int lc_transport_take(lc_transport_in *t, const cJSON *ev, lc_err *err)
{
    const char *kind = lc_json_str(ev, "kind");
    if (kind && strcmp(kind, "unread") == 0) {
        if (t->fd >= 0)
            abort_file(t);
        return take_unread(t, ev, err);
    }
    char *full = target_path(t, ev, err);
    if (!full || !kind) {
        free(full);
        return full ? lc_err_set(err, LC_EPROTO, "a change without a kind") : LC_EPROTO;
    }
    if (strcmp(kind, "file") == 0)
        return take_file(t, full, ev, err);
    if (t->fd >= 0)
        abort_file(t);
    int rc = make_parents(t, full, err);
    if (rc == LC_OK && strcmp(kind, "gone") == 0) {
        rc = remove_any(full, err);
        t->removed++;
    } else if (rc == LC_OK && strcmp(kind, "dir") == 0) {
        int64_t mode = 0755;
        lc_sandbox_json_int(ev, "mode", 0, 0777, &mode);
        struct stat st;
        bool is_dir = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
        if (!is_dir) {
            rc = remove_any(full, err);
            if (rc == LC_OK && mkdir(full, 0700) != 0)
                rc = lc_err_errno(err, LC_EIO, errno, "creating %s", full);
        }
        if (rc == LC_OK && chmod(full, (mode_t)mode & 0777) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "setting the mode of %s", full);
        if (rc == LC_OK)
            own(t, full);
    } else if (rc == LC_OK && strcmp(kind, "symlink") == 0) {
        lc_buf target = LC_BUF_INIT;
        const char *t64 = lc_json_str(ev, "target");
        if (!t64 || !b64_decode(t64, &target) || target.len == 0 || memchr(target.data, '\0', target.len))
            rc = lc_err_set(err, LC_EPROTO, "a symlink change without a valid target");
        if (rc == LC_OK)
            rc = remove_any(full, err);
        if (rc == LC_OK && symlink(lc_buf_cstr(&target), full) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "creating the symlink %s", full);
        if (rc == LC_OK) {
            own(t, full);
            t->files++;
        }
        lc_buf_free(&target);
    } else if (rc == LC_OK) {
        rc = lc_err_set(err, LC_EPROTO, "a change of an unknown kind");
    }
    free(full);
    return rc;
}

/* ---- the size check before a send ------------------------------------- */

#define MEASURE_TOP 3

typedef struct measure_file {
    char *path;     /* as the user knows it: relative to the project */
    uint64_t bytes; /* apparent size: what cp sends */
    uint64_t disk;  /* allocated blocks: what it takes here */
} measure_file;

typedef struct measure {
    const char *prefix; /* "" for the shadow, ".git/objects/" for the lent objects */
    uint64_t bytes;
    uint64_t files;
    measure_file top[MEASURE_TOP]; /* largest first */
} measure;

static int measure_one(void *ctx, const lc_walk_entry *e)
{
    measure *m = ctx;
    if (!S_ISREG(e->st->st_mode))
        return 0; /* directories and symlinks travel as headers */
    uint64_t size = e->st->st_size > 0 ? (uint64_t)e->st->st_size : 0;
    m->bytes += size;
    m->files++;
    int at = MEASURE_TOP;
    while (at > 0 && (!m->top[at - 1].path || m->top[at - 1].bytes < size))
        at--;
    if (at == MEASURE_TOP)
        return 0;
    free(m->top[MEASURE_TOP - 1].path);
    memmove(&m->top[at + 1], &m->top[at], (MEASURE_TOP - 1 - (size_t)at) * sizeof m->top[0]);
    m->top[at] = (measure_file){lc_xasprintf("%s%s", m->prefix, e->path), size,
                                (uint64_t)e->st->st_blocks * 512};
    return 0;
}

int lc_transport_measure(const char *shadow, const char *git_objects, uint64_t cap, uint64_t *bytes, lc_err *err)
{
    measure m = {.prefix = ""};
    int rc = lc_walk(shadow, measure_one, &m, err);
    if (rc == LC_OK && git_objects) {
        m.prefix = ".git/objects/";
        rc = lc_walk(git_objects, measure_one, &m, err);
    }
    if (rc != LC_OK)
        lc_err_prefix(err, "measuring what the copy transport would send");
    if (bytes)
        *bytes = m.bytes;
    if (rc == LC_OK && cap && m.bytes > cap) {
        char total[32], limit[32];
        lc_format_bytes_human(m.bytes, total, sizeof total);
        lc_format_bytes_human(cap, limit, sizeof limit);
        lc_buf largest = LC_BUF_INIT;
        for (int i = 0; i < MEASURE_TOP && m.top[i].path; i++) {
            char size[32], disk[32];
            lc_format_bytes_human(m.top[i].bytes, size, sizeof size);
            lc_format_bytes_human(m.top[i].disk, disk, sizeof disk);
            char *name = lc_text_line(m.top[i].path); /* a name from the project: one safe line */
            bool sparse = m.top[i].disk < m.top[i].bytes / 2;
            lc_buf_printf(&largest, "%s%.160s %s%s%s%s", i ? ", " : "", name, size, sparse ? " (sparse: " : "",
                          sparse ? disk : "", sparse ? " on disk)" : "");
            free(name);
        }
        rc = lc_err_set(err, LC_EINVAL,
                        "the project is too large to copy to the engine: %s in %" PRIu64
                        " files (each file counts in full: a sparse file is sent in full), over container.copy_max "
                        "(%s). Largest: %s. Move such files out of the project, or raise container.copy_max in "
                        "your own config (--set container.copy_max=SIZE) if the engine's disk can take it",
                        total, m.files, limit, lc_buf_cstr(&largest));
        lc_buf_free(&largest);
    }
    for (int i = 0; i < MEASURE_TOP; i++)
        free(m.top[i].path);
    return rc;
}
